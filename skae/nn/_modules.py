"""Networks, and the one table that maps an architecture name to its builders.

Every skae network is an :class:`AutoencoderNetwork`: an ``encoder`` and a
``decoder`` that both take and return 2-D batches ``(n_samples, n_values)``.
Image networks unflatten and flatten inside themselves, so the rest of the
engine (and every estimator) only ever sees the flat layout of scikit-learn.
"""

from dataclasses import dataclass

import torch
from torch import nn

from skae.nn._conv import conv_decoder, conv_encoder, vgg_encoder
from skae.nn._dense import ACTIVATIONS, dense_decoder, dense_encoder

__all__ = [
    "ACTIVATIONS",
    "ARCHITECTURES",
    "Architecture",
    "AutoencoderNetwork",
    "ClassifierNetwork",
    "NetworkSpec",
    "VariationalNetwork",
    "build_autoencoder",
    "build_seeded",
]


class AutoencoderNetwork(nn.Module):
    """An encoder and a decoder; ``forward`` reconstructs its input.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps a batch of inputs to a batch of codes.
    decoder : torch.nn.Module
        Maps a batch of codes back to the input space. Its output is in the
        loss's raw space: the objective decides whether a sigmoid follows
        (see :class:`ReconstructionLoss`).
    """

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x):
        """The code of ``x``: what ``transform`` returns."""
        return self.encoder(x)

    def forward(self, x):
        """Reconstruct ``x`` (in the decoder's raw output space)."""
        return self.decoder(self.encode(x))


class VariationalNetwork(AutoencoderNetwork):
    """An autoencoder whose encoder outputs a Gaussian posterior over codes.

    The encoder's output has ``2 * n_components`` columns: the posterior
    means, then the log-variances. :meth:`encode` and ``forward`` use the
    mean, so inference is deterministic; the objective draws the codes it
    trains on (:class:`VariationalObjective`).

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps a batch of inputs to ``2 * n_components`` columns.
    decoder : torch.nn.Module
        Maps ``n_components``-wide codes back to the input space.
    """

    def posterior(self, x):
        """Mean and log-variance of the code of ``x``, each of ``n_components`` columns."""
        return self.encoder(x).chunk(2, dim=1)

    def encode(self, x):
        """The posterior mean of the code of ``x``."""
        return self.posterior(x)[0]


class ClassifierNetwork(nn.Module):
    """An autoencoder with a linear softmax head on its code; ``forward`` gives logits.

    Parameters
    ----------
    autoencoder : AutoencoderNetwork
        Its encoder makes the code the head classifies; its decoder serves
        pretraining and the reconstruction signal.
    n_components : int
        Width of the code.
    n_classes : int
        Number of classes.
    """

    def __init__(self, autoencoder, n_components, n_classes):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = nn.Linear(n_components, n_classes)

    def encode(self, x):
        """The code of ``x``."""
        return self.autoencoder.encode(x)

    def classify(self, code):
        """Class logits of a code, in float32 at least.

        Under autocast the head computes in half precision; the softmax and
        the cross-entropy of its logits need more digits than that.
        """
        logits = self.head(code)
        return logits.float() if logits.dtype in (torch.bfloat16, torch.float16) else logits

    def forward(self, x):
        """Class logits of ``x``."""
        return self.classify(self.encode(x))


@dataclass(frozen=True)
class NetworkSpec:
    """What every architecture's builders need to know.

    Attributes
    ----------
    n_features : int
        Width of an input row and of its reconstruction.
    n_components : int
        Width of the code.
    image_shape : tuple of int or None
        ``(channels, height, width)`` of the images a row holds, in
        channels-first order; None for rows that are not images.
    hidden_layer_sizes : tuple of int
        Hidden widths of the dense architecture, outermost first.
    conv_channels : tuple of int
        Channels of the convolutional architectures' stages, outermost first.
    activation : str
        A key of :data:`ACTIVATIONS`, used after every hidden layer.
    """

    n_features: int
    n_components: int
    image_shape: tuple | None = None
    hidden_layer_sizes: tuple = (256,)
    conv_channels: tuple = (32, 64)
    activation: str = "relu"


@dataclass(frozen=True)
class Architecture:
    """What one architecture needs, which parameters shape it, and its builders.

    Adding an architecture is one :class:`Architecture` in
    :data:`ARCHITECTURES` and its two builders; the estimators, their checks
    and ``skae compare`` read the record.

    Attributes
    ----------
    name : str
        The value of the estimators' ``architecture`` parameter.
    encoder : callable
        ``encoder(spec, code_width)``: a module mapping flat rows to
        ``code_width`` columns.
    decoder : callable
        ``decoder(spec)``: a module mapping ``spec.n_components`` columns back
        to ``spec.n_features``.
    needs_image_shape : bool
        Whether rows must be images (``image_shape`` given).
    structural : tuple of str
        The :class:`NetworkSpec` fields, besides ``n_features`` and
        ``n_components``, that its builders read: a change of one of them
        changes the network, so ``warm_start`` and ``partial_fit`` refuse it.
    """

    name: str
    encoder: object
    decoder: object
    needs_image_shape: bool
    structural: tuple


