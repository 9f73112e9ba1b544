"""The torch engine behind skae's estimators.

The engine never imports scikit-learn: it holds the networks, the training
loop, the objectives and the device handling, and works on tensors. The
estimators in ``skae`` adapt it to numpy and scikit-learn's conventions.

What is public here is what a user extends skae with: the network classes
and the architecture records with their builders (for the user's own
encoder or decoder), the objectives, and the training loop with its batch
source and errors. The rest lives in private modules.
"""

from skae.nn._chunked import ChunkedBatches
from skae.nn._compile import CompileWarning
from skae.nn._conv import conv_decoder, conv_encoder, vgg_encoder
from skae.nn._dense import dense_decoder, dense_encoder
from skae.nn._losses import (
    AutoencoderObjective,
    ClassifierObjective,
    ReconstructionLoss,
    VariationalObjective,
)
from skae.nn._modules import (
    ARCHITECTURES,
    Architecture,
    AutoencoderNetwork,
    ClassifierNetwork,
    NetworkSpec,
    VariationalNetwork,
    build_autoencoder,
)
from skae.nn._training import DivergenceError, History, InMemoryBatches, fit_loop

__all__ = [
    "ARCHITECTURES",
    "Architecture",
    "AutoencoderNetwork",
    "AutoencoderObjective",
    "ChunkedBatches",
    "ClassifierNetwork",
    "ClassifierObjective",
    "CompileWarning",
    "DivergenceError",
    "History",
    "InMemoryBatches",
    "NetworkSpec",
    "ReconstructionLoss",
    "VariationalNetwork",
    "VariationalObjective",
    "build_autoencoder",
    "conv_decoder",
    "conv_encoder",
    "dense_decoder",
    "dense_encoder",
    "fit_loop",
    "vgg_encoder",
]
