"""Fashion-MNIST and MNIST: 28x28 grey images in ten classes, stored as IDX files."""

import os
import sys
from dataclasses import dataclass

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from skae._docstrings import fill_doc
from skae.datasets import _base
from skae.datasets._base import RemoteFile
from skae.datasets._idx import DataFileError, parse_idx, read_idx_bytes


@dataclass(frozen=True)
class IdxDataset:
    """An image data set made of one images file and one labels file per subset."""

    name: str
    files: dict  # subset -> (images RemoteFile, labels RemoteFile)
    mirrors: tuple
    target_names: tuple
    description: str
    debian_package: str | None = None


_FASHION_DESCR = """\
Fashion-MNIST
=============

Zalando's article images: 60,000 training and 10,000 test grey-scale images
of 28x28 pixels, in ten balanced classes (T-shirt/top, Trouser, Pullover,
Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot). A drop-in for MNIST
that is harder to classify.

Han Xiao, Kashif Rasul, Roland Vollgraf. "Fashion-MNIST: a Novel Image
Dataset for Benchmarking Machine Learning Algorithms." arXiv:1708.07747, 2017.
Licence: MIT. https://github.com/zalandoresearch/fashion-mnist
"""

_MNIST_DESCR = """\
MNIST
=====

Handwritten digits: 60,000 training and 10,000 test grey-scale images of
28x28 pixels, in ten classes (0-9).

Yann LeCun, Corinna Cortes, Christopher J.C. Burges. "The MNIST database of
handwritten digits." http://yann.lecun.com/exdb/mnist/
"""

DATASETS = {
    "fashion-mnist": IdxDataset(
        name="fashion-mnist",
        files={
            "train": (
                RemoteFile(
                    "train-images-idx3-ubyte.gz",
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                ),
                RemoteFile(
                    "train-labels-idx1-ubyte.gz",
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                ),
            ),
            "test": (
                RemoteFile(
                    "t10k-images-idx3-ubyte.gz",
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                ),
                RemoteFile(
                    "t10k-labels-idx1-ubyte.gz",
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                ),
            ),
        },
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion",
        ),
        target_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        description=_FASHION_DESCR,
        debian_package="dataset-fashion-mnist",
    ),
    "mnist": IdxDataset(
        name="mnist",
        files={
            "train": (
                RemoteFile(
                    "train-images-idx3-ubyte.gz",
                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                ),
                RemoteFile(
                    "train-labels-idx1-ubyte.gz",
                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                ),
            ),
            "test": (
                RemoteFile(
                    "t10k-images-idx3-ubyte.gz",
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                ),
                RemoteFile(
                    "t10k-labels-idx1-ubyte.gz",
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                ),
            ),
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist",
            "https://storage.googleapis.com/cvdf-datasets/mnist",
        ),
        target_names=tuple(str(digit) for digit in range(10)),
        description=_MNIST_DESCR,
    ),
}

# The docstring entries both fetchers share, for skae._docstrings.fill_doc.
_DOC_ENTRIES = {
    "data_home": """
data_home : str or path-like, default=None
    Folder for downloaded data. By default the ``SKAE_DATA`` environment
    variable, else ``~/skae_data``.
""",
    "download_if_missing": """
download_if_missing : bool, default=True
    If False, raise a ``FileNotFoundError`` instead of downloading a
    missing file.
""",
    "return_X_y": """
return_X_y : bool, default=False
    If True, return ``(data, target)`` instead of a Bunch.
""",
    "X_y_tuple": """
(data, target) : tuple if ``return_X_y`` is True
    ``data`` of shape (n_samples, 784) and ``target`` of shape (n_samples,).
""",
}


_FETCH_PARAMS = {
    "data_home": [str, os.PathLike, None],
    "subset": [StrOptions({"train", "test", "all"})],
    "download_if_missing": ["boolean"],
    "return_X_y": ["boolean"],
}


@validate_params(_FETCH_PARAMS, prefer_skip_nested_validation=True)
@fill_doc(entries=_DOC_ENTRIES)
def fetch_fashion_mnist(
    *, data_home=None, subset="train", download_if_missing=True, return_X_y=False
):
    """Load the Fashion-MNIST data set (classification, ten clothing classes).

    The files are looked for in ``data_home/fashion-mnist``, then in
    ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``
    package), gzipped or plain; missing files are downloaded into
    ``data_home``. Every file is checked against its SHA-256 checksum.

    =================   ==============
    Classes                         10
    Samples total                70000
    Samples (train)              60000
    Samples (test)               10000
    Dimensionality                 784
    Features            float32, [0, 1]
    =================   ==============

    Read more in the :ref:`User Guide <datasets>`.

    Parameters
    ----------
    {{data_home}}

    subset : {"train", "test", "all"}, default="train"
        The official 60,000-image training set, the 10,000-image test set, or
        both (training images first).

    {{download_if_missing}}

    {{return_X_y}}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : ndarray of shape (n_samples, 784), dtype float32
            The images, one flattened row each, scaled to [0, 1].
        images : ndarray of shape (n_samples, 28, 28), dtype float32
            The same pixels as 28x28 images (a view of ``data``).
        target : ndarray of shape (n_samples,), dtype int64
            The class of each image, 0 to 9.
        target_names : ndarray of shape (10,)
            The class names.
        DESCR : str
            Description of the data set.

    {{X_y_tuple}}

    Raises
    ------
    FileNotFoundError
        If a file is missing and ``download_if_missing`` is False.
    OSError
        If a download fails.
    DataFileError
        If a file is corrupt, truncated or fails its checksum; the message
        names the file. It is a ``ValueError``.

    See Also
    --------
    fetch_mnist : The handwritten digits in the same format.

    Examples
    --------
    >>> from skae.datasets import fetch_fashion_mnist
    >>> X, y = fetch_fashion_mnist(subset="test", return_X_y=True)  # doctest: +SKIP
    >>> X.shape, y.shape  # doctest: +SKIP
    ((10000, 784), (10000,))
    """
    return _fetch(DATASETS["fashion-mnist"], data_home, subset, download_if_missing, return_X_y)


