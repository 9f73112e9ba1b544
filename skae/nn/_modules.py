"""Network builders: every autoencoder is an ``encoder`` and a ``decoder``."""

import torch
from torch import nn

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


class Autoencoder(nn.Module):
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

    def forward(self, x):
        """Reconstruct ``x`` (in the decoder's raw output space)."""
        return self.decoder(self.encoder(x))


def _dense_stack(sizes, activation):
    """Linear layers between consecutive ``sizes``; ``activation`` between them."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def build_dense_autoencoder(n_features, n_components, hidden_layer_sizes, activation):
    """A fully connected autoencoder with a mirrored decoder.

    The encoder is ``n_features -> *hidden_layer_sizes -> n_components`` with
    ``activation`` after every hidden layer and a linear code; the decoder
    mirrors it back to ``n_features`` with a linear output.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    n_components : int
        Width of the code.
    hidden_layer_sizes : sequence of int
        Widths of the encoder's hidden layers, outermost first.
    activation : {"relu", "tanh", "logistic", "identity"}
        Activation after every hidden layer.

    Returns
    -------
    Autoencoder
    """
    encoder_sizes = [n_features, *hidden_layer_sizes, n_components]
    return Autoencoder(
        encoder=_dense_stack(encoder_sizes, activation),
        decoder=_dense_stack(encoder_sizes[::-1], activation),
    )


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
