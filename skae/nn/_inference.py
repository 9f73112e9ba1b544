"""Batched, gradient-free evaluation of a module over a numpy array."""

import numpy as np
import torch

from skae.nn._device import as_tensor

INFERENCE_BATCH_SIZE = 8192


def map_batches(fn, X, *, device, dtype, batch_size=INFERENCE_BATCH_SIZE):
    """Apply ``fn`` (tensor -> tensor) to ``X`` in row chunks; return numpy.

    Chunking bounds the memory of intermediate activations, so a large array
    never needs more than one chunk's worth at a time on the device; it is
    also faster than one call on the whole array (benchmarks/README.md).

    Parameters
    ----------
    fn : callable
        Maps a batch tensor to an output tensor.
    X : ndarray of shape (n_samples, ...)
        The input.
    device : str or torch.device
        Where ``fn`` runs.
    dtype : torch.dtype
        The dtype ``X`` is converted to.
    batch_size : int, default=INFERENCE_BATCH_SIZE
        Rows per chunk.

    Returns
    -------
    ndarray
        The outputs, concatenated along the first axis.
    """
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(X), batch_size):
            chunk = as_tensor(X[start : start + batch_size], dtype=dtype, device=device)
            outputs.append(fn(chunk).cpu().numpy())
    return np.concatenate(outputs)
