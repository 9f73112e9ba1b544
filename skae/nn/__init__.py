"""The torch engine behind skae's estimators.

The engine never imports scikit-learn: it holds the networks, the training
loop, the objectives and the device handling, and works on tensors. The
estimators in ``skae`` adapt it to numpy and scikit-learn's conventions.
"""

from skae.nn._augment import WeakPerturbation, random_flip, random_shift
from skae.nn._compile import CompiledFunction, CompileWarning
from skae.nn._conv import conv_decoder, conv_encoder, downsampled_size, vgg_encoder
from skae.nn._dense import dense_decoder, dense_encoder
from skae.nn._device import (
    as_tensor,
    caller_thread_limit,
    forward_flops,
    make_generator,
    place_for_training,
    resolve_device,
    thread_limit,
    training_threads,
)
from skae.nn._inference import INFERENCE_BATCH_SIZE, map_batches
from skae.nn._losses import (
    CORRUPTIONS,
    AutoencoderObjective,
    ClassifierObjective,
    ReconstructionLoss,
    VariationalObjective,
    corrupt,
)
from skae.nn._modules import (
    ACTIVATIONS,
    ARCHITECTURES,
    Architecture,
    Autoencoder,
    ClassifierNetwork,
    NetworkSpec,
    VariationalAutoencoder,
    build_autoencoder,
    build_seeded,
)
from skae.nn._precision import PRECISIONS, Precision, inference_precision, resolve_precision
from skae.nn._progress import EpochLogger
from skae.nn._serialization import dumps, loads
from skae.nn._training import (
    LEARNING_RATE_SCHEDULES,
    DivergenceError,
    History,
    InMemoryBatches,
    LabeledUnlabeledBatches,
    TrainStep,
    batch_length,
    cosine_decay,
    evaluate,
    fit_loop,
    run_single_epoch,
)

__all__ = [
    "ACTIVATIONS",
    "ARCHITECTURES",
    "Architecture",
    "CORRUPTIONS",
    "INFERENCE_BATCH_SIZE",
    "LEARNING_RATE_SCHEDULES",
    "PRECISIONS",
    "Autoencoder",
    "AutoencoderObjective",
    "ClassifierNetwork",
    "ClassifierObjective",
    "CompileWarning",
    "CompiledFunction",
    "DivergenceError",
    "EpochLogger",
    "History",
    "InMemoryBatches",
    "LabeledUnlabeledBatches",
    "NetworkSpec",
    "Precision",
    "ReconstructionLoss",
    "TrainStep",
    "VariationalAutoencoder",
    "VariationalObjective",
    "WeakPerturbation",
    "as_tensor",
    "batch_length",
    "build_autoencoder",
    "build_seeded",
    "caller_thread_limit",
    "conv_decoder",
    "conv_encoder",
    "corrupt",
    "cosine_decay",
    "dense_decoder",
    "dense_encoder",
    "downsampled_size",
    "dumps",
    "evaluate",
    "fit_loop",
    "forward_flops",
    "inference_precision",
    "loads",
    "make_generator",
    "map_batches",
    "place_for_training",
    "random_flip",
    "random_shift",
    "resolve_device",
    "resolve_precision",
    "run_single_epoch",
    "thread_limit",
    "training_threads",
    "vgg_encoder",
]
