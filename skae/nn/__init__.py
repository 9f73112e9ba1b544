"""The torch engine behind skae's estimators.

The engine never imports scikit-learn: it holds the networks, the training
loop, the losses and the device handling, and works on tensors. The
estimators in ``skae`` adapt it to numpy and scikit-learn's conventions.
"""

from skae.nn._device import (
    as_tensor,
    caller_thread_limit,
    resolve_device,
    thread_limit,
    torch_dtype,
    training_threads,
)
from skae.nn._inference import INFERENCE_BATCH_SIZE, map_batches
from skae.nn._losses import ReconstructionLoss
from skae.nn._modules import ACTIVATIONS, Autoencoder, build_dense_autoencoder, build_seeded
from skae.nn._progress import EpochLogger
from skae.nn._serialization import dumps, loads
from skae.nn._training import (
    DivergenceError,
    History,
    InMemoryBatches,
    evaluate,
    fit_loop,
    run_single_epoch,
    train_step,
)

__all__ = [
    "ACTIVATIONS",
    "INFERENCE_BATCH_SIZE",
    "Autoencoder",
    "DivergenceError",
    "EpochLogger",
    "History",
    "InMemoryBatches",
    "ReconstructionLoss",
    "as_tensor",
    "build_dense_autoencoder",
    "build_seeded",
    "caller_thread_limit",
    "dumps",
    "evaluate",
    "fit_loop",
    "loads",
    "map_batches",
    "resolve_device",
    "run_single_epoch",
    "thread_limit",
    "torch_dtype",
    "train_step",
    "training_threads",
]
