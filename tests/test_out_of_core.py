"""Training and inference on data larger than memory: memmaps and other sliceable array-likes."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from skae import AutoencoderClassifier
from skae.nn import ChunkedBatches, InMemoryBatches
from skae.nn._inference import INFERENCE_BATCH_SIZE

from ._helpers import blobs, fast_autoencoder


class SlicedDataset:
    """An h5py-like dataset: a shape, a dtype and slices, recording the rows of every read."""

    def __init__(self, data):
        self._data = data
        self.shape = data.shape
        self.dtype = data.dtype
        self.reads = []

    def __getitem__(self, key):
        if not isinstance(key, slice):  # rows by an increasing index array, as h5py takes
            key = np.asarray(key)
            assert key.dtype.kind == "i" and np.all(np.diff(key) > 0), key
        rows = self._data[key]
        self.reads.append(len(rows))
        return rows.copy()


def _memmap(path, X):
    np.save(path, X)
    return np.load(path, mmap_mode="r")


def _row_ids(n_rows):
    """Rows whose only value is their index, so that batches say which rows they hold."""
    return np.arange(n_rows, dtype=np.float64)[:, None]


def _batches(n_rows, batch_size, seed=0, **params):
    params = {"window_batches": 3, "shuffle": True, "dtype": torch.float64, **params}
    generator = torch.Generator().manual_seed(seed)
    return ChunkedBatches(_row_ids(n_rows), batch_size, generator=generator, **params)


# ------------------------------------------------------------------- the batch source


@pytest.mark.parametrize("n_rows", [48, 50, 3])
@pytest.mark.parametrize("shuffle", [True, False])
def test_chunked_batches_yield_every_row_once_per_epoch(n_rows, shuffle):
    batches = _batches(n_rows, 4, shuffle=shuffle)
    orders = []
    for _ in range(3):
        epoch = list(batches)
        assert len(epoch) == len(batches) == -(-n_rows // 4)
        assert [len(b) for b in epoch[:-1]] == [4] * (len(epoch) - 1)
        assert len(epoch[-1]) == (n_rows % 4 or 4)  # the short chunk comes last
        ids = torch.cat(epoch)[:, 0].numpy()
        np.testing.assert_array_equal(np.sort(ids), np.arange(n_rows))
        orders.append(ids)
    if shuffle and n_rows > 4:
        assert not np.array_equal(orders[0], orders[1])
        assert not np.array_equal(orders[0], np.arange(n_rows))
    if not shuffle:
        np.testing.assert_array_equal(orders[0], np.arange(n_rows))


def test_chunked_batches_shuffle_rows_within_windows_of_chunks():
    batch_size, window = 4, 3
    epoch = list(_batches(50, batch_size, window_batches=window))  # 12 full chunks + 2 rows
    assert len(epoch) == 13
    mixed = 0
    for start, stop in [(0, 3), (3, 6), (6, 9), (9, 13)]:  # the short chunk joins the last
        ids = torch.cat(epoch[start:stop])[:, 0].numpy().astype(int)
        chunks = np.unique(ids // batch_size)
        assert len(chunks[chunks < 12]) == window  # the rows of a window come from its chunks
        whole = [np.arange(c * batch_size, min((c + 1) * batch_size, 50)) for c in chunks]
        np.testing.assert_array_equal(np.sort(ids), np.concatenate(whole))
        mixed += len(np.unique(ids[:batch_size] // batch_size)) > 1
    assert mixed >= 3  # batches mix the rows of their window's chunks


@pytest.mark.parametrize("window_batches", [2, 5, 64])
def test_chunked_batches_merge_a_too_small_last_batch(window_batches):
    # 5 full chunks and 1 row: the row joins the last batch, whatever the windows.
    batches = _batches(21, 4, window_batches=window_batches, min_batch_size=2)
    for _ in range(2):
        epoch = list(batches)
        assert len(epoch) == len(batches) == 5
        assert [len(b) for b in epoch] == [4, 4, 4, 4, 5]
        np.testing.assert_array_equal(np.sort(torch.cat(epoch)[:, 0].numpy()), np.arange(21))


@pytest.mark.parametrize("min_batch_size", [1, 2])
def test_chunked_batches_without_shuffle_are_in_memory_batches_without_shuffle(min_batch_size):
    X = np.random.default_rng(0).random((41, 3))
    chunked = ChunkedBatches(
        X, 8, window_batches=2, shuffle=False, generator=None, dtype=torch.float64,
        min_batch_size=min_batch_size,
    )  # fmt: skip
    in_memory = InMemoryBatches(
        torch.from_numpy(X), 8, shuffle=False, generator=None, min_batch_size=min_batch_size
    )
    assert len(chunked) == len(in_memory)
    for a, b in zip(chunked, in_memory, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_chunked_batches_read_the_chosen_chunks_only():
    batches = _batches(22, 4, chunks=[5, 1, 3])
    ids = torch.cat(list(batches))[:, 0].numpy()
    np.testing.assert_array_equal(np.sort(ids), [4, 5, 6, 7, 12, 13, 14, 15, 20, 21])
    assert [len(b) for b in batches][-1] == 2
    with pytest.raises(ValueError, match="chunks must lie in"):
        _batches(22, 4, chunks=[6])


def test_chunked_batches_read_one_chunk_per_slice_and_convert_it():
    data = SlicedDataset(np.random.default_rng(0).integers(0, 256, (30, 5), dtype=np.uint8))
    batches = ChunkedBatches(
        data, 8, window_batches=2, shuffle=True, generator=torch.Generator().manual_seed(0),
        dtype=torch.float32,
    )  # fmt: skip
    epoch = list(batches)
    assert sorted(data.reads) == [6, 8, 8, 8]
    assert all(b.dtype == torch.float32 for b in epoch)
    rows = torch.cat(epoch).numpy()
    np.testing.assert_array_equal(
        rows[np.lexsort(rows.T[::-1])], np.unique(data._data.astype(np.float32), axis=0)
    )


# ---------------------------------------------------------------------- the estimators


def test_memmap_fit_equals_in_memory_fit_without_shuffle(tmp_path):
    # Without shuffle both read the rows in order, batch after batch: the same steps.
    X, _ = blobs(300, 6)
    params = dict(shuffle=False, precision="float64", batch_size=32, shuffle_window=2)
    in_memory = fast_autoencoder(**params).fit(X)
    out_of_core = fast_autoencoder(**params).fit(_memmap(tmp_path / "X.npy", X))
    assert out_of_core.loss_curve_ == in_memory.loss_curve_
    np.testing.assert_array_equal(out_of_core.transform(X), in_memory.transform(X))


def test_memmap_fit_trains_the_model_an_in_memory_fit_trains(tmp_path):
    X, _ = blobs(400, 8, dtype=np.float32)
    mm = _memmap(tmp_path / "X.npy", X)
    params = dict(batch_size=16, shuffle_window=4, max_iter=15, loss="auto")
    out_of_core = fast_autoencoder(**params).fit(mm)
    in_memory = fast_autoencoder(**params).fit(X)
    assert out_of_core.loss_ == in_memory.loss_ == "bce"
    assert out_of_core.n_features_in_ == 8
    assert out_of_core.loss_curve_[-1] < 0.9 * out_of_core.loss_curve_[0]
    assert out_of_core.transform(mm).dtype == np.float32
    assert out_of_core.transform(mm).shape == in_memory.transform(X).shape == (400, 3)
    # Not the same order of rows, but the same model quality.
    assert out_of_core.score(X) == pytest.approx(in_memory.score(X), rel=0.05)


def test_inference_on_a_memmap_equals_inference_on_its_array(tmp_path):
    X, _ = blobs(200, 6)
    mm = _memmap(tmp_path / "X.npy", X)
    ae = fast_autoencoder(loss="bce", max_iter=3).fit(X)
    np.testing.assert_array_equal(ae.transform(mm), ae.transform(np.asarray(mm)))
    np.testing.assert_array_equal(ae.score_samples(mm), ae.score_samples(X))
    assert ae.score(mm) == ae.score(X)


def test_uint8_memmap_trains_and_encodes_as_its_array(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (300, 16), dtype=np.uint8)
    mm = _memmap(tmp_path / "X.npy", images)
    ae = fast_autoencoder(loss="auto", max_iter=2, batch_size=32).fit(mm)
    assert ae.loss_ == "mse"  # values in [0, 255]
    Z = ae.transform(mm)
    assert Z.dtype == np.float64  # as validate_data gives for integers
    np.testing.assert_array_equal(Z, ae.transform(np.asarray(mm)))


def test_array_like_is_read_by_chunks_never_whole():
    X, _ = blobs(20000, 4, dtype=np.float32)
    data = SlicedDataset(X)
    ae = fast_autoencoder(batch_size=500, shuffle_window=3, max_iter=2).fit(data)
    # The validation pass in blocks, then every training chunk once per epoch.
    assert data.reads == [INFERENCE_BATCH_SIZE, INFERENCE_BATCH_SIZE, 3616] + [500] * 80
    data.reads.clear()
    np.testing.assert_array_equal(ae.transform(data), ae.transform(X))
    assert max(data.reads) <= INFERENCE_BATCH_SIZE


def test_dask_array_is_read_by_chunks():
    da = pytest.importorskip("dask.array")
    X, _ = blobs(300, 5)
    dX = da.from_array(X, chunks=(64, 5))
    ae = fast_autoencoder(max_iter=3, batch_size=50).fit(dX)
    np.testing.assert_array_equal(ae.transform(dX), ae.transform(X))


def test_a_dask_array_of_unknown_chunk_sizes_says_what_to_call():
    da = pytest.importorskip("dask.array")
    X, _ = blobs(300, 5)
    dX = da.from_array(X, chunks=(64, 5))
    dX = dX[dX[:, 0] >= 0]  # boolean indexing: the chunk sizes are unknown until computed
    with pytest.raises(ValueError, match=r"Call X.compute_chunk_sizes\(\) first"):
        fast_autoencoder(max_iter=1).fit(dX)
    dX.compute_chunk_sizes()
    assert fast_autoencoder(max_iter=1).fit(dX).n_features_in_ == 5


def test_partial_fit_on_out_of_core_chunks(tmp_path):
    X, _ = blobs(400, 6)
    mm = _memmap(tmp_path / "X.npy", X)
    ae = fast_autoencoder(batch_size=32)
    for start in range(0, 400, 100):
        assert ae.partial_fit(mm[start : start + 100]) is ae
    assert ae.n_iter_ == 4
    ae.partial_fit(SlicedDataset(X[:50]))
    assert ae.n_iter_ == 5
    with pytest.raises(ValueError, match="X has 5 features, but AutoencoderTransformer is"):
        ae.partial_fit(SlicedDataset(X[:50, :5]))


def test_early_stopping_holds_out_whole_chunks(tmp_path):
    X, _ = blobs(400, 6)
    data = SlicedDataset(X)
    ae = fast_autoencoder(batch_size=40, early_stopping=True, max_iter=3).fit(data)
    assert len(ae.validation_scores_) == 3
    # The validation pass, then per epoch 9 training chunks and 1 held-out chunk.
    assert data.reads == [400] + [40] * 30
    with pytest.raises(ValueError, match="holds out whole chunks of batch_size=400"):
        fast_autoencoder(batch_size=400, early_stopping=True).fit(SlicedDataset(X))


def test_classifier_pretrains_by_chunks_and_fine_tunes_on_the_labeled_rows(tmp_path):
    X, y = blobs(300, 6)
    y = np.where(np.arange(300) % 2, y, -1)  # half unlabeled
    data = SlicedDataset(X)
    params = dict(n_components=3, hidden_layer_sizes=(16,), pretrain_iter=2, max_iter=3)
    clf = AutoencoderClassifier(**params, batch_size=25, device="cpu", random_state=0)
    clf.fit(data, y)
    assert len(clf.pretrain_loss_curve_) == 2
    assert max(data.reads) <= INFERENCE_BATCH_SIZE
    assert data.reads.count(25) >= 2 * 12  # pretraining's chunks, each epoch
    assert clf.predict(_memmap(tmp_path / "X.npy", X)).shape == (300,)
    assert clf.score(X, np.where(y == -1, 0, y)) > 0.3


def test_semi_supervised_fine_tuning_streams_the_unlabeled_rows(tmp_path):
    X, y = blobs(600, 6)
    y = np.where(np.arange(600) % 4 == 0, y, -1)  # 150 labeled, 450 unlabeled
    data = SlicedDataset(X)
    clf = AutoencoderClassifier(
        n_components=3,
        hidden_layer_sizes=(16,),
        pretrain_iter=1,
        max_iter=4,
        batch_size=10,
        unlabeled_ratio=4,
        consistency_weight=1.0,
        shuffle_window=2,
        device="cpu",
        random_state=0,
    ).fit(data, y)
    fine_tuning_reads = data.reads[-4 * 12 :]  # 450 unlabeled rows in chunks of 40, 4 epochs
    assert fine_tuning_reads.count(40) == 4 * 11 and fine_tuning_reads.count(10) == 4
    assert 450 not in data.reads  # the unlabeled rows were never read at once
    assert clf.score(X, np.where(y == -1, 0, y)) > 0.3


def test_bce_range_and_auto_loss_read_the_precomputed_range(tmp_path):
    X, _ = blobs(100, 4)
    mm = _memmap(tmp_path / "X.npy", 2 * X)
    with pytest.raises(ValueError, match=r"loss='bce' needs X scaled to \[0, 1\]"):
        fast_autoencoder(loss="bce").fit(mm)
    ae = fast_autoencoder(loss="bce", max_iter=2).fit(X)
    with pytest.raises(ValueError, match=r"loss='bce' needs X scaled"):
        ae.score_samples(mm)
    ae.transform(mm)  # encoding needs no range


def _sliced(X):
    return SlicedDataset(np.asarray(X))


@pytest.mark.parametrize(
    "X, message",
    [
        (_sliced([[0.0, np.nan], [1.0, 2.0]]), "Input X contains NaN"),
        (_sliced([[0.0, np.inf], [1.0, 2.0]]), "Input X contains infinity"),
        (_sliced(np.zeros((0, 3))), r"Found array with 0 sample\(s\) \(shape=\(0, 3\)\)"),
        (_sliced(np.zeros((3, 0))), r"Found array with 0 feature\(s\) \(shape=\(3, 0\)\)"),
        (_sliced(np.zeros(3)), "Expected 2D array, got 1D array instead"),
        (_sliced(np.zeros((2, 2, 2))), "Found array with dim 3"),
        (_sliced(np.array([["a", "b"]])), "needs a numeric dtype"),
        (_sliced(np.ones((2, 2), dtype=complex)), "Complex data not supported"),
    ],
    ids=["nan", "inf", "no-rows", "no-features", "1d", "3d", "strings", "complex"],
)
def test_out_of_core_input_errors(X, message):
    with pytest.raises(ValueError, match=message):
        fast_autoencoder().fit(X)


def test_nan_in_a_memmap_is_found_and_a_failed_fit_leaves_the_model_usable(tmp_path):
    X, _ = blobs(200, 5)
    ae = fast_autoencoder(max_iter=2).fit(_memmap(tmp_path / "X.npy", X))
    before = ae.transform(X)
    bad = X.copy()
    bad[150, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        ae.fit(_memmap(tmp_path / "bad.npy", bad))
    with pytest.raises(ValueError, match="X has 3 features, but AutoencoderTransformer is "):
        ae.transform(_memmap(tmp_path / "narrow.npy", X[:, :3]))
    assert ae.n_features_in_ == 5
    np.testing.assert_array_equal(ae.transform(X), before)


def test_shuffle_window_is_validated():
    with pytest.raises(InvalidParameterError, match="shuffle_window"):
        fast_autoencoder(shuffle_window=0).fit(np.zeros((4, 2)))


# --------------------------------------------------------------------------- memory

_MEASURE = textwrap.dedent(
    """
    import json, sys, tracemalloc
    import numpy as np
    import skae._out_of_core, skae.nn._chunked
    from skae import AutoencoderTransformer

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024

    def fit(path):
        X = np.load(path, mmap_mode="r")
        with open("/proc/self/clear_refs", "w") as f:  # resets the peak RSS (VmHWM)
            f.write("5")
        before = status("VmRSS")
        tracemalloc.start()
        AutoencoderTransformer(
            4, hidden_layer_sizes=(32,), loss="mse", max_iter=1, batch_size=128,
            shuffle_window=8, device="cpu", random_state=0,
        ).fit(X)
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"rss_growth": status("VmHWM") - before, "traced_peak": traced}

    fit(sys.argv[2])  # the first fit's one-time costs (allocator pools, kernels)
    released = fit(sys.argv[1])
    # Control: pages never given back, to show that the measure sees them.
    skae.nn._chunked.release_pages = skae._out_of_core.release_pages = lambda source: None
    kept = fit(sys.argv[1])
    print(json.dumps({"released": released, "kept": kept}))
    """
)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
def test_training_on_a_memmap_keeps_memory_bounded(tmp_path):
    # 40 MB of data; one window is 8 * 128 rows (0.8 MB).
    rng = np.random.default_rng(0)
    big = np.lib.format.open_memmap(
        tmp_path / "big.npy", mode="w+", dtype=np.float32, shape=(50_000, 200)
    )
    for start in range(0, 50_000, 10_000):
        big[start : start + 10_000] = rng.random((10_000, 200), dtype=np.float32)
    big.flush()
    del big
    np.save(tmp_path / "small.npy", rng.random((2_000, 200), dtype=np.float32))
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / "big.npy"), str(tmp_path / "small.npy")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    mb = 2**20
    assert measured["released"]["traced_peak"] < 15 * mb  # numpy never copies the 40 MB
    assert measured["released"]["rss_growth"] < 15 * mb  # nor does the memory map stay resident
    assert measured["kept"]["rss_growth"] > 30 * mb  # the measure would see it
