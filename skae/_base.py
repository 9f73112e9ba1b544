"""What every skae estimator shares: parameters, validation, fitting through the
engine, chunked inference and pickling.

An estimator subclasses :class:`BaseAutoencoder` and says only what is its
own: its extra parameters (``_parameter_constraints``), how it validates
its training data (``_validate_training_data``), its training phases
(``_phases``, records of :mod:`skae._fitted`), and its public methods.
``_fit`` is the one fit sequence of every estimator: every call from it
goes down, to the records of :mod:`skae._fitted` (the fitted configuration
makes the network), the ``"auto"`` rules of :mod:`skae._defaults` and the
phases' batches and runs of :mod:`skae._training`. Inference reads only the
fitted configuration (``_config``) and the weights; the transformers'
public methods are in :mod:`skae._base_transformer`.
"""

import contextlib
import copy
import difflib
import functools
import os
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skae._checkpoint import Checkpoint
from skae._defaults import DataTraits, resolve
from skae._fitted import FittedConfig, Seeds
from skae._out_of_core import validate_X, value_range
from skae._params import MODULE_PREFIXES, positive_sizes, resolve_image_shape
from skae._training import (
    PhaseContext,
    has_batch_norm,
    interrupted,
    run_phases,
    runs_full_budget,
)
from skae._warnings import warn_at_caller
from skae.nn import ARCHITECTURES
from skae.nn._compile import CompiledFunction
from skae.nn._device import (
    loadable_device,
    resolve_device,
)
from skae.nn._inference import InferenceModule, map_batches
from skae.nn._losses import CORRUPTIONS
from skae.nn._modules import ACTIVATIONS, build_seeded
from skae.nn._precision import (
    PRECISIONS,
    has_native_bfloat16,
    inference_precision,
    resolve_precision,
)
from skae.nn._serialization import dumps, loads
from skae.nn._training import LEARNING_RATE_SCHEDULES, History


