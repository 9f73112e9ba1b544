"""Shared helpers for the benchmarks: Fashion-MNIST loading, machine info, JSON output."""

import datetime
import gzip
import json
import os
import platform
from pathlib import Path

import numpy as np

DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _read_idx(path, magic):
    """Read a gzip IDX file (big-endian header: magic, dims...) into a uint8 array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    n_dims = magic & 0xFF
    header = np.frombuffer(data, dtype=">i4", count=1 + n_dims)
    if header[0] != magic:
        raise ValueError(f"{path}: bad magic {header[0]}, expected {magic}")
    return np.frombuffer(data, dtype=np.uint8, offset=4 * (1 + n_dims)).reshape(header[1:])


def data_source():
    """Name of the data used: "fashion-mnist" if both training files exist, else "synthetic"."""
    files = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    return "fashion-mnist" if all((DATA_DIR / f).exists() for f in files) else "synthetic"


def load_fashion_mnist_train():
    """X of shape (60000, 784), float32 in [0, 1]; seeded uniform noise if the file is absent."""
    if data_source() == "synthetic":
        print(f"NOTE: {DATA_DIR} not found; using synthetic uniform-random data.")
        return np.random.default_rng(0).random((60000, 784), dtype=np.float32)
    pixels = _read_idx(DATA_DIR / "train-images-idx3-ubyte.gz", 2051)
    return pixels.reshape(len(pixels), -1).astype(np.float32) / np.float32(255)


def load_fashion_mnist_train_labels():
    """y of shape (60000,), int64 class labels 0-9; seeded random labels if absent."""
    if data_source() == "synthetic":
        return np.random.default_rng(1).integers(0, 10, 60000)
    return _read_idx(DATA_DIR / "train-labels-idx1-ubyte.gz", 2049).astype(np.int64)


def machine_info():
    """Platform, CPU count and library versions, for the JSON record."""
    import sklearn
    import torch

    import skae

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "skae": skae.__version__,
    }


def write_results(name, payload):
    """Write ``payload`` to benchmarks/results/<name>.json and return the path.

    The benchmark's name, the date and the machine are added to every file.
    """
    header = {
        "benchmark": name,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
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
