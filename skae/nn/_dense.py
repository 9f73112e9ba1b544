"""The dense (fully connected) architecture: a stack of linear layers and its mirror."""

from torch import nn

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
}


def dense_stack(sizes, activation):
    """Linear layers between consecutive ``sizes``; ``activation`` between them.

    Parameters
    ----------
    sizes : sequence of int
        Widths from the input to the output.
    activation : str
        A key of :data:`ACTIVATIONS`.

    Returns
    -------
    torch.nn.Sequential
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def dense_encoder(spec, code_width):
    """``n_features -> *hidden_layer_sizes -> code_width``, a linear code."""
    return dense_stack([spec.n_features, *spec.hidden_layer_sizes, code_width], spec.activation)


def dense_decoder(spec):
    """The mirror of :func:`dense_encoder`, ending in a linear output layer."""
    sizes = [spec.n_components, *reversed(spec.hidden_layer_sizes), spec.n_features]
    return dense_stack(sizes, spec.activation)
