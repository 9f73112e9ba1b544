"""Labeled synthetic samples decoded from autoencoder codes, and a classifier using them."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._base import _local_random_state
from skae._semi_supervised import LabeledScoreMixin, inner_classifier_has
from skae.metrics import is_labeled


class AutoencoderAugmenter(BaseEstimator):
    """Synthesize labeled samples by decoding codes near those of each class.

    ``fit_resample(X, y)`` returns ``X`` and ``y`` with new labeled rows
    appended: for every labeled row, ``n_per_sample`` codes are made near its
    code and decoded back to the input space through the autoencoder's
    ``inverse_transform``. Unlabeled rows (label -1) pass through unchanged
    and are never augmented. ``fit_resample`` is imbalanced-learn's sampler
    API, so the augmenter fits into its pipelines;
    :class:`AugmentedClassifier` uses it in plain scikit-learn ones.

    Read more in the :ref:`User Guide <augmentation>`.

    Parameters
    ----------
    autoencoder : estimator
        An :class:`AutoencoderTransformer` or :class:`VariationalAutoencoder`.
        If already fitted (for instance on every unlabeled image), it is used
        as it is; otherwise a clone is fitted on the ``X`` of
        ``fit_resample``.

    n_per_sample : int, default=1
        Synthetic rows per labeled row.

    method : {"interpolate", "noise", "posterior"}, default="interpolate"
        How the new codes are made. ``"interpolate"``: a random point on the
        segment between the code of the row and the code of another row of
        the same class. ``"noise"``: the code plus Gaussian noise of
        ``noise_level`` times each code dimension's standard deviation.
        ``"posterior"``: a draw from a variational autoencoder's posterior of
        the row.

    noise_level : float, default=0.1
        Relative noise of ``method="noise"``.

    random_state : int, RandomState instance or None, default=None
        Seeds the partners, interpolation weights and noise; numpy's global
        random state is never used.

    Attributes
    ----------
    autoencoder_ : estimator
        The autoencoder used: ``autoencoder`` itself when it was fitted,
        else its fitted clone.

    See Also
    --------
    AugmentedClassifier : A classifier trained on the augmented data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderAugmenter, AutoencoderTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(16, max_iter=5, random_state=0).fit(X / 16)
    >>> X_aug, y_aug = AutoencoderAugmenter(ae, random_state=0).fit_resample(X[:100] / 16, y[:100])
    >>> X_aug.shape, y_aug.shape
    ((200, 64), (200,))
    """

    _parameter_constraints: dict = {
        "autoencoder": [HasMethods(["fit", "transform", "inverse_transform"])],
        "n_per_sample": [Interval(Integral, 1, None, closed="left")],
        "method": [StrOptions({"interpolate", "noise", "posterior"})],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self, autoencoder, *, n_per_sample=1, method="interpolate", noise_level=0.1,
        random_state=None,
    ):  # fmt: skip
        self.autoencoder = autoencoder
        self.n_per_sample = n_per_sample
        self.method = method
        self.noise_level = noise_level
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_resample(self, X, y):
        """Return X and y with synthetic labeled rows appended.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows; those labeled -1 are kept but not augmented.

        y : array-like of shape (n_samples,)
            Labels; -1 marks an unlabeled row.

        Returns
        -------
        X_resampled : ndarray of shape (n_samples + n_new, n_features)
            ``X`` followed by the synthetic rows.

        y_resampled : ndarray of shape (n_samples + n_new,)
            ``y`` followed by the synthetic rows' labels.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        if self.method == "posterior" and not hasattr(self.autoencoder, "sample"):
            raise ValueError(
                "method='posterior' needs a VariationalAutoencoder, whose encoder gives a "
                f"posterior; got {type(self.autoencoder).__name__}."
            )
        try:
            check_is_fitted(self.autoencoder)
            self.autoencoder_ = self.autoencoder
        except NotFittedError:
            self.autoencoder_ = clone(self.autoencoder).fit(X)
        labeled = np.flatnonzero(is_labeled(y))
        rng = _local_random_state(self.random_state)
        sources = np.repeat(labeled, self.n_per_sample)
        codes = self.autoencoder_.transform(X[labeled])
        new_codes = self._new_codes(X[labeled], y[labeled], codes, rng)
        X_new = self.autoencoder_.inverse_transform(new_codes.astype(codes.dtype))
        return np.vstack([X, X_new.astype(X.dtype)]), np.concatenate([y, y[sources]])

    def _new_codes(self, X, y, codes, rng):
        index = np.repeat(np.arange(len(codes)), self.n_per_sample)
        if self.method == "noise":
            scale = self.noise_level * codes.std(axis=0)
            return codes[index] + scale * rng.standard_normal((len(index), codes.shape[1]))
        if self.method == "posterior":
            mean, std = _posterior(self.autoencoder_, X)
            return mean[index] + std[index] * rng.standard_normal((len(index), codes.shape[1]))
        partners = np.empty(len(index), dtype=int)
        for label in np.unique(y):
            rows = np.flatnonzero(y[index] == label)
            candidates = np.flatnonzero(y == label)
            partners[rows] = rng.choice(candidates, len(rows))
        weights = rng.uniform(size=(len(index), 1))
        return codes[index] + weights * (codes[partners] - codes[index])


