"""The convolutional architectures: stride-2 convolution stages and their transposed mirror,
and a VGG-style encoder of batch-normalised 3x3 convolution pairs and max pooling.

Each encoder stage halves the height and width (rounding up), so any image
size works: the decoder doubles them back and crops its output to the input's
size. Both encoders downsample alike, so they share the decoder. Rows stay
flat outside the network, in channels-first order.
"""

import math

from torch import nn

from skae.nn._dense import ACTIVATIONS


def downsampled_size(size, n_stages):
    """A side of ``size`` pixels after ``n_stages`` stride-2 stages (each rounds up)."""
    for _ in range(n_stages):
        size = math.ceil(size / 2)
    return size


class Crop(nn.Module):
    """Keep the top-left ``height x width`` pixels of a batch of images."""

    def __init__(self, height, width):
        super().__init__()
        self.height = height
        self.width = width

    def forward(self, x):
        return x[..., : self.height, : self.width]


def conv_encoder(spec, code_width):
    """Stride-2 3x3 convolutions with ``spec.conv_channels``, then a linear code.

    Parameters
    ----------
    spec : NetworkSpec
        Needs ``image_shape``, ``conv_channels`` and ``activation``.
    code_width : int
        Width of the output.

    Returns
    -------
    torch.nn.Sequential
        Maps flat rows to ``code_width`` columns.
    """
    channels, height, width = spec.image_shape
    layers = [nn.Unflatten(1, spec.image_shape)]
    for n_in, n_out in zip((channels, *spec.conv_channels[:-1]), spec.conv_channels, strict=True):
        layers += [nn.Conv2d(n_in, n_out, 3, stride=2, padding=1), ACTIVATIONS[spec.activation]()]
    layers += [nn.Flatten(), nn.Linear(_bottleneck_size(spec), code_width)]
    return nn.Sequential(*layers)


def vgg_encoder(spec, code_width):
    """VGG-style stages: two 3x3 convolutions, each batch-normalised, then 2x2 max pooling.

    Each stage of ``spec.conv_channels`` keeps the image size through its
    two convolutions (padding 1) and halves it by pooling (rounding up, as a
    stride-2 convolution does), so :func:`conv_decoder` mirrors it.

    Parameters
    ----------
    spec : NetworkSpec
        Needs ``image_shape``, ``conv_channels`` and ``activation``.
    code_width : int
        Width of the output.

    Returns
    -------
    torch.nn.Sequential
        Maps flat rows to ``code_width`` columns.
    """
    n_in = spec.image_shape[0]
    layers = [nn.Unflatten(1, spec.image_shape)]
    for n_out in spec.conv_channels:
        for _ in range(2):
            layers += [
                nn.Conv2d(n_in, n_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(n_out),
                ACTIVATIONS[spec.activation](),
            ]
            n_in = n_out
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
    layers += [nn.Flatten(), nn.Linear(_bottleneck_size(spec), code_width)]
    return nn.Sequential(*layers)


def conv_decoder(spec):
    """The mirror of :func:`conv_encoder`: a linear layer, then transposed convolutions.

    Parameters
    ----------
    spec : NetworkSpec
        Needs ``image_shape``, ``conv_channels``, ``activation`` and
        ``n_components``.

    Returns
    -------
    torch.nn.Sequential
        Maps ``n_components`` columns to flat rows of ``n_features`` values,
        the last layer linear.
    """
    channels, height, width = spec.image_shape
    n_stages = len(spec.conv_channels)
    activation = ACTIVATIONS[spec.activation]
    bottleneck = (
        spec.conv_channels[-1],
        downsampled_size(height, n_stages),
        downsampled_size(width, n_stages),
    )
    layers = [
        nn.Linear(spec.n_components, _bottleneck_size(spec)),
        activation(),
        nn.Unflatten(1, bottleneck),
    ]
    outputs = (*reversed(spec.conv_channels[:-1]), channels)
    for i, (n_in, n_out) in enumerate(zip(reversed(spec.conv_channels), outputs, strict=True)):
        layers.append(nn.ConvTranspose2d(n_in, n_out, 3, stride=2, padding=1, output_padding=1))
        if i < n_stages - 1:
            layers.append(activation())
    if (2**n_stages * bottleneck[1], 2**n_stages * bottleneck[2]) != (height, width):
        layers.append(Crop(height, width))
    layers.append(nn.Flatten())
    return nn.Sequential(*layers)


def _bottleneck_size(spec):
    _, height, width = spec.image_shape
    n_stages = len(spec.conv_channels)
    return (
        spec.conv_channels[-1]
        * downsampled_size(height, n_stages)
        * downsampled_size(width, n_stages)
    )
