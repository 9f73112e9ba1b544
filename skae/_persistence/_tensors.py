"""Tensors as a safetensors part: written by ``safetensors``, read after checking its header.

A safetensors part is an 8-byte little-endian header size, a JSON header
naming each tensor's dtype, shape and byte range, then the bytes. Reading
checks the header as safetensors' own loader does, and more strictly, before
a tensor is made: a known dtype, non-negative integer shapes, byte ranges
that match their shapes and tile the data exactly, nothing else in the
header but string metadata. A tensor then takes exactly its bytes in the
file, so reading never allocates more than the part's size.
"""

import math
import struct

import torch

from skae._extras import import_extra
from skae._persistence._container import parse_json
from skae._persistence._errors import ModelFileError

#: The dtypes a part may hold, by safetensors' name.
DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_METADATA = "__metadata__"
_MAX_NDIM = 16


def dumps(tensors):
    """The safetensors bytes of ``tensors`` (a dict of CPU tensors by name)."""
    return import_extra("safetensors.torch", "persistence", "Saving skae models").save(tensors)


def header(data, where, budget):
    """The checked header of the part ``data``: ``{name: (dtype, shape, start, end)}``.

    ``start`` and ``end`` are offsets into ``data``; ``budget`` is the file's
    :class:`~skae._persistence._container.JsonBudget`.
    """
    if len(data) < 8:
        raise ModelFileError(f"{where} is truncated.")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise ModelFileError(f"{where}: its header is larger than the part.")
    fields = parse_json(data[8 : 8 + size], f"{where}: its header", budget)
    if not isinstance(fields, dict):
        raise ModelFileError(f"{where}: its header is malformed.")
    metadata = fields.pop(_METADATA, {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelFileError(f"{where}: its metadata is malformed.")
    base = 8 + size
    entries = {name: _entry(name, value, base, where) for name, value in fields.items()}
    offset = base
    for name, (_, _, start, end) in sorted(entries.items(), key=lambda item: item[1][2]):
        if start != offset:
            raise ModelFileError(f"{where}: tensor {name!r} does not follow the one before.")
        offset = end
    if offset != len(data):
        raise ModelFileError(f"{where}: its tensors do not fill the part exactly.")
    return entries


def _entry(name, value, base, where):
    if not (isinstance(value, dict) and set(value) == {"dtype", "shape", "data_offsets"}):
        raise ModelFileError(f"{where}: tensor {name[:60]!r} is malformed.")
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if dtype not in DTYPES:
        raise ModelFileError(f"{where}: tensor {name[:60]!r} has an unknown dtype.")
    if not (
        isinstance(shape, list)
        and len(shape) <= _MAX_NDIM
        and all(_is_count(n) for n in shape)
        and isinstance(offsets, list)
        and len(offsets) == 2
        and all(_is_count(n) for n in offsets)
    ):
        raise ModelFileError(f"{where}: tensor {name[:60]!r} has a malformed shape or offsets.")
    start, end = offsets
    if end - start != math.prod(shape) * DTYPES[dtype].itemsize:
        raise ModelFileError(f"{where}: tensor {name[:60]!r} disagrees with its shape.")
    return dtype, tuple(shape), base + start, base + end


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def loads(data, entries):
    """The tensors of ``entries`` (from :func:`header`), each a copy of its bytes in ``data``."""
    tensors = {}
    for name, (dtype, shape, start, end) in entries.items():
        if start == end:
            tensors[name] = torch.empty(shape, dtype=DTYPES[dtype])
        else:
            buffer = bytearray(data[start:end])
            tensors[name] = torch.frombuffer(buffer, dtype=DTYPES[dtype]).reshape(shape)
    return tensors