ARCHITECTURES = {
    record.name: record
    for record in (
        Architecture(
            "dense",
            dense_encoder,
            dense_decoder,
            needs_image_shape=False,
            structural=("hidden_layer_sizes", "activation"),
        ),
        Architecture(
            "conv",
            conv_encoder,
            conv_decoder,
            needs_image_shape=True,
            structural=("image_shape", "conv_channels", "activation"),
        ),
        Architecture(
            "vgg",
            vgg_encoder,
            conv_decoder,
            needs_image_shape=True,
            structural=("image_shape", "conv_channels", "activation"),
        ),
    )
}
"""Architecture name -> its :class:`Architecture` record."""


def build_autoencoder(spec, architecture, *, encoder=None, decoder=None, variational=False):
    """Build the network of ``architecture``, or around the user's own modules.

    Parameters
    ----------
    spec : NetworkSpec
        Sizes and shapes.
    architecture : str
        A key of :data:`ARCHITECTURES`; it supplies whichever half the user
        does not.
    encoder : callable, default=None
        Takes no argument and returns the user's encoder, a module mapping a
        batch of inputs (shaped ``(n, *spec.image_shape)`` when there is an
        image shape, else ``(n, n_features)``) to features of any shape. The
        features are flattened and projected linearly to the code, so the
        module can be a backbone that knows nothing of ``n_components``.
    decoder : callable, default=None
        Takes no argument and returns the user's decoder, a module mapping
        ``(n, n_components)`` codes to ``n_features`` values per row (any
        shape; they are flattened).
    variational : bool, default=False
        Build a :class:`VariationalNetwork` (an encoder with twice the
        code width, for means and log-variances).

    Returns
    -------
    AutoencoderNetwork

    Raises
    ------
    TypeError
        If the user's encoder or decoder returns something other than one
        tensor.
    ValueError
        If the user's encoder fails on a batch of the input's shape or does
        not return one row per input row, or the user's decoder does not
        produce ``n_features`` values for each row.
    """
    record = ARCHITECTURES[architecture]
    code_width = 2 * spec.n_components if variational else spec.n_components
    if encoder is None:
        encoder_module = record.encoder(spec, code_width)
    else:
        encoder_module = _wrap_user_encoder(encoder(), spec, code_width)
    if decoder is None:
        decoder_module = record.decoder(spec)
    else:
        decoder_module = _wrap_user_decoder(decoder(), spec)
    cls = VariationalNetwork if variational else AutoencoderNetwork
    return cls(encoder_module, decoder_module)


# Rows in the dry run of a user's module: not 1 or 2, so that a module that
# reduces or transposes the batch axis is caught.
_DRY_RUN_ROWS = 3


def _dry_run(module, shape, role):
    """The output of ``module`` on a zero batch of ``shape``, flattened per row.

    Evaluation mode keeps batch-norm statistics untouched; the module's mode is
    restored afterwards. The output must be one tensor with a row per input row.
    """
    parameter = next(module.parameters(), None)
    like = {"dtype": parameter.dtype, "device": parameter.device} if parameter is not None else {}
    was_training = module.training
    module.eval()
    name = type(module).__name__
    try:
        with torch.no_grad():
            output = module(torch.zeros(shape, **like))
    except Exception as exc:
        raise ValueError(
            f"The {role} {name} failed on a batch of shape {tuple(shape)}: {exc}. Check its "
            "parameters against image_shape and n_components."
        ) from exc
    finally:
        module.train(was_training)
    if not isinstance(output, torch.Tensor):
        raise TypeError(
            f"The {role} {name} returned a {type(output).__name__} for a batch of shape "
            f"{tuple(shape)}; it must return one torch.Tensor of shape ({shape[0]}, ...)."
        )
    if output.ndim < 1 or output.shape[0] != shape[0]:
        raise ValueError(
            f"The {role} {name} returned shape {tuple(output.shape)} for a batch of shape "
            f"{tuple(shape)}; it must return one row per input row, shape ({shape[0]}, ...)."
        )
    return output.reshape(shape[0], -1)


def _wrap_user_encoder(module, spec, code_width):
    input_shape = spec.image_shape or (spec.n_features,)
    n_outputs = _dry_run(module, (_DRY_RUN_ROWS, *input_shape), "encoder").shape[1]
    unflatten = nn.Unflatten(1, spec.image_shape) if spec.image_shape else nn.Identity()
    return nn.Sequential(unflatten, module, nn.Flatten(), nn.Linear(n_outputs, code_width))


def _wrap_user_decoder(module, spec):
    n_outputs = _dry_run(module, (_DRY_RUN_ROWS, spec.n_components), "decoder").shape[1]
    if n_outputs != spec.n_features:
        raise ValueError(
            f"The decoder {type(module).__name__} outputs {n_outputs} values per sample, but "
            f"X has {spec.n_features} features; it must reconstruct every feature."
        )
    return nn.Sequential(module, nn.Flatten())


def build_seeded(builder, *, seed, device, dtype):
    """Call ``builder()`` with torch's RNG seeded locally, then move the result.

    Layers draw their initial weights from torch's global generator when they
    are constructed. Building inside :func:`torch.random.fork_rng` seeded with
    ``seed`` makes the weights a function of ``seed`` alone and leaves the
    caller's global random state exactly as it was. This works for any module,
    including the user's own encoders and decoders.

    Parameters
    ----------
    builder : callable
        Takes no argument and returns a :class:`torch.nn.Module`.
    seed : int
        Seeds the initial weights.
    device : str or torch.device
        Where the module is moved after construction.
    dtype : torch.dtype
        The floating-point type of its parameters.

    Returns
    -------
    torch.nn.Module
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = builder()
    return module.to(device=device, dtype=dtype)
