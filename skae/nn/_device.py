"""Device resolution, tensor conversion and thread limits for the engine."""

import contextlib
import os
import re
import sys
import warnings

import numpy as np
import torch

# On CUDA the training set stays on the GPU when it takes at most this share
# of the free memory; the rest is left to weights, optimizer state and
# activations. A larger training set streams from pinned host memory.
RESIDENT_FRACTION = 0.5


def loadable_device(device):
    """The device a model fitted on ``device`` (a string) loads on here.

    Its own device where it exists, else the CPU, with a warning: a model
    fitted on a GPU (CUDA, Apple's MPS, Intel's XPU) loads on a machine
    without one.
    """
    kind = torch.device(device).type
    if kind == "cpu":
        return device
    if not _available(kind):
        warnings.warn(
            f"This model was fitted on {device}, which is not available here; "
            "it is loaded on the CPU.",
            UserWarning,
            stacklevel=3,
        )
        return "cpu"
    index = torch.device(device).index
    if kind == "cuda" and index is not None and index >= torch.cuda.device_count():
        # Fitted on a Dask worker's second GPU, say, and loaded where there is one.
        return kind
    return device


def _available(kind):
    """Whether this machine has a device of ``kind`` ("cuda", "mps", "xpu", ...)."""
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return torch.backends.mps.is_available()
    backend = getattr(torch, kind, None)
    return bool(backend is not None and backend.is_available())


def resolve_device(device):
    """Turn a user's device request into a concrete :class:`torch.device`.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or
        ``"cuda:N"``.

    Returns
    -------
    torch.device
        The device to train and infer on. On a Dask worker, ``"auto"`` is
        the worker's own GPU (see :func:`worker_gpu`).

    Raises
    ------
    ValueError
        If the string is not a device name, or CUDA is requested but absent.
    """
    if device == "auto":
        return torch.device(worker_gpu() if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid device; use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from exc
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(
            f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        )
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on "
                "this machine; use device='cpu' or device='auto'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are visible."
            )
    return resolved


def as_tensor(X, *, dtype, device):
    """Copy-free (where possible) conversion of a 2-D numpy array to a tensor.

    The array is made C-contiguous, writable and of the numpy twin of
    ``dtype`` first, so read-only memmaps never reach :func:`torch.from_numpy`.

    Parameters
    ----------
    X : ndarray
        The data.
    dtype : torch.dtype
        The tensor's dtype.
    device : str or torch.device
        Where the tensor lives.

    Returns
    -------
    torch.Tensor
    """
    np_dtype = torch.empty((), dtype=dtype).numpy().dtype
    X = np.require(X, dtype=np_dtype, requirements=["C", "W"])
    return torch.from_numpy(X).to(device)


