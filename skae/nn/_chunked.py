"""Training batches read from an array on disk, chunk by chunk: data larger than memory.

:class:`ChunkedBatches` is the out-of-core twin of
:class:`~skae.nn.InMemoryBatches`: the same re-iterable batch source for
:func:`~skae.nn.fit_loop`, over any array-like whose slices are arrays (a
:class:`numpy.memmap`, an h5py or zarr dataset, a dask array), holding one
window of chunks in memory at a time. :func:`release_pages` gives the pages of
a memory map back once a chunk is read, so that the process's resident
memory stays bounded too.
"""

import mmap

import numpy as np
import torch


class ChunkedBatches:
    """Mini-batches read from an array-like by chunks of contiguous rows, shuffled by window.

    A chunk is ``batch_size`` contiguous rows of ``source`` (the last one
    may be shorter). Each epoch draws an order of the full chunks from
    ``generator``, reads them ``window_batches`` at a time (one contiguous
    slice each), converts each to a tensor of ``dtype``, shuffles the rows of
    the window together and yields them as batches. The short chunk, if any,
    joins the last window, so that the last batch of every epoch is the short
    one and every epoch has the same number of batches: ``ceil(n_rows /
    batch_size)``, one fewer when ``min_batch_size`` merges a too-small last
    batch into the one before, as :class:`~skae.nn.InMemoryBatches` does.

    The order is less random than a full permutation: the rows of a batch
    come from the ``window_batches`` chunks of its window, not from the whole
    data. On data in random order that makes no difference. On data sorted
    by some property (by class, by date), a batch mixes ``window_batches``
    stretches of ``batch_size`` rows, so pick a window with many chunks per
    kind of row: ``window_batches * batch_size`` rows should span several
    sorted runs, and the memory of one window (``window_batches *
    batch_size * n_features`` values of ``dtype``) sets the upper limit.
    Without ``shuffle`` the batches are the rows in order, exactly those of
    ``InMemoryBatches`` without shuffle.

    Parameters
    ----------
    source : array-like of shape (n_samples, ...)
        The data: anything whose ``source[start:stop]`` gives rows that
        :func:`numpy.asarray` turns into an array, of a dtype that converts
        to ``dtype``. Only one chunk is read per slice.
    batch_size : int
        Rows per chunk and per batch.
    window_batches : int
        Chunks read and shuffled together; the training data in memory is
        about ``window_batches * batch_size`` rows.
    shuffle : bool
        Whether to draw a new order of the chunks, and of the rows within
        each window, every epoch.
    generator : torch.Generator or None
        A CPU generator for the orders; unused without ``shuffle``.
    dtype : torch.dtype
        The batches' dtype, one with a numpy twin (float32, float64,
        float16).
    device : str or torch.device, default=None
        Where the batches are used; None is the CPU. On CUDA each batch is
        copied from host memory.
    min_batch_size : int, default=1
        A last batch smaller than this joins the batch before it.
    chunks : array-like of int, default=None
        The chunks to read (chunk ``i`` is rows ``i * batch_size`` to
        ``(i + 1) * batch_size``), in their order without ``shuffle``; None
        reads every one. The chunks left out can hold out a validation set.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skae.nn import ChunkedBatches
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> batches = ChunkedBatches(
    ...     X, 4, window_batches=2, shuffle=True, generator=torch.Generator().manual_seed(0),
    ...     dtype=torch.float32,
    ... )
    >>> [len(batch) for batch in batches]
    [4, 4, 2]
    """

    def __init__(
        self, source, batch_size, *, window_batches, shuffle, generator, dtype, device=None,
        min_batch_size=1, chunks=None,
    ):  # fmt: skip
        self.source = source
        self.batch_size = batch_size
        self.window_batches = window_batches
        self.shuffle = shuffle
        self.generator = generator
        self.dtype = dtype
        self.device = torch.device("cpu" if device is None else device)
        self.min_batch_size = min_batch_size
        n_rows = source.shape[0]
        n_chunks = -(-n_rows // batch_size)
        chunks = np.arange(n_chunks) if chunks is None else np.asarray(chunks, dtype=np.int64)
        if chunks.size and (chunks.min() < 0 or chunks.max() >= n_chunks):
            raise ValueError(f"chunks must lie in [0, {n_chunks}), the source's chunks.")
        is_short = (chunks == n_chunks - 1) & (n_rows % batch_size != 0)
        self._full_chunks = chunks[~is_short]
        self._short_chunk = int(chunks[is_short][0]) if is_short.any() else None

    @property
    def n_rows(self):
        """The rows of one epoch."""
        short = 0 if self._short_chunk is None else self._chunk_rows(self._short_chunk)
        return len(self._full_chunks) * self.batch_size + short

    def __len__(self):
        n_batches = len(self._full_chunks) + (self._short_chunk is not None)
        short = self._short_chunk is not None and self._chunk_rows(self._short_chunk)
        merged = n_batches > 1 and short and short < self.min_batch_size
        return n_batches - bool(merged)

    def _chunk_rows(self, chunk):
        start = chunk * self.batch_size
        return min(start + self.batch_size, self.source.shape[0]) - start

    def _windows(self):
        """The chunks of each window of one epoch, the short chunk in the last."""
        order = self._full_chunks
        if self.shuffle and len(order) > 1:
            order = order[torch.randperm(len(order), generator=self.generator).numpy()]
        step = self.window_batches
        windows = [list(order[i : i + step]) for i in range(0, len(order), step)]
        if self._short_chunk is not None:
            if windows:
                windows[-1].append(self._short_chunk)
            else:
                windows.append([self._short_chunk])
        return windows

    def __iter__(self):
        windows = self._windows()
        if not windows:
            return
        longest = max(sum(self._chunk_rows(c) for c in chunks) for chunks in windows)
        buffer = torch.empty((longest, *self.source.shape[1:]), dtype=self.dtype)
        for i, chunks in enumerate(windows):
            rows = self._read(chunks, buffer)
            order = torch.randperm(len(rows), generator=self.generator) if self.shuffle else None
            for start, stop in self._bounds(len(rows), last=i == len(windows) - 1):
                # A copy each: the buffer is refilled by the next window.
                if order is None:
                    batch = rows[start:stop].clone()
                else:
                    batch = rows.index_select(0, order[start:stop])
                yield batch.to(self.device)

    def _read(self, chunks, buffer):
        """Read ``chunks`` into the start of ``buffer`` (converting them); return that part."""
        filled = buffer.numpy()
        offset = 0
        for chunk in chunks:
            start = chunk * self.batch_size
            stop = start + self._chunk_rows(chunk)
            np.copyto(
                filled[offset : offset + stop - start],
                np.asarray(self.source[start:stop]),
                casting="unsafe",
            )
            # Each chunk at once: the kernel maps several times the rows read.
            release_pages(self.source)
            offset += stop - start
        return buffer[:offset]

    def _bounds(self, n, *, last):
        """``(start, stop)`` of the batches of a window of ``n`` rows."""
        starts = list(range(0, n, self.batch_size))
        if last and len(starts) > 1 and n - starts[-1] < self.min_batch_size:
            starts.pop()
        return list(zip(starts, [*starts[1:], n], strict=True))


class RowSubset:
    """Some rows of an array-like, as an array-like of their own, for :class:`ChunkedBatches`.

    ``subset[start:stop]`` reads rows ``rows[start:stop]`` of ``source``
    (by one index array, increasing, which numpy memmaps, h5py, zarr and
    dask arrays all take) and gives a memory map's pages back after.

    Parameters
    ----------
    source : array-like of shape (n_samples, ...)
        The data.
    rows : ndarray of int
        The rows of ``source`` to keep, in increasing order.
    """

    def __init__(self, source, rows):
        self.source = source
        self.rows = np.asarray(rows, dtype=np.int64)
        self.shape = (len(self.rows), *source.shape[1:])
        self.dtype = source.dtype

    def __getitem__(self, key):
        rows = np.asarray(self.source[self.rows[key]])
        release_pages(self.source)
        return rows


def release_pages(source):
    """Give back the memory pages of ``source`` if it is a memory map.

    Rows of a :class:`numpy.memmap` that were read stay mapped into the
    process, so reading a whole file makes its resident memory (RSS) grow to
    the file's size, though the kernel could drop those pages at will.
    ``madvise(MADV_DONTNEED)`` over the whole map unmaps them; a later read
    maps them again from the page cache or the disk. The whole map, not the
    rows read: the kernel maps the neighbours of a page read too
    ("fault-around"), rows of other chunks included, and an unmapped range is
    skipped quickly. Nothing is done for other sources, for copy-on-write
    maps (``mode="c"``, whose changes it would discard) and where the
    platform has no ``madvise``.

    Parameters
    ----------
    source : array-like
        The data rows were read from.
    """
    handle = getattr(source, "_mmap", None)
    if (
        isinstance(source, np.memmap)
        and handle is not None
        and source.mode != "c"
        and hasattr(handle, "madvise")
        and not handle.closed
        and len(handle)
    ):
        handle.madvise(mmap.MADV_DONTNEED)
