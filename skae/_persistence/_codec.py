"""Plain values to JSON and tensors, and back, executing nothing on the way back.

:func:`encode` turns an attribute value into JSON data, putting numeric
arrays and tensors into a ``tensors`` dictionary (written as safetensors)
under names it chooses. The JSON tags a value that JSON cannot say by itself
(a tuple, an array, a dataclass record, a class) with a small object such as
``{"__tuple__": [...]}``. :func:`decode` reverses it under a strict grammar:
each tag has exactly its keys, record types come from the fixed table
:data:`RECORDS`, and a class or function is only ever a name handed to the
caller's ``resolve``, which decides whether it is trusted: :func:`review`
keeps every name a :class:`Named`, importing nothing, which is how a file is
reviewed before it is trusted.
"""

import dataclasses
import functools
import importlib
import math
import re

import numpy as np
import torch

from skae._fitted import FittedConfig, Seeds
from skae._persistence._errors import ModelFileError, UntrustedTypeError
from skae.nn import NetworkSpec

#: The dataclass records a saved model may hold, by name.
RECORDS = {cls.__name__: cls for cls in (FittedConfig, NetworkSpec, Seeds)}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_STRINGS_DTYPE = re.compile(r"[<>=|]U[0-9]{1,6}|\|O")
_DEVICE = re.compile(r"[a-z]{2,8}(:[0-9]{1,4})?")
#: Bytes of string arrays a record may decode to, besides its JSON's size times this.
_STRING_BYTES = 2**20
_STRING_RATIO = 8


def qualified_name(obj):
    """``module.QualifiedName`` of a class or function."""
    return f"{obj.__module__}.{obj.__qualname__}"


# ----------------------------------------------------------------- encoding


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
        return _encode_array(value, tensors, name)
    if isinstance(value, torch.device):
        return {"__device__": str(value)}
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
        return {"__callable__": _nameable(value, name)}
    raise TypeError(f"{name}: cannot save a value of type {type(value).__name__}.")


def _encode_array(value, tensors, name):
    if type(value) is not np.ndarray:
        raise TypeError(f"{name}: cannot save a {type(value).__name__}; pass a plain array.")
    if value.dtype.kind in "biuf" and value.dtype.fields is None and not value.dtype.subdtype:
        tensors[name] = torch.from_numpy(np.ascontiguousarray(value))
        return {"__ndarray__": name}
    if value.dtype.kind in "UO" and all(isinstance(v, str) for v in value.ravel()):
        return {"__strings__": value.tolist(), "dtype": value.dtype.str}
    raise TypeError(f"{name}: cannot save an array of dtype {value.dtype}.")


def _nameable(value, name):
    """``value``'s qualified name, if another process can import it by that name."""
    if "<locals>" in value.__qualname__ or "<lambda>" in value.__qualname__:
        raise TypeError(
            f"{name}: {value.__qualname__} is defined inside a function, so a file "
            "cannot name it; define it at the top level of a module."
        )
    if value.__module__ == "__main__":
        raise TypeError(
            f"{name}: {value.__qualname__} is defined in __main__ (a script or a notebook), "
            "which no other process can import by that name; define it in a module and "
            "import it from there."
        )
    if value.__module__.split(".")[0] == "skae":
        raise TypeError(
            f"{name}: {qualified_name(value)} is part of skae, which a file may not name; "
            "wrap it in a function of your own module."
        )
    return qualified_name(value)


def _label(key, index):
    """The part of a tensor's (or an error's) name that says which item of a dict it is."""
    return key if isinstance(key, str) and key.isidentifier() else str(index)


# ----------------------------------------------------------------- decoding


