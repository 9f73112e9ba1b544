"""What every skae estimator shares: parameters, validation, fitting through the
engine, chunked inference and pickling.

An estimator subclasses :class:`BaseAutoencoder` and says only what is its
own: its extra parameters (``_parameter_constraints``), its objective
(``_objective``), whether its network is variational, and its public
methods. How parameters become a network (the user's own modules included)
is in :mod:`skae._network_params`; the transformers' public methods are in
:mod:`skae._base_transformer`.
"""

import contextlib
import copy
import functools
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from skae import nn as engine
from skae._network_params import NetworkParamsMixin


class BaseAutoencoder(NetworkParamsMixin, BaseEstimator):
    """Base class of skae's estimators; not for direct use."""

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions(set(engine.ARCHITECTURES))],
        "image_shape": [None, "array-like"],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "conv_channels": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(engine.ACTIVATIONS))],
        "encoder": [None, callable],
        "decoder": [None, callable],
        "loss": [StrOptions({"mse", "bce"})],
        "corruption": [None, StrOptions(set(engine.CORRUPTIONS))],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [StrOptions(set(engine.LEARNING_RATE_SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "precision": [StrOptions(set(engine.PRECISIONS))],
        "compile": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    #: Whether the network is a :class:`skae.nn.VariationalAutoencoder`.
    _variational = False

    # --------------------------------------------------------------- fitting

    def _new_network(self, spec, seed, device, dtype):
        """The estimator's network for ``spec``, initialised from ``seed`` alone."""
        return engine.build_seeded(
            functools.partial(self._build_network, spec), seed=seed, device=device, dtype=dtype
        )

    def _train(
        self, module, objective, optimizer, batches, *, max_iter, n_features, batch_size,
        precision, validation_batches=None,
    ):  # fmt: skip
        """Run the engine's loop with the estimator's stopping rules, threads and logger."""
        module.to(memory_format=precision.memory_format(module))
        n_threads = engine.training_threads(
            module, n_features, batch_size, engine.caller_thread_limit()
        )
        with engine.thread_limit(n_threads):
            return engine.fit_loop(
                module,
                objective,
                optimizer,
                batches,
                validation_batches=validation_batches,
                max_iter=max_iter,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                logger=engine.EpochLogger(self.verbose, max_iter),
                precision=precision,
                compile=self.compile,
                learning_rate_schedule=engine.LEARNING_RATE_SCHEDULES[self.learning_rate],
            )

    def _check_params(self):
        """The checks of ``fit`` that ``_parameter_constraints`` cannot express."""
        self._check_extra_params()
        if self.corruption == "masking" and self.corruption_level >= 1:
            raise ValueError(
                f"corruption='masking' needs corruption_level < 1 (the fraction of values "
                f"set to 0), got {self.corruption_level}."
            )
        if self.corruption == "cutout" and self.corruption_level > 1:
            raise ValueError(
                f"corruption='cutout' needs corruption_level <= 1 (the square's side over "
                f"the image's), got {self.corruption_level}."
            )

    def _objective(self, generator, image_shape=None):
        """The training objective, ``objective(model, batch) -> loss``; see skae.nn."""
        raise NotImplementedError

    def _reconstruction_loss(self):
        return engine.ReconstructionLoss(self.loss)

    def _check_input_range(self, X):
        if self.loss == "bce" and X.size and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "loss='bce' needs X scaled to [0, 1], but X has values in "
                f"[{X.min():g}, {X.max():g}]. Scale it (e.g. MinMaxScaler) or use "
                "loss='mse'."
            )

    def _weight_decay(self, batch_size, n_features):
        """Adam's ``weight_decay`` that gives ``alpha`` the meaning it has in MLPRegressor.

        MLPRegressor descends the squared error summed over outputs plus
        ``alpha / 2 * ||W||^2``, both divided by the batch size. skae's loss
        is the error averaged over the ``n_features`` outputs as well, so the
        same objective scaled by ``2 / n_features`` (which leaves Adam's steps
        unchanged) has this L2 gradient coefficient.
        """
        return 2 * self.alpha / (batch_size * n_features)

    def _make_optimizer(self, module, weight_decay):
        """Adam with the L2 penalty on the weights only, as MLPRegressor (no biases)."""
        weights = [p for p in module.parameters() if p.ndim > 1]
        others = [p for p in module.parameters() if p.ndim <= 1]
        groups = [{"params": weights, "weight_decay": weight_decay}]
        if others:
            groups.append({"params": others, "weight_decay": 0.0})
        return torch.optim.Adam(groups, lr=self.learning_rate_init, foreach=True)

    def _copy_network(self, device, dtype, weight_decay):
        """Copies of the fitted network and optimizer to keep training.

        Training a copy keeps the fitted model intact if training fails.
        """
        module = copy.deepcopy(self.module_).to(device=device, dtype=dtype)
        optimizer = self._make_optimizer(module, weight_decay)
        optimizer.load_state_dict(copy.deepcopy(self.optimizer_.state_dict()))
        for group in optimizer.param_groups:
            group["lr"] = self.learning_rate_init
        optimizer.param_groups[0]["weight_decay"] = weight_decay  # the weights' group
        return module, optimizer

    def _validation_split(self, X, *, early_stopping):
        if not early_stopping:
            return X, None
        n_val = math.ceil(self.validation_fraction * len(X))
        if n_val >= len(X):
            raise ValueError(
                f"early_stopping needs at least one training and one validation "
                f"sample, but validation_fraction={self.validation_fraction} of "
                f"n_samples={len(X)} leaves no training data."
            )
        order = self._rng.permutation(len(X))
        return X[order[n_val:]], X[order[:n_val]]

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(256, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"Got batch_size={self.batch_size} larger than the {n_samples} "
                "training samples; it is clipped.",
                UserWarning,
                stacklevel=5,
            )
        return min(self.batch_size, n_samples)

    def _store_fit(self, module, optimizer, device, history, spec):
        """Set the fitted attributes, only once training has succeeded.

        ``spec`` is the new network's, or None when training continued.
        Inference keeps the ``precision`` and ``compile`` of this fit.
        """
        if spec is not None:
            self.loss_curve_ = []
            self.n_iter_ = 0
            self.image_shape_ = spec.image_shape
            self._structure = self._current_structure(spec.n_features)
        self._fitted_loss = self.loss
        self._fitted_precision = self.precision
        self._fitted_compile = self.compile
        self.module_ = module
        self.optimizer_ = optimizer
        self.device_ = str(device)
        self._n_features_out = self.n_components
        self.loss_curve_ = self.loss_curve_ + history.loss_curve
        self.n_iter_ += len(history.loss_curve)
        self.validation_scores_ = history.validation_scores
        self.best_validation_score_ = history.best_validation_score
        self.best_loss_ = None if history.validation_scores is not None else min(self.loss_curve_)

    def _warn_about_stop(self, stop_reason, incremental):
        if stop_reason == "interrupted":
            warnings.warn(
                f"Training interrupted by the user after {self.n_iter_} epoch(s); "
                "the model keeps the weights trained so far.",
                UserWarning,
                stacklevel=5,
            )
        elif stop_reason == "max_iter" and not incremental:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )

    # ------------------------------------------------------------- inference

    def _map(self, fn, X):
        """Run ``fn`` over X on the fitted device, in the fitted precision, compiled if fitted so.

        The output has X's dtype. Parameters changed after fitting (say
        ``precision`` or ``compile``) do not apply until the next ``fit``.
        """
        self.module_.eval()
        dtype = next(self.module_.parameters()).dtype
        precision = engine.inference_precision(
            getattr(self, "_fitted_precision", "float32"), self.device_
        )
        if getattr(self, "_fitted_compile", False):
            fn = engine.CompiledFunction(fn)
        out = engine.map_batches(fn, X, device=self.device_, dtype=dtype, precision=precision)
        return out.astype(X.dtype, copy=False)

    def _fitted_reconstruction_loss(self):
        return engine.ReconstructionLoss(getattr(self, "_fitted_loss", self.loss))

    def _decode(self, Z):
        """The reconstruction, in the input space, of codes Z (a validated array)."""
        output = self._fitted_reconstruction_loss().output_activation
        return self._map(lambda z: output(self.module_.decoder(z)), Z)

    # ----------------------------------------------------------------- state

    def __getstate__(self):
        state = dict(super().__getstate__())
        if "module_" in state:
            state["_torch_state"] = engine.dumps(
                {"module_": state.pop("module_"), "optimizer_": state.pop("optimizer_")}
            )
        return state

    def __setstate__(self, state):
        torch_state = state.pop("_torch_state", None)
        super().__setstate__(state)
        if torch_state is None:
            return
        device = self.device_
        if device.startswith("cuda") and not torch.cuda.is_available():
            warnings.warn(
                f"This model was fitted on {device}, which is not available here; "
                "it is loaded on the CPU.",
                UserWarning,
                stacklevel=2,
            )
            device = "cpu"
        self.__dict__.update(engine.loads(torch_state, map_location=device))
        self.device_ = device


@contextlib.contextmanager
def _restore_state_on_failure(estimator):
    """Put the estimator's attributes back as they were if the block raises.

    Training works on local copies, so restoring the attribute dictionary is
    enough to leave a previously fitted model exactly as it was.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def _local_random_state(random_state):
    """A RandomState that never shares state with numpy's global one.

    ``None`` draws fresh OS entropy instead of using the global singleton,
    so fitting does not advance ``np.random``.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(random_state)
