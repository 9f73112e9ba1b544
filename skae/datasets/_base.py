"""Where data sets live on disk, and how a missing file is downloaded safely."""

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DATA_HOME_ENV = "SKAE_DATA"
SYSTEM_DATA_DIR = Path("/usr/share/datasets")
DOWNLOAD_TIMEOUT_S = 60


def get_data_home(data_home=None):
    """Return the folder where skae stores downloaded data sets, creating it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. By default it is the ``SKAE_DATA`` environment
        variable if set, else ``~/skae_data``.

    Returns
    -------
    data_home : pathlib.Path
        The folder, which exists on return.
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV, Path("~") / "skae_data")
    data_home = Path(data_home).expanduser()
    data_home.mkdir(parents=True, exist_ok=True)
    return data_home


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set and the checksums that identify it.

    ``archive_sha256`` is the digest of the file as the mirrors serve it and
    is checked on download; ``content_sha256`` is the digest of the
    decompressed content and is checked on every load, so that a copy
    recompressed by a distribution (Debian's) is accepted too.
    """

    name: str
    archive_sha256: str
    content_sha256: str


def sha256_hex(data):
    """SHA-256 hex digest of ``data`` (bytes)."""
    return hashlib.sha256(data).hexdigest()


def find_local_file(file, dataset_dirs):
    """The first of ``dataset_dirs`` holding ``file`` gzipped or plain, else None."""
    plain_name = file.name.removesuffix(".gz")
    for folder in dataset_dirs:
        for name in (file.name, plain_name):
            if (folder / name).is_file():
                return folder / name
    return None


def download_file(file, mirrors, folder):
    """Download ``file`` into ``folder`` from the first mirror that serves it intact.

    The file is written to a temporary name in ``folder``, checked against
    ``file.archive_sha256`` and only then renamed into place, so an
    interrupted or corrupt download never leaves a partial file behind.

    Returns
    -------
    path : pathlib.Path
        The downloaded file.

    Raises
    ------
    OSError
        If no mirror served the file with the expected checksum; the message
        lists what each mirror did.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file.name
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + file.name
        print(f"Downloading {url}", file=sys.stderr)
        try:
            _download_verified(url, target, file.archive_sha256)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            failures.append(f"  {url}: {type(exc).__name__}: {exc}")
            continue
        return target
    raise OSError(f"Could not download {file.name}:\n" + "\n".join(failures))


def _download_verified(url, target, expected_sha256):
    digest = hashlib.sha256()
    handle, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        if digest.hexdigest() != expected_sha256:
            raise ValueError(
                f"SHA-256 checksum mismatch (expected {expected_sha256}, got {digest.hexdigest()})"
            )
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