class Named:
    """A class or function a file names, unresolved: what a review of the file sees."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.name} was not resolved.")

    def __repr__(self):
        return f"Named({self.name!r})"


def review(name):
    """A ``resolve`` for :func:`decode` that imports nothing: every name stays :class:`Named`."""
    return Named(name)


def decode(data, tensors, resolve, where, *, string_budget):
    """The value :func:`encode` made ``data`` from.

    Parameters
    ----------
    data : JSON value
    tensors : dict of str to torch.Tensor
        The tensors the data may name.
    resolve : callable
        ``resolve(name)`` for every class or function named: :func:`review`,
        or one that imports trusted names only.
    where : str
        Names the data in errors.
    string_budget : int
        Bytes that string arrays may take.

    Returns
    -------
    value : object

    Raises
    ------
    ModelFileError
        For anything :func:`encode` never writes.
    """
    return _Decoder(tensors, resolve, string_budget).value(data, where)


def string_budget(json_size):
    """Bytes the string arrays of a JSON part of ``json_size`` bytes may decode to."""
    return _STRING_BYTES + _STRING_RATIO * json_size


class _Decoder:
    """One pass of :func:`decode`; counts the bytes of the string arrays it makes."""

    def __init__(self, tensors, resolve, budget):
        self.tensors, self.resolve, self.budget = tensors, resolve, budget

    def value(self, data, where):
        if data is None or isinstance(data, bool | int | float | str):
            return data
        if isinstance(data, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(data)]
        if not isinstance(data, dict) or not data:
            raise ModelFileError(f"{where}: malformed value.")
        tag = next(iter(data))
        if tag not in _TAGS:
            raise ModelFileError(f"{where}: unknown value tag {tag[:40]!r}.")
        return getattr(self, _TAGS[tag])(data, where)

    def _fields(self, data, where, *keys):
        """The values of ``data``'s keys, which must be exactly the tag and ``keys``."""
        tag = next(iter(data))
        if set(data) != {tag, *keys}:
            raise ModelFileError(f"{where}: malformed {tag} value.")
        return [data[tag]] + [data[key] for key in keys]

    def _float(self, data, where):
        (text,) = self._fields(data, where)
        if text not in ("nan", "inf", "-inf"):
            raise ModelFileError(f"{where}: malformed __float__ value.")
        return float(text)

    def _tuple(self, data, where):
        (items,) = self._fields(data, where)
        return tuple(self._list(items, where))

    def _list(self, items, where):
        if not isinstance(items, list):
            raise ModelFileError(f"{where}: malformed sequence.")
        return self.value(items, where)

    def _dict(self, data, where):
        (items,) = self._fields(data, where)
        if not isinstance(items, list):
            raise ModelFileError(f"{where}: malformed __dict__ value.")
        result = {}
        for i, item in enumerate(items):
            if not (isinstance(item, list) and len(item) == 2):
                raise ModelFileError(f"{where}: malformed __dict__ item {i}.")
            key = self.value(item[0], f"{where}.key{i}")
            if not _is_key(key) or key in result:
                raise ModelFileError(f"{where}: malformed or repeated key {str(key)[:40]!r}.")
            result[key] = self.value(item[1], f"{where}.{str(key)[:40]}")
        return result

    def _tensor(self, data, where):
        (name,) = self._fields(data, where)
        if not isinstance(name, str) or name not in self.tensors:
            raise ModelFileError(f"{where}: names a tensor the file does not hold.")
        return self.tensors[name]

    def _ndarray(self, data, where):
        tensor = self._tensor(data, where)
        if tensor.dtype == torch.bfloat16:
            raise ModelFileError(f"{where}: an array of bfloat16, which numpy has not.")
        return tensor.numpy()

    def _strings(self, data, where):
        values, dtype = self._fields(data, where, "dtype")
        if not isinstance(dtype, str) or not _STRINGS_DTYPE.fullmatch(dtype):
            raise ModelFileError(f"{where}: strings of dtype {str(dtype)[:40]!r}.")
        shape, count = _nested_shape(values, where)
        self.budget -= count * np.dtype(dtype).itemsize
        if self.budget < 0:
            raise ModelFileError(f"{where}: its string arrays would take too much memory.")
        array = np.empty(count, dtype=dtype)
        array[:] = _flattened(values, len(shape))
        return array.reshape(shape)

    def _device(self, data, where):
        (name,) = self._fields(data, where)
        if not isinstance(name, str) or not _DEVICE.fullmatch(name):
            raise ModelFileError(f"{where}: malformed device.")
        try:
            return torch.device(name)
        except RuntimeError:
            raise ModelFileError(f"{where}: unknown device {name!r}.") from None

    def _record(self, data, where):
        name, fields = self._fields(data, where, "fields")
        cls = RECORDS.get(name) if isinstance(name, str) else None
        if cls is None:
            raise ModelFileError(f"{where}: unknown record type {str(name)[:40]!r}.")
        values = self.value(fields, where)
        expected = {field.name for field in dataclasses.fields(cls)}
        if not isinstance(values, dict) or set(values) != expected:
            raise ModelFileError(f"{where}: malformed {name} record.")
        return cls(**values)

    def _partial(self, data, where):
        func, args, keywords = self._fields(data, where, "args", "keywords")
        if not (isinstance(func, dict) and set(func) == {"__callable__"}):
            raise ModelFileError(f"{where}: a partial of something other than a named factory.")
        func, args, keywords = (self.value(v, where) for v in (func, args, keywords))
        if not isinstance(args, tuple) or not isinstance(keywords, dict):
            raise ModelFileError(f"{where}: malformed __partial__ value.")
        if not all(isinstance(key, str) and key.isidentifier() for key in keywords):
            raise ModelFileError(f"{where}: malformed __partial__ keywords.")
        return functools.partial(func, *args, **keywords)

    def _callable(self, data, where):
        (name,) = self._fields(data, where)
        if not isinstance(name, str) or len(name) > 500 or not _NAME.fullmatch(name):
            raise ModelFileError(f"{where}: malformed name {str(name)[:40]!r}.")
        if name.split(".")[0] == "skae":
            raise ModelFileError(
                f"{where} names {name!r}, a part of skae that a file skae wrote never names: "
                "the file was crafted."
            )
        return self.resolve(name)