class BaseAutoencoder(BaseEstimator):
    """Base class of skae's estimators; not for direct use."""

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "architecture": [StrOptions(set(ARCHITECTURES))],
        "image_shape": [None, "array-like"],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "conv_channels": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "encoder": [None, callable],
        "decoder": [None, callable],
        "loss": [StrOptions({"mse", "bce"})],
        "corruption": [None, StrOptions(set(CORRUPTIONS))],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [StrOptions(set(LEARNING_RATE_SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "shuffle_window": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "precision": [StrOptions(set(PRECISIONS))],
        "compile": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "checkpoint": [None, str, os.PathLike],
    }

    #: Whether the network is a :class:`skae.nn.VariationalNetwork`.
    _variational = False

    # ------------------------------------------------------------ parameters

    def _store_params(self, arguments):
        """Store the arguments of ``__init__`` (its ``locals()``), unchanged.

        Every signature parameter becomes the attribute of its name, as in
        scikit-learn's estimators; the extra keyword arguments go to
        :meth:`_set_module_params`.
        """
        for name in self._get_param_names():
            setattr(self, name, arguments[name])
        self._set_module_params(arguments["module_params"])

    def _set_module_params(self, module_params):
        """Store the extra keyword arguments of ``__init__``, as skorch does.

        They live in one private dictionary, so that the public attributes of
        an unfitted estimator are exactly its signature's parameters. Only
        ``encoder__*`` and ``decoder__*`` are accepted: any other name is a
        typo, refused at once with the closest parameter's name.
        """
        for name in module_params:
            if not name.startswith(MODULE_PREFIXES):
                close = difflib.get_close_matches(name, self._get_param_names(), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                    f"{name!r}.{hint} Besides its own parameters it takes only encoder__* "
                    "and decoder__* arguments for the user's modules."
                )
        self._module_kwargs = dict(module_params)

    def _extra_params(self):
        """Parameters beyond the signature's: ``encoder__*`` and ``decoder__*``."""
        return dict(getattr(self, "_module_kwargs", {}))

    def _check_extra_params(self):
        for name in self._extra_params():
            role = name.split("__")[0]
            if getattr(self, role) is None:
                raise ValueError(
                    f"{name} is set, but {role}=None: the {role}__* arguments go to the "
                    f"user's own {role} module. Set {role} to a module class or factory."
                )
        for role in ("encoder", "decoder"):
            if isinstance(getattr(self, role), torch.nn.Module):
                raise ValueError(
                    f"{role} must be a torch.nn.Module class or a factory function, not a "
                    f"module instance ({type(getattr(self, role)).__name__}): skae builds a "
                    "fresh module for every fit, so that clones and grid searches never "
                    "share weights. Pass the class, and its arguments as "
                    f"{role}__<name>=value."
                )

    def get_params(self, deep=True):
        """Get parameters for this estimator, ``encoder__*`` and ``decoder__*`` included.

        Parameters
        ----------
        deep : bool, default=True
            If True, will return the parameters for this estimator and
            contained subobjects that are estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return {**super().get_params(deep=deep), **self._extra_params()}

    def set_params(self, **params):
        """Set the parameters of this estimator, ``encoder__*`` and ``decoder__*`` included.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
            Estimator instance.
        """
        routed = [n for n in params if n.startswith(MODULE_PREFIXES) or n in self._module_kwargs]
        if routed:
            self._module_kwargs = {
                **self._module_kwargs,
                **{name: params.pop(name) for name in routed},
            }
        return super().set_params(**params) if params else self

    # --------------------------------------------------------------- fitting

    def _fit(self, X, y=None, *, incremental=False, **data_args):
        """The one fit sequence of every skae estimator.

        Validate, make the fitted configuration, resolve device and precision
        once, seed, build (or copy) the network, then run the phases the
        estimator declares (:meth:`_phases`) through the engine's loop, and
        store the result only once every phase has succeeded: a failed fit
        leaves a previously fitted model as it was. ``data_args`` go to
        :meth:`_validate_training_data` (the classifier's ``classes``).
        """
        reason = "partial_fit" if incremental else "warm_start"
        first_pass = not hasattr(self, "module_") or not (self.warm_start or incremental)
        with _restore_state_on_failure(self):
            X, labels = self._validate_training_data(X, y, reset=first_pass, **data_args)
            device = resolve_device(self.device)
            traits = self._data_traits(X, labels, device, incremental)
            params = self._resolved_params(traits, first_pass)
            self._check_params(params)
            self._check_input_range(X, params.loss)
            config = self._make_config(X.shape[1], params)
            if not first_pass:
                self._config.check_structure_unchanged(config, reason)
            precision = resolve_precision(config.precision, device)
            checkpoint = self._checkpoint(X, labels, first_pass, incremental)
            resumed = checkpoint.read() if checkpoint is not None else None
            if resumed is not None:
                seeds = resumed.seeds
            else:
                seeds = Seeds.from_random_state(self.random_state) if first_pass else self._seeds
            init_seeds, split_seeds, phase_seeds = seeds.sequence().spawn(3)
            if first_pass:
                network = build_seeded(
                    functools.partial(self._new_network, config, getattr(labels, "classes", None)),
                    seed=int(init_seeds.generate_state(1)[0]),
                    device=device,
                    dtype=precision.dtype,
                )
                if resumed is not None:
                    network.load_state_dict(resumed.weights)
            else:
                network = copy.deepcopy(self.module_).to(device=device, dtype=precision.dtype)
            context = PhaseContext(
                device=device,
                dtype=precision.dtype,
                precision=precision,
                split_seed=int(split_seeds.generate_state(1)[0]),
                first_pass=first_pass,
                incremental=incremental,
                min_batch_size=2 if has_batch_norm(network) else 1,
                params=params,
                batch_size_given=self.batch_size != "auto",
                in_unit_interval=traits.in_unit_interval,
                n_features=X.shape[1],
                compile=config.compile,
            )
            optimizer, histories = run_phases(
                network,
                self._phases(X, labels, config, context),
                context,
                seeds=phase_seeds,
                continued=None
                if first_pass
                else (self.optimizer_, getattr(self, "_reference_losses", {})),
                saving=(checkpoint, resumed, seeds),
            )
        self._store_fit(network, optimizer, config, device, histories, first_pass, labels)
        self._store_resolved(params)
        self._seeds = seeds.advanced()
        if checkpoint is not None and not interrupted(histories):
            checkpoint.remove()
        self._warn_about_stop(histories, incremental, params)
        return self

    def _checkpoint(self, X, labels, first_pass, incremental):
        """The :class:`~skae._checkpoint.Checkpoint` of this fit, or None without one."""
        if self.checkpoint is None:
            return None
        if incremental or not first_pass:
            raise ValueError(
                "checkpoint applies to a fit that trains a new network; partial_fit and "
                "warm_start continue one, one call at a time: save the model between calls "
                "with skae.save instead, and set checkpoint=None."
            )
        return Checkpoint(self.checkpoint, self, X, labels)

    #: The ``"auto"`` rules of the estimator's parameters (see :mod:`skae._defaults`).
    _auto_rules: dict = {}

    def _data_traits(self, X, labels, device, incremental=False):
        """The :class:`~skae._defaults.DataTraits` of the training data, for this fit."""
        low_high = value_range(X)
        return DataTraits(
            n_samples=len(X),
            n_unlabeled=0 if labels is None else int(np.count_nonzero(~labels.labeled)),
            image_shape=resolve_image_shape(self.image_shape, X.shape[1]),
            in_unit_interval=low_high is not None and bool(low_high[0] >= 0 and low_high[1] <= 1),
            native_bfloat16=has_native_bfloat16(device),
            incremental=incremental,
        )

    def _resolved_params(self, traits, first_pass):
        """Every parameter's value for this fit, each ``"auto"`` resolved from the data's traits.

        A fit that continues a fitted model keeps the values its first fit
        resolved.
        """
        fitted = None if first_pass else self._resolved_auto
        return resolve(self.get_params(deep=False), self._auto_rules, traits, fitted)

    def _store_resolved(self, params):
        """The resolved value of each ``"auto"``-able parameter, as ``<name>_``."""
        self._resolved_auto = {name: getattr(params, name) for name in self._auto_rules}
        for name, value in self._resolved_auto.items():
            setattr(self, f"{name}_", value)

    def _validate_training_data(self, X, y, *, reset):
        """``(X, labels)``: validated X and the :class:`~skae._fitted.Labels` of y, or None."""
        raise NotImplementedError

    def _phases(self, X, labels, config, context):
        """The training phases (:class:`~skae._fitted.Phase`) of one fit; see subclasses."""
        raise NotImplementedError

    def _new_network(self, config, classes=None):
        """The estimator's network for ``config``; built inside :func:`build_seeded`."""
        return config.build_network(self._variational)

    def _check_params(self, params):
        """Every check of ``fit`` that ``_parameter_constraints`` cannot express.

        ``params`` holds the values of this fit, ``"auto"`` resolved. The
        checks that need the number of features (``image_shape`` against
        ``X``) are made by :func:`resolve_image_shape`.
        """
        self._check_extra_params()
        record = ARCHITECTURES[params.architecture]
        builtin_half = self.encoder is None or self.decoder is None
        if record.needs_image_shape and builtin_half and self.image_shape is None:
            raise ValueError(
                f"architecture={params.architecture!r} needs image_shape, e.g. "
                "image_shape=(28, 28) for 28x28 grayscale images or (3, 32, 32) for 32x32 "
                "colour images."
            )
        if "conv_channels" in record.structural and builtin_half:
            if not positive_sizes(self.conv_channels, "conv_channels"):
                raise ValueError("conv_channels needs at least one stage, got ().")
        if params.corruption == "cutout" and self.image_shape is None:
            raise ValueError(
                "corruption='cutout' cuts squares out of images, so it needs image_shape, "
                "e.g. image_shape=(28, 28)."
            )
        if params.corruption == "masking" and params.corruption_level >= 1:
            raise ValueError(
                f"corruption='masking' needs corruption_level < 1 (the fraction of values "
                f"set to 0), got {params.corruption_level}."
            )
        if params.corruption == "cutout" and params.corruption_level > 1:
            raise ValueError(
                f"corruption='cutout' needs corruption_level <= 1 (the square's side over "
                f"the image's), got {params.corruption_level}."
            )

    def _make_config(self, n_features, params):
        """The :class:`~skae._fitted.FittedConfig` of a fit on ``n_features`` columns."""
        return FittedConfig.from_params(params, n_features, self._objective_weights())

    def _objective_weights(self):
        """The weights of the scoring objective, as ``((name, value), ...)``; none by default."""
        return ()

    def _check_input_range(self, X, loss):
        """Refuse X outside [0, 1] for ``loss="bce"``."""
        low_high = value_range(X) if loss == "bce" else None
        if low_high is not None and (low_high[0] < 0 or low_high[1] > 1):
            raise ValueError(
                f"loss='bce' needs X scaled to [0, 1], but X has values in "
                f"[{low_high[0]:g}, {low_high[1]:g}]. Scale it (e.g. MinMaxScaler) or use "
                "loss='mse'."
            )

    def _store_fit(self, network, optimizer, config, device, histories, first_pass, labels):
        """Set the fitted attributes, only once training has succeeded.

        The history of the phase that keeps the optimizer is the fitted
        ``loss_curve_``; training that continues appends to it.
        """
        main = histories.get(self._main_phase, History())
        if first_pass:
            self.loss_curve_ = []
            self.n_iter_ = 0
            self._reference_losses = {}
        # The untrained network's loss of each phase, against which later calls watch growth.
        self._reference_losses = {
            name: history.reference_loss for name, history in histories.items()
        } | self._reference_losses
        self._config = config
        self.image_shape_ = config.spec.image_shape
        self.module_ = network
        self.optimizer_ = optimizer
        self.device_ = str(device)
        self._n_features_out = config.spec.n_components
        self.loss_curve_ = self.loss_curve_ + main.loss_curve
        self.n_iter_ += len(main.loss_curve)
        if main.validation_scores is None:
            self.validation_scores_ = self.best_validation_score_ = None
        else:  # continued training appends, as to loss_curve_ (and as MLPClassifier does)
            before = None if first_pass else getattr(self, "validation_scores_", None)
            self.validation_scores_ = (before or []) + main.validation_scores
            self.best_validation_score_ = max(self.validation_scores_)
        has_best = main.validation_scores is None and self.loss_curve_
        self.best_loss_ = min(self.loss_curve_) if has_best else None

    #: The name of the phase whose history is the fitted ``loss_curve_``.
    _main_phase = "training"

    def _warn_about_stop(self, histories, incremental, params):
        for name, history in histories.items():
            if history.stop_reason == "interrupted":
                warn_at_caller(
                    f"Training interrupted by the user after {len(history.loss_curve)} "
                    f"epoch(s) of {name}; the model keeps the weights trained so far"
                    + ("." if name == self._main_phase else f", before {self._main_phase}."),
                    UserWarning,
                )
                return
        main = histories.get(self._main_phase)
        planned = runs_full_budget(params)
        if main is not None and main.stop_reason == "max_iter" and not incremental and not planned:
            warn_at_caller(
                f"Stochastic optimizer: maximum iterations ({params.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _validated(self, X, *, scored=False):
        """X checked for ``transform``-like methods: fitted, and its columns.

        ``scored`` rows are compared with their reconstruction by the fitted
        loss, so they must also lie in its range ([0, 1] for ``"bce"``). Rows
        that are only encoded or classified need not, whatever their range:
        the test rows of a ``MinMaxScaler`` fitted on the training rows fall
        outside, far outside for a feature nearly constant in training (a
        digit's corner pixel), and a range check there failed the README's
        own grid search.
        """
        check_is_fitted(self)
        X = validate_X(self, X, reset=False)
        if scored:
            self._check_input_range(X, self._config.loss)
        return X

    # ------------------------------------------------------------- inference

    def _inference(self, method, X):
        """The fitted network's inference ``method`` over X, a validated array.

        The method is an :class:`~skae.nn._inference.InferenceModule`, which
        :func:`skae.to_onnx` exports too.
        """
        return self._run_network(InferenceModule(self.module_, method, self._config.loss), X)

    def _run_network(self, fn, X):
        """Run ``fn`` over X on the fitted device, in the fitted precision, compiled if fitted so.

        The output has X's dtype. Parameters changed after fitting (say
        ``precision`` or ``compile``) do not apply until the next ``fit``.
        """
        self.module_.eval()
        dtype = next(self.module_.parameters()).dtype
        precision = inference_precision(self._config.precision, self.device_)
        if self._config.compile:
            fn = CompiledFunction(fn)
        out = map_batches(fn, X, device=self.device_, dtype=dtype, precision=precision)
        return out.astype(X.dtype, copy=False)

    # ----------------------------------------------------------------- state

    def __getstate__(self):
        state = dict(super().__getstate__())
        if "module_" in state:
            state["_torch_state"] = dumps(
                {"module_": state.pop("module_"), "optimizer_": state.pop("optimizer_")}
            )
        return state

    def __setstate__(self, state):
        torch_state = state.pop("_torch_state", None)
        super().__setstate__(state)
        if torch_state is None:
            return
        device = loadable_device(self.device_)
        self.__dict__.update(loads(torch_state, map_location=device))
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
