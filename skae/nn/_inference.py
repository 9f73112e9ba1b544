"""Batched, gradient-free evaluation of a module over a numpy array."""

import contextlib

import numpy as np
import torch

from skae.nn._device import as_tensor

INFERENCE_BATCH_SIZE = 8192


def map_batches(fn, X, *, device, dtype, precision=None, batch_size=INFERENCE_BATCH_SIZE):
    """Apply ``fn`` (tensor -> tensor) to ``X`` in row chunks; return numpy.

    Chunking bounds the memory of intermediate activations, so a large array
    never needs more than one chunk's worth at a time on the device; it is
    also faster than one call on the whole array (benchmarks/README.md).

    Parameters
    ----------
    fn : callable
        Maps a batch tensor to an output tensor.
    X : ndarray of shape (n_samples, ...)
        The input, or any sized object whose slices ``X[start:stop]`` are
        arrays (an out-of-core X, read one chunk at a time).
    device : str or torch.device
        Where ``fn`` runs.
    dtype : torch.dtype
        The dtype ``X`` is converted to.
    precision : Precision, default=None
        Autocast for ``fn``; None computes in ``dtype``. Half-precision
        outputs come back as float32.
    batch_size : int, default=INFERENCE_BATCH_SIZE
        Rows per chunk.

    Returns
    -------
    ndarray
        The outputs, concatenated along the first axis.
    """
    device = torch.device(device)
    autocast = precision.autocast() if precision else contextlib.nullcontext()
    outputs = []
    with torch.inference_mode(), autocast:
        for start in range(0, len(X), batch_size):
            chunk = as_tensor(X[start : start + batch_size], dtype=dtype, device="cpu")
            if device.type == "cuda":  # page-locked, so the copy does not block the host
                chunk = chunk.pin_memory().to(device, non_blocking=True)
            out = fn(chunk)
            if out.dtype in (torch.bfloat16, torch.float16):
                out = out.float()
            outputs.append(out.cpu().numpy())
    return np.concatenate(outputs)
