"""AutoencoderAugmenter and AugmentedClassifier."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
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


@pytest.mark.parametrize("method", ["interpolate", "noise"])
def test_synthetic_rows_are_labeled_like_their_source(digits, fitted_autoencoder, method):
    X, y = digits
    augmenter = AutoencoderAugmenter(
        fitted_autoencoder, n_per_sample=3, method=method, random_state=0
    )
    X_aug, y_aug = augmenter.fit_resample(X[:200], y[:200])
    assert X_aug.shape == (800, 64) and y_aug.shape == (800,)
    assert_array_equal(X_aug[:200], X[:200])
    assert_array_equal(y_aug[200:], np.repeat(y[:200], 3))
    # A synthetic row looks like its class: nearest real class mean is its label's, mostly.
    means = np.stack([X[:200][y[:200] == c].mean(axis=0) for c in range(10)])
    nearest = np.argmin(((X_aug[200:, None, :] - means) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == y_aug[200:]) > 0.7


def test_unlabeled_rows_pass_through_and_are_not_augmented(digits, fitted_autoencoder):
    X, y = digits
    y_scarce = np.where(np.arange(100) % 4 == 0, y[:100], UNLABELED)
    X_aug, y_aug = AutoencoderAugmenter(fitted_autoencoder, random_state=0).fit_resample(
        X[:100], y_scarce
    )
    assert len(X_aug) == 100 + 25
    assert UNLABELED not in y_aug[100:]
    assert_array_equal(y_aug[:100], y_scarce)


def test_fitted_autoencoder_is_used_as_is_unfitted_is_cloned(digits, fitted_autoencoder):
    X, y = digits
    used = AutoencoderAugmenter(fitted_autoencoder).fit_resample(X[:50], y[:50])
    assert used[0].shape[0] == 100
    augmenter = AutoencoderAugmenter(fitted_autoencoder)
    augmenter.fit_resample(X[:50], y[:50])
    assert augmenter.autoencoder_ is fitted_autoencoder
    fresh = AutoencoderTransformer(4, max_iter=2, device="cpu")
    augmenter = AutoencoderAugmenter(fresh)
    augmenter.fit_resample(X[:50], y[:50])
    assert augmenter.autoencoder_ is not fresh and not hasattr(fresh, "module_")
    assert augmenter.autoencoder_.n_features_in_ == 64


def test_reproducible_with_random_state(digits, fitted_autoencoder):
    X, y = digits

    def run(seed):
        return AutoencoderAugmenter(fitted_autoencoder, random_state=seed).fit_resample(
            X[:80], y[:80]
        )[0]

    assert_array_equal(run(1), run(1))
    assert not np.allclose(run(1), run(2))


def test_posterior_method_needs_a_variational_autoencoder(digits, fitted_autoencoder):
    X, y = digits
    with pytest.raises(ValueError, match="method='posterior' needs a VariationalAutoencoder"):
        AutoencoderAugmenter(fitted_autoencoder, method="posterior").fit_resample(X[:20], y[:20])
    vae = VariationalAutoencoder(8, loss="bce", max_iter=5, random_state=0, device="cpu").fit(X)
    X_aug, y_aug = AutoencoderAugmenter(vae, method="posterior", random_state=0).fit_resample(
        X[:40], y[:40]
    )
    assert X_aug.shape == (80, 64) and (X_aug[40:] >= 0).all() and (X_aug[40:] <= 1).all()


def test_augmented_classifier_never_augments_at_predict(digits, fitted_autoencoder, monkeypatch):
    X, y = digits
    augmenter = AutoencoderAugmenter(fitted_autoencoder, random_state=0)
    clf = AugmentedClassifier(SVC(), augmenter).fit(X[:300], y[:300])
    assert clf.n_augmented_ == 300 and clf.classifier_.n_features_in_ == 64
    assert clf.classifier_.support_vectors_.shape[0] > 0
    calls = []
    monkeypatch.setattr(AutoencoderAugmenter, "fit_resample", lambda *a: calls.append(1))
    predicted = clf.predict(X[300:400])
    assert calls == [] and len(predicted) == 100
    assert clf.score(X[300:], y[300:]) > 0.8
