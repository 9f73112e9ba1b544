"""Scoring with unlabeled rows: accuracy over the rows whose label is not -1.

Semi-supervised data mark unlabeled rows with -1 (the convention of
:mod:`sklearn.semi_supervised`). A cross-validation split of such data puts
unlabeled rows into the test folds too, where plain accuracy would count
them as errors. :func:`labeled_accuracy_score` and the scorer
:data:`labeled_accuracy` leave them out.
"""

from numbers import Integral

import numpy as np
from sklearn.metrics import accuracy_score, make_scorer

__all__ = ["is_labeled", "labeled_accuracy", "labeled_accuracy_score"]


def is_labeled(y):
    """Mask of the rows of ``y`` whose label is not the integer -1.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels; -1 (an integer, also inside an object array of strings)
        marks an unlabeled row. A numpy string array has no unlabeled rows,
        and may not hold the string ``"-1"``.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype bool

    Raises
    ------
    ValueError
        If a numpy string array holds ``"-1"``, which looks like an
        unlabeled mark but is not one.
    """
    y = np.asarray(y)
    if y.dtype.kind in "US":
        if np.any(y == "-1"):
            raise ValueError(
                "y holds the string '-1'. Unlabeled rows carry the integer -1: with "
                "string class labels, use an array of dtype object, as "
                "SelfTrainingClassifier does."
            )
        return np.ones(len(y), dtype=bool)
    if y.dtype.kind == "O":
        return np.array([not (isinstance(v, Integral) and v == -1) for v in y], dtype=bool)
    return y != -1


def labeled_accuracy_score(y_true, y_pred, *, sample_weight=None):
    """Accuracy over the rows of ``y_true`` that are labeled (not -1).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels; -1 marks an unlabeled row, which is left out.
    y_pred : array-like of shape (n_samples,)
        Predicted labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        The fraction of labeled rows predicted correctly; NaN when no row
        is labeled.

    Examples
    --------
    >>> from skae.metrics import labeled_accuracy_score
    >>> labeled_accuracy_score([0, 1, -1, 1], [0, 0, 1, 1])
    0.666...
    """
    labeled = is_labeled(y_true)
    if not labeled.any():
        return float("nan")
    weights = None if sample_weight is None else np.asarray(sample_weight)[labeled]
    y_true, y_pred = np.asarray(y_true)[labeled], np.asarray(y_pred)[labeled]
    return float(accuracy_score(y_true, y_pred, sample_weight=weights))


labeled_accuracy = make_scorer(labeled_accuracy_score)
"""Scorer for :class:`~sklearn.model_selection.GridSearchCV` and
:func:`~sklearn.model_selection.cross_val_score`: ``scoring=labeled_accuracy``."""
