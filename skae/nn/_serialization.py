"""Bytes in, bytes out for torch objects, loadable on any device."""

import io

import torch


def dumps(obj):
    """Serialize torch objects (modules, optimizers, tensors) to bytes."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def loads(data, *, map_location):
    """Inverse of :func:`dumps`, moving every tensor to ``map_location``.

    This is what lets a model trained on a GPU load on a machine without one.
    The bytes are a pickle, as trusted as the pickle that carried them.
    """
    return torch.load(io.BytesIO(data), map_location=map_location, weights_only=False)
