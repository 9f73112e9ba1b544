"""AutoencoderAugmenter and AugmentedClassifier."""

import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.svm import SVC

from skae import (
    AugmentedClassifier,
    AutoencoderAugmenter,
    AutoencoderTransformer,
    VariationalAutoencoder,
)

UNLABELED = -1


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def fitted_autoencoder(digits):
    X, _ = digits
    return AutoencoderTransformer(16, max_iter=30, random_state=0, device="cpu").fit(X)


@pytest.fixture(scope="module")
def frozen(fitted_autoencoder):
    return FrozenEstimator(fitted_autoencoder)


def _weights(autoencoder):
    return {name: p.detach().clone() for name, p in autoencoder.module_.state_dict().items()}


@pytest.mark.parametrize("method", ["interpolate", "noise"])
def test_synthetic_rows_are_labeled_like_their_source(digits, frozen, method):
    X, y = digits
    augmenter = AutoencoderAugmenter(frozen, n_per_sample=3, method=method, random_state=0)
    X_aug, y_aug = augmenter.fit_resample(X[:200], y[:200])
    assert X_aug.shape == (800, 64) and y_aug.shape == (800,)
    assert_array_equal(X_aug[:200], X[:200])
    assert_array_equal(y_aug[200:], np.repeat(y[:200], 3))
    # A synthetic row looks like its class: nearest real class mean is its label's, mostly.
    means = np.stack([X[:200][y[:200] == c].mean(axis=0) for c in range(10)])
    nearest = np.argmin(((X_aug[200:, None, :] - means) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == y_aug[200:]) > 0.7


def test_unlabeled_rows_pass_through_and_are_not_augmented(digits, frozen):
    X, y = digits
    y_scarce = np.where(np.arange(100) % 4 == 0, y[:100], UNLABELED)
    X_aug, y_aug = AutoencoderAugmenter(frozen, random_state=0).fit_resample(X[:100], y_scarce)
    assert len(X_aug) == 100 + 25
    assert UNLABELED not in y_aug[100:]
    assert_array_equal(y_aug[:100], y_scarce)


def test_no_labeled_row_is_a_clear_error(digits, frozen):
    X, _ = digits
    for y in (np.full(20, UNLABELED), np.full(20, "-1", dtype=object)):
        with pytest.raises(ValueError, match="no labeled row"):
            AutoencoderAugmenter(frozen).fit_resample(X[:20], y)


def test_unfitted_autoencoder_is_cloned_and_fitted(digits):
    X, y = digits
    fresh = AutoencoderTransformer(4, max_iter=2, device="cpu")
    augmenter = AutoencoderAugmenter(fresh)
    X_aug, _ = augmenter.fit_resample(X[:50], y[:50])
    assert X_aug.shape == (100, 64)
    assert augmenter.autoencoder_ is not fresh and not hasattr(fresh, "module_")
    assert augmenter.autoencoder_.n_features_in_ == 64


def test_frozen_autoencoder_is_used_as_it_is(digits, fitted_autoencoder, frozen):
    X, y = digits
    before = _weights(fitted_autoencoder)
    # Noise of level 0: each synthetic row is the frozen model's reconstruction of its source.
    augmenter = AutoencoderAugmenter(frozen, method="noise", noise_level=0, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*FrozenEstimator")
        X_aug, _ = augmenter.fit_resample(X[:50], y[:50])
    assert augmenter.autoencoder_ is frozen
    assert fitted_autoencoder.n_iter_ == 30 and fitted_autoencoder.n_features_in_ == 64
    for name, weight in _weights(fitted_autoencoder).items():
        assert torch.equal(weight, before[name]), name
    reconstruction = fitted_autoencoder.inverse_transform(fitted_autoencoder.transform(X[:50]))
    assert_allclose(X_aug[50:], reconstruction, rtol=1e-6)


def test_fitted_autoencoder_not_frozen_is_refitted_with_a_warning(digits):
    X, y = digits
    fitted = AutoencoderTransformer(4, max_iter=2, random_state=0, device="cpu").fit(X)
    before = _weights(fitted)
    augmenter = AutoencoderAugmenter(fitted, random_state=0)
    with pytest.warns(
        UserWarning, match=r"already fitted.*FrozenEstimator\(autoencoder\)"
    ) as record:
        augmenter.fit_resample(X[:50], y[:50])
    assert record[0].filename == __file__  # it points at the call that refits
    assert augmenter.autoencoder_ is not fitted
    assert augmenter.autoencoder_.n_iter_ == 2 and fitted.n_iter_ == 2
    for name, weight in _weights(fitted).items():
        assert torch.equal(weight, before[name]), name
    clf = AugmentedClassifier(SVC(), AutoencoderAugmenter(fitted, random_state=0))
    with pytest.warns(UserWarning, match="augmenter__autoencoder.*FrozenEstimator"):
        clf.fit(X[:50], y[:50])
    assert clf.augmenter_.autoencoder_ is not fitted


def test_frozen_autoencoder_is_never_refitted_by_a_search(digits, frozen, monkeypatch):
    X, y = digits
    autoencoder = frozen.estimator
    before = _weights(autoencoder)
    codes = autoencoder.transform(X[:20])
    fits = []

    def recording_fit(self, X, y=None):
        fits.append(len(X))
        return self

    monkeypatch.setattr(AutoencoderTransformer, "fit", recording_fit)
    monkeypatch.setattr(AutoencoderTransformer, "partial_fit", recording_fit)
    clf = AugmentedClassifier(SVC(), AutoencoderAugmenter(frozen, random_state=0))
    clf.fit(X[:200], y[:200])
    assert clf.augmenter_.autoencoder_ is frozen and clf.n_augmented_ == 200
    result = cross_validate(clf, X[:300], y[:300], cv=3, return_estimator=True)
    assert all(est.augmenter_.autoencoder_ is frozen for est in result["estimator"])
    assert (result["test_score"] > 0.8).all()
    search = GridSearchCV(clf, {"augmenter__n_per_sample": [1, 2]}, cv=2).fit(X[:200], y[:200])
    assert search.best_estimator_.augmenter_.autoencoder_ is frozen
    assert fits == []
    for name, weight in _weights(autoencoder).items():
        assert torch.equal(weight, before[name]), name
    assert_array_equal(autoencoder.transform(X[:20]), codes)


def test_reproducible_with_random_state(digits, frozen):
    X, y = digits

    def run(seed):
        return AutoencoderAugmenter(frozen, random_state=seed).fit_resample(X[:80], y[:80])[0]

    assert_array_equal(run(1), run(1))
    assert not np.allclose(run(1), run(2))


def test_posterior_method_needs_a_variational_autoencoder(digits, frozen):
    X, y = digits
    with pytest.raises(ValueError, match="method='posterior' needs a VariationalAutoencoder"):
        AutoencoderAugmenter(frozen, method="posterior").fit_resample(X[:20], y[:20])
    vae = VariationalAutoencoder(8, loss="bce", max_iter=5, random_state=0, device="cpu").fit(X)
    augmenter = AutoencoderAugmenter(FrozenEstimator(vae), method="posterior", random_state=0)
    X_aug, y_aug = augmenter.fit_resample(X[:40], y[:40])
    assert X_aug.shape == (80, 64) and (X_aug[40:] >= 0).all() and (X_aug[40:] <= 1).all()
    assert X_aug.dtype == np.float32


def test_posterior_draws_keep_a_float64_model_float64(digits):
    X, y = digits
    X = X[:200].astype(np.float64)
    vae = VariationalAutoencoder(
        8, loss="bce", precision="float64", max_iter=5, random_state=0, device="cpu"
    ).fit(X)
    augmenter = AutoencoderAugmenter(FrozenEstimator(vae), method="posterior", random_state=0)
    X_aug, _ = augmenter.fit_resample(X[:40], y[:40])
    assert X_aug.dtype == np.float64
    # The draws are those of the public posterior, computed in float64 from float64 rows.
    mean, std = vae.posterior(X[:40])
    noise = np.random.RandomState(0).standard_normal(mean.shape)
    assert_allclose(X_aug[40:], vae.inverse_transform(mean + std * noise), rtol=1e-12, atol=0)


class GaussianPCA(PCA):
    """PCA with a made-up Gaussian posterior: the public API is all the augmenter needs."""

    def posterior(self, X):
        mean = self.transform(X)
        return mean, np.full_like(mean, 0.01)


def test_posterior_method_uses_only_the_public_posterior(digits):
    X, y = digits
    augmenter = AutoencoderAugmenter(GaussianPCA(8), method="posterior", random_state=0)
    X_aug, y_aug = augmenter.fit_resample(X[:40], y[:40])
    pca = augmenter.autoencoder_
    codes = pca.transform(X[:40])
    noise = np.random.RandomState(0).standard_normal(codes.shape)
    assert_allclose(X_aug[40:], pca.inverse_transform(codes + 0.01 * noise), rtol=1e-5, atol=1e-6)
    assert not np.allclose(X_aug[40:], pca.inverse_transform(codes), atol=1e-3)
    assert_array_equal(y_aug[40:], y[:40])


def test_augmented_classifier_never_augments_at_predict(digits, frozen, monkeypatch):
    X, y = digits
    augmenter = AutoencoderAugmenter(frozen, random_state=0)
    clf = AugmentedClassifier(SVC(), augmenter).fit(X[:300], y[:300])
    assert clf.n_augmented_ == 300 and clf.classifier_.n_features_in_ == 64
    assert clf.classifier_.support_vectors_.shape[0] > 0
    calls = []
    monkeypatch.setattr(AutoencoderAugmenter, "fit_resample", lambda *a: calls.append(1))
    predicted = clf.predict(X[300:400])
    assert calls == [] and len(predicted) == 100
    assert clf.score(X[300:], y[300:]) > 0.8


@pytest.mark.parametrize(
    "classifier, methods",
    [
        (
            LogisticRegression(max_iter=500),
            {"predict_proba", "predict_log_proba", "decision_function"},
        ),
        (SVC(), {"decision_function"}),
    ],
    ids=["logreg", "svc"],
)
def test_methods_exist_exactly_when_the_classifier_has_them(digits, classifier, methods):
    X, y = digits
    clf = AugmentedClassifier(classifier, AutoencoderAugmenter(PCA(8), random_state=0))
    optional = {"predict_proba", "predict_log_proba", "decision_function"}
    assert {m for m in optional if hasattr(clf, m)} == methods
    with pytest.raises(NotFittedError):
        clf.predict(X[:4])
    clf.fit(X[:200], y[:200])
    assert {m for m in optional if hasattr(clf, m)} == methods
    for method in methods:
        assert_array_equal(getattr(clf, method)(X[:4]), getattr(clf.classifier_, method)(X[:4]))
