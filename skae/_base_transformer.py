"""The public methods every autoencoder transformer shares: fit, the code, its inverse, scores."""

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skae import nn as engine
from skae._base import BaseAutoencoder, _local_random_state, _restore_state_on_failure


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
            self._check_params()
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