def place_for_training(tensors, device):
    """Put training tensors where the training loop reads them from.

    Parameters
    ----------
    tensors : tuple of torch.Tensor
        The training data, on the CPU (inputs, labels, ...).
    device : torch.device
        The training device.

    Returns
    -------
    tuple of torch.Tensor
        On a CPU, the tensors themselves. On CUDA, copies on the GPU when
        they take at most ``RESIDENT_FRACTION`` of its free memory together;
        otherwise pinned (page-locked) host copies, from which
        :class:`~skae.nn.InMemoryBatches` copies each batch to the GPU
        without blocking.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return tuple(tensors)
    free_bytes, _ = torch.cuda.mem_get_info(device)
    if sum(t.nbytes for t in tensors) <= RESIDENT_FRACTION * free_bytes:
        return tuple(t.to(device) for t in tensors)
    return tuple(t.pin_memory() for t in tensors)


def dask_worker():
    """The ``dask.distributed`` worker running this code, or None outside one."""
    distributed = sys.modules.get("distributed")  # never imported by skae itself
    if distributed is None:
        return None
    try:
        return distributed.get_worker()
    except ValueError:
        return None


def worker_gpu():
    """``"cuda"`` or ``"cuda:N"``: the GPU of the Dask worker running this, if any.

    A worker restricted to its own GPUs (``CUDA_VISIBLE_DEVICES`` set for
    it, as ``dask_cuda.LocalCUDACluster`` does) gets the first it sees.
    Workers that all see several GPUs are spread over them by their number:
    a ``LocalCluster``'s worker names ``0, 1, ...``, or a name ending in
    ``-N`` (``dask worker --name host-N``). Outside a worker, and for any
    other name, it is ``"cuda"``.
    """
    worker = dask_worker()
    if worker is None or "CUDA_VISIBLE_DEVICES" in os.environ:
        return "cuda"
    n_gpus = torch.cuda.device_count()
    match = re.fullmatch(r"(?:.*-)?(\d+)", str(worker.name))
    if n_gpus <= 1 or match is None:
        return "cuda"
    return f"cuda:{int(match.group(1)) % n_gpus}"


def caller_thread_limit():
    """The number of intra-op threads the caller allows torch to use.

    Returns
    -------
    int
        On a Dask worker, the worker's threads (its share of the cores,
        ``threads_per_worker``) divided among the tasks it runs at once: a
        search on 2-thread workers trains two candidates per worker on one
        thread each, or its last candidate on two. Elsewhere torch's own
        setting, lowered to any OpenMP limit set by the caller through
        ``threadpoolctl`` or by joblib in a worker process (joblib caps each
        worker at ``cpu_count // n_jobs`` threads).
    """
    from threadpoolctl import threadpool_info

    worker = dask_worker()
    if worker is not None:
        # Dask's nanny sets OMP_NUM_THREADS=1 for every worker, whatever its share.
        return max(1, worker.state.nthreads // max(1, worker.state.executing_count))
    limit = torch.get_num_threads()
    for pool in threadpool_info():
        if pool["user_api"] == "openmp":
            limit = min(limit, pool["num_threads"])
    return max(limit, 1)


# Below this many floating-point operations per training batch, a second
# thread saves little (digits, 784-256-32: 0.052 s vs 0.061 s for 5 epochs)
# but costs a lot when another process competes for the cores: OpenMP threads
# that spin-wait for each other made the same fit take 36 s instead of 0.25 s
# on a busy 2-core machine.
SMALL_BATCH_FLOPS = 2e8


def training_threads(module, n_features, batch_size, limit):
    """Threads worth using to train ``module`` on batches of ``batch_size``.

    Parameters
    ----------
    module : torch.nn.Module
        The network to train; it takes rows of ``n_features`` values.
    n_features : int
        Width of an input row.
    batch_size : int
        Samples per training batch.
    limit : int
        The most threads allowed, e.g. :func:`caller_thread_limit`.

    Returns
    -------
    int
        1 when a batch's forward and backward pass (about three times the
        forward pass's operations, counted on one row) is below
        ``SMALL_BATCH_FLOPS``, else ``limit``. Counting operations rather
        than parameters matters for convolutions, which reuse each weight
        at every pixel.
    """
    if limit == 1:
        return 1
    return 1 if 3 * batch_size * forward_flops(module, n_features) < SMALL_BATCH_FLOPS else limit


def forward_flops(module, n_features):
    """Floating-point operations of ``module``'s forward pass on one row."""
    from torch.utils.flop_counter import FlopCounterMode

    parameter = next(module.parameters(), None)
    row = torch.zeros(
        1,
        n_features,
        dtype=parameter.dtype if parameter is not None else torch.float32,
        device=parameter.device if parameter is not None else "cpu",
    )
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            module(row)
    finally:
        module.train(was_training)
    return counter.get_total_flops()


def make_generator(seed, device):
    """A :class:`torch.Generator` on ``device``, seeded with ``seed``.

    Parameters
    ----------
    seed : int
        The seed.
    device : str or torch.device
        Where the tensors it draws live.

    Returns
    -------
    torch.Generator
    """
    return torch.Generator(device=device).manual_seed(int(seed))


@contextlib.contextmanager
def thread_limit(n_threads):
    """Run a block with torch limited to ``n_threads`` intra-op threads.

    Parameters
    ----------
    n_threads : int
        Intra-op threads for torch inside the block; the previous setting is
        restored on exit.

    Yields
    ------
    None
    """
    previous = torch.get_num_threads()
    if n_threads != previous:
        torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
