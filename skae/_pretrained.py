"""PretrainedClassifier: unlabeled pretraining of a transformer for any classifier."""

from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._semi_supervised import (
    LabeledScoreMixin,
    check_labeled,
    classifier_methods,
    label_array,
)


class PretrainedClassifier(MetaEstimatorMixin, LabeledScoreMixin, BaseEstimator):
    """Fit a transformer on all rows and a classifier on the labeled ones.

    Semi-supervised learning for any scikit-learn classifier: ``fit(X, y)``
    fits ``transformer`` on every row of ``X`` without labels, then
    ``classifier`` on the transformed rows that are labeled: a label of -1
    (the convention of :mod:`sklearn.semi_supervised`) or ``"-1"`` marks an
    unlabeled row, in any container (:func:`skae.metrics.is_labeled`).
    ``predict`` and the other methods transform the rows and pass them to
    the classifier; ``predict_proba``, ``predict_log_proba`` and
    ``decision_function`` exist exactly when it has them. With an
    autoencoder as the transformer, a plain SVC, random forest or logistic
    regression profits from images that nobody labeled.

    Read more in the :ref:`User Guide <pretrained_classifier>`.

    Parameters
    ----------
    transformer : estimator
        Fitted on all rows, unsupervised (``fit(X)``), then used through
        ``transform``: e.g. :class:`AutoencoderTransformer`,
        :class:`~sklearn.decomposition.PCA`, or a pipeline of them (an
        autoencoder then a :class:`~sklearn.preprocessing.StandardScaler`).
        A clone of it is fitted; a transformer fitted beforehand is used as
        it is only when wrapped in :class:`~sklearn.frozen.FrozenEstimator`.

    classifier : estimator
        Fitted on the transformed labeled rows.

    Attributes
    ----------
    transformer_ : estimator
        The fitted clone of ``transformer``.

    classifier_ : estimator
        The fitted clone of ``classifier``.

    classes_ : ndarray of shape (n_classes,)
        The class labels, from the labeled rows.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    AutoencoderClassifier : Fine-tunes the pretrained encoder itself.
    sklearn.semi_supervised.SelfTrainingClassifier : Pseudo-labels for any classifier.

    Notes
    -----
    ``score`` is the accuracy over the labeled rows of ``y`` only, so that a
    grid search over data with unlabeled rows scores what it can. For other
    estimators in the same search, pass ``scoring=skae.metrics.labeled_accuracy``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.svm import SVC
    >>> from skae import AutoencoderTransformer, PretrainedClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> y_scarce = np.where(np.arange(len(y)) % 10 == 0, y, -1)  # 10% labeled
    >>> clf = PretrainedClassifier(
    ...     AutoencoderTransformer(16, max_iter=5, random_state=0), SVC()
    ... ).fit(X / 16, y_scarce)
    >>> clf.classifier_.n_features_in_
    16
    """

    _parameter_constraints: dict = {
        "transformer": [HasMethods(["fit", "transform"])],
        "classifier": [HasMethods(["fit", "predict"])],
    }

    def __init__(self, transformer, classifier):
        self.transformer = transformer
        self.classifier = classifier

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the transformer on all rows, the classifier on the labeled ones.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, labeled and unlabeled rows together.

        y : array-like of shape (n_samples,)
            Class labels; -1 or ``"-1"`` marks an unlabeled row.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        X, y = validate_data(self, X, y, ensure_all_finite=False)
        y = label_array(y)
        labeled = check_labeled(y, self)
        transformer = clone(self.transformer).fit(X, None)  # unsupervised: no labels
        classifier = clone(self.classifier).fit(transformer.transform(X[labeled]), y[labeled])
        self.transformer_, self.classifier_ = transformer, classifier
        self.classes_ = classifier.classes_
        return self

    def _classifier_input(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite=False)
        return self.transformer_.transform(X)

    predict, predict_proba, predict_log_proba, decision_function = classifier_methods(
        "PretrainedClassifier"
    )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = clone(self.classifier).__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.classifier_tags = inner.classifier_tags
        return tags
