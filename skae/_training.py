"""From the phases an estimator declares to the engine's loop: building and running them.

An estimator declares each phase of its training (:class:`~skae._fitted.Phase`):
the rows it trains on (:class:`PhaseData`), its objective, its budget, its
batch size, whether it holds rows out to watch for ``early_stopping``. The
fit template hands each phase to :func:`phase_batches`, which makes the batch
sources (of an array in memory, or read by chunks from out-of-core data, with
one switch between the two), the validation split and its batches, and the
weight decay; :func:`make_optimizer` and :func:`continue_optimizer` make the
optimizer; :func:`run_phases` runs them through :func:`skae.nn.fit_loop`, with
checkpoints, threads and progress output. Nothing here calls back into the
estimator.
"""

import copy
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from skae._defaults import held_out_rows
from skae._out_of_core import OutOfCoreData
from skae._warnings import warn_at_caller
from skae.nn import ChunkedBatches, InMemoryBatches, fit_loop
from skae.nn._chunked import RowSubset
from skae.nn._device import (
    as_tensor,
    caller_thread_limit,
    make_generator,
    thread_limit,
    training_threads,
)
from skae.nn._inference import INFERENCE_BATCH_SIZE
from skae.nn._progress import EpochLogger
from skae.nn._training import LEARNING_RATE_SCHEDULES, LabeledUnlabeledBatches


@dataclass(frozen=True)
class PhaseData:
    """The rows a phase trains on.

    Attributes
    ----------
    X : ndarray or OutOfCoreData
        The training rows (all of them for a reconstruction phase).
    labeled : ndarray of bool, default=None
        For a classification phase, the rows of X it classifies.
    y : ndarray of int, default=None
        Their class indices, one per labeled row.
    unlabeled : ndarray of bool, default=None
        The rows of X drawn beside the labeled ones (the semi-supervised
        signals), or None.
    """

    X: Any
    labeled: np.ndarray | None = None
    y: np.ndarray | None = None
    unlabeled: np.ndarray | None = None


@dataclass(frozen=True)
class PhaseBatches:
    """What :func:`phase_batches` makes of a phase for :func:`skae.nn.fit_loop`.

    Attributes
    ----------
    batches : callable
        ``batches(generator)``: the batch source of an epoch, shuffling with
        ``generator``.
    validation : object
        Held-out batches to monitor, or None.
    smallest_batch : int
        Rows of the smallest kind of batch per step, which batch
        normalisation needs to be at least 2.
    rows_per_step : int
        All rows a step computes on, for the choice of threads.
    weight_decay : float
        Adam's ``weight_decay`` on the weights.
    """

    batches: Any
    validation: Any
    smallest_batch: int
    rows_per_step: int
    weight_decay: float


def phase_batches(phase, context):
    """The :class:`PhaseBatches` of ``phase`` (a :class:`~skae._fitted.Phase`) in ``context``.

    ``context`` is the fit template's: device, dtype, the split's seed,
    the smallest batch the network allows, the resolved parameters
    (``alpha``, ``shuffle``, ``shuffle_window``, ``validation_fraction``,
    ``unlabeled_ratio``), and whether the user gave ``batch_size``.
    """
    if phase.data.labeled is not None:
        return _classification_batches(phase, context)
    return _reconstruction_batches(phase, context)


def _reconstruction_batches(phase, context):
    """Batches of all of X; a held-out part (whole chunks of out-of-core X) for validation."""
    X, validation, chunks = phase.data.X, None, None
    if isinstance(X, OutOfCoreData):
        batch_size = _clipped(phase.batch_size, len(X), context)
        if phase.holds_out:
            chunks, validation = _held_out_chunks(X, batch_size, context)
    else:
        if phase.holds_out:
            X, X_val = _validation_split(X, context)
            validation = _held_out_batches(
                as_tensor(X_val, dtype=context.dtype, device="cpu"), context
            )
        batch_size = _clipped(phase.batch_size, len(X), context)
    return PhaseBatches(
        batches=_epoch_batches(X, batch_size, context, chunks),
        validation=validation,
        smallest_batch=batch_size,
        rows_per_step=batch_size,
        weight_decay=weight_decay("reconstruction", context.params.alpha, batch_size, X.shape[1]),
    )


