"""The one training loop every skae model shares.

``fit_loop`` runs epochs until a stopping rule fires; ``run_single_epoch``
runs the batches of one epoch; a :class:`TrainStep` updates the model on one batch.
An objective is any callable ``objective(model, batch) -> scalar loss``, so
the same loop trains plain, denoising, sparse and variational autoencoders and
classifiers alike. A batch source is any re-iterable of batches, so in-memory
arrays and out-of-core readers are interchangeable.
"""

import contextlib
import functools
import math
import signal
import threading
import time
from dataclasses import dataclass, field

import torch

from skae.nn._compile import CompiledFunction
from skae.nn._device import place_for_training
from skae.nn._progress import EpochLogger

# An epoch's loss this many times the untrained network's (its first batch's)
# has diverged, even if finite.
DIVERGENCE_FACTOR = 1e4


class DivergenceError(FloatingPointError):
    """The training loss became NaN or infinite, or grew by orders of magnitude."""


class InMemoryBatches:
    """Mini-batches of tensors held in memory, on the training device or streamed to it.

    Each epoch draws one permutation from ``generator`` and gathers the data
    once into that order, so every batch is a contiguous slice: one large
    copy per epoch instead of a scattered gather per batch.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, ...) or tuple of them
        The data. A tuple (e.g. inputs and labels) is shuffled alike and
        batched into tuples.
    batch_size : int
        Samples per batch; the last batch of an epoch may be smaller.
    shuffle : bool
        Whether to draw a new order for every epoch.
    generator : torch.Generator or None
        A CPU generator for the permutations; unused without ``shuffle``.
    device : torch.device, default=None
        Where batches are used; None: where the data is. Data on the CPU
        is placed by :func:`~skae.nn.place_for_training`: on a GPU it moves
        there when it fits, else it stays in pinned host memory, is
        gathered into a pinned buffer each epoch and each batch is copied to
        the GPU without blocking, so the copy overlaps the GPU's work.
    min_batch_size : int, default=1
        A last batch smaller than this joins the batch before it, so that no
        batch is smaller (unless the data are): batch normalisation cannot
        train on one row.
    """

    def __init__(self, X, batch_size, *, shuffle, generator, device=None, min_batch_size=1):
        tensors = X if isinstance(X, tuple) else (X,)
        self.device = tensors[0].device if device is None else torch.device(device)
        # Compared by type: "cuda" and "cuda:0" name the same device.
        if tensors[0].device.type != self.device.type:
            tensors = place_for_training(tensors, self.device)
        self.X = tensors if isinstance(X, tuple) else tensors[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.min_batch_size = min_batch_size
        self._streams = tensors[0].device.type != self.device.type
        self._pinned_buffers = None

    def __len__(self):
        return len(self._bounds())

    @property
    def n_rows(self):
        """The rows of one epoch."""
        return batch_length(self.X)

    def _bounds(self):
        """``(start, stop)`` of each batch of an epoch."""
        n = batch_length(self.X)
        starts = list(range(0, n, self.batch_size))
        if len(starts) > 1 and n - starts[-1] < self.min_batch_size:
            starts.pop()
        return [(start, stop) for start, stop in zip(starts, [*starts[1:], n], strict=True)]

    def __iter__(self):
        tensors = self.X if isinstance(self.X, tuple) else (self.X,)
        if self.shuffle:
            order = torch.randperm(len(tensors[0]), generator=self.generator)
            tensors = self._gather(tensors, order)
        for start, stop in self._bounds():
            batch = tuple(t[start:stop] for t in tensors)
            if self._streams:
                batch = tuple(t.to(self.device, non_blocking=True) for t in batch)
            yield batch if isinstance(self.X, tuple) else batch[0]

    def _gather(self, tensors, order):
        if not self._streams:
            return tuple(t[order.to(t.device)] for t in tensors)
        if self._pinned_buffers is None:
            self._pinned_buffers = tuple(torch.empty_like(t).pin_memory() for t in tensors)
        else:  # the previous epoch's copies must have left the buffers
            torch.cuda.synchronize(self.device)
        return tuple(
            torch.index_select(t, 0, order, out=buffer)
            for t, buffer in zip(tensors, self._pinned_buffers, strict=True)
        )


class LabeledUnlabeledBatches:
    """Batches of labeled and unlabeled rows side by side, for semi-supervised training.

    Every batch is a tuple ``(X_labeled_batch, y_labeled_batch,
    X_unlabeled_batch)``. An epoch is one pass over the unlabeled rows (or
    over the labeled ones if there are no unlabeled rows); the labeled rows
    are reshuffled and cycled as often as that takes, so that every step sees
    labeled rows even when they are scarce.

    Parameters
    ----------
    X_labeled, y_labeled : torch.Tensor
        The labeled rows and their class indices, on the training device.
    X_unlabeled : torch.Tensor or batch source
        The unlabeled rows (possibly none), or a batch source of them that
        shuffles with the same ``generator`` (a :class:`ChunkedBatches` of
        rows larger than memory).
    labeled_batch_size, unlabeled_batch_size : int
        Rows of each kind per batch.
    generator : torch.Generator
        A CPU generator for the permutations.
    device : torch.device, default=None
        Where batches are used; see :class:`InMemoryBatches`.
    min_batch_size : int, default=1
        The smallest batch of each kind; see :class:`InMemoryBatches`.
    shuffle : bool, default=True
        Whether each pass over the rows of either kind is in a new order.
    """

    def __init__(
        self, X_labeled, y_labeled, X_unlabeled, *, labeled_batch_size, unlabeled_batch_size,
        generator, device=None, min_batch_size=1, shuffle=True,
    ):  # fmt: skip
        sizes = {
            "generator": generator, "device": device, "min_batch_size": min_batch_size,
            "shuffle": shuffle,
        }  # fmt: skip
        self.labeled = InMemoryBatches((X_labeled, y_labeled), labeled_batch_size, **sizes)
        if isinstance(X_unlabeled, torch.Tensor):
            X_unlabeled = InMemoryBatches(X_unlabeled, unlabeled_batch_size, **sizes)
        self.unlabeled = X_unlabeled

    def __len__(self):
        return len(self.unlabeled) if self.unlabeled.n_rows else len(self.labeled)

    def __iter__(self):
        labeled = self._cycle_labeled()
        if not self.unlabeled.n_rows:
            empty = self.unlabeled.X.to(self.unlabeled.device)
            for _ in range(len(self)):
                yield (*next(labeled), empty)
            return
        for X_unlabeled in self.unlabeled:
            yield (*next(labeled), X_unlabeled)

    def _cycle_labeled(self):
        while True:
            yield from self.labeled


def batch_length(batch):
    """Rows in a batch: a tensor's length, or the first tensor's of a tuple."""
    return len(batch[0]) if isinstance(batch, tuple) else len(batch)


@dataclass
class History:
    """What one call of :func:`fit_loop` observed.

    ``validation_scores`` holds the negative validation loss of each epoch
    (greater is better, like ``score``) when a validation set was given.
    ``stop_reason`` is ``"converged"``, ``"max_iter"`` or ``"interrupted"``.

    Attributes
    ----------
    loss_curve : list of float
        Mean training loss of each epoch.
    validation_scores : list of float or None
        Negative validation loss of each epoch, if monitored.
    best_validation_score : float or None
        The best validation score, whose weights were restored.
    stop_reason : str
        Why training stopped.
    epoch_seconds : list of float
        Wall time of each epoch, compilation excluded.
    compile_seconds : float
        Time spent compiling (0 without ``compile``).
    reference_loss : float or None
        The loss a divergence was measured against (see :func:`fit_loop`).
    """

    loss_curve: list = field(default_factory=list)
    validation_scores: list | None = None
    best_validation_score: float | None = None
    stop_reason: str = "max_iter"
    epoch_seconds: list = field(default_factory=list)
    compile_seconds: float = 0.0
    reference_loss: float | None = None


@dataclass
class LoopState:
    """Where :func:`fit_loop` stands after an epoch: what resuming it needs besides the model.

    :func:`fit_loop` passes it to ``on_epoch_end`` after every epoch, and
    continues from it when given as ``resume``; the model's weights, the
    optimizer's state and the random generators are the caller's to save.

    Attributes
    ----------
    epoch : int
        Epochs completed.
    history : History
        What the epochs so far observed.
    initial_rates : list of float
        Each parameter group's learning rate before the schedule scaled it.
    best : float
        The best monitored loss so far.
    no_improvement : int
        Epochs since the last improvement by ``tol``.
    best_state : dict or None
        The weights of the best validation epoch, when validation is monitored.
    stopped : bool
        Whether a stopping rule ended training after ``epoch``.
    """

    epoch: int
    history: History
    initial_rates: list
    best: float = math.inf
    no_improvement: int = 0
    best_state: dict | None = None
    stopped: bool = False


class _InterruptFlag:
    """Turn the first Ctrl-C during training into a request to stop.

    While active in the main thread, the first SIGINT sets ``requested`` so the
    loop can finish the current batch and stop cleanly; a second one raises
    :class:`KeyboardInterrupt` as usual. Elsewhere it does nothing.
    """

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class TrainStep:
    """One gradient update per call, in the given precision, compiled or not.

    Parameters
    ----------
    model : torch.nn.Module
        The network, in training mode.
    objective : callable
        ``objective(model, batch) -> scalar loss``.
    optimizer : torch.optim.Optimizer
        Updates ``model``'s parameters.
    precision : Precision, default=None
        Autocast and gradient scaling; None is plain computation in the
        model's dtype.
    compile : bool, default=False
        Run the forward pass and the loss through :func:`torch.compile`
        (see :class:`CompiledFunction`).

    Attributes
    ----------
    compile_seconds : float
        Time spent compiling so far.
    first_loss : torch.Tensor or None
        The loss of the first batch, before any update: the reference
        against which a divergence is measured.
    """

    def __init__(self, model, objective, optimizer, *, precision=None, compile=False):
        self.model = model
        self.objective = objective
        self.optimizer = optimizer
        self.precision = precision
        self._loss = CompiledFunction(self._forward) if compile else None
        self.first_loss = None
        self._scaler = None
        if precision is not None and precision.scales_gradients:
            self._scaler = torch.amp.GradScaler(precision.device_type)

    @property
    def compile_seconds(self):
        return 0.0 if self._loss is None else self._loss.compile_seconds

    def _forward(self, batch):
        return self.objective(self.model, batch)

    def _backward(self, forward, batch):
        self.optimizer.zero_grad(set_to_none=True)
        with self.precision.autocast() if self.precision else contextlib.nullcontext():
            loss = forward(batch)
        (self._scaler.scale(loss) if self._scaler else loss).backward()
        return loss

    def __call__(self, batch):
        """Update the model on ``batch``; return the batch loss, detached (still on the device)."""
        if self._loss is None:
            loss = self._backward(self._forward, batch)
        else:
            loss = self._loss.apply(lambda forward: self._backward(forward, batch))
        if self._scaler is None:
            self.optimizer.step()
        else:
            self._scaler.step(self.optimizer)
            self._scaler.update()
        if self.first_loss is None:
            self.first_loss = loss.detach()
        return loss.detach()


def run_single_epoch(step, batches, *, interrupt, logger, before_step=None):
    """Train on every batch once.

    Losses are summed on the device and read once at the end of the epoch,
    so a GPU never waits for the host between batches.

    Parameters
    ----------
    step : TrainStep
        Updates the model on one batch.
    batches : iterable of torch.Tensor
        The epoch's mini-batches.
    interrupt : object with a ``requested`` attribute
        When ``requested`` becomes true the epoch ends after the current batch.
    logger : EpochLogger
        Told about every finished batch.
    before_step : callable, default=None
        ``before_step(index)`` before the step on batch ``index`` (from 0),
        e.g. to set a per-step learning rate.

    Returns
    -------
    float
        The sample-weighted mean loss of the batches trained on.
    """
    step.model.train()
    loss_sum = None
    n_seen = 0
    for index, batch in enumerate(batches):
        if before_step is not None:
            before_step(index)
        weighted = step(batch) * batch_length(batch)
        loss_sum = weighted if loss_sum is None else loss_sum + weighted
        n_seen += batch_length(batch)
        logger.batch_end()
        if interrupt.requested:
            break
    return loss_sum.item() / n_seen


def evaluate(model, objective, batches, precision=None):
    """Sample-weighted mean loss over ``batches``, without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        The network; it is put in evaluation mode.
    objective : callable
        ``objective(model, batch) -> scalar loss``.
    batches : iterable of torch.Tensor
        The data to evaluate on.
    precision : Precision, default=None
        Autocast for the forward passes; None computes in the model's dtype.

    Returns
    -------
    float
        The mean loss.
    """
    model.eval()
    loss_sum = 0.0
    n_seen = 0
    autocast = precision.autocast() if precision else contextlib.nullcontext()
    with torch.inference_mode(), autocast:
        for batch in batches:
            loss_sum += objective(model, batch).item() * batch_length(batch)
            n_seen += batch_length(batch)
    return loss_sum / n_seen


def _check_divergence(loss, first, epoch, optimizer):
    """Raise if ``loss`` is not finite or is ``DIVERGENCE_FACTOR`` times ``first``.

    ``first`` is the reference loss of :func:`fit_loop`, by default the
    untrained network's first batch. A finite loss that climbs by orders of
    magnitude would otherwise stop by the ``tol`` rule, as if training had
    converged.
    """
    grown = first > 0 and loss > DIVERGENCE_FACTOR * first
    if math.isfinite(loss) and not grown:
        return
    if math.isfinite(loss):
        what = f"grew to {loss:.3g}, {loss / first:.3g} times the untrained network's {first:.3g},"
    else:
        what = f"became {loss}"
    learning_rate = optimizer.param_groups[0]["lr"]
    raise DivergenceError(
        f"Training diverged: the loss {what} in epoch {epoch}. The learning rate "
        f"({learning_rate:g}) is probably too high; lower it or scale the input data."
    )


def cosine_decay(epoch, max_iter):
    """The factor of the learning rate in ``epoch`` (from 0) of ``max_iter``: a half cosine.

    It starts at 1 and falls smoothly towards 0, reached after the last
    epoch (SGDR without restarts, Loshchilov and Hutter, 2017).
    """
    return 0.5 * (1 + math.cos(math.pi * epoch / max_iter))


#: Of the first learning rate, where :func:`one_cycle` starts and ends (as PyTorch's OneCycleLR).
ONE_CYCLE_START = 1 / 25
#: The part of the budget :func:`one_cycle` spends warming up.
ONE_CYCLE_WARM_UP = 0.25


def one_cycle(progress, max_iter):
    """The factor of the learning rate after ``progress`` epochs (a float) of ``max_iter``.

    A one-cycle plan (Smith and Topin, 2019), set at every step: the rate
    rises linearly from ``ONE_CYCLE_START`` to 1 over the first
    ``ONE_CYCLE_WARM_UP`` of the budget, then falls along a half cosine to
    ``ONE_CYCLE_START`` squared at its end.
    """
    warm_up = ONE_CYCLE_WARM_UP * max_iter
    if progress < warm_up:
        return ONE_CYCLE_START + (1 - ONE_CYCLE_START) * progress / warm_up
    end = ONE_CYCLE_START**2
    fraction = (progress - warm_up) / (max_iter - warm_up)
    return end + (1 - end) * 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0)))


