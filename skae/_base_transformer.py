"""The public methods every autoencoder transformer shares: fit, the code, its inverse, scores."""

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils.validation import check_array, check_is_fitted

from skae._base import BaseAutoencoder
from skae._defaults import TRANSFORMER_RULES
from skae._fitted import Phase
from skae._out_of_core import validate_X
from skae._params import allow_auto
from skae._training import PhaseData
from skae.nn import ReconstructionLoss


class BaseAutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseAutoencoder
):
    """Base class of the autoencoder transformers: the code, its inverse, the scores."""

    _parameter_constraints: dict = allow_auto(
        BaseAutoencoder._parameter_constraints, TRANSFORMER_RULES
    )
    _auto_rules = TRANSFORMER_RULES

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
        return self._fit(X)

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

    def _validate_training_data(self, X, y, *, reset):
        return validate_X(self, X, reset=reset), None

    def _phases(self, X, labels, config, context):
        """One phase: reconstruct X (a held-out part monitored with ``early_stopping``)."""
        params = context.params
        return [
            Phase(
                "training",
                max_iter=1 if context.incremental else params.max_iter,
                objective=lambda generator: self._objective(
                    config,
                    generator,
                    corruption=params.corruption,
                    corruption_level=params.corruption_level,
                ),
                data=PhaseData(X),
                batch_size=params.batch_size,
                holds_out=params.early_stopping and not context.incremental,
            )
        ]

    #: The objective class, built with the fitted configuration's weights (see skae.nn).
    _objective_class = None

    def _objective(self, config, generator, *, corruption=None, corruption_level=0.0):
        """The objective of ``config``: training's with ``corruption``, scoring's without."""
        return self._objective_class(
            ReconstructionLoss(config.loss),
            corruption=corruption,
            corruption_level=corruption_level,
            generator=generator,
            image_shape=config.spec.image_shape,
            **dict(config.objective),
        )

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
        X = self._validated(X)
        return self._inference("transform", X)

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
        return self._inference("inverse_transform", X)

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
        X = self._validated(X, scored=True)
        objective = self._objective(self._config, generator=None)
        return -self._run_network(lambda x: objective.per_sample(self.module_, x), X)

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
