"""Plain values to JSON and tensors, and back, executing nothing on the way back.

:func:`encode` turns an attribute value into JSON data, putting numeric
arrays and tensors into a ``tensors`` dictionary (written as safetensors)
under names it chooses. The JSON tags a value that JSON cannot say by itself
(a tuple, an array, a dataclass record, a class) with a one-key object such
as ``{"__tuple__": [...]}``. :func:`decode` reverses it; the only names it
resolves are the record types of :data:`RECORDS` and the callables the
caller trusts.
"""

import dataclasses
import functools
import importlib
import math
import os
import pathlib

import numpy as np
import torch

from skae._fitted import FittedConfig, Seeds
from skae.nn import NetworkSpec

#: The dataclass records a saved model may hold, by name.
RECORDS = {cls.__name__: cls for cls in (FittedConfig, NetworkSpec, Seeds)}


class UntrustedTypeError(ValueError):
    """A file names a class or function that the caller did not trust."""


def qualified_name(obj):
    """``module.QualifiedName`` of a class or function."""
    return f"{obj.__module__}.{obj.__qualname__}"


def encode(value, tensors, name):
    """JSON data for ``value``; arrays go to ``tensors`` under names starting with ``name``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, tensors, f"{name}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, tensors, f"{name}.{i}") for i, v in enumerate(value)]
    if isinstance(value, dict):
        items = [
            [encode(k, tensors, f"{name}.key{i}"), encode(v, tensors, f"{name}.{_label(k, i)}")]
            for i, (k, v) in enumerate(value.items())
        ]
        return {"__dict__": items}
    if isinstance(value, torch.Tensor):
        tensors[name] = value.detach().cpu().clone(memory_format=torch.contiguous_format)
        return {"__tensor__": name}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            tensors[name] = torch.from_numpy(np.ascontiguousarray(value))
            return {"__ndarray__": name}
        if value.dtype.kind in "UO" and all(isinstance(v, str) for v in value.ravel()):
            return {"__strings__": value.tolist(), "dtype": value.dtype.str}
        raise TypeError(f"{name}: cannot save an array of dtype {value.dtype}.")
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
    if isinstance(value, os.PathLike):  # e.g. a checkpoint's path
        return {"__path__": os.fspath(value)}
    if dataclasses.is_dataclass(value) and type(value).__name__ in RECORDS:
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"__record__": type(value).__name__, "fields": encode(fields, tensors, name)}
    if isinstance(value, functools.partial):
        return {
            "__partial__": encode(value.func, tensors, name),
            "args": encode(value.args, tensors, f"{name}.args"),
            "keywords": encode(value.keywords, tensors, f"{name}.keywords"),
        }
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        if "<locals>" in value.__qualname__ or "<lambda>" in value.__qualname__:
            raise TypeError(
                f"{name}: {value.__qualname__} is defined inside a function, so a file "
                "cannot name it; define it at the top level of a module."
            )
        return {"__callable__": qualified_name(value)}
    raise TypeError(f"{name}: cannot save a value of type {type(value).__name__}.")


def _label(key, index):
    """The part of a tensor's (or an error's) name that says which item of a dict it is."""
    return key if isinstance(key, str) and key.isidentifier() else str(index)


def decode(data, tensors, trusted):
    """The value :func:`encode` made ``data`` from; callables only if their name is trusted."""
    if isinstance(data, list):
        return [decode(v, tensors, trusted) for v in data]
    if not isinstance(data, dict):
        return data
    (tag, *_) = data
    if tag == "__float__":
        return float(data[tag])
    if tag == "__tuple__":
        return tuple(decode(v, tensors, trusted) for v in data[tag])
    if tag == "__dict__":
        return {decode(k, tensors, trusted): decode(v, tensors, trusted) for k, v in data[tag]}
    if tag == "__tensor__":
        return tensors[data[tag]]
    if tag == "__ndarray__":
        return tensors[data[tag]].numpy()
    if tag == "__strings__":
        return np.array(data[tag], dtype=np.dtype(data["dtype"]))
    if tag == "__device__":
        return torch.device(data[tag])
    if tag == "__path__":
        return pathlib.Path(data[tag])
    if tag == "__record__":
        if data[tag] not in RECORDS:
            raise ValueError(f"The file holds an unknown record type {data[tag]!r}.")
        return RECORDS[data[tag]](**decode(data["fields"], tensors, trusted))
    if tag == "__partial__":
        return functools.partial(
            decode(data[tag], tensors, trusted),
            *decode(data["args"], tensors, trusted),
            **decode(data["keywords"], tensors, trusted),
        )
    if tag == "__callable__":
        return resolve_callable(data[tag], trusted)
    raise ValueError(f"The file holds an unknown value tag {tag!r}.")


def callables_in(data):
    """The names of the callables JSON ``data`` refers to, for ``get_untrusted_types``."""
    if isinstance(data, list):
        return {name for item in data for name in callables_in(item)}
    if not isinstance(data, dict):
        return set()
    found = {data["__callable__"]} if "__callable__" in data else set()
    return found | {name for value in data.values() for name in callables_in(value)}


def resolve_callable(name, trusted):
    """Import ``name`` (``module.Qualified``), which must be skae's own or in ``trusted``."""
    if not (name.startswith("skae.") or name in trusted):
        raise UntrustedTypeError(
            f"The file names {name!r}, which is not trusted: loading it would import and "
            f"run its code. If you trust the file, pass trusted=[{name!r}]."
        )
    module_name, _, qualname = name.rpartition(".")
    while module_name:
        try:
            module = importlib.import_module(module_name)
            break
        except ModuleNotFoundError:
            module_name, _, outer = module_name.rpartition(".")
            qualname = f"{outer}.{qualname}"
    else:
        raise ValueError(f"The file names {name!r}, which cannot be imported here.")
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    # The name must be the object's own, not a path through an import of another module
    # (skae._base.sys.exit is sys.exit, which nobody trusted).
    if obj is None or getattr(obj, "__module__", None) is None or qualified_name(obj) != name:
        raise UntrustedTypeError(f"The file names {name!r}, which is not defined there.")
    return obj
