"""skae.datasets: the IDX reader, the fetchers' lookup, download, checksums and errors."""

import dataclasses
import gzip
import http.client
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skae.datasets import (
    DataFileError,
    _base,
    _mnist,
    fetch_fashion_mnist,
    fetch_mnist,
    get_data_home,
)
from skae.datasets._idx import read_idx

from ._helpers import write_idx

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


# ---------------------------------------------------------------- the IDX reader


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-5, 0, 70000], dtype=np.int32),
        np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2),
        np.array([1.5, -2.25], dtype=np.float64),
    ],
    ids=["uint8-3d", "int32", "float32-2d", "float64"],
)
def test_read_idx_round_trip(tmp_path, array, compress):
    path = tmp_path / "data.idx"
    write_idx(path, array, compress=compress)
    result = read_idx(path)
    assert result.dtype == array.dtype
    assert result.dtype.isnative
    np.testing.assert_array_equal(result, array)


def _idx_bytes(tmp_path, array):
    return write_idx(tmp_path / "scratch", array, compress=False)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda b: b"\x08\x03" + b[2:], "not an IDX file"),
        (lambda b: b[:2] + b"\x42" + b[3:], "unknown IDX element type 0x42"),
        (lambda b: b[:10], "truncated IDX header"),
        (lambda b: b[:-7], "it is truncated or corrupt"),
        (lambda b: b + b"\x00", "it is truncated or corrupt"),
    ],
    ids=["magic", "type", "header", "short-payload", "long-payload"],
)
def test_read_idx_rejects_malformed_files_naming_them(tmp_path, damage, message):
    content = _idx_bytes(tmp_path, np.zeros((4, 5, 5), dtype=np.uint8))
    path = tmp_path / "broken-images-idx3-ubyte"
    path.write_bytes(damage(content))
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_rejects_truncated_gzip(tmp_path):
    content = _idx_bytes(tmp_path, np.arange(3000, dtype=np.int32))
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(content)[:-20])
    with pytest.raises(ValueError, match="truncated or corrupt gzip file") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_rejects_corrupt_gzip(tmp_path):
    content = _idx_bytes(tmp_path, np.arange(3000, dtype=np.int32))
    compressed = bytearray(gzip.compress(content))
    compressed[len(compressed) // 2] ^= 0xFF
    path = tmp_path / "flipped.gz"
    path.write_bytes(bytes(compressed))
    with pytest.raises(ValueError, match="truncated or corrupt gzip file"):
        read_idx(path)


# ---------------------------------------------------------------- data home


def test_data_home_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKAE_DATA", str(tmp_path / "from-env"))
    assert get_data_home() == tmp_path / "from-env"
    assert (tmp_path / "from-env").is_dir()
    assert get_data_home(tmp_path / "explicit") == tmp_path / "explicit"


def test_data_home_defaults_to_skae_data_in_home(tmp_path, monkeypatch):
    monkeypatch.delenv("SKAE_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_data_home() == tmp_path / "skae_data"


# ---------------------------------------------------------------- the fetchers


def test_fetch_downloads_verifies_and_loads(tiny_fashion_mnist):
    bunch = fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home)
    images, labels = tiny_fashion_mnist.arrays["train"]
    assert bunch.data.shape == (40, 784)
    assert bunch.data.dtype == np.float32
    np.testing.assert_allclose(bunch.data, images.reshape(40, -1) / 255, rtol=1e-6)
    assert np.shares_memory(bunch.images, bunch.data)
    assert bunch.images.shape == (40, 28, 28)
    np.testing.assert_array_equal(bunch.target, labels)
    assert bunch.target.dtype == np.int64
    assert list(bunch.target_names[:2]) == ["T-shirt/top", "Trouser"]
    assert "Fashion-MNIST" in bunch.DESCR
    downloaded = sorted(p.name for p in (tiny_fashion_mnist.data_home / "fashion-mnist").iterdir())
    assert downloaded == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_fetch_subsets_and_return_X_y(tiny_fashion_mnist):
    home = tiny_fashion_mnist.data_home
    X_test, y_test = fetch_fashion_mnist(data_home=home, subset="test", return_X_y=True)
    X_all, y_all = fetch_fashion_mnist(data_home=home, subset="all", return_X_y=True)
    X_train, y_train = fetch_fashion_mnist(data_home=home, return_X_y=True)
    assert X_test.shape == (20, 784)
    np.testing.assert_array_equal(X_all, np.concatenate([X_train, X_test]))
    np.testing.assert_array_equal(y_all, np.concatenate([y_train, y_test]))


def test_fetch_reads_the_system_folder_gzipped_or_plain(tiny_fashion_mnist):
    system = tiny_fashion_mnist.system / "fashion-mnist"
    system.mkdir()
    images, labels = tiny_fashion_mnist.arrays["test"]
    # Recompressed, as a distribution may ship it: the archive checksum differs,
    # the content checksum does not.
    official = (tiny_fashion_mnist.mirror / "t10k-images-idx3-ubyte.gz").read_bytes()
    recompressed = gzip.compress(gzip.decompress(official), compresslevel=1, mtime=1)
    assert recompressed != official
    (system / "t10k-images-idx3-ubyte.gz").write_bytes(recompressed)
    write_idx(system / "t10k-labels-idx1-ubyte", labels, compress=False)
    X, y = fetch_fashion_mnist(
        data_home=tiny_fashion_mnist.data_home,
        subset="test",
        download_if_missing=False,
        return_X_y=True,
    )
    np.testing.assert_allclose(X * 255, images.reshape(20, -1), atol=1e-4)
    np.testing.assert_array_equal(y, labels)


def test_fetch_without_download_names_the_ways_to_get_the_data(tiny_fashion_mnist):
    with pytest.raises(FileNotFoundError) as info:
        fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home, download_if_missing=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz not found" in message
    assert "download_if_missing=True" in message
    assert isinstance(DataFileError("x"), ValueError)
    assert "apt-get install dataset-fashion-mnist" in message
    assert not (tiny_fashion_mnist.data_home / "fashion-mnist").exists()


def test_failed_download_leaves_no_partial_file(tiny_fashion_mnist, monkeypatch):
    spec = tiny_fashion_mnist.spec
    images_file, labels_file = spec.files["train"]
    tampered = dataclasses.replace(images_file, archive_sha256="0" * 64)
    monkeypatch.setitem(spec.files, "train", (tampered, labels_file))
    with pytest.raises(OSError, match="SHA-256 checksum mismatch") as info:
        fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home)
    assert "Could not download train-images-idx3-ubyte.gz" in str(info.value)
    assert list((tiny_fashion_mnist.data_home / "fashion-mnist").iterdir()) == []


