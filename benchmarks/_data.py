"""Shared helpers for the benchmarks: Fashion-MNIST loading, machine info, JSON output."""

import functools
import json
from pathlib import Path

import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer
from skae.compare import environment_info
from skae.datasets import fetch_fashion_mnist

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: The one-off experiments (benchmarks/experiments/) write their records beside them.
EXPERIMENT_RESULTS_DIR = Path(__file__).resolve().parent / "experiments" / "results"


@functools.cache
def _fetch_train():
    """The Fashion-MNIST training Bunch, or None when it is not on disk (loaded once)."""
    try:
        return fetch_fashion_mnist(subset="train", download_if_missing=False)
    except FileNotFoundError:
        return None


def data_source():
    """Name of the data used: "fashion-mnist" if it is on disk, else "synthetic"."""
    return "synthetic" if _fetch_train() is None else "fashion-mnist"


def load_fashion_mnist_train():
    """X of shape (60000, 784), float32 in [0, 1]; seeded uniform noise if the files are absent."""
    train = _fetch_train()
    if train is None:
        print("NOTE: Fashion-MNIST not found; using synthetic uniform-random data.")
        return np.random.default_rng(0).random((60000, 784), dtype=np.float32)
    return train.data


def load_fashion_mnist_train_labels():
    """y of shape (60000,), int64 class labels 0-9; seeded random labels if absent."""
    train = _fetch_train()
    if train is None:
        return np.random.default_rng(1).integers(0, 10, 60000)
    return train.target


def transformer_pipeline(seed, **params):
    """Issue 18's pipeline: the transformer's defaults on 28x28 images, a scaler, ``SVC()``."""
    return make_pipeline(
        AutoencoderTransformer(image_shape=(28, 28), random_state=seed, **params),
        StandardScaler(),
        SVC(),
    )


#: Standard deviations of the Gaussian noise added to the test images (then clipped to [0, 1]).
NOISE_LEVELS = (0.0, 0.1, 0.2)


def noisy_copies(X_test):
    """X_test at every noise level of ``NOISE_LEVELS``; the noise is drawn once (seed 0)."""
    rng = np.random.default_rng(0)
    return {
        level: np.clip(X_test + level * rng.standard_normal(X_test.shape), 0, 1).astype(np.float32)
        for level in NOISE_LEVELS
    }


def write_results(name, payload, directory=RESULTS_DIR):
    """Write ``payload`` to ``directory``/<name>.json and return the path.

    ``directory`` is benchmarks/results/, or ``EXPERIMENT_RESULTS_DIR`` for
    the experiments. The benchmark's name and the machine (with the date) are
    added to every file.
    """
    header = {"benchmark": name, "machine": environment_info()}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps({**header, **payload}, indent=2) + "\n")
    print(f"\nwrote {path}")
    return path


def print_table(headers, rows):
    """Print rows (lists of str) as a plain-text, left-aligned table."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{c!s:<{w}}" for c, w in zip(row, widths, strict=True)))