@validate_params(_FETCH_PARAMS, prefer_skip_nested_validation=True)
@fill_doc(entries=_DOC_ENTRIES)
def fetch_mnist(*, data_home=None, subset="train", download_if_missing=True, return_X_y=False):
    """Load the MNIST handwritten digits (classification, ten classes).

    It works like :func:`fetch_fashion_mnist`: the files are looked for in
    ``data_home/mnist``, then in ``/usr/share/datasets/mnist``, and missing
    ones are downloaded and checked against their SHA-256 checksums.

    Read more in the :ref:`User Guide <datasets>`.

    Parameters
    ----------
    {{data_home}}

    subset : {"train", "test", "all"}, default="train"
        The 60,000-image training set, the 10,000-image test set, or both.

    {{download_if_missing}}

    {{return_X_y}}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, 784) float32 in [0, 1], ``images``
        (n_samples, 28, 28), ``target`` (n_samples,) int64,
        ``target_names`` and ``DESCR``, as in :func:`fetch_fashion_mnist`.

    {{X_y_tuple}}

    See Also
    --------
    fetch_fashion_mnist : Clothing images in the same format.
    """
    return _fetch(DATASETS["mnist"], data_home, subset, download_if_missing, return_X_y)


def _fetch(dataset, data_home, subset, download_if_missing, return_X_y):
    data_home = _base.get_data_home(data_home)
    subsets = ("train", "test") if subset == "all" else (subset,)
    parts = [_load_subset(dataset, name, data_home, download_if_missing) for name in subsets]
    # Join the uint8 pixels, then convert once: a quarter of the bytes of float32.
    pixels = np.concatenate([pixels for pixels, _ in parts])
    images = pixels.astype(np.float32) / np.float32(255)
    target = np.concatenate([labels for _, labels in parts]).astype(np.int64)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=np.asarray(dataset.target_names),
        DESCR=dataset.description,
    )


def _load_subset(dataset, subset, data_home, download_if_missing):
    """The raw pixels and labels of one subset, checked to belong together."""
    images_file, labels_file = dataset.files[subset]
    pixels = _load_verified(dataset, images_file, data_home, download_if_missing)
    labels = _load_verified(dataset, labels_file, data_home, download_if_missing)
    if pixels.ndim != 3 or labels.ndim != 1 or len(pixels) != len(labels):
        raise DataFileError(
            f"{dataset.name} {subset}: expected images of shape (n, rows, cols) and n labels, "
            f"got {pixels.shape} and {labels.shape}."
        )
    return pixels, labels


def _load_verified(dataset, file, data_home, download_if_missing):
    folders = [data_home / dataset.name, _base.SYSTEM_DATA_DIR / dataset.name]
    path = _base.find_local_file(file, folders)
    if path is None:
        if not download_if_missing:
            raise FileNotFoundError(_missing_file_message(dataset, file, folders))
        path = _base.download_file(file, dataset.mirrors, data_home / dataset.name)
    content = read_idx_bytes(path)
    digest = _base.sha256_hex(content)
    if digest != file.content_sha256:
        if path.is_relative_to(_base.SYSTEM_DATA_DIR):
            remedy = "reinstall the package that provides it, or put a good copy in data_home"
        else:
            remedy = "delete it and load again to download a fresh copy"
        raise DataFileError(
            f"{path}: SHA-256 checksum mismatch (expected {file.content_sha256}, got {digest}). "
            f"The file is corrupt or is not the official {dataset.name} file; {remedy}."
        )
    return parse_idx(content, path)


def _missing_file_message(dataset, file, folders):
    where = " or ".join(str(folder) for folder in folders)
    ways = ["download it (download_if_missing=True; for `skae compare`, leave out --no-download)"]
    if dataset.debian_package and sys.platform.startswith("linux"):
        ways.append(f"on Debian/Ubuntu, `apt-get install {dataset.debian_package}`")
    return f"{dataset.name}: {file.name} not found in {where}. To get it, {'; or '.join(ways)}."
