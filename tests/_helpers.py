"""Small data and settings shared by the tests."""

import numpy as np

from skae import AutoencoderTransformer


def blobs(n_samples=120, n_features=10, seed=0, dtype=np.float64):
    """Three well separated clusters in [0, 1], with labels."""
    rng = np.random.default_rng(seed)
    centers = rng.random((3, n_features))
    y = np.arange(n_samples) % 3
    X = np.clip(centers[y] + 0.05 * rng.standard_normal((n_samples, n_features)), 0, 1)
    return X.astype(dtype), y


def fast_autoencoder(**params):
    """A small, quick, seeded autoencoder on the CPU."""
    defaults = dict(
        n_components=3, hidden_layer_sizes=(16,), max_iter=20, random_state=0, device="cpu"
    )
    return AutoencoderTransformer(**{**defaults, **params})
