"""Local seeding: same random_state, same model; global RNGs untouched."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn.base import clone

from skae import AutoencoderTransformer, VariationalAutoencoder

from ._helpers import VGGStyleEncoder, blobs, fast_autoencoder


def test_same_random_state_gives_identical_transform():
    X, _ = blobs()
    first = fast_autoencoder(random_state=7, early_stopping=True).fit(X)
    second = fast_autoencoder(random_state=7, early_stopping=True).fit(X)
    assert_array_equal(first.transform(X), second.transform(X))
    assert first.loss_curve_ == second.loss_curve_


def test_clone_reproduces_the_model():
    X, _ = blobs()
    est = fast_autoencoder(random_state=3).fit(X)
    assert_array_equal(clone(est).fit(X).transform(X), est.transform(X))


def test_refit_reproduces_the_model():
    X, _ = blobs()
    est = fast_autoencoder(random_state=3)
    first = est.fit(X).transform(X)
    assert_array_equal(est.fit(X).transform(X), first)


def test_different_random_states_differ():
    X, _ = blobs()
    a = fast_autoencoder(random_state=0).fit(X).transform(X)
    b = fast_autoencoder(random_state=1).fit(X).transform(X)
    assert not np.allclose(a, b)


@pytest.mark.parametrize("random_state", [None, 0, "instance"])
def test_fit_leaves_global_random_state_unchanged(random_state):
    if random_state == "instance":
        random_state = np.random.RandomState(0)
    X, _ = blobs()
    torch.manual_seed(123)
    np.random.seed(123)
    torch_before = torch.get_rng_state()
    numpy_before = np.random.get_state()[1].copy()
    est = fast_autoencoder(random_state=random_state, early_stopping=True).fit(X)
    est.partial_fit(X)
    est.transform(X)
    assert torch.equal(torch.get_rng_state(), torch_before)
    assert_array_equal(np.random.get_state()[1], numpy_before)


def test_random_state_instance_is_advanced_by_fit():
    X, _ = blobs()
    rng = np.random.RandomState(0)
    a = fast_autoencoder(random_state=rng).fit(X).transform(X)
    b = fast_autoencoder(random_state=rng).fit(X).transform(X)
    assert not np.allclose(a, b)


ARCHITECTURES = {
    "dense": dict(),
    "conv": dict(architecture="conv", image_shape=(2, 5), conv_channels=(4, 8)),
    "gaussian-noise": dict(corruption="gaussian"),
    "masking": dict(architecture="conv", image_shape=(2, 5), corruption="masking"),
    "sparse": dict(sparsity=0.01),
    "custom-encoder": dict(encoder=VGGStyleEncoder, encoder__channels=(4,), image_shape=(2, 5)),
    "variational": dict(variational=True),
    "variational-conv": dict(variational=True, architecture="conv", image_shape=(2, 5)),
}


def _estimator(config, random_state):
    params = dict(ARCHITECTURES[config])
    cls = VariationalAutoencoder if params.pop("variational", False) else AutoencoderTransformer
    return cls(
        3, max_iter=3, early_stopping=True, random_state=random_state, device="cpu", **params
    )


@pytest.mark.parametrize("config", ARCHITECTURES)
def test_every_architecture_leaves_global_random_state_unchanged(config):
    X, _ = blobs()
    torch.manual_seed(123)
    np.random.seed(123)
    torch_before = torch.get_rng_state()
    numpy_before = np.random.get_state()[1].copy()
    est = _estimator(config, random_state=None).fit(X)
    est.partial_fit(X)
    est.transform(X)
    est.score_samples(X)
    if hasattr(est, "sample"):
        est.sample(2)
    assert torch.equal(torch.get_rng_state(), torch_before)
    assert_array_equal(np.random.get_state()[1], numpy_before)


@pytest.mark.parametrize("config", ARCHITECTURES)
def test_every_architecture_is_reproducible_with_random_state(config):
    X, _ = blobs()
    first, second = _estimator(config, 5).fit(X), _estimator(config, 5).fit(X)
    assert_array_equal(first.transform(X), second.transform(X))
    assert first.loss_curve_ == second.loss_curve_
    assert not np.allclose(_estimator(config, 6).fit(X).transform(X), first.transform(X))
