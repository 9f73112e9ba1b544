"""CUDA training and inference; these run only where a GPU is present."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from skae import VariationalAutoencoder

from ._helpers import blobs, fast_autoencoder

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@requires_cuda
def test_fit_and_transform_on_cuda():
    X, _ = blobs(dtype=np.float32)
    est = fast_autoencoder(device="cuda").fit(X)
    assert est.device_.startswith("cuda")
    assert next(est.module_.parameters()).is_cuda
    codes = est.transform(X)
    assert isinstance(codes, np.ndarray) and codes.dtype == np.float32
    assert np.isfinite(codes).all()


@requires_cuda
def test_auto_device_picks_cuda():
    X, _ = blobs()
    assert fast_autoencoder(device="auto", max_iter=1).fit(X).device_.startswith("cuda")


@requires_cuda
def test_cuda_and_cpu_models_agree_at_initialisation():
    X, _ = blobs(dtype=np.float32)
    # Same seed, same initial weights on both devices: one tiny step keeps them close.
    cpu = fast_autoencoder(device="cpu", max_iter=1, learning_rate_init=1e-6).fit(X)
    gpu = fast_autoencoder(device="cuda", max_iter=1, learning_rate_init=1e-6).fit(X)
    assert_allclose(gpu.transform(X), cpu.transform(X), rtol=1e-3, atol=1e-4)


@requires_cuda
@pytest.mark.parametrize(
    "params",
    [
        dict(architecture="conv", image_shape=(2, 5)),
        dict(corruption="gaussian"),
        dict(architecture="conv", image_shape=(2, 5), corruption="masking"),
    ],
    ids=["conv", "gaussian", "masking"],
)
def test_architectures_train_on_cuda_reproducibly(params):
    X, _ = blobs(dtype=np.float32)
    first = fast_autoencoder(device="cuda", **params).fit(X)
    second = fast_autoencoder(device="cuda", **params).fit(X)
    assert next(first.module_.parameters()).is_cuda
    assert_allclose(first.transform(X), second.transform(X), rtol=1e-4, atol=1e-5)


@requires_cuda
def test_variational_autoencoder_samples_on_cuda():
    X, _ = blobs(dtype=np.float32)
    est = VariationalAutoencoder(3, max_iter=5, random_state=0, device="cuda").fit(X)
    samples = est.sample(4, random_state=0)
    assert isinstance(samples, np.ndarray) and samples.shape == (4, X.shape[1])
    assert_allclose(samples, est.sample(4, random_state=0))