def test_download_falls_back_to_the_next_mirror(tiny_fashion_mnist, monkeypatch, tmp_path):
    spec = tiny_fashion_mnist.spec
    dead = (tmp_path / "no-such-mirror").as_uri()
    with_dead_mirror = dataclasses.replace(spec, mirrors=(dead, *spec.mirrors))
    monkeypatch.setitem(_mnist.DATASETS, "fashion-mnist", with_dead_mirror)
    y = fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home, subset="test", return_X_y=True)[
        1
    ]
    np.testing.assert_array_equal(y, tiny_fashion_mnist.arrays["test"][1])


def test_a_download_broken_mid_stream_tries_the_next_mirror(tiny_fashion_mnist, monkeypatch):
    real_urlopen = urllib.request.urlopen
    opened = []

    class BrokenResponse:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, size):
            raise http.client.IncompleteRead(b"\x1f\x8b", 1000)

    def flaky_urlopen(url, timeout):
        opened.append(url)
        return (
            BrokenResponse()
            if url.startswith("http://broken")
            else real_urlopen(url, timeout=timeout)
        )

    monkeypatch.setattr(urllib.request, "urlopen", flaky_urlopen)
    spec = dataclasses.replace(
        tiny_fashion_mnist.spec, mirrors=("http://broken.example", *tiny_fashion_mnist.spec.mirrors)
    )
    monkeypatch.setitem(_mnist.DATASETS, "fashion-mnist", spec)
    y = fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home, subset="test", return_X_y=True)[
        1
    ]
    np.testing.assert_array_equal(y, tiny_fashion_mnist.arrays["test"][1])
    assert opened[0] == "http://broken.example/t10k-images-idx3-ubyte.gz"
    # Only the two complete files are there, no partial download.
    names = sorted(p.name for p in (tiny_fashion_mnist.data_home / "fashion-mnist").iterdir())
    assert names == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]

    only_broken = dataclasses.replace(spec, mirrors=("http://broken.example",))
    monkeypatch.setitem(_mnist.DATASETS, "fashion-mnist", only_broken)
    with pytest.raises(OSError, match="broken.example/train-images-idx3-ubyte.gz: IncompleteRead"):
        fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home)
    assert not list((tiny_fashion_mnist.data_home / "fashion-mnist").glob("train*"))
    assert not list((tiny_fashion_mnist.data_home / "fashion-mnist").glob(".*part"))


