"""Data larger than memory: telling it apart, and validating it without loading it.

An out-of-core X is a :class:`numpy.memmap`, or any array-like that is not
an ndarray but has a ``shape``, a numpy ``dtype`` and slices (an h5py or zarr
dataset, a dask array). :func:`validate_X` checks it as
:func:`~sklearn.utils.validation.validate_data` checks an array (dimensions,
dtype, sizes, features, NaN and infinity) by reading it once in blocks, and
returns an :class:`OutOfCoreData`: the source, its validated dtype and its
range of values, which the fit template reads instead of ``X.min()`` and
``X.max()``. Training reads it through :class:`~skae.nn.ChunkedBatches`,
inference through slices of ``INFERENCE_BATCH_SIZE`` rows.
"""

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array, validate_data

from skae.nn._chunked import release_pages
from skae.nn._inference import INFERENCE_BATCH_SIZE

#: The most bytes (as float64) of one block read outside training.
_BLOCK_BYTES = 2**23


def is_out_of_core(X):
    """Whether X is read by chunks instead of converted to one ndarray."""
    if isinstance(X, np.memmap):
        return True
    if isinstance(X, np.ndarray) or sp.issparse(X) or hasattr(X, "iloc"):  # pandas
        return False
    if not all(hasattr(X, name) for name in ("shape", "dtype", "__getitem__")):
        return False
    try:  # torch tensors and polars series have dtypes of their own
        np.dtype(X.dtype)
    except TypeError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class OutOfCoreData:
    """A validated out-of-core X: its source, shape, dtype and range of values.

    ``len`` and ``shape`` work as on an array. Indexing reads rows into
    memory: a slice (``X[start:stop]``, ``X[::step]``) and ``X[mask]`` (a
    boolean mask over the rows, read block by block) are ndarrays of ``dtype``.

    Attributes
    ----------
    source : array-like
        The data as the user gave it.
    shape : tuple of int
        ``(n_samples, n_features)``.
    dtype : numpy.dtype
        float32 or float64: the source's if it is one of them, else float64,
        as ``validate_data(..., dtype=[np.float64, np.float32])`` gives.
    value_range : tuple of float
        The smallest and largest value.
    """

    source: object
    shape: tuple
    dtype: np.dtype
    value_range: tuple

    def __len__(self):
        return self.shape[0]

    @property
    def size(self):
        return math.prod(self.shape)

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step == 1:
                return self._read(start, max(start, stop))
            return np.array(self.source[start:stop:step], dtype=self.dtype, copy=True)
        mask = np.asarray(key)
        if mask.dtype != bool or mask.shape != (len(self),):
            raise IndexError("OutOfCoreData takes a slice or a boolean mask over the rows.")
        parts = [
            self._read(start, stop)[mask[start:stop]]
            for start, stop in _blocks(self.shape)
            if mask[start:stop].any()
        ]
        return np.concatenate([self._read(0, 0), *parts])

    def _read(self, start, stop):
        rows = np.array(self.source[start:stop], dtype=self.dtype, copy=True)
        release_pages(self.source)
        return rows.reshape(stop - start, self.shape[1])


def validate_X(estimator, X, *, reset):
    """X for ``fit`` (``reset=True``) or ``transform``-like methods (``reset=False``).

    An ndarray-convertible X goes through
    ``validate_data(estimator, X, dtype=[np.float64, np.float32])``; an
    out-of-core one through :func:`check_out_of_core`.
    """
    if is_out_of_core(X):
        return check_out_of_core(estimator, X, reset=reset)
    return validate_data(estimator, X, dtype=[np.float64, np.float32], reset=reset)


def check_out_of_core(estimator, X, *, reset):
    """Validate an out-of-core X as ``validate_data`` would an array; return an OutOfCoreData.

    The checks on its shape and dtype come first, then ``n_features_in_``
    (set with ``reset``, else compared), then one pass over the rows in
    blocks for NaN, infinity and the range, each block given back (see
    :func:`~skae.nn._chunked.release_pages`) once read.
    """
    name = type(estimator).__name__
    if any(isinstance(side, float) and math.isnan(side) for side in X.shape):
        raise ValueError(
            f"X has sizes that are not known yet (shape {X.shape}): a dask array whose chunk "
            "sizes are unknown, after boolean indexing say. Call X.compute_chunk_sizes() "
            "first."
        )
    shape = tuple(int(side) for side in X.shape)
    dtype = np.dtype(X.dtype)
    if len(shape) != 2:
        if len(shape) > 2:
            raise ValueError(f"Found array with dim {len(shape)}. {name} expected <= 2.")
        raise ValueError(
            f"Expected 2D array, got {'scalar' if not shape else '1D'} array instead. Reshape "
            "your data either using array.reshape(-1, 1) if your data has a single feature "
            "or array.reshape(1, -1) if it contains a single sample."
        )
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported\n{X!r}\n")
    if dtype.kind not in "biuf":
        raise ValueError(
            f"{name} reads X by chunks when it is out of core ({type(X).__name__}), so it "
            f"needs a numeric dtype (bool, integer or float), got {dtype}. Convert the data, "
            "or pass it as an ndarray."
        )
    for axis, what in enumerate(("sample(s)", "feature(s)")):
        if shape[axis] < 1:
            raise ValueError(
                f"Found array with {shape[axis]} {what} (shape={shape}) while a minimum "
                f"of 1 is required by {name}."
            )
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    low, high = math.inf, -math.inf
    for start, stop in _blocks(shape):
        rows = np.asarray(X[start:stop])
        if dtype.kind == "f":  # sklearn's own messages for NaN and infinity
            check_array(rows, dtype=[np.float64, np.float32], input_name="X", estimator=estimator)
        low, high = min(low, float(rows.min())), max(high, float(rows.max()))
        release_pages(X)
    validated = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return OutOfCoreData(X, shape, validated, (low, high))


def value_range(X):
    """``(min, max)`` of a validated X, precomputed for an out-of-core one; None if empty."""
    if isinstance(X, OutOfCoreData):
        return X.value_range
    return (X.min(), X.max()) if X.size else None


def _blocks(shape):
    """``(start, stop)`` of blocks of at most ``INFERENCE_BATCH_SIZE`` rows and 8 MiB."""
    n_rows, n_features = shape
    step = max(1, min(INFERENCE_BATCH_SIZE, _BLOCK_BYTES // (8 * n_features)))
    return [(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]