def _posterior(vae, X):
    """Posterior means and standard deviations of a fitted VariationalAutoencoder."""
    log_variances = vae._map(lambda x: vae.module_.posterior(x)[1], X.astype(np.float32))
    mean = vae.transform(X)
    return mean, np.exp(0.5 * log_variances.astype(mean.dtype))


class AugmentedClassifier(MetaEstimatorMixin, LabeledScoreMixin, BaseEstimator):
    """Train a classifier on data augmented by a sampler such as :class:`AutoencoderAugmenter`.

    ``fit(X, y)`` calls ``augmenter.fit_resample(X, y)`` and fits
    ``classifier`` on the labeled rows of the result; ``predict`` and the
    other methods go to the classifier on the rows as they are, so the
    augmentation never touches prediction.

    Parameters
    ----------
    classifier : estimator
        The classifier (or a pipeline ending in one).

    augmenter : estimator
        Has ``fit_resample(X, y) -> (X, y)``.

    Attributes
    ----------
    classifier_ : estimator
        The fitted clone of ``classifier``.

    augmenter_ : estimator
        The clone of ``augmenter`` that made the training data.

    n_augmented_ : int
        Rows the augmenter added.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    See Also
    --------
    AutoencoderAugmenter : Synthetic samples from an autoencoder.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.svm import SVC
    >>> from skae import AugmentedClassifier, AutoencoderAugmenter, AutoencoderTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> augmenter = AutoencoderAugmenter(AutoencoderTransformer(16, max_iter=5, random_state=0))
    >>> clf = AugmentedClassifier(SVC(), augmenter).fit(X / 16, y)
    >>> clf.n_augmented_
    1797
    """

    _parameter_constraints: dict = {
        "classifier": [HasMethods(["fit", "predict"])],
        "augmenter": [HasMethods(["fit_resample"])],
    }

    def __init__(self, classifier, augmenter):
        self.classifier = classifier
        self.augmenter = augmenter

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Augment ``(X, y)``, then fit the classifier on its labeled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.

        y : array-like of shape (n_samples,)
            Labels; -1 marks an unlabeled row.

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y)
        augmenter = clone(self.augmenter)
        X_aug, y_aug = augmenter.fit_resample(X, y)
        labeled = is_labeled(y_aug)
        self.classifier_ = clone(self.classifier).fit(X_aug[labeled], y_aug[labeled])
        self.augmenter_ = augmenter
        self.n_augmented_ = len(X_aug) - len(X)
        self.classes_ = self.classifier_.classes_
        return self

    def _checked(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False)

    def predict(self, X):
        """Predict with the classifier, on the rows as they are.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        X = self._checked(X)
        return self.classifier_.predict(X)

    @available_if(inner_classifier_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._checked(X)
        return self.classifier_.predict_proba(X)

    @available_if(inner_classifier_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        X = self._checked(X)
        return self.classifier_.decision_function(X)