#: Each tag :func:`encode` writes, and the method of :class:`_Decoder` that reads it.
_TAGS = {
    f"__{name}__": f"_{name}"
    for name in (
        "float", "tuple", "dict", "tensor", "ndarray", "strings", "device", "record",
        "partial", "callable",
    )
}  # fmt: skip


def _is_key(key):
    return key is None or isinstance(key, bool | int | float | str)


def _nested_shape(values, where):
    """The shape of nested lists of strings, which must be rectangular, and its size."""
    shape, level = [], [values]
    while all(isinstance(item, list) for item in level):
        lengths = {len(item) for item in level}
        if len(lengths) != 1 or len(shape) == 32:
            raise ModelFileError(f"{where}: ragged or malformed strings.")
        shape.append(lengths.pop())
        level = [child for item in level for child in item]
        if not level:
            break
    if level and not all(isinstance(item, str) for item in level):
        raise ModelFileError(f"{where}: strings that are not all strings.")
    if not shape:
        raise ModelFileError(f"{where}: malformed strings.")
    return tuple(shape), math.prod(shape)


def _flattened(values, ndim):
    for _ in range(ndim - 1):
        values = [child for item in values for child in item]
    return values


def resolve_callable(name, trusted):
    """Import ``name`` (``module.Qualified``), which must be in ``trusted``."""
    if name not in trusted:
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
        raise ModelFileError(f"The file names {name!r}, which cannot be imported here.")
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    # The name must be the object's own, not a path through an import of another module
    # (mypackage.os.system is os.system, which nobody trusted).
    if not callable(obj) or getattr(obj, "__module__", None) is None or qualified_name(obj) != name:
        raise UntrustedTypeError(f"The file names {name!r}, which is not defined there.")
    return obj
