"""What every skae estimator shares: parameters, validation, fitting through the
engine, the user's own modules, chunked inference and pickling.

An estimator subclasses :class:`BaseAutoencoder` and says only what is its
own: its extra parameters (``_parameter_constraints``), its objective
(``_objective``), whether its network is variational, and its public
methods.
"""

import contextlib
import copy
import functools
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skae import nn as engine
from skae._params import (
    MODULE_PREFIXES,
    STRUCTURAL_PARAMETERS,
    accepts_argument,
    positive_sizes,
    resolve_image_shape,
    same_value,
)


class BaseAutoencoder(BaseEstimator):
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

    # ------------------------------------------- the user's modules' arguments

    def _set_module_params(self, module_params):
        """Store the extra keyword arguments of ``__init__``, as skorch does.

        They live in one private dictionary, so that the public attributes of
        an unfitted estimator are exactly its signature's parameters; they
        are checked at ``fit``, where only ``encoder__*`` and ``decoder__*``
        are routed anywhere.
        """
        self._module_kwargs = dict(module_params)

    def _extra_params(self):
        """Parameters beyond the signature's: ``encoder__*`` and ``decoder__*``."""
        return dict(getattr(self, "_module_kwargs", {}))

    def _module_params(self, prefix):
        """The ``<prefix>*`` parameters, e.g. ``encoder__channels``."""
        return {
            name: value for name, value in self._extra_params().items() if name.startswith(prefix)
        }

    def _check_extra_params(self):
        for name in self._extra_params():
            if not name.startswith(MODULE_PREFIXES):
                raise ValueError(
                    f"{type(self).__name__} got an unknown parameter {name!r}; besides "
                    "its own parameters it takes only encoder__* and decoder__* "
                    "arguments for the user's modules."
                )
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

    def _network_spec(self, n_features):
        image_shape = resolve_image_shape(self.image_shape, n_features)
        if self.corruption == "cutout" and image_shape is None:
            raise ValueError(
                "corruption='cutout' cuts squares out of images, so it needs image_shape, "
                "e.g. image_shape=(28, 28)."
            )
        needs_shape = self.encoder is None or self.decoder is None
        if self.architecture == "conv" and image_shape is None and needs_shape:
            raise ValueError(
                "architecture='conv' needs image_shape, e.g. image_shape=(28, 28) for "
                "28x28 grayscale images or (3, 32, 32) for 32x32 colour images."
            )
        conv_channels = positive_sizes(self.conv_channels, "conv_channels")
        if self.architecture == "conv" and needs_shape and not conv_channels:
            raise ValueError("conv_channels needs at least one stage, got ().")
        return engine.NetworkSpec(
            n_features=n_features,
            n_components=self.n_components,
            image_shape=image_shape,
            hidden_layer_sizes=positive_sizes(self.hidden_layer_sizes, "hidden_layer_sizes"),
            conv_channels=conv_channels,
            activation=self.activation,
        )

    def _build_network(self, spec):
        encoder = decoder = None
        if self.encoder is not None:
            encoder = self._module_factory("encoder", {})
        if self.decoder is not None:
            decoder = self._module_factory("decoder", {"n_components": spec.n_components})
        return engine.build_autoencoder(
            spec,
            self.architecture,
            encoder=encoder,
            decoder=decoder,
            variational=self._variational,
        )

    def _module_factory(self, role, injectable):
        """A no-argument factory for the user's ``role`` module, with its arguments.

        ``injectable`` arguments are passed when the factory takes them and
        the user did not set them.
        """
        factory = getattr(self, role)
        prefix = f"{role}__"
        kwargs = {name[len(prefix) :]: value for name, value in self._module_params(prefix).items()}
        for name, value in injectable.items():
            if name not in kwargs and accepts_argument(factory, name):
                kwargs[name] = value

        def build():
            try:
                return factory(**kwargs)
            except TypeError as exc:
                raise ValueError(
                    f"{role}={getattr(factory, '__name__', factory)!r} could not be built "
                    f"with {kwargs}: {exc}"
                ) from exc

        return build

    def _check_structure_unchanged(self, reason):
        fitted = getattr(self, "_structure", None)
        if fitted is None:  # a model pickled before skae recorded its structure
            return
        current = self._current_structure(self.n_features_in_)
        for name in [*STRUCTURAL_PARAMETERS, *sorted(fitted.keys() | current.keys())]:
            if not same_value(fitted.get(name, "unused"), current.get(name, "unused")):
                how = (
                    "call fit (with warm_start=False) to train a new network"
                    if reason == "partial_fit"
                    else "set warm_start=False (or use a new estimator) to train a new network"
                )
                raise ValueError(
                    f"{name}={current.get(name, 'unused')!r} differs from "
                    f"{name}={fitted.get(name, 'unused')!r}, with which the fitted network "
                    f"was built; {reason} keeps training that network, whose structure "
                    f"cannot change. To change it, {how}."
                )

    def _current_structure(self, n_features):
        """The parameters that shape the network as it would be built now.

        Only what a builder uses counts: the dense sizes for a dense half, the
        conv stages and image shape for a conv half, the class and its
        arguments for the user's own half.
        """
        names = {"n_components"}
        builtin = self.encoder is None or self.decoder is None
        if builtin:
            names |= {"architecture", "activation"}
            if self.architecture == "dense":
                names.add("hidden_layer_sizes")
            else:
                names |= {"conv_channels", "image_shape"}
        if self.encoder is not None:
            names |= {"encoder", "image_shape"}
        if self.decoder is not None:
            names.add("decoder")
        structure = {name: getattr(self, name) for name in names}
        if "image_shape" in structure:
            structure["image_shape"] = resolve_image_shape(self.image_shape, n_features)
        return {**structure, **self._extra_params()}

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


class BaseAutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseAutoencoder
):
    """Base class of the autoencoder transformers: the code, its inverse, the scores."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network to reconstruct X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one epoch on X, keeping the network of previous calls.

        The first call initialises the network; later calls continue it, for
        data that arrives in chunks. ``early_stopping`` and ``max_iter`` do
        not apply, and the network's structure cannot change between calls.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, incremental=True)

    def _fit(self, X, *, incremental):
        first_pass = not hasattr(self, "module_") or not (self.warm_start or incremental)
        with _restore_state_on_failure(self):
            self._check_extra_params()
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=first_pass)
            self._check_input_range(X)
            if not first_pass:
                self._check_structure_unchanged("partial_fit" if incremental else "warm_start")
            device = engine.resolve_device(self.device)
            precision = engine.resolve_precision(self.precision, device)
            dtype = precision.dtype
            if first_pass:
                self._rng = _local_random_state(self.random_state)
            seed_init, seed_shuffle, seed_draws = self._rng.randint(np.iinfo(np.int32).max, size=3)
            X_train, X_val = self._validation_split(
                X, early_stopping=self.early_stopping and not incremental
            )
            batch_size = self._batch_size(len(X_train))
            weight_decay = self._weight_decay(batch_size, X.shape[1])
            if first_pass:
                spec = self._network_spec(X.shape[1])
                module = self._new_network(spec, seed_init, device, dtype)
                optimizer = self._make_optimizer(module, weight_decay)
            else:
                spec = None
                module, optimizer = self._copy_network(device, dtype, weight_decay)

            train_batches = engine.InMemoryBatches(
                engine.as_tensor(X_train, dtype=dtype, device="cpu"),
                batch_size,
                shuffle=self.shuffle,
                generator=torch.Generator().manual_seed(int(seed_shuffle)),
                device=device,
            )
            validation_batches = None
            if X_val is not None:
                validation_batches = engine.InMemoryBatches(
                    engine.as_tensor(X_val, dtype=dtype, device="cpu"),
                    engine.INFERENCE_BATCH_SIZE,
                    shuffle=False,
                    generator=None,
                    device=device,
                )
            history = self._train(
                module,
                self._objective(
                    engine.make_generator(seed_draws, device),
                    spec.image_shape if first_pass else self.image_shape_,
                ),
                optimizer,
                train_batches,
                validation_batches=validation_batches,
                max_iter=1 if incremental else self.max_iter,
                n_features=X.shape[1],
                batch_size=batch_size,
                precision=precision,
            )
        self._store_fit(module, optimizer, device, history, spec)
        self._warn_about_stop(history.stop_reason, incremental)
        return self

    def transform(self, X):
        """Encode X into its ``n_components``-dimensional code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The code, with the dtype of X (float32 or float64).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self._map(self.module_.encode, X)

    def inverse_transform(self, X):
        """Decode codes back into the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The reconstruction, in the 2-D layout of the training data.
        """
        check_is_fitted(self)
        X = check_array(X, input_name="X", dtype=[np.float64, np.float32])
        if X.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"codes of n_components={self._n_features_out} features."
            )
        return self._decode(X)

    def score_samples(self, X):
        """Negative training loss of each sample, without any random draw.

        The lower the score, the worse the sample fits the model, which makes
        it an anomaly score. The loss is averaged over the sample's features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative per-sample loss: greater is better.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        objective = self._objective(generator=None)
        objective.reconstruction = self._fitted_reconstruction_loss()
        return -self._map(lambda x: objective.per_sample(self.module_, x), X)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` over X (greater is better).

        Lets a grid search tune the autoencoder without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            ``score_samples(X).mean()``.
        """
        return float(np.mean(self.score_samples(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


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
