"""What each inference method computes, defined once, and its batched evaluation.

:class:`InferenceModule` is a fitted network's method as a module: the
estimators' public methods run it over numpy arrays (:func:`map_batches`),
and :func:`skae.to_onnx` exports the same module, so that the two cannot
compute different things.
"""

import contextlib

import numpy as np
import torch

from skae.nn._device import as_tensor
from skae.nn._losses import ReconstructionLoss

INFERENCE_BATCH_SIZE = 8192

#: The methods an :class:`InferenceModule` computes, and what each returns.
INFERENCE_METHODS = {
    "transform": "the code of each row (a variational network's posterior mean)",
    "inverse_transform": "the reconstruction of each code, in the input space",
    "reconstruct": "the reconstruction of each row: inverse_transform(transform(X))",
    "predict_proba": "the class probabilities of each row",
    "posterior": "the posterior's mean and log-variance, side by side",
}


class InferenceModule(torch.nn.Module):
    """A fitted network's inference method ``method`` as a module's ``forward``.

    Parameters
    ----------
    network : torch.nn.Module
        An :class:`~skae.nn.AutoencoderNetwork`,
        :class:`~skae.nn.VariationalNetwork` or
        :class:`~skae.nn.ClassifierNetwork`.
    method : str
        A key of :data:`INFERENCE_METHODS`.
    loss : str
        The reconstruction loss, whose output activation the decoder's
        output goes through (a sigmoid for ``"bce"``).
    """

    def __init__(self, network, method, loss):
        super().__init__()
        if method not in INFERENCE_METHODS:
            raise ValueError(f"method must be one of {sorted(INFERENCE_METHODS)}, got {method!r}.")
        self.network, self.method = network, method
        self.output = ReconstructionLoss(loss).output_activation

    def forward(self, x):
        if self.method == "transform":
            return self.network.encode(x)
        if self.method == "predict_proba":
            return self.network(x).softmax(dim=1)
        if self.method == "posterior":
            return self.network.encoder(x)
        if self.method == "inverse_transform":
            return self.output(self.network.decoder(x))
        return self.output(self.network.decoder(self.network.encode(x)))


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
