"""What skae's classifiers share about unlabeled rows (labeled -1 or "-1").

The rule itself is :func:`skae.metrics.is_labeled`. Here: the check that some
row is labeled, the ``score`` over labeled rows, and the prediction methods of
a meta-estimator that passes rows on to its fitted ``classifier_``.
"""

from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.metaestimators import available_if

from skae.metrics import is_labeled, labeled_accuracy_score


def label_array(y):
    """``y`` as an array; an object array of integers as int64.

    scikit-learn calls integers in an object array (a pandas column of
    mixed types, labels read one by one) an "unknown" target and refuses
    them; they are classes like any other.
    """
    y = np.asarray(y)
    if y.dtype == object and all(
        isinstance(v, Integral) and not isinstance(v, bool) for v in y.ravel()
    ):
        return y.astype(np.int64)
    return y


def check_labeled(y, estimator):
    """Mask of the labeled rows of ``y``; a ValueError naming ``estimator`` if there is none.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels; -1 or ``"-1"`` marks an unlabeled row.

    estimator : object
        The estimator being fitted, named in the error.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype bool
        True where the row is labeled.
    """
    labeled = is_labeled(y)
    if not labeled.any():
        raise ValueError(
            f"{type(estimator).__name__} got no labeled row: every label of y is -1 or '-1', "
            "which marks an unlabeled row. It needs at least one labeled row."
        )
    return labeled


class LabeledScoreMixin(ClassifierMixin):
    """``score`` is the accuracy over the labeled rows: those labeled -1 are left out."""

    def score(self, X, y, sample_weight=None):
        """Accuracy over the labeled rows of ``y`` (rows labeled -1 are left out).

        A cross-validation split of semi-supervised data puts unlabeled rows
        in the test folds too; plain accuracy would count each as an error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test rows.

        y : array-like of shape (n_samples,)
            True labels; -1 or ``"-1"`` marks an unlabeled row.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, of the labeled rows and the others alike.

        Returns
        -------
        score : float
            :func:`~skae.metrics.labeled_accuracy_score` of ``y`` and
            ``self.predict(X)``.
        """
        return labeled_accuracy_score(y, self.predict(X), sample_weight=sample_weight)


def inner_classifier_has(method):
    """An ``available_if`` check: the (fitted, else unfitted) ``classifier`` has ``method``."""

    def check(self):
        getattr(self.classifier_ if hasattr(self, "classifier_") else self.classifier, method)
        return True

    return check


_RETURNS = {
    "predict": "y : ndarray of shape (n_samples,)",
    "predict_proba": "proba : ndarray of shape (n_samples, n_classes)",
    "predict_log_proba": "log_proba : ndarray of shape (n_samples, n_classes)",
    "decision_function": "scores : ndarray of shape (n_samples,) or (n_samples, n_classes)",
}


def _passed_on(method, owner):
    """``owner.method(X)``: the fitted ``classifier_``'s, on ``self._classifier_input(X)``.

    Available exactly when the classifier has ``method``.
    """

    def passed_on(self, X):
        X = self._classifier_input(X)  # checks the fit first
        return getattr(self.classifier_, method)(X)

    passed_on.__name__ = method
    passed_on.__qualname__ = f"{owner}.{method}"
    passed_on.__doc__ = f"""Return the fitted classifier's ``{method}`` for each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        {_RETURNS[method]}
        """
    return available_if(inner_classifier_has(method))(passed_on)


def classifier_methods(owner):
    """``predict``, ``predict_proba``, ``predict_log_proba`` and ``decision_function``.

    For a meta-estimator class named ``owner`` that defines
    ``_classifier_input(X)``, the checked rows ``X`` as its fitted
    ``classifier_`` sees them: each method passes them on to the classifier's
    method of the same name, and exists exactly when the classifier has it.
    Assign them in the class body, so that they are the class's own::

        predict, predict_proba, predict_log_proba, decision_function = classifier_methods(
            "PretrainedClassifier"
        )
    """
    return tuple(_passed_on(method, owner) for method in _RETURNS)