def _classification_batches(phase, context):
    """Batches of labeled rows, each beside ``unlabeled_ratio`` times as many unlabeled ones."""
    data, params = phase.data, context.params
    X_labeled, y_labeled, validation = data.X[data.labeled], data.y, None
    if phase.holds_out:
        X_labeled, X_val, y_labeled, y_val = _labeled_validation_split(
            X_labeled, y_labeled, context
        )
        validation = _held_out_batches(
            (as_tensor(X_val, dtype=context.dtype, device="cpu"), torch.as_tensor(y_val)), context
        )
    batch_size = _clipped(phase.batch_size, len(X_labeled), context)
    unlabeled_batch_size = batch_size * params.unlabeled_ratio
    n_unlabeled = int(np.count_nonzero(data.unlabeled)) if data.unlabeled is not None else 0
    unlabeled = _unlabeled_rows(data.X, data.unlabeled, unlabeled_batch_size, context)
    labeled = (
        as_tensor(X_labeled, dtype=context.dtype, device="cpu"),
        torch.as_tensor(y_labeled, dtype=torch.long),
    )
    return PhaseBatches(
        batches=lambda generator: LabeledUnlabeledBatches(
            *labeled,
            unlabeled(generator),
            labeled_batch_size=batch_size,
            unlabeled_batch_size=unlabeled_batch_size,
            generator=generator,
            device=context.device,
            min_batch_size=context.min_batch_size,
            shuffle=params.shuffle,
        ),
        validation=validation,
        smallest_batch=min(batch_size, n_unlabeled or batch_size),
        rows_per_step=batch_size + (unlabeled_batch_size if n_unlabeled else 0),
        weight_decay=weight_decay("classification", params.alpha, batch_size, data.X.shape[1]),
    )


def _clipped(batch_size, n_rows, context):
    """``batch_size`` rows per step, at most ``n_rows``; a batch size the user gave warns."""
    if context.batch_size_given and batch_size > n_rows:
        warn_at_caller(
            f"Got batch_size={batch_size} larger than the {n_rows} training samples; "
            "it is clipped.",
            UserWarning,
        )
    return min(batch_size, n_rows)


def _epoch_batches(X, batch_size, context, chunks=None):
    """``batches(generator)`` of X's rows: an out-of-core X is read by chunks (``chunks`` only)."""
    if isinstance(X, OutOfCoreData):
        return _chunked_batches(X.source, batch_size, context, chunks)
    params = context.params
    rows = as_tensor(X, dtype=context.dtype, device="cpu")
    return lambda generator: InMemoryBatches(
        rows,
        batch_size,
        shuffle=params.shuffle,
        generator=generator,
        device=context.device,
        min_batch_size=context.min_batch_size,
    )


def _chunked_batches(source, batch_size, context, chunks=None):
    """``batches(generator)`` reading ``source`` by chunks (:class:`~skae.nn.ChunkedBatches`)."""
    params = context.params
    return lambda generator: ChunkedBatches(
        source,
        batch_size,
        window_batches=params.shuffle_window,
        shuffle=params.shuffle,
        generator=generator,
        dtype=context.dtype,
        device=context.device,
        min_batch_size=context.min_batch_size,
        chunks=chunks,
    )


def _unlabeled_rows(X, mask, batch_size, context):
    """``unlabeled(generator)``: the rows of ``mask`` (None: none), beside the labeled ones.

    In memory, a tensor; from an out-of-core X, batches read by chunks
    (:class:`~skae.nn.ChunkedBatches` over those rows), never all at once.
    """
    if mask is not None and isinstance(X, OutOfCoreData):
        return _chunked_batches(RowSubset(X.source, np.flatnonzero(mask)), batch_size, context)
    X_unlabeled = as_tensor(
        X[mask] if mask is not None else X[:0], dtype=context.dtype, device="cpu"
    )
    return lambda generator: X_unlabeled


