"""Floating-point precision of training and inference: plain dtypes and autocast."""

import contextlib
import functools
from dataclasses import dataclass

import torch

PRECISIONS = ("float32", "float64", "bfloat16", "float16")


@dataclass(frozen=True)
class Precision:
    """How a network computes: the dtype of its weights and, optionally, autocast.

    ``"bfloat16"`` and ``"float16"`` keep float32 weights (and optimizer
    state) and run the forward pass under :func:`torch.autocast`, which
    computes matrix products and convolutions in the low-precision type.
    ``"float16"``'s narrow exponent range needs its gradients scaled
    (:class:`torch.amp.GradScaler`); bfloat16's does not.

    Parameters
    ----------
    name : str
        One of ``PRECISIONS``.
    device_type : {"cpu", "cuda"}
        Where the network runs.
    """

    name: str
    device_type: str

    @property
    def dtype(self):
        """The dtype of the weights, the inputs and the master copy of every update."""
        return torch.float64 if self.name == "float64" else torch.float32

    @property
    def autocast_dtype(self):
        """The dtype autocast computes in, or None for plain float32/float64."""
        return {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(self.name)

    @property
    def scales_gradients(self):
        """Whether the backward pass needs a gradient scaler (float16)."""
        return self.name == "float16"

    def memory_format(self, module):
        """The memory format to train ``module`` in.

        Channels-last for convolutional networks under autocast, where
        oneDNN's (and cuDNN's) half-precision kernels prefer it: 15-20%
        faster per step on an Intel Xeon with AMX, no different on an AMD
        EPYC without it (measured by an earlier session, whose record was
        not kept: ``benchmarks/bench_training.py --architecture conv``
        reruns it). In float32 it measured 7.7% slower, so the default
        layout stays (``benchmarks/DECISIONS.md``, "bfloat16 where it is
        native; compile off").
        """
        is_conv = any(isinstance(m, torch.nn.modules.conv._ConvNd) for m in module.modules())
        if is_conv and self.autocast_dtype is not None:
            return torch.channels_last
        return torch.preserve_format

    def autocast(self):
        """A context manager for forward passes: autocast, or nothing."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.autocast_dtype)


def resolve_precision(name, device):
    """The :class:`Precision` named ``name`` on ``device``, checked for support.

    Parameters
    ----------
    name : {"float32", "float64", "bfloat16", "float16"}
        The precision asked for.
    device : torch.device
        Where the network runs.

    Returns
    -------
    Precision

    Raises
    ------
    ValueError
        For float16 on a CPU (no fast float16 arithmetic there; bfloat16 is
        the CPU's half precision), or bfloat16 on a GPU without it.
    """
    device = torch.device(device)
    if name == "float16" and device.type != "cuda":
        raise ValueError(
            f"precision='float16' needs a CUDA device, but the device is {device}. "
            "On a CPU use precision='bfloat16' (or 'float32')."
        )
    if name == "bfloat16" and device.type == "cuda":
        with torch.cuda.device(device):
            if not torch.cuda.is_bf16_supported():
                raise ValueError(
                    f"precision='bfloat16' is not supported by the GPU of device {device} "
                    f"({torch.cuda.get_device_name(device)}); use precision='float16'."
                )
    return Precision(name, device.type)


def inference_precision(name, device):
    """The precision a fitted network infers in on ``device``.

    Like :func:`resolve_precision`, except that a network trained in a
    precision this device lacks (float16 on CUDA, loaded on a CPU) infers in
    float32 instead of failing.
    """
    try:
        return resolve_precision(name, device)
    except ValueError:
        return Precision("float32", torch.device(device).type)


#: CPU flags of native bfloat16 arithmetic (x86: AVX-512 BF16, AMX), as Linux names them.
NATIVE_BFLOAT16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def has_native_bfloat16(device):
    """Whether ``device`` computes bfloat16 natively, where it trains faster than float32.

    True on a CUDA device that supports bfloat16, and on a CPU whose flags
    (``/proc/cpuinfo``, Linux only) name AVX-512 BF16 or AMX; False
    elsewhere, including CPUs whose flags cannot be read.
    """
    device = torch.device(device)
    if device.type == "cuda":
        with torch.cuda.device(device):
            return torch.cuda.is_bf16_supported()
    return bool(NATIVE_BFLOAT16_CPU_FLAGS & _cpu_flags())


@functools.cache
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()
