"""Checks and normalisation of the estimators' parameters that shape the network."""

import inspect
import math
from numbers import Integral

MODULE_PREFIXES = ("encoder__", "decoder__")

# Parameters that shape the network: warm_start and partial_fit cannot change them.
STRUCTURAL_PARAMETERS = (
    "n_components",
    "architecture",
    "image_shape",
    "hidden_layer_sizes",
    "conv_channels",
    "activation",
    "encoder",
    "decoder",
)


def positive_sizes(sizes, name):
    """``sizes`` (an int or a sequence) as a tuple of positive ints; ``name`` for the error."""
    sizes = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
    if any(not isinstance(size, Integral) or size < 1 for size in sizes):
        raise ValueError(f"{name} must hold positive integers, got {sizes}.")
    return tuple(int(size) for size in sizes)


def resolve_image_shape(image_shape, n_features):
    """``(channels, height, width)`` from the user's ``image_shape``, or None."""
    if image_shape is None:
        return None
    shape = tuple(image_shape)
    if len(shape) not in (2, 3) or any(
        not isinstance(side, Integral) or (side < 1 and side != -1) for side in shape
    ):
        raise ValueError(
            f"image_shape must be (height, width) or (channels, height, width) of positive "
            f"integers (one may be -1), got {image_shape!r}."
        )
    if shape.count(-1) > 1:
        raise ValueError(f"image_shape may hold one -1, got {image_shape!r}.")
    known = math.prod(side for side in shape if side != -1)
    if -1 in shape:
        if n_features % known:
            raise ValueError(
                f"X has {n_features} features per row, which image_shape {image_shape!r} "
                f"cannot hold: {n_features} is not a multiple of {known}."
            )
        shape = tuple(n_features // known if side == -1 else side for side in shape)
    elif known != n_features:
        raise ValueError(
            f"X has {n_features} features per row, but image_shape {image_shape!r} "
            f"holds {known} pixels."
        )
    return tuple(int(side) for side in (shape if len(shape) == 3 else (1, *shape)))


def accepts_argument(factory, name):
    """Whether ``factory`` (a class or function) takes a keyword argument ``name``."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def same_value(a, b):
    """Equality that tolerates values (arrays, modules) without a plain ``==``."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
