"""VariationalAutoencoder: posterior-mean codes, the KL weight, scores and sampling."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError

from skae import VariationalAutoencoder
from skae import nn as engine


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32)


def _vae(**params):
    defaults = dict(n_components=4, loss="bce", max_iter=30, random_state=0, device="cpu")
    return VariationalAutoencoder(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted(digits):
    return _vae().fit(digits)


def test_transform_is_the_posterior_mean(digits, fitted):
    codes = fitted.transform(digits)
    with torch.inference_mode():
        mean, log_var = fitted.module_.posterior(torch.from_numpy(digits))
    assert_array_equal(codes, mean.numpy())
    assert_array_equal(fitted.transform(digits), codes)  # no random draw at inference
    assert log_var.shape == mean.shape == (len(digits), 4)


def test_sample_shape_range_and_dtype(fitted):
    samples = fitted.sample(7, random_state=0)
    assert samples.shape == (7, 64)
    assert samples.dtype == np.float32
    assert samples.min() >= 0 and samples.max() <= 1  # loss="bce": sigmoid outputs


def test_sample_is_reproducible_with_random_state(fitted):
    assert_array_equal(fitted.sample(5, random_state=3), fitted.sample(5, random_state=3))
    assert not np.allclose(fitted.sample(5, random_state=3), fitted.sample(5, random_state=4))
    assert not np.allclose(fitted.sample(5), fitted.sample(5))


def test_sample_leaves_global_random_state_alone(fitted):
    np.random.seed(0)
    torch.manual_seed(0)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    fitted.sample(3)
    fitted.sample(3, random_state=1)
    assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_samples_decode_codes_drawn_from_the_prior(fitted):
    codes = np.random.RandomState(5).standard_normal((4, 4)).astype(np.float32)
    assert_allclose(fitted.sample(4, random_state=5), fitted.inverse_transform(codes))


def test_sample_before_fit_raises():
    with pytest.raises(NotFittedError):
        _vae().sample(2)


def test_sample_rejects_non_positive_counts(fitted):
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        fitted.sample(0)


def test_score_samples_is_the_negative_loss_at_the_posterior_mean(digits, fitted):
    scores = fitted.score_samples(digits[:50])
    x = torch.from_numpy(digits[:50])
    with torch.inference_mode():
        mean, log_var = fitted.module_.posterior(x)
        reconstruction = engine.ReconstructionLoss("bce").per_sample(
            fitted.module_.decoder(mean), x
        )
        kl = 0.5 * (log_var.exp() + mean.square() - 1 - log_var).sum(dim=1)
    assert_allclose(-scores, (reconstruction + kl / 64).numpy(), rtol=1e-5)
    assert fitted.score(digits[:50]) == pytest.approx(scores.mean(), rel=1e-6)


def test_score_samples_is_greater_for_training_like_data(digits, fitted):
    noise = np.random.default_rng(0).random((50, 64)).astype(np.float32)
    assert np.median(fitted.score_samples(digits)) > fitted.score_samples(noise).max()


def test_larger_beta_pulls_posteriors_to_the_prior(digits):
    def kl(est):
        with torch.inference_mode():
            mean, log_var = est.module_.posterior(torch.from_numpy(digits))
        return (0.5 * (log_var.exp() + mean.square() - 1 - log_var).sum(dim=1)).mean().item()

    assert kl(_vae(beta=4.0).fit(digits)) < kl(_vae(beta=0.25).fit(digits)) / 2


def test_training_draws_codes_but_validation_does_not(digits):
    model = engine.build_autoencoder(engine.NetworkSpec(64, 4), "dense", variational=True)
    objective = engine.VariationalObjective(
        engine.ReconstructionLoss("mse"), beta=1.0, generator=torch.Generator().manual_seed(0)
    )
    x = torch.from_numpy(digits[:20])
    model.train()
    assert objective(model, x).item() != objective(model, x).item()
    model.eval()
    assert objective(model, x).item() == objective(model, x).item()


def test_reproducible_fit_with_random_state(digits):
    a, b = _vae(max_iter=3).fit(digits), _vae(max_iter=3).fit(digits)
    assert_array_equal(a.transform(digits), b.transform(digits))
    assert a.loss_curve_ == b.loss_curve_


def test_conv_vae_samples_images(digits):
    est = _vae(architecture="conv", image_shape=(8, 8), conv_channels=(8, 16), max_iter=3).fit(
        digits
    )
    samples = est.sample(3, random_state=0)
    assert samples.shape == (3, 64)
    assert samples.reshape(-1, *est.image_shape_).shape == (3, 1, 8, 8)
