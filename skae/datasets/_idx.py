"""Reading IDX files, the format of MNIST and Fashion-MNIST, gzipped or plain."""

import gzip
import zlib
from pathlib import Path

import numpy as np

# Third byte of the magic number -> big-endian element type.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class DataFileError(ValueError):
    """A data file is corrupt, truncated or not the expected file; the message names it."""


def read_idx_bytes(path):
    """The IDX bytes of ``path``, decompressed when the file is gzipped.

    Gzip is recognised by its magic bytes, not by the file name. A truncated
    or corrupt gzip stream raises a ``DataFileError`` that names the file.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataFileError(f"{path}: truncated or corrupt gzip file ({exc}).") from exc


def parse_idx(content, source):
    """Parse IDX bytes into a native-endian array; ``source`` names them in errors.

    The header is two zero bytes, a type code, the number of dimensions, then
    one big-endian int32 per dimension. The payload must fill the shape exactly.
    """
    if len(content) < 4 or content[:2] != b"\x00\x00":
        raise DataFileError(f"{source}: not an IDX file (bad magic number {content[:4].hex()!r}).")
    type_code, n_dims = content[2], content[3]
    if type_code not in _IDX_DTYPES:
        raise DataFileError(f"{source}: unknown IDX element type 0x{type_code:02x}.")
    header_size = 4 + 4 * n_dims
    if len(content) < header_size:
        raise DataFileError(f"{source}: truncated IDX header.")
    shape = tuple(int(d) for d in np.frombuffer(content, dtype=">i4", count=n_dims, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = header_size + dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(content) != expected:
        raise DataFileError(
            f"{source}: the header announces shape {shape} ({expected} bytes) but the file "
            f"holds {len(content)} bytes; it is truncated or corrupt."
        )
    array = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def read_idx(path):
    """Read an IDX file (gzipped or plain) into a numpy array.

    Parameters
    ----------
    path : str or path-like
        The file to read.

    Returns
    -------
    array : ndarray
        The array, with the file's shape and element type, in native byte order.

    Raises
    ------
    DataFileError
        If the file is not a well-formed IDX file; the message names the file.
    """
    return parse_idx(read_idx_bytes(path), path)
