"""AutoencoderTransformer: a torch autoencoder as a scikit-learn transformer."""

import contextlib
import copy
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


class AutoencoderTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Nonlinear dimensionality reduction with a PyTorch autoencoder.

    The autoencoder learns to compress each sample into ``n_components``
    numbers (the code) and to reconstruct the sample from them. ``transform``
    returns the code, ``inverse_transform`` the reconstruction. It is a
    drop-in for :class:`~sklearn.decomposition.PCA` in a pipeline or a grid
    search, where ``n_components`` is the size of the code.

    The encoder is ``n_features -> *hidden_layer_sizes -> n_components`` and
    the decoder mirrors it. Training uses Adam on mini-batches, on CPU or
    CUDA, and stops like :class:`~sklearn.neural_network.MLPRegressor`.

    Read more in the :ref:`User Guide <autoencoder_transformer>`.

    Parameters
    ----------
    n_components : int, default=32
        Size of the code, the number of features ``transform`` returns.

    hidden_layer_sizes : array-like of shape (n_layers,) or int, default=(256,)
        Widths of the encoder's hidden layers, from the input inwards; the
        decoder uses them in reverse. An empty tuple gives a linear-code
        autoencoder without hidden layers.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation after every hidden layer. The code and the output are
        linear, except for the sigmoid output that ``loss="bce"`` implies.

    loss : {"mse", "bce"}, default="mse"
        Reconstruction loss: mean squared error, or binary cross-entropy with
        a sigmoid output for inputs scaled to [0, 1] (e.g. pixel intensities).

    learning_rate_init : float, default=1e-3
        Adam's learning rate.

    alpha : float, default=1e-4
        Strength of the L2 penalty (Adam's ``weight_decay``).

    batch_size : int or "auto", default="auto"
        Size of the training mini-batches. ``"auto"`` is
        ``min(256, n_samples)``; larger values are clipped to the number of
        training samples.

    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).

    shuffle : bool, default=True
        Whether to reshuffle the training data before every epoch.

    tol : float, default=1e-4
        Training stops when the monitored loss (training loss, or validation
        loss with ``early_stopping``) has not improved by at least ``tol`` for
        more than ``n_iter_no_change`` consecutive epochs.

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the training data,
        monitor the reconstruction loss on it, stop when it stops improving
        and restore the weights of the best validation epoch.

    validation_fraction : float, default=0.1
        Fraction of the training data held out with ``early_stopping``.

    n_iter_no_change : int, default=10
        Number of epochs without ``tol`` improvement tolerated.

    device : str or torch.device, default="auto"
        Where to train and infer: ``"auto"`` (CUDA when available, else CPU),
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    precision : {"float32", "float64"}, default="float32"
        Floating-point type of the network's computation. Outputs have the
        dtype of the input either way.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling and the validation
        split. An int gives identical results across calls on CPU. Seeding
        is local to the estimator: fitting never changes numpy's or torch's
        global random state.

    verbose : int, default=0
        0 is silent; 1 prints one line per epoch (epoch, training loss,
        validation loss, seconds); 2 and above also show a progress bar over
        the batches of each epoch.

    warm_start : bool, default=False
        When True, ``fit`` continues training the previous network (and its
        optimizer state) instead of starting anew.

    Attributes
    ----------
    module_ : skae.nn.Autoencoder
        The trained torch network, with ``encoder`` and ``decoder``
        submodules.

    optimizer_ : torch.optim.Adam
        The optimizer, whose state ``warm_start`` and ``partial_fit`` carry
        on.

    device_ : str
        The device the network lives on, e.g. ``"cpu"`` or ``"cuda:0"``.

    n_iter_ : int
        Number of epochs run, counting every ``partial_fit`` call and every
        warm-started ``fit``.

    loss_curve_ : list of float
        Mean training loss of each epoch.

    best_loss_ : float or None
        The lowest training loss reached; None with ``early_stopping``.

    validation_scores_ : list of float or None
        Negative mean validation loss of each epoch (greater is better, like
        :meth:`score`); None without ``early_stopping``.

    best_validation_score_ : float or None
        The best entry of ``validation_scores_``, whose weights were restored;
        None without ``early_stopping``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron, whose
        parameter names this estimator shares.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=8, max_iter=5, random_state=0)
    >>> ae.fit(X / 16)
    AutoencoderTransformer(max_iter=5, n_components=8, random_state=0)
    >>> ae.transform(X[:3] / 16).shape
    (3, 8)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(engine.ACTIVATIONS))],
        "loss": [StrOptions({"mse", "bce"})],
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
        "precision": [StrOptions({"float32", "float64"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        n_components=32,
        *,
        hidden_layer_sizes=(256,),
        activation="relu",
        loss="mse",
        learning_rate_init=1e-3,
        alpha=1e-4,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="auto",
        precision="float32",
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.learning_rate_init = learning_rate_init
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct X.

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
        not apply.

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
            X = validate_data(self, X, dtype=[np.float64, np.float32], reset=first_pass)
            self._check_input_range(X)
            device = engine.resolve_device(self.device)
            dtype = engine.torch_dtype(self.precision)
            if first_pass:
                self._rng = _local_random_state(self.random_state)
            seed_init, seed_shuffle = self._rng.randint(np.iinfo(np.int32).max, size=2)
            X_train, X_val = self._validation_split(
                X, early_stopping=self.early_stopping and not incremental
            )
            if first_pass:
                module = engine.build_seeded(
                    self._network_builder(X.shape[1]), seed=seed_init, device=device, dtype=dtype
                )
                optimizer = self._make_optimizer(module)
            else:
                module, optimizer = self._copy_network(device, dtype)

            train_batches = engine.InMemoryBatches(
                engine.as_tensor(X_train, dtype=dtype, device=device),
                self._batch_size(len(X_train)),
                shuffle=self.shuffle,
                generator=torch.Generator().manual_seed(int(seed_shuffle)),
            )
            validation_batches = None
            if X_val is not None:
                validation_batches = engine.InMemoryBatches(
                    engine.as_tensor(X_val, dtype=dtype, device=device),
                    engine.INFERENCE_BATCH_SIZE,
                    shuffle=False,
                    generator=None,
                )
            max_iter = 1 if incremental else self.max_iter
            n_threads = engine.training_threads(
                module, train_batches.batch_size, engine.caller_thread_limit()
            )
            with engine.thread_limit(n_threads):
                history = engine.fit_loop(
                    module,
                    engine.ReconstructionLoss(self.loss),
                    optimizer,
                    train_batches,
                    validation_batches=validation_batches,
                    max_iter=max_iter,
                    tol=self.tol,
                    n_iter_no_change=self.n_iter_no_change,
                    logger=engine.EpochLogger(self.verbose, max_iter),
                )
        self._store_fit(module, optimizer, device, history, first_pass)
        self._warn_about_stop(history.stop_reason, incremental)
        return self

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

    def _check_input_range(self, X):
        if self.loss == "bce" and X.size and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "loss='bce' needs X scaled to [0, 1], but X has values in "
                f"[{X.min():g}, {X.max():g}]. Scale it (e.g. MinMaxScaler) or use "
                "loss='mse'."
            )

    def _network_builder(self, n_features):
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, Integral) else list(hidden)
        if any(size < 1 for size in hidden):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes}.")
        return lambda: engine.build_dense_autoencoder(
            n_features, self.n_components, hidden, self.activation
        )

    def _make_optimizer(self, module):
        return torch.optim.Adam(
            module.parameters(),
            lr=self.learning_rate_init,
            weight_decay=self.alpha,
            foreach=True,
        )

    def _copy_network(self, device, dtype):
        """Copies of the fitted network and optimizer to keep training.

        Training a copy keeps the fitted model intact if training fails.
        """
        module = copy.deepcopy(self.module_).to(device=device, dtype=dtype)
        optimizer = self._make_optimizer(module)
        optimizer.load_state_dict(copy.deepcopy(self.optimizer_.state_dict()))
        for group in optimizer.param_groups:
            group.update(lr=self.learning_rate_init, weight_decay=self.alpha)
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

    def _store_fit(self, module, optimizer, device, history, first_pass):
        """Set the fitted attributes, only once training has succeeded."""
        if first_pass:
            self.loss_curve_ = []
            self.n_iter_ = 0
        self.module_ = module
        self.optimizer_ = optimizer
        self.device_ = str(device)
        self._n_features_out = self.n_components
        self.loss_curve_ = self.loss_curve_ + history.loss_curve
        self.n_iter_ += len(history.loss_curve)
        self.validation_scores_ = history.validation_scores
        self.best_validation_score_ = history.best_validation_score
        self.best_loss_ = None if history.validation_scores is not None else min(self.loss_curve_)

    # ------------------------------------------------------------ transform

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
        return self._map(self.module_.encoder, X)

    def inverse_transform(self, X):
        """Decode codes back into the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The reconstruction.
        """
        check_is_fitted(self)
        X = check_array(X, input_name="X", dtype=[np.float64, np.float32])
        if X.shape[1] != self.n_components:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"codes of n_components={self.n_components} features."
            )
        output = engine.ReconstructionLoss(self.loss).output_activation
        return self._map(lambda z: output(self.module_.decoder(z)), X)

    def score_samples(self, X):
        """Negative reconstruction error of each sample.

        The lower the score, the worse the sample is reconstructed, which
        makes it an anomaly score. The error is the ``loss`` averaged over
        the sample's features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative per-sample reconstruction error.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        objective = engine.ReconstructionLoss(self.loss)
        return -self._map(lambda x: objective.per_sample(self.module_(x), x), X)

    def score(self, X, y=None):
        """Negative mean reconstruction error of X (greater is better).

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

    def _map(self, fn, X):
        """Run ``fn`` over X on the fitted device; output in X's dtype."""
        self.module_.eval()
        out = engine.map_batches(
            fn, X, device=self.device_, dtype=engine.torch_dtype(self.precision)
        )
        return out.astype(X.dtype, copy=False)

    # ----------------------------------------------------- sklearn plumbing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

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