one_cycle.per_step = True

LEARNING_RATE_SCHEDULES = {"constant": None, "cosine": cosine_decay, "one_cycle": one_cycle}
"""Schedule name -> ``learning_rate_schedule`` for :func:`fit_loop` (None: constant)."""


class _Rates:
    """Sets every parameter group's learning rate: its first rate times the schedule's factor."""

    def __init__(self, schedule, optimizer, initial_rates, max_iter):
        self.schedule, self.optimizer = schedule, optimizer
        self.initial_rates, self.max_iter = initial_rates, max_iter
        self.per_step = getattr(schedule, "per_step", False)

    def set(self, progress):
        """The rates after ``progress`` epochs (a float)."""
        factor = self.schedule(progress, self.max_iter)
        for group, rate in zip(self.optimizer.param_groups, self.initial_rates, strict=True):
            group["lr"] = rate * factor

    def set_at_step(self, epoch, n_batches, index):
        """The rates before step ``index`` of the ``n_batches`` of ``epoch`` (from 0)."""
        self.set(epoch + index / n_batches)


def fit_loop(
    model,
    objective,
    optimizer,
    train_batches,
    *,
    max_iter,
    tol,
    n_iter_no_change,
    validation_batches=None,
    logger=None,
    precision=None,
    compile=False,
    learning_rate_schedule=None,
    reference_loss=None,
    resume=None,
    on_epoch_end=None,
):
    """Train ``model`` for up to ``max_iter`` epochs.

    Training stops early, as in scikit-learn's ``MLPRegressor``, when the
    monitored quantity has not improved by at least ``tol`` for more than
    ``n_iter_no_change`` consecutive epochs. Without ``validation_batches``
    the training loss is monitored. With them, the validation loss is, and the
    weights of the best validation epoch are restored at the end.

    Parameters
    ----------
    model : torch.nn.Module
        The network, trained in place.
    objective : callable
        ``objective(model, batch) -> scalar loss``; any objective works, which
        is how every skae model shares this loop.
    optimizer : torch.optim.Optimizer
        Updates ``model``'s parameters.
    train_batches : sized iterable of torch.Tensor
        Re-iterated once per epoch, e.g. :class:`InMemoryBatches`.
    max_iter : int
        The most epochs to run.
    tol : float
        The improvement that counts as one.
    n_iter_no_change : int or None
        Epochs without improvement tolerated before stopping; None never
        stops early (a learning-rate schedule planned over ``max_iter``).
    validation_batches : iterable of torch.Tensor, default=None
        Held-out data to monitor instead of the training loss.
    logger : EpochLogger, default=None
        Progress reporting; silent when None.
    precision : Precision, default=None
        Autocast and gradient scaling (see :class:`TrainStep`); None
        computes in the model's dtype.
    compile : bool, default=False
        Compile the forward pass and the loss. Compilation time is kept out
        of the epoch times and reported on its own.
    learning_rate_schedule : callable, default=None
        ``learning_rate_schedule(epoch, max_iter) -> factor``: each epoch
        (counted from 0) trains with every parameter group's learning rate,
        as it was when the loop began, times the factor (e.g.
        :func:`cosine_decay`). A schedule with ``per_step = True`` (e.g.
        :func:`one_cycle`) is evaluated before every step instead, at the
        fraction of the epochs done. None keeps the learning rates as they
        are.
    reference_loss : float, default=None
        The loss against which a divergence is measured: an epoch whose
        loss exceeds ``DIVERGENCE_FACTOR`` times it has diverged. None uses
        the loss of this call's first batch; a caller that continues
        training (``partial_fit``, ``warm_start``) passes the reference of
        its first call, the untrained network's loss, so that one-epoch
        calls are watched too.
    resume : LoopState, default=None
        Continue the loop of an earlier call from the state it passed to
        ``on_epoch_end``, with the model, optimizer and generators restored
        to that epoch's end by the caller: the epochs then train exactly as
        they would have without the break.
    on_epoch_end : callable, default=None
        ``on_epoch_end(state)`` with the :class:`LoopState` after every
        completed epoch (not after an interrupted one), e.g. to write a
        checkpoint.

    Returns
    -------
    History
        Losses, validation scores and why training stopped. The model is
        trained in place.

    Raises
    ------
    DivergenceError
        If the training loss becomes NaN or infinite, or exceeds
        ``DIVERGENCE_FACTOR`` (1e4) times ``reference_loss``.
    """
    logger = logger or EpochLogger(verbose=0, max_iter=max_iter)
    step = TrainStep(model, objective, optimizer, precision=precision, compile=compile)
    state = resume or LoopState(
        epoch=0,
        history=History(validation_scores=[] if validation_batches is not None else None),
        initial_rates=[group["lr"] for group in optimizer.param_groups],
    )
    history = state.history
    rates = None
    if learning_rate_schedule is not None:
        rates = _Rates(learning_rate_schedule, optimizer, state.initial_rates, max_iter)
    with _InterruptFlag() as interrupt:
        for epoch in range(state.epoch + 1, max_iter + 1):
            if state.stopped:
                break
            n_batches = len(train_batches)
            before_step = None
            if rates is not None:
                rates.set(epoch - 1)
                if rates.per_step:
                    before_step = functools.partial(rates.set_at_step, epoch - 1, n_batches)
            start = time.perf_counter()
            compiling_before = step.compile_seconds
            logger.epoch_begin(epoch, n_batches)
            loss = run_single_epoch(
                step, train_batches, interrupt=interrupt, logger=logger, before_step=before_step
            )
            if history.reference_loss is None:
                history.reference_loss = (
                    step.first_loss.item() if reference_loss is None else reference_loss
                )
            _check_divergence(loss, history.reference_loss, epoch, optimizer)
            history.loss_curve.append(loss)
            monitored = loss
            validation_loss = None
            if validation_batches is not None:
                validation_loss = evaluate(model, objective, validation_batches, precision)
                history.validation_scores.append(-validation_loss)
                monitored = validation_loss
            compiling = step.compile_seconds - compiling_before
            history.compile_seconds += compiling
            history.epoch_seconds.append(time.perf_counter() - start - compiling)
            logger.epoch_end(epoch, loss, validation_loss, history.epoch_seconds[-1], compiling)

            state.no_improvement = state.no_improvement + 1 if monitored > state.best - tol else 0
            if monitored < state.best:
                state.best = monitored
                if validation_batches is not None:
                    state.best_state = {
                        name: value.detach().clone() for name, value in model.state_dict().items()
                    }
            if interrupt.requested:  # mid-epoch: no point to resume from
                history.stop_reason = "interrupted"
                break
            state.epoch = epoch
            if n_iter_no_change is not None and state.no_improvement > n_iter_no_change:
                history.stop_reason = "converged"
                state.stopped = True
            if on_epoch_end is not None:
                on_epoch_end(state)
    if state.best_state is not None:
        model.load_state_dict(state.best_state)
        history.best_validation_score = -state.best
    model.eval()
    return history
