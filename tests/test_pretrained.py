"""PretrainedClassifier and the labeled-accuracy scorer."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer, PretrainedClassifier
from skae.metrics import is_labeled, labeled_accuracy, labeled_accuracy_score

UNLABELED = -1


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    y_scarce = np.where(np.arange(len(y)) % 10 == 0, y, UNLABELED)
    return (X / 16).astype(np.float32), y, y_scarce


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression that remembers what it was fitted on."""

    def fit(self, X, y):
        self.seen_ = (X.shape, np.asarray(y).copy())
        self.model_ = LogisticRegression(max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class RecordingPCA(PCA):
    def fit(self, X, y=None):
        self.seen_rows_ = len(X)
        return super().fit(X)


def test_transformer_sees_every_row_classifier_only_labeled_ones(digits):
    X, _, y_scarce = digits
    clf = PretrainedClassifier(RecordingPCA(8), RecordingClassifier()).fit(X, y_scarce)
    assert clf.transformer_.seen_rows_ == len(X)
    shape, labels = clf.classifier_.seen_
    labeled = y_scarce != UNLABELED
    assert shape == (labeled.sum(), 8)
    assert UNLABELED not in labels
    assert_array_equal(labels, y_scarce[labeled])
    assert_array_equal(clf.classes_, np.arange(10))


def test_unlabeled_images_help_a_plain_classifier(digits):
    X, y, y_scarce = digits
    labeled = y_scarce != UNLABELED
    pipe = make_pipeline(AutoencoderTransformer(16, max_iter=100, random_state=0), StandardScaler())
    with_unlabeled = PretrainedClassifier(pipe, SVC()).fit(X[:1500], y_scarce[:1500])
    labeled_only = PretrainedClassifier(pipe, SVC()).fit(
        X[:1500][labeled[:1500]], y[:1500][labeled[:1500]]
    )
    assert with_unlabeled.transformer_[0].n_features_in_ == 64
    assert with_unlabeled.score(X[1500:], y[1500:]) > labeled_only.score(X[1500:], y[1500:])


@pytest.mark.parametrize(
    "classifier, methods",
    [
        (LogisticRegression(), {"predict_proba", "predict_log_proba", "decision_function"}),
        (SVC(), {"decision_function"}),
        (RecordingClassifier(), set()),
    ],
    ids=["logreg", "svc", "predict-only"],
)
def test_methods_exist_exactly_when_the_classifier_has_them(digits, classifier, methods):
    X, _, y_scarce = digits
    clf = PretrainedClassifier(PCA(8), classifier)
    optional = {"predict_proba", "predict_log_proba", "decision_function"}
    assert {m for m in optional if hasattr(clf, m)} == methods
    clf.fit(X, y_scarce)
    assert {m for m in optional if hasattr(clf, m)} == methods
    for method in methods:
        assert len(getattr(clf, method)(X[:4])) == 4


def test_in_grid_search_with_two_jobs_and_unlabeled_rows(digits):
    X, _, y_scarce = digits
    clf = PretrainedClassifier(
        AutoencoderTransformer(max_iter=100, random_state=0), LogisticRegression(max_iter=500)
    )
    grid = {"transformer__n_components": [8, 16]}
    search = GridSearchCV(clf, grid, cv=2, n_jobs=2).fit(X, y_scarce)
    assert search.best_params_["transformer__n_components"] in (8, 16)
    scores = search.cv_results_["mean_test_score"]
    # Plain accuracy would count the 90% unlabeled test rows as errors: below 0.1.
    assert np.isfinite(scores).all() and (scores > 0.5).all()


def test_score_and_scorer_leave_unlabeled_rows_out(digits):
    X, y, y_scarce = digits
    clf = PretrainedClassifier(PCA(16), LogisticRegression(max_iter=500)).fit(X, y)
    predicted = clf.predict(X)
    labeled = y_scarce != UNLABELED
    expected = np.mean(predicted[labeled] == y[labeled])
    assert clf.score(X, y_scarce) == pytest.approx(expected)
    assert labeled_accuracy(clf, X, y_scarce) == pytest.approx(expected)
    assert labeled_accuracy_score(y_scarce, predicted) == pytest.approx(expected)
    # Plain accuracy would count every unlabeled row as an error.
    assert np.mean(predicted == y_scarce) < expected / 5
    scores = cross_val_score(
        LogisticRegression(max_iter=500), X, y_scarce, scoring=labeled_accuracy
    )
    assert np.isfinite(scores).all()


def test_is_labeled_rules():
    assert_array_equal(is_labeled(np.array([0, -1, 2])), [True, False, True])
    assert_array_equal(is_labeled(np.array(["a", -1, "b"], dtype=object)), [True, False, True])
    assert_array_equal(is_labeled(np.array(["a", "b"])), [True, True])
    assert_array_equal(is_labeled(np.array(["a", "-1"])), [True, False])


def test_needs_a_labeled_row(digits):
    X, _, _ = digits
    with pytest.raises(ValueError, match="at least one labeled row"):
        PretrainedClassifier(PCA(4), SVC()).fit(X[:20], np.full(20, UNLABELED))