def test_download_with_every_mirror_down_lists_them(tiny_fashion_mnist, monkeypatch, tmp_path):
    dead = (tmp_path / "no-such-mirror").as_uri()
    monkeypatch.setitem(
        _mnist.DATASETS,
        "fashion-mnist",
        dataclasses.replace(tiny_fashion_mnist.spec, mirrors=(dead,)),
    )
    with pytest.raises(OSError, match="no-such-mirror/train-images-idx3-ubyte.gz"):
        fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home)


def test_local_file_with_wrong_content_is_rejected_by_name(tiny_fashion_mnist):
    folder = tiny_fashion_mnist.data_home / "fashion-mnist"
    folder.mkdir()
    images, _ = tiny_fashion_mnist.arrays["train"]
    path = folder / "train-images-idx3-ubyte.gz"
    write_idx(path, 255 - images)  # well-formed, but not the expected content
    with pytest.raises(ValueError, match="SHA-256 checksum mismatch") as info:
        fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home)
    assert str(path) in str(info.value)
    assert "delete it" in str(info.value)


def test_bad_file_in_the_system_folder_is_not_to_be_deleted(tiny_fashion_mnist):
    folder = tiny_fashion_mnist.system / "fashion-mnist"
    folder.mkdir()
    images, _ = tiny_fashion_mnist.arrays["train"]
    write_idx(folder / "train-images-idx3-ubyte.gz", 255 - images)
    with pytest.raises(DataFileError, match="reinstall the package that provides it"):
        fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home, download_if_missing=False)


def test_truncated_local_file_is_rejected_by_name(tiny_fashion_mnist):
    folder = tiny_fashion_mnist.data_home / "fashion-mnist"
    folder.mkdir()
    source = tiny_fashion_mnist.mirror / "t10k-labels-idx1-ubyte.gz"
    path = folder / source.name
    path.write_bytes(source.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated or corrupt gzip") as info:
        fetch_fashion_mnist(data_home=tiny_fashion_mnist.data_home, subset="test")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("fetch", [fetch_fashion_mnist, fetch_mnist])
def test_fetch_validates_its_parameters(fetch, tmp_path):
    with pytest.raises(InvalidParameterError, match="subset"):
        fetch(data_home=tmp_path, subset="validation")
    with pytest.raises(InvalidParameterError, match="download_if_missing"):
        fetch(data_home=tmp_path, download_if_missing="no")


def test_mnist_uses_its_own_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(_base, "SYSTEM_DATA_DIR", tmp_path / "system")
    with pytest.raises(FileNotFoundError) as info:
        fetch_mnist(data_home=tmp_path, download_if_missing=False)
    assert str(tmp_path / "mnist") in str(info.value)
    assert "apt-get" not in str(info.value)


# ---------------------------------------------------------------- the real data


@pytest.mark.skipif(
    not FASHION_DIR.is_dir(),
    reason="needs Debian's dataset-fashion-mnist (.ci/run installs it)",
)
def test_real_fashion_mnist_from_the_debian_package(tmp_path):
    train = fetch_fashion_mnist(data_home=tmp_path, download_if_missing=False)
    X_test, y_test = fetch_fashion_mnist(
        data_home=tmp_path, subset="test", download_if_missing=False, return_X_y=True
    )
    assert train.data.shape == (60000, 784)
    assert X_test.shape == (10000, 784)
    np.testing.assert_array_equal(np.bincount(train.target), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert train.data.min() == 0 and train.data.max() == 1
    assert train.target_names[9] == "Ankle boot"
    # Nothing was downloaded: the files came from the system folder.
    assert not (tmp_path / "fashion-mnist").exists()
