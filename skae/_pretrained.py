"""PretrainedClassifier: unlabeled pretraining of a transformer for any classifier."""

from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from skae._semi_supervised import LabeledScoreMixin, inner_classifier_has
from skae.metrics import is_labeled


class PretrainedClassifier(MetaEstimatorMixin, LabeledScoreMixin, BaseEstimator):
    """Fit a transformer on all rows and a classifier on the labeled ones.

    Semi-supervised learning for any scikit-learn classifier: ``fit(X, y)``
    fits ``transformer`` on every row of ``X`` without labels, then
    ``classifier`` on the transformed rows whose label is not -1 (the
    convention of :mod:`sklearn.semi_supervised`). With an autoencoder as the
    transformer, a plain SVC, random forest or logistic regression profits
    from images that nobody labeled.

    Read more in the :ref:`User Guide <pretrained_classifier>`.

    Parameters
    ----------
    transformer : estimator
        Fitted on all rows, unsupervised (``fit(X)``), then used through
        ``transform``: e.g. :class:`AutoencoderTransformer`,
        :class:`~sklearn.decomposition.PCA`, or a pipeline of them (an
        autoencoder then a :class:`~sklearn.preprocessing.StandardScaler`).

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
            Class labels; -1 marks an unlabeled row.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        X, y = validate_data(self, X, y, ensure_all_finite=False)
        labeled = is_labeled(y)
        if not labeled.any():
            raise ValueError("PretrainedClassifier needs at least one labeled row (not -1).")
        transformer = clone(self.transformer).fit(X, None)  # unsupervised: no labels
        classifier = clone(self.classifier).fit(transformer.transform(X[labeled]), y[labeled])
        self.transformer_, self.classifier_ = transformer, classifier
        self.classes_ = classifier.classes_
        return self

    def _features(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite=False)
        return self.transformer_.transform(X)

    def predict(self, X):
        """Predict the class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        features = self._features(X)
        return self.classifier_.predict(features)

    @available_if(inner_classifier_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of each row, from the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        features = self._features(X)
        return self.classifier_.predict_proba(features)

    @available_if(inner_classifier_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of the class probabilities of each row, from the classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        features = self._features(X)
        return self.classifier_.predict_log_proba(features)

    @available_if(inner_classifier_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the classifier on each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        features = self._features(X)
        return self.classifier_.decision_function(features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = clone(self.classifier).__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.classifier_tags = inner.classifier_tags
        return tags
