"""Labeled synthetic samples decoded from autoencoder codes, and a classifier using them."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._base import _local_random_state
from skae._semi_supervised import LabeledScoreMixin, check_labeled, classifier_methods
from skae.metrics import is_labeled


def _warn_if_fit_is_dropped(estimator, name, owner):
    """Warn that ``owner`` fits a clone of ``estimator`` although it is fitted (not frozen)."""
    if isinstance(estimator, FrozenEstimator):
        return
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return
    warnings.warn(
        f"The {name} given to {type(owner).__name__} is already fitted, but "
        f"{type(owner).__name__} fits a clone of it on X, as scikit-learn meta-estimators "
        f"do, so that fit is not used. To use the {name} as it is fitted, pass "
        f"sklearn.frozen.FrozenEstimator({name.rsplit('__', 1)[-1]}).",
        UserWarning,
        stacklevel=4,  # the user's call, above fit and its _fit_context wrapper
    )


class AutoencoderAugmenter(BaseEstimator):
    """Synthesize labeled samples by decoding codes near those of each class.

    ``fit_resample(X, y)`` returns ``X`` and ``y`` with new labeled rows
    appended: for every labeled row, ``n_per_sample`` codes are made near its
    code and decoded back to the input space through the autoencoder's
    ``inverse_transform``. Unlabeled rows (label -1 or ``"-1"``, see
    :func:`skae.metrics.is_labeled`) pass through unchanged and are never
    augmented. ``fit_resample`` is imbalanced-learn's sampler API, so the
    augmenter fits into its pipelines; :class:`AugmentedClassifier` uses it
    in plain scikit-learn ones.

    Read more in the :ref:`User Guide <augmentation>`.

    Parameters
    ----------
    autoencoder : estimator
        An :class:`AutoencoderTransformer` or :class:`VariationalAutoencoder`
        (any estimator with ``transform`` and ``inverse_transform``). As in
        every scikit-learn meta-estimator, a clone of it is fitted on the
        ``X`` of ``fit_resample``. To use an autoencoder already fitted (for
        instance on every unlabeled image) as it is, pass
        ``FrozenEstimator(autoencoder)``
        (:class:`~sklearn.frozen.FrozenEstimator`): it is never refitted,
        also when :class:`AugmentedClassifier`, a grid search or
        cross-validation clone the augmenter. A fitted autoencoder that is
        not frozen is refitted, with a warning.

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
        The autoencoder used: the fitted clone of ``autoencoder``, or
        ``autoencoder`` itself when it is a
        :class:`~sklearn.frozen.FrozenEstimator`.

    n_features_in_ : int
        Number of features seen during :meth:`fit_resample`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit_resample`. Defined only when
        `X` has feature names that are all strings.

    See Also
    --------
    AugmentedClassifier : A classifier trained on the augmented data.

    Examples
    --------
    An autoencoder fitted on every image, frozen, augments the first 100:

    >>> from sklearn.datasets import load_digits
    >>> from sklearn.frozen import FrozenEstimator
    >>> from skae import AutoencoderAugmenter, AutoencoderTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(16, max_iter=5, random_state=0).fit(X / 16)
    >>> augmenter = AutoencoderAugmenter(FrozenEstimator(ae), random_state=0)
    >>> X_aug, y_aug = augmenter.fit_resample(X[:100] / 16, y[:100])
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
            Rows; the unlabeled ones are kept but not augmented.

        y : array-like of shape (n_samples,)
            Labels; -1 or ``"-1"`` marks an unlabeled row.

        Returns
        -------
        X_resampled : ndarray of shape (n_samples + n_new, n_features)
            ``X`` followed by the synthetic rows, in the dtype of ``X``.

        y_resampled : ndarray of shape (n_samples + n_new,)
            ``y`` followed by the synthetic rows' labels.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        if self.method == "posterior" and not hasattr(self.autoencoder, "posterior"):
            raise ValueError(
                "method='posterior' needs a VariationalAutoencoder (or another autoencoder "
                "with a posterior(X) method, giving the mean and standard deviation of each "
                f"row's code); got {type(self.autoencoder).__name__}."
            )
        labeled = np.flatnonzero(check_labeled(y, self))
        _warn_if_fit_is_dropped(self.autoencoder, "autoencoder", self)
        autoencoder = clone(self.autoencoder).fit(X, None)  # unsupervised: no labels
        rng = _local_random_state(self.random_state)
        new_codes = self._new_codes(autoencoder, X[labeled], y[labeled], rng)
        X_new = autoencoder.inverse_transform(new_codes.astype(X.dtype, copy=False))
        self.autoencoder_ = autoencoder
        sources = np.repeat(labeled, self.n_per_sample)
        return np.vstack([X, X_new.astype(X.dtype, copy=False)]), np.concatenate([y, y[sources]])

    def _new_codes(self, autoencoder, X, y, rng):
        """``n_per_sample`` new codes per row of ``X`` (all labeled ``y``), row by row."""
        index = np.repeat(np.arange(len(X)), self.n_per_sample)
        if self.method == "posterior":
            mean, std = autoencoder.posterior(X)
            noise = rng.standard_normal((len(index), mean.shape[1]))
            return mean[index] + std[index] * noise
        codes = autoencoder.transform(X)
        if self.method == "noise":
            scale = self.noise_level * codes.std(axis=0)
            noise = rng.standard_normal((len(index), codes.shape[1]))
            return codes[index] + scale * noise
        partners = np.empty(len(index), dtype=int)
        for label in np.unique(y):
            rows = np.flatnonzero(y[index] == label)
            candidates = np.flatnonzero(y == label)
            partners[rows] = rng.choice(candidates, len(rows))
        weights = rng.uniform(size=(len(index), 1))
        return codes[index] + weights * (codes[partners] - codes[index])


class AugmentedClassifier(MetaEstimatorMixin, LabeledScoreMixin, BaseEstimator):
    """Train a classifier on data augmented by a sampler such as :class:`AutoencoderAugmenter`.

    ``fit(X, y)`` calls ``augmenter.fit_resample(X, y)`` and fits
    ``classifier`` on the labeled rows of the result; ``predict`` and the
    other methods go to the classifier on the rows as they are, so the
    augmentation never touches prediction. ``predict_proba``,
    ``predict_log_proba`` and ``decision_function`` exist exactly when the
    classifier has them.

    ``fit`` works on clones of ``classifier`` and ``augmenter``, and so on a
    clone of the augmenter's autoencoder, which is fitted on ``X``: an
    autoencoder fitted beforehand is used as it is only when wrapped in a
    :class:`~sklearn.frozen.FrozenEstimator`, which clones to itself (so
    also in a grid search or cross-validation). ``fit`` warns when the
    augmenter holds a fitted estimator that is not frozen; a search or
    cross-validation clones the whole classifier before ``fit``, so there
    the fit is already gone and no warning can be given.

    Read more in the :ref:`User Guide <augmentation>`.

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

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    AutoencoderAugmenter : Synthetic samples from an autoencoder.

    Examples
    --------
    The autoencoder is fitted on every image once, and frozen so that
    ``fit`` (and cross-validation) use it as it is:

    >>> from sklearn.datasets import load_digits
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.svm import SVC
    >>> from skae import AugmentedClassifier, AutoencoderAugmenter, AutoencoderTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(16, max_iter=5, random_state=0).fit(X / 16)
    >>> augmenter = AutoencoderAugmenter(FrozenEstimator(ae), random_state=0)
    >>> clf = AugmentedClassifier(SVC(), augmenter).fit(X[:500] / 16, y[:500])
    >>> clf.n_augmented_
    500
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
            Labels; -1 or ``"-1"`` marks an unlabeled row.

        Returns
        -------
        self : object
        """
        X, y = validate_data(self, X, y)
        check_labeled(y, self)
        for name, value in self.augmenter.get_params(deep=False).items():
            if hasattr(value, "fit"):
                _warn_if_fit_is_dropped(value, f"augmenter__{name}", self)
        augmenter = clone(self.augmenter)
        X_aug, y_aug = augmenter.fit_resample(X, y)
        labeled = is_labeled(y_aug)
        self.classifier_ = clone(self.classifier).fit(X_aug[labeled], y_aug[labeled])
        self.augmenter_ = augmenter
        self.n_augmented_ = len(X_aug) - len(X)
        self.classes_ = self.classifier_.classes_
        return self

    def _classifier_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False)

    predict, predict_proba, predict_log_proba, decision_function = classifier_methods(
        "AugmentedClassifier"
    )
