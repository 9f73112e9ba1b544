"""Small data and settings shared by the tests."""

import gzip

import numpy as np
import torch

from skae import AutoencoderTransformer


def blobs(n_samples=120, n_features=10, seed=0, dtype=np.float64):
    """Three well separated clusters in [0, 1], with labels."""
    rng = np.random.default_rng(seed)
    centers = rng.random((3, n_features))
    y = np.arange(n_samples) % 3
    X = np.clip(centers[y] + 0.05 * rng.standard_normal((n_samples, n_features)), 0, 1)
    return X.astype(dtype), y


def fast_autoencoder(**params):
    """A small, quick, seeded autoencoder on the CPU, with the squared error whatever X's range."""
    defaults = dict(
        n_components=3,
        hidden_layer_sizes=(16,),
        loss="mse",
        max_iter=20,
        random_state=0,
        device="cpu",
    )
    return AutoencoderTransformer(**{**defaults, **params})


def write_idx(path, array, compress=True):
    """Write ``array`` as an IDX file (gzipped unless ``compress`` is False); return its bytes."""
    type_codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C}
    type_codes |= {np.float32: 0x0D, np.float64: 0x0E}
    header = bytes([0, 0, type_codes[array.dtype.type], array.ndim])
    header += np.asarray(array.shape, dtype=">i4").tobytes()
    content = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(content) if compress else content)
    return content


class VGGStyleEncoder(torch.nn.Module):
    """A user's VGG-style backbone: stacks of 3x3 convolutions + ReLU, then max pooling.

    ``channels`` gives one stack per entry, ``convs_per_stack`` convolutions each.
    Pooling uses ``ceil_mode`` so that images of any size (down to 1 pixel) pass.
    """

    def __init__(self, in_channels=1, channels=(8, 16), convs_per_stack=2):
        super().__init__()
        layers = []
        for width in channels:
            for _ in range(convs_per_stack):
                layers += [torch.nn.Conv2d(in_channels, width, 3, padding=1), torch.nn.ReLU()]
                in_channels = width
            layers.append(torch.nn.MaxPool2d(2, ceil_mode=True))
        self.features = torch.nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x)


class MirrorDecoder(torch.nn.Module):
    """A user's dense decoder that takes ``n_components`` from the estimator."""

    def __init__(self, n_components, n_features, hidden=32):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_components, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, n_features),
        )

    def forward(self, z):
        return self.net(z)