def _held_out_batches(tensors, context):
    """Validation batches of ``tensors`` (a tensor or a tuple), in order."""
    return InMemoryBatches(
        tensors, INFERENCE_BATCH_SIZE, shuffle=False, generator=None, device=context.device
    )


def _validation_split(X, context):
    """Training and validation rows for ``early_stopping``, drawn with the split's seed."""
    fraction = context.params.validation_fraction
    n_val = held_out_rows(len(X), fraction)
    if n_val >= len(X):
        raise ValueError(
            f"early_stopping needs at least one training and one validation sample, but "
            f"validation_fraction={fraction} of n_samples={len(X)} leaves no training data."
        )
    order = np.random.default_rng(context.split_seed).permutation(len(X))
    return X[order[n_val:]], X[order[:n_val]]


def _labeled_validation_split(X, y, context):
    """Training and validation labeled rows, stratified, for ``early_stopping``."""
    fraction = context.params.validation_fraction
    n_classes = len(np.unique(y))
    n_val = held_out_rows(len(X), fraction)
    if n_val < n_classes or len(X) - n_val < n_classes:
        raise ValueError(
            f"early_stopping needs at least one labeled row of each of the {n_classes} "
            f"classes on both sides of the validation split, but "
            f"validation_fraction={fraction} of {len(X)} labeled rows cannot give that."
        )
    return train_test_split(X, y, test_size=n_val, stratify=y, random_state=context.split_seed)


