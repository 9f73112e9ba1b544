import hashlib
import os
from types import SimpleNamespace

import numpy as np
import pytest

from skae.datasets import _base, _mnist
from skae.datasets._base import RemoteFile

from ._helpers import write_idx

# Lets sklearn's check_array_api_input run with the numpy namespace instead of skipping.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

TINY_SIZES = {"train": 40, "test": 20}


@pytest.fixture(autouse=True, scope="session")
def checkpoint_key_of_the_session(tmp_path_factory):
    """Checkpoints sign with a key made for the test session, not the user's own."""
    os.environ["SKAE_CHECKPOINT_KEY_FILE"] = str(tmp_path_factory.mktemp("key") / "key")


@pytest.fixture
def tiny_fashion_mnist(tmp_path, monkeypatch):
    """A 40 + 20 image stand-in for Fashion-MNIST, served from a local "mirror".

    The real registry entry is replaced by one whose checksums match the tiny
    files, the system folder by an empty one, and the mirror by a file:// URL,
    so the fetcher's lookup, download and checksum code all run offline.
    Returns a namespace with ``mirror`` (folder), ``data_home``, ``system``
    (folder) and the ``arrays`` per subset.
    """
    rng = np.random.default_rng(0)
    mirror, data_home, system = tmp_path / "mirror", tmp_path / "home", tmp_path / "system"
    for folder in (mirror, data_home, system):
        folder.mkdir()
    real = _mnist.DATASETS["fashion-mnist"]
    files, arrays = {}, {}
    for subset, (images_file, labels_file) in real.files.items():
        n = TINY_SIZES[subset]
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        arrays[subset] = (images, labels)
        remote = []
        for file, array in ((images_file, images), (labels_file, labels)):
            content = write_idx(mirror / file.name, array)
            archive = hashlib.sha256((mirror / file.name).read_bytes()).hexdigest()
            remote.append(RemoteFile(file.name, archive, hashlib.sha256(content).hexdigest()))
        files[subset] = tuple(remote)
    tiny = _mnist.IdxDataset(
        name=real.name,
        files=files,
        mirrors=(mirror.as_uri(),),
        target_names=real.target_names,
        description=real.description,
        debian_package=real.debian_package,
    )
    monkeypatch.setitem(_mnist.DATASETS, "fashion-mnist", tiny)
    monkeypatch.setattr(_base, "SYSTEM_DATA_DIR", system)
    return SimpleNamespace(
        mirror=mirror, data_home=data_home, system=system, arrays=arrays, spec=tiny
    )
