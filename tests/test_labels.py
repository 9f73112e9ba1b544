"""One rule for unlabeled rows: -1 or "-1", in every container a label can arrive in."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.svm import SVC

from skae import (
    AugmentedClassifier,
    AutoencoderAugmenter,
    AutoencoderClassifier,
    PretrainedClassifier,
)
from skae.metrics import is_labeled, labeled_accuracy, labeled_accuracy_score

pd = pytest.importorskip("pandas")

N_ROWS = 300


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:N_ROWS] / 16, y[:N_ROWS]


LABELED = np.arange(N_ROWS) % 3 == 0  # two rows in three are unlabeled


def _strings(y):
    return [f"c{v}" if keep else "-1" for v, keep in zip(y, LABELED, strict=True)]


def _integers(y):
    return [int(v) if keep else -1 for v, keep in zip(y, LABELED, strict=True)]


# Each container: how to build it from the digit classes, and whether its classes are strings.
CONTAINERS = {
    "numpy-int": (lambda y: np.array(_integers(y)), False),
    "numpy-int8": (lambda y: np.array(_integers(y), dtype=np.int8), False),
    "numpy-float": (lambda y: np.array(_integers(y), dtype=float), False),
    "numpy-str": (lambda y: np.array(_strings(y)), True),
    "object-str": (lambda y: np.array(_strings(y), dtype=object), True),
    "object-str-int-mark": (
        lambda y: np.array([s if s != "-1" else -1 for s in _strings(y)], dtype=object),
        True,
    ),
    "object-str-numpy-marks": (
        lambda y: np.array(
            [
                s if s != "-1" else (np.int8(-1), np.float32(-1.0))[i % 2]
                for i, s in enumerate(_strings(y))
            ],
            dtype=object,
        ),
        True,
    ),
    "list-str": (_strings, True),
    "list-int": (_integers, False),
    "series-int": (lambda y: pd.Series(_integers(y)), False),
    "series-object": (lambda y: pd.Series(_strings(y), dtype=object), True),
    "series-default-str": (lambda y: pd.Series(_strings(y)), True),  # pandas 3: "str"
    "series-string": (lambda y: pd.Series(_strings(y), dtype="string"), True),
    "series-category-str": (lambda y: pd.Series(_strings(y), dtype="category"), True),
    "series-category-int": (lambda y: pd.Series(_integers(y), dtype="category"), False),
}


@pytest.fixture(params=list(CONTAINERS), ids=list(CONTAINERS))
def labels(request, digits):
    """(y in the container, the classes its labeled rows hold)."""
    _, y = digits
    build, strings = CONTAINERS[request.param]
    classes = {f"c{v}" if strings else int(v) for v in y[LABELED]}
    return build(y), classes


def _has_no_unlabeled_class(classes):
    values = set(np.asarray(classes).tolist())
    return "-1" not in values and -1 not in values


def test_is_labeled_marks_minus_one_in_every_container(labels):
    y, _ = labels
    assert_array_equal(is_labeled(y), LABELED)


def test_is_labeled_reads_every_kind_of_minus_one():
    numbers = np.array([np.int64(-1), np.uint8(3), np.float32(-1.0), -1.0, 2, -1], dtype=object)
    assert_array_equal(is_labeled(numbers), [False, True, False, False, True, False])
    assert_array_equal(is_labeled(np.array([b"-1", b"x"])), [False, True])


def test_is_labeled_leaves_other_labels_alone():
    assert_array_equal(is_labeled(["-1.0", "1", "a", "-2", " -1"]), [True] * 5)
    assert_array_equal(is_labeled(np.array([-2, 0, 1, True, None], dtype=object)), [True] * 5)


def test_pretrained_classifier_never_learns_an_unlabeled_class(digits, labels):
    X, _ = digits
    y, classes = labels
    clf = PretrainedClassifier(PCA(8), SVC()).fit(X, y)
    assert set(clf.classes_.tolist()) == classes
    assert _has_no_unlabeled_class(clf.classes_)
    assert _has_no_unlabeled_class(clf.predict(X))
    assert clf.classifier_.n_features_in_ == 8 and len(clf.classifier_.support_) <= 100


def test_augmenter_never_augments_an_unlabeled_row(digits, labels):
    X, _ = digits
    y, classes = labels
    X_aug, y_aug = AutoencoderAugmenter(PCA(8), random_state=0).fit_resample(X, y)
    assert len(X_aug) == N_ROWS + LABELED.sum()
    assert set(np.asarray(y_aug[N_ROWS:]).tolist()) == classes
    clf = AugmentedClassifier(SVC(), AutoencoderAugmenter(PCA(8), random_state=0)).fit(X, y)
    assert clf.n_augmented_ == LABELED.sum()
    assert set(clf.classes_.tolist()) == classes


def test_autoencoder_classifier_never_learns_an_unlabeled_class(digits, labels):
    X, _ = digits
    y, classes = labels
    clf = AutoencoderClassifier(
        8, hidden_layer_sizes=(16,), pretrain_iter=1, max_iter=2, random_state=0, device="cpu"
    ).fit(X, y)
    assert set(clf.classes_.tolist()) == classes
    assert _has_no_unlabeled_class(clf.predict(X))


def test_score_leaves_string_marks_out(digits):
    X, y = digits
    clf = PretrainedClassifier(PCA(8), SVC()).fit(X, [f"c{v}" for v in y])
    predicted = clf.predict(X)
    y_semi = pd.Series(_strings(y))
    expected = np.mean(predicted[LABELED] == np.asarray(y_semi)[LABELED])
    assert clf.score(X, y_semi) == pytest.approx(expected)
    assert labeled_accuracy(clf, X, y_semi) == pytest.approx(expected)
    assert expected > 0.8  # each unlabeled row counted as an error would give below 0.34


@pytest.mark.parametrize("y_true", [[-1, -1], ["-1", "-1"]], ids=["int", "str"])
def test_score_without_labeled_rows_is_nan_with_a_warning(digits, y_true):
    with pytest.warns(UndefinedMetricWarning, match="no labeled row"):
        assert np.isnan(labeled_accuracy_score(y_true, [0, 1]))
    X, y = digits
    clf = PretrainedClassifier(PCA(8), SVC()).fit(X, y)
    with pytest.warns(UserWarning, match="every label of y_true is -1"):
        assert np.isnan(clf.score(X[:10], np.full(10, -1)))