def _held_out_chunks(X, batch_size, context):
    """Training chunks and validation batches of an out-of-core X, for ``early_stopping``.

    The held-out rows are ``ceil(validation_fraction * n_chunks)`` whole
    chunks of ``batch_size`` rows drawn with the split's seed, read in
    order at every validation, so that no part of X is loaded at once.
    """
    fraction = context.params.validation_fraction
    n_chunks = -(-len(X) // batch_size)
    n_val = held_out_rows(n_chunks, fraction)
    if n_val >= n_chunks:
        raise ValueError(
            f"early_stopping on out-of-core X holds out whole chunks of batch_size="
            f"{batch_size} rows, but validation_fraction={fraction} of its {n_chunks} "
            "chunk(s) leaves none to train on. Use a smaller batch_size, or pass X in memory "
            "(np.asarray(X))."
        )
    order = np.random.default_rng(context.split_seed).permutation(n_chunks)
    held_out = ChunkedBatches(
        X.source,
        batch_size,
        window_batches=1,
        shuffle=False,
        generator=None,
        dtype=context.dtype,
        device=context.device,
        chunks=np.sort(order[:n_val]),
    )
    return np.sort(order[n_val:]), held_out


def weight_decay(kind, alpha, batch_size, n_features):
    """Adam's ``weight_decay`` that gives ``alpha`` its meaning in scikit-learn's MLPs.

    For ``kind="reconstruction"`` the meaning of MLPRegressor, which
    descends the squared error summed over outputs plus ``alpha / 2 *
    ||W||^2``, both divided by the batch size: skae's loss is averaged over
    the ``n_features`` outputs as well, so the same objective scaled by ``2 /
    n_features`` (which leaves Adam's steps unchanged) has this L2 gradient
    coefficient. For ``kind="classification"`` the meaning of MLPClassifier:
    (log loss + ``alpha * ||W||^2``) / batch size.
    """
    if kind == "classification":
        return alpha / batch_size
    return 2 * alpha / (batch_size * n_features)


def make_optimizer(module, weight_decay, learning_rate):
    """Adam with the L2 penalty on the weights only, as MLPRegressor (no biases).

    The rate is a float whatever number the user gave (``learning_rate_init=1``
    too), so that a saved optimizer's rates have the type a loaded one expects.
    """
    weights = [p for p in module.parameters() if p.ndim > 1]
    others = [p for p in module.parameters() if p.ndim <= 1]
    groups = [{"params": weights, "weight_decay": weight_decay}]
    if others:
        groups.append({"params": others, "weight_decay": 0.0})
    return torch.optim.Adam(groups, lr=float(learning_rate), foreach=True)


def continue_optimizer(optimizer, fitted, weight_decay, learning_rate):
    """Give ``optimizer`` (of a copied network) the state of the ``fitted`` one.

    The learning rate and weight decay are today's.
    """
    optimizer.load_state_dict(copy.deepcopy(fitted.state_dict()))
    for group in optimizer.param_groups:
        group["lr"] = float(learning_rate)
    optimizer.param_groups[0]["weight_decay"] = weight_decay  # the weights' group


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class PhaseContext:
    """What the fit template resolved once, for the phases and for running them.

    Attributes
    ----------
    device, dtype : torch.device, torch.dtype
        Where and in what the network trains.
    precision : skae.nn._precision.Precision
        Its autocast and memory layout.
    split_seed : int
        Seeds the validation split.
    first_pass : bool
        Whether the fit trains a new network (not ``warm_start`` or a
        later ``partial_fit`` call).
    incremental : bool
        Whether it is a ``partial_fit`` call.
    min_batch_size : int
        2 for a network with batch normalisation, else 1.
    params : types.SimpleNamespace
        Every parameter, ``"auto"`` resolved.
    batch_size_given : bool
        Whether the user gave ``batch_size`` (which warns when clipped).
    in_unit_interval : bool
        Whether every training value lies in [0, 1] (pixels), where noise
        saturates.
    n_features : int
        Columns of X.
    compile : bool
        Whether the training steps run through :func:`torch.compile`.
    """

    device: torch.device
    dtype: torch.dtype
    precision: Any
    split_seed: int
    first_pass: bool
    incremental: bool
    min_batch_size: int
    params: Any
    batch_size_given: bool
    in_unit_interval: bool
    n_features: int
    compile: bool


def run_phases(network, phases, context, *, seeds, continued=None, saving=(None, None, None)):
    """Train ``network`` phase after phase; stop them all at an interrupt.

    Each phase that runs gets its batches, validation split and weight
    decay from :func:`phase_batches`, all made before the first epoch.

    Parameters
    ----------
    network : torch.nn.Module
    phases : list of Phase
    context : PhaseContext
    seeds : numpy.random.SeedSequence
        Spawns one child per phase (its shuffling and its draws).
    continued : tuple, default=None
        ``(optimizer, reference_losses)`` of the fitted model that training
        continues (``warm_start``, ``partial_fit``), or None.
    saving : tuple, default=(None, None, None)
        ``(checkpoint, resumed, seeds)``: the checkpoint written after every
        epoch, the state it held when the fit began, and the fit's seeds. A
        resumed fit skips the phases the checkpoint had finished and
        continues the one it was in.

    Returns
    -------
    optimizer : torch.optim.Optimizer
        That of the phase that keeps it.
    histories : dict of str to History
        Of each phase run, by name.
    """
    resumed = saving[1]
    runs = [
        phase.max_iter > 0 and (resumed is None or index >= resumed.phase)
        for index, phase in enumerate(phases)
    ]
    built = [
        phase_batches(p, context) if run else None for p, run in zip(phases, runs, strict=True)
    ]
    decays = [b.weight_decay if b is not None else 0.0 for b in built]
    modules = [getattr(network, p.submodule) if p.submodule else network for p in phases]
    learning_rate = context.params.learning_rate_init
    optimizers = [
        make_optimizer(module, decay, learning_rate)
        for module, decay in zip(modules, decays, strict=True)
    ]
    kept = next(i for i, phase in enumerate(phases) if phase.keeps_optimizer)
    references = {}
    if continued is not None:
        fitted_optimizer, references = continued
        continue_optimizer(optimizers[kept], fitted_optimizer, decays[kept], learning_rate)
    phase_seeds = seeds.spawn(len(phases))
    histories = {}
    if resumed is not None:
        histories.update(resumed.histories)
        for optimizer, state in zip(optimizers, resumed.optimizers, strict=False):
            optimizer.load_state_dict(state)
    for index, phase in enumerate(phases):
        if not runs[index]:
            continue
        batches = built[index]
        if context.min_batch_size > batches.smallest_batch:
            raise ValueError(
                f"The network normalises over each batch (batch normalisation, e.g. "
                f"architecture='vgg'), which needs at least 2 rows per batch, but "
                f"{phase.name} has batches of {batches.smallest_batch} sample(s). Give more "
                "rows (labeled and unlabeled), or use an architecture without batch "
                "normalisation."
            )
        shuffle_seed, draws_seed = (int(seed) for seed in phase_seeds[index].generate_state(2))
        generators = {
            "shuffle": torch.Generator().manual_seed(shuffle_seed),
            "draws": make_generator(draws_seed, context.device),
        }
        resume, on_epoch_end = _checkpointing(
            saving, index, generators, histories, network, optimizers
        )
        histories[phase.name] = _train(
            modules[index],
            phase.objective(generators["draws"]),
            optimizers[index],
            batches.batches(generators["shuffle"]),
            batches,
            max_iter=phase.max_iter,
            context=context,
            reference_loss=references.get(phase.name),
            resume=resume,
            on_epoch_end=on_epoch_end,
        )
        if histories[phase.name].stop_reason == "interrupted":
            break
    return optimizers[kept], histories


def _train(module, objective, optimizer, source, batches, *, max_iter, context, reference_loss,
           resume, on_epoch_end):  # fmt: skip
    """Run the engine's loop over ``source`` with the estimator's stopping rules and threads.

    ``batches`` is the phase's :class:`PhaseBatches`. A cosine schedule is a
    plan over ``max_iter`` epochs: it runs them all, unless validation
    batches are monitored. ``resume`` and ``on_epoch_end`` are
    :func:`~skae.nn.fit_loop`'s, for checkpoints.
    """
    params, precision = context.params, context.precision
    module.to(memory_format=precision.memory_format(module))
    n_threads = training_threads(
        module, context.n_features, batches.rows_per_step, caller_thread_limit()
    )
    planned = runs_full_budget(params) and batches.validation is None
    with thread_limit(n_threads):
        return fit_loop(
            module,
            objective,
            optimizer,
            source,
            validation_batches=batches.validation,
            max_iter=max_iter,
            tol=params.tol,
            n_iter_no_change=None if planned else params.n_iter_no_change,
            logger=EpochLogger(params.verbose, max_iter),
            precision=precision,
            compile=context.compile,
            learning_rate_schedule=LEARNING_RATE_SCHEDULES[params.learning_rate],
            reference_loss=reference_loss,
            resume=resume,
            on_epoch_end=on_epoch_end,
        )


def runs_full_budget(params):
    """Whether training runs every epoch of ``max_iter``: a schedule is planned over them."""
    return params.learning_rate in ("cosine", "one_cycle") and not params.early_stopping


def _checkpointing(saving, index, generators, histories, network, optimizers):
    """``(resume, on_epoch_end)`` of phase number ``index`` for the engine's loop.

    ``saving`` is :func:`run_phases`'s. The phase the checkpoint was in gets
    its generators back and resumes its loop; with a checkpoint, every
    epoch's end writes the state of the phases so far.
    """
    checkpoint, resumed, seeds = saving
    resume = None
    if resumed is not None and index == resumed.phase:
        for name, generator in generators.items():
            generator.set_state(resumed.generators[name])
        resume = resumed.loop
    if checkpoint is None:
        return resume, None
    on_epoch_end = functools.partial(
        checkpoint.write,
        seeds=seeds,
        phase=index,
        histories=dict(histories),
        network=network,
        optimizers=optimizers[: index + 1],
        generators=generators,
    )
    return resume, on_epoch_end


def interrupted(histories):
    """Whether a phase stopped at Ctrl-C."""
    return any(history.stop_reason == "interrupted" for history in histories.values())


def has_batch_norm(network):
    """Whether ``network`` normalises over batches, which needs two rows a batch."""
    return any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in network.modules())
