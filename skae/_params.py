"""Checks and normalisation of the estimators' parameters that shape the network."""

import functools
import inspect
import math
from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import StrOptions

MODULE_PREFIXES = ("encoder__", "decoder__")

# Parameters that can shape the network, in the order a structural change is reported.
STRUCTURAL_PARAMETERS = (
    "n_components",
    "architecture",
    "encoder",
    "decoder",
    "image_shape",
    "hidden_layer_sizes",
    "conv_channels",
    "activation",
)


def allow_auto(constraints, names):
    """``constraints`` (``_parameter_constraints``) with ``"auto"`` allowed for ``names``."""
    return {
        name: [StrOptions({"auto"}), *rules] if name in names else rules
        for name, rules in constraints.items()
    }


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
    """Whether ``factory`` (a class or function) names a parameter ``name``.

    A catch-all ``**kwargs`` does not count: it may forward to code that
    never asked for the argument.
    """
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    parameter = parameters.get(name)
    return parameter is not None and parameter.kind is not parameter.VAR_POSITIONAL


def same_value(a, b):
    """Whether two parameter values are equal: sequences by content, arrays and tensors too."""
    if a is b:
        return True
    a, b = _as_tuple(a), _as_tuple(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    try:
        return bool(a == b)
    except Exception:  # an object whose == does not give a truth value
        return False


def _as_tuple(value):
    if isinstance(value, list | tuple):
        return tuple(_as_tuple(item) for item in value)
    return value


def factory_name(factory):
    """``module.QualifiedName`` of a class or function: how structure checks compare it.

    A :func:`functools.partial` is named with its arguments, so that a
    change of them counts as a change of structure.
    """
    if isinstance(factory, functools.partial):
        arguments = [repr(a) for a in factory.args]
        arguments += [f"{k}={v!r}" for k, v in sorted(factory.keywords.items())]
        return f"functools.partial({factory_name(factory.func)}, {', '.join(arguments)})"
    module = getattr(factory, "__module__", None)
    name = getattr(factory, "__qualname__", None) or type(factory).__qualname__
    return f"{module}.{name}" if module else name
