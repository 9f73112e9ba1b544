"""CUDA training and inference; these run only where a GPU is present."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import skae.nn
import skae.nn._device
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


@requires_cuda
def test_float16_trains_with_gradient_scaling_on_cuda():
    X, _ = blobs(dtype=np.float32)
    full = fast_autoencoder(device="cuda", max_iter=30).fit(X)
    half = fast_autoencoder(device="cuda", max_iter=30, precision="float16").fit(X)
    assert next(half.module_.parameters()).dtype == torch.float32  # float32 master weights
    assert half.transform(X).dtype == np.float32
    assert abs(half.score(X) - full.score(X)) < 0.1 * abs(full.score(X))


@requires_cuda
def test_training_data_stays_on_the_gpu_when_it_fits():
    X = torch.rand(100, 8)
    batches = skae.nn.InMemoryBatches(X, 32, shuffle=True, generator=None, device="cuda")
    assert batches.X.is_cuda
    assert all(batch.is_cuda for batch in batches)


@requires_cuda
def test_streaming_from_pinned_memory_matches_resident_training(monkeypatch):
    X, _ = blobs(dtype=np.float32)
    resident = fast_autoencoder(device="cuda").fit(X)
    monkeypatch.setattr(skae.nn._device, "RESIDENT_FRACTION", 0.0)  # nothing fits
    batches = skae.nn.InMemoryBatches(
        torch.from_numpy(X), 32, shuffle=True, generator=torch.Generator(), device="cuda"
    )
    assert batches.X.is_pinned() and not batches.X.is_cuda
    assert sorted(torch.cat(list(batches)).sum(dim=1).tolist()) == pytest.approx(
        sorted(torch.from_numpy(X).sum(dim=1).tolist())
    )
    streamed = fast_autoencoder(device="cuda").fit(X)
    assert_allclose(streamed.transform(X), resident.transform(X), rtol=1e-4, atol=1e-5)
