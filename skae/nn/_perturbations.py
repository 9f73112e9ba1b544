"""Random perturbations of image batches, drawn on the fly during training.

Rows stay flat: a perturbation unflattens them to ``(n, channels, height,
width)``, perturbs, and flattens back. Every draw comes from the caller's
generator, so training stays reproducible and the global random state alone.
"""

import torch
from torch.nn import functional as F


def random_shift(x, image_shape, max_shift, generator):
    """Translate each image by up to ``max_shift`` pixels each way, filling with zeros.

    Parameters
    ----------
    x : torch.Tensor of shape (n, channels * height * width)
        Flat images.
    image_shape : tuple of int
        ``(channels, height, width)``.
    max_shift : int
        The largest translation, in pixels, along each axis.
    generator : torch.Generator
        Source of the offsets, on ``x``'s device.

    Returns
    -------
    torch.Tensor
        The shifted images, flat like ``x``.
    """
    if max_shift == 0 or len(x) == 0:
        return x
    n = len(x)
    channels, height, width = image_shape
    padded = F.pad(x.view(n, channels, height, width), (max_shift,) * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator, device=x.device)
    rows = offsets[0, :, None] + torch.arange(height, device=x.device)
    columns = offsets[1, :, None] + torch.arange(width, device=x.device)
    samples = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(channels, device=x.device)[None, :, None, None]
    shifted = padded[samples, channel, rows[:, None, :, None], columns[:, None, None, :]]
    return shifted.reshape(n, -1)


def random_flip(x, image_shape, generator):
    """Mirror each image left-right with probability 1/2.

    Parameters
    ----------
    x : torch.Tensor of shape (n, channels * height * width)
        Flat images.
    image_shape : tuple of int
        ``(channels, height, width)``.
    generator : torch.Generator
        Source of the coin flips, on ``x``'s device.

    Returns
    -------
    torch.Tensor
    """
    if len(x) == 0:
        return x
    images = x.view(len(x), *image_shape)
    flip = torch.rand(len(x), generator=generator, device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(-1), images).reshape(len(x), -1)


def random_noise(x, max_level, generator, value_range=None, clean_fraction=0.0):
    """Add Gaussian noise of a standard deviation each image draws, uniformly in [0, ``max_level``].

    A batch then mixes clean and noisy images, so batch normalisation's
    statistics describe both (one level for every image made clean images
    the outliers).

    Parameters
    ----------
    x : torch.Tensor of shape (n, n_features)
        Flat images.
    max_level : float
        The largest standard deviation.
    generator : torch.Generator
        Source of the levels and the noise, on ``x``'s device.
    value_range : tuple of float, default=None
        ``(low, high)`` the noisy values are clipped to, as a sensor's
        pixels saturate; None leaves them unclipped.
    clean_fraction : float, default=0.0
        Probability that an image is returned clean.

    Returns
    -------
    torch.Tensor
        The noisy images, flat like ``x``.
    """
    level = max_level * torch.rand(
        (len(x), *[1] * (x.ndim - 1)), generator=generator, device=x.device, dtype=x.dtype
    )
    noisy = x + level * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    if value_range is not None:
        noisy = noisy.clamp_(*value_range)
    if clean_fraction:
        clean = torch.rand(len(x), generator=generator, device=x.device) < clean_fraction
        noisy = torch.where(clean.view(-1, *[1] * (x.ndim - 1)), x, noisy)
    return noisy


class WeakPerturbation:
    """A small random perturbation of images: shifts and optional flips.

    Parameters
    ----------
    image_shape : tuple of int
        ``(channels, height, width)``.
    max_shift : int, default=2
        Largest translation in pixels (0: none).
    flip : bool, default=False
        Mirror left-right with probability 1/2.
    """

    def __init__(self, image_shape, *, max_shift=2, flip=False):
        self.image_shape = image_shape
        self.max_shift = max_shift
        self.flip = flip

    def __call__(self, x, generator):
        x = random_shift(x, self.image_shape, self.max_shift, generator)
        if self.flip:
            x = random_flip(x, self.image_shape, generator)
        return x
