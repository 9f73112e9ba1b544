"""The data of a comparison: a training set for the reducers, its labeled part, a test set."""

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from skae.datasets import fetch_fashion_mnist, fetch_mnist

DATASETS = ("digits", "fashion-mnist", "mnist")
DIGITS_TEST_FRACTION = 0.25


@dataclass(frozen=True)
class ComparisonData:
    """Arrays for one comparison run.

    Reducers (PCA, the autoencoders) are fit on all of ``X_train``, unlabeled;
    classifiers see only ``X_labeled`` and ``y_labeled``, a subset of it.
    ``y_train`` labels every training image, with -1 for the unlabeled ones
    (the semi-supervised convention), for the estimators that take both.
    ``image_shape`` is the ``(height, width)`` of the images in each row.
    """

    dataset: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_labeled: np.ndarray
    y_labeled: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    target_names: np.ndarray
    image_shape: tuple


def load_comparison_data(
    dataset="digits", *, n_train=None, n_test=None, labels_per_class=None, random_state=0,
    data_home=None, download_if_missing=True,
):  # fmt: skip
    """Load a data set, split it and pick the labeled training images.

    Parameters
    ----------
    dataset : {"digits", "fashion-mnist", "mnist"}, default="digits"
        ``"digits"`` is scikit-learn's embedded 8x8 digits (no download),
        split 75/25 stratified. The MNIST-style sets use their official
        train/test split.

    n_train, n_test : int, default=None
        Stratified random subsets of the training and test sets; None keeps
        them whole.

    labels_per_class : int, default=None
        If given, only this many training images per class keep their label
        (the label-scarce setting); the rest are used unlabeled.

    random_state : int, default=0
        Seed of the split and of the subsets.

    data_home : str or path-like, default=None
        Passed to the fetchers of :mod:`skae.datasets`.

    download_if_missing : bool, default=True
        Passed to the fetchers of :mod:`skae.datasets`.

    Returns
    -------
    ComparisonData
        The arrays, float32 pixels in [0, 1] and integer labels.

    Raises
    ------
    ValueError
        If a subset size is larger than the data, or a class has fewer than
        ``labels_per_class`` training images.
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset={dataset!r} is not one of {DATASETS}.")
    if dataset == "digits":
        digits = load_digits()
        X = (digits.data / 16).astype(np.float32)
        X_train, X_test, y_train, y_test = train_test_split(
            X,
            digits.target,
            test_size=DIGITS_TEST_FRACTION,
            stratify=digits.target,
            random_state=random_state,
        )
        target_names = digits.target_names.astype(str)
        image_shape = (8, 8)
    else:
        fetch = fetch_fashion_mnist if dataset == "fashion-mnist" else fetch_mnist
        options = {"data_home": data_home, "download_if_missing": download_if_missing}
        train = fetch(subset="train", **options)
        X_train, y_train = train.data, train.target
        X_test, y_test = fetch(subset="test", return_X_y=True, **options)
        target_names = train.target_names
        image_shape = train.images.shape[1:]
    X_train, y_train = _stratified_subset(X_train, y_train, n_train, "n_train", random_state)
    X_test, y_test = _stratified_subset(X_test, y_test, n_test, "n_test", random_state)
    if labels_per_class is None:
        X_labeled, y_labeled, y_semi = X_train, y_train, y_train
    else:
        labeled = _labeled_indices(y_train, labels_per_class, random_state)
        X_labeled, y_labeled = X_train[labeled], y_train[labeled]
        y_semi = np.full_like(y_train, -1)
        y_semi[labeled] = y_labeled
    return ComparisonData(
        dataset, X_train, y_semi, X_labeled, y_labeled, X_test, y_test, target_names, image_shape
    )


def _stratified_subset(X, y, size, name, random_state):
    if size is None or size == len(X):
        return X, y
    if size > len(X):
        raise ValueError(f"{name}={size} is larger than the {len(X)} images available.")
    n_classes = len(np.unique(y))
    if not n_classes <= size <= len(X) - n_classes:
        # A stratified split needs every class on both sides of the cut.
        raise ValueError(
            f"{name}={size}: a stratified subset needs between {n_classes} and "
            f"{len(X) - n_classes} of the {len(X)} images (or all of them)."
        )
    X_subset, _, y_subset, _ = train_test_split(
        X, y, train_size=size, stratify=y, random_state=random_state
    )
    return X_subset, y_subset


def _labeled_indices(y, labels_per_class, random_state):
    rng = check_random_state(random_state)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < labels_per_class:
        scarce = classes[counts.argmin()]
        raise ValueError(
            f"labels_per_class={labels_per_class} but class {scarce} has only "
            f"{counts.min()} training images; lower it or raise n_train."
        )
    picks = [rng.choice(np.flatnonzero(y == c), labels_per_class, replace=False) for c in classes]
    return np.sort(np.concatenate(picks))
