"""Scoring with unlabeled rows: accuracy over the rows that carry a label.

Semi-supervised data mark unlabeled rows with -1 (the convention of
:mod:`sklearn.semi_supervised`), or with the string ``"-1"`` among string
labels; :func:`is_labeled` states the rule. A cross-validation split of such
data puts unlabeled rows into the test folds too, where plain accuracy would
count them as errors. :func:`labeled_accuracy_score` and the scorer
:data:`labeled_accuracy` leave them out.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, make_scorer

__all__ = ["is_labeled", "labeled_accuracy", "labeled_accuracy_score"]


def _is_mark(label):
    if isinstance(label, str | bytes):
        return label in ("-1", b"-1")
    return isinstance(label, Real) and label == -1


def is_labeled(y):
    """Mask of the rows of ``y`` that carry a label: not -1, not ``"-1"``.

    One rule holds in every container a label can arrive in: a row is
    unlabeled when its label is the number -1 (a Python or numpy integer, or
    a float equal to -1) or the string ``"-1"``. It applies alike to numpy
    integer, float and string arrays, object arrays, Python lists, and pandas
    Series of object, string or categorical dtype, so integer labels and the
    same labels read from a text file (a string column, the default of
    pandas 3) mark the same rows. Every other value is a class label, such as
    ``-2``, ``"-1.0"`` or ``" -1"``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels; -1 or ``"-1"`` marks an unlabeled row.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype bool
        True where the row is labeled.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.metrics import is_labeled
    >>> is_labeled([3, -1, 7])
    array([ True, False,  True])
    >>> is_labeled(np.array(["cat", "-1", "dog"], dtype=object))
    array([ True, False,  True])
    """
    y = np.asarray(y)
    if y.dtype.kind == "U":
        return y != "-1"
    if y.dtype.kind == "S":
        return y != b"-1"
    if y.dtype.kind == "O":
        return np.fromiter((not _is_mark(label) for label in y), dtype=bool, count=len(y))
    return y != -1


def labeled_accuracy_score(y_true, y_pred, *, sample_weight=None):
    """Accuracy over the rows of ``y_true`` that are labeled (not -1 or ``"-1"``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; -1 or ``"-1"`` marks an unlabeled row (see
        :func:`is_labeled`), which is left out.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        The fraction of labeled rows predicted correctly; NaN, with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning`, when no row is
        labeled.

    Examples
    --------
    >>> from skae.metrics import labeled_accuracy_score
    >>> labeled_accuracy_score([0, 1, -1, 1], [0, 0, 1, 1])
    0.666...
    """
    labeled = is_labeled(y_true)
    if not labeled.any():
        warnings.warn(
            "labeled_accuracy_score is nan: every label of y_true is -1 or '-1' (unlabeled), "
            "so there is no labeled row to score.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return float("nan")
    weights = None if sample_weight is None else np.asarray(sample_weight)[labeled]
    y_true, y_pred = np.asarray(y_true)[labeled], np.asarray(y_pred)[labeled]
    return float(accuracy_score(y_true, y_pred, sample_weight=weights))


labeled_accuracy = make_scorer(labeled_accuracy_score)
"""Scorer for :class:`~sklearn.model_selection.GridSearchCV` and
:func:`~sklearn.model_selection.cross_val_score`: ``scoring=labeled_accuracy``."""
