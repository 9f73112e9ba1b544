"""skae's model file: one zip of a JSON manifest, JSON records, safetensors and skops parts.

A file holds one object: a skae estimator, or any scikit-learn object
(a ``Pipeline``, a search, a :class:`~skae.PretrainedClassifier`) with skae
estimators inside. Each skae estimator is a JSON record and a safetensors
part (:mod:`skae._persistence._estimators`); everything else is written by
``skops.io``, with a marker string where a skae estimator stood. The
manifest names every part with its SHA-256, so that a changed, missing or
extra byte is an error before anything is built.
"""

import copy
import hashlib
import json
import os
import secrets
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from skae._augmenter import AugmentedClassifier, AutoencoderAugmenter
from skae._base import BaseAutoencoder
from skae._extras import import_extra
from skae._persistence._codec import UntrustedTypeError, callables_in, qualified_name
from skae._persistence._estimators import estimator_from_record, estimator_record
from skae._pretrained import PretrainedClassifier

FORMAT = "skae"
FORMAT_VERSION = 1
MANIFEST = "skae.json"
SKLEARN_PART = "sklearn.skops"
#: skae's own scikit-learn composites, which skops.io does not know but load trusts.
SKAE_COMPOSITES = frozenset(
    qualified_name(cls) for cls in (PretrainedClassifier, AugmentedClassifier, AutoencoderAugmenter)
)


def save(obj, path):
    """Write a skae estimator, or a scikit-learn object holding some, to one file.

    Nothing in the file is a pickle: parameters and fitted configuration are
    JSON, weights and fitted arrays safetensors, and the scikit-learn parts
    ``skops.io``'s format. The file is written to a temporary name beside
    ``path`` and renamed, so that ``path`` is never half-written.

    Parameters
    ----------
    obj : estimator
        A skae estimator, fitted or not, or a scikit-learn estimator (a
        ``Pipeline``, ``GridSearchCV``, :class:`~skae.PretrainedClassifier`,
        ...) that contains skae estimators.
    path : str or path-like
        The file to write (by convention ``.skae``).

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ImportError
        When ``safetensors`` (or, for scikit-learn objects, ``skops``) is
        missing; ``pip install skae[persistence]`` installs both.
    TypeError
        For an attribute that the format cannot hold, naming it.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib, skae
    >>> X = np.random.default_rng(0).random((40, 6))
    >>> model = skae.AutoencoderTransformer(2, max_iter=2, random_state=0).fit(X)
    >>> path = skae.save(model, pathlib.Path(tempfile.mkdtemp()) / "model.skae")
    >>> np.array_equal(skae.load(path).transform(X), model.transform(X))
    True
    """
    safetensors_torch = _require("safetensors.torch")
    estimators = _skae_estimators(obj)
    parts = {}
    marker = f"__skae_estimator_{secrets.token_hex(8)}_"
    if isinstance(obj, BaseAutoencoder):
        root = {"estimator": 0}
    else:
        skops_io = _require("skops.io")
        # deepcopy returns the memo's entry for an object it has already seen: the markers.
        memo = {id(est): f"{marker}{i}" for i, est in enumerate(estimators)}
        parts[SKLEARN_PART] = skops_io.dumps(copy.deepcopy(obj, memo))
        root = {"sklearn": SKLEARN_PART, "marker": marker}
    for i, estimator in enumerate(estimators):
        record, tensors = estimator_record(estimator)
        parts[f"estimators/{i}.json"] = json.dumps(record).encode()
        parts[f"estimators/{i}.safetensors"] = safetensors_torch.save(tensors)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "root": root,
        "n_estimators": len(estimators),
        "parts": {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()},
    }
    path = Path(path)
    write_atomically(path, manifest, parts)
    return path


def load(path, *, trusted=None):
    """Read what :func:`save` wrote, executing nothing from the file.

    skae estimators are rebuilt from their architecture record and their
    weights loaded into them; scikit-learn parts go through ``skops.io``'s
    loader. Any class or function the file names that is neither skae's,
    scikit-learn's nor in ``trusted`` is refused before anything is built, as
    ``skops.io.load`` does. A model fitted on a GPU loads on the CPU where
    there is none (with a warning).

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of str, default=None
        Qualified names (``"package.module.Name"``) of the user's classes and
        functions that the file may name: one's own encoder, a custom
        scikit-learn step. :func:`get_untrusted_types` lists them.

    Returns
    -------
    obj : estimator
        The object saved, with identical outputs.

    Raises
    ------
    ValueError
        For a file that is not skae's, truncated, changed (a flipped byte), of a
        newer format version, of an unknown estimator type, or whose parts
        disagree (a weight of the wrong shape). Its subclass
        ``skae.UntrustedTypeError`` names the untrusted types.
    """
    trusted = set(trusted or ())
    manifest, parts = _read_parts(path)
    untrusted = _untrusted(manifest, parts) - trusted
    if untrusted:
        names = sorted(untrusted)
        raise UntrustedTypeError(
            f"The file names types that are not trusted: {names}. Loading them would import "
            f"and run their code; if you trust the file, pass trusted={names}."
        )
    safetensors_torch = _require("safetensors.torch")
    estimators = [
        estimator_from_record(
            json.loads(parts[f"estimators/{i}.json"]),
            safetensors_torch.load(parts[f"estimators/{i}.safetensors"]),
            trusted,
        )
        for i in range(manifest["n_estimators"])
    ]
    root = manifest["root"]
    if "estimator" in root:
        return estimators[root["estimator"]]
    skops_io = _require("skops.io")
    obj = skops_io.loads(parts[root["sklearn"]], trusted=sorted(_skops_untrusted(parts)))
    markers = {f"{root['marker']}{i}": est for i, est in enumerate(estimators)}
    return _with_estimators(obj, markers, set())


def get_untrusted_types(path):
    """The names in a file that :func:`load` needs in ``trusted``, for review.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.

    Returns
    -------
    names : list of str
        Qualified names of classes and functions that are neither skae's nor
        trusted by ``skops.io`` by default.
    """
    return sorted(_untrusted(*_read_parts(path)))


# ------------------------------------------------------------------ the zip


def write_atomically(path, manifest, parts):
    """Write ``manifest`` (JSON) and ``parts`` (bytes by name) as one zip at ``path``.

    The zip is written to a temporary file beside ``path``, flushed to disk
    and renamed, so that ``path`` holds the old file or the new one, never
    part of one, even if the process dies while writing.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            with zipfile.ZipFile(file, "w") as archive:
                archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
                for name, data in parts.items():
                    archive.writestr(name, data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_checked_parts(path, file_format=FORMAT, version=FORMAT_VERSION, what="skae model file"):
    """The manifest and every part it lists, each checked against its SHA-256.

    ``file_format`` and ``version`` are the manifest's expected format and
    the newest version read; ``what`` names the file in errors.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{path} is not a {what}, or it is truncated ({exc}).") from None
    with archive:
        try:
            manifest = json.loads(_read(archive, MANIFEST, path))
        except json.JSONDecodeError:
            raise ValueError(f"{path}: its manifest is corrupted.") from None
        if manifest.get("format") != file_format:
            raise ValueError(f"{path} is not a {what} (no {file_format} manifest).")
        found = manifest.get("format_version")
        if not isinstance(found, int) or found > version:
            raise ValueError(
                f"{path} was written in skae's format version {found}, newer than this "
                f"skae reads (up to {version}); upgrade skae to load it."
            )
        listed = set(manifest["parts"]) | {MANIFEST}
        extra = sorted(set(archive.namelist()) - listed)
        if extra:
            raise ValueError(f"{path} holds parts its manifest does not list: {extra}.")
        parts = {}
        for name, digest in manifest["parts"].items():
            data = _read(archive, name, path)
            if hashlib.sha256(data).hexdigest() != digest:
                raise ValueError(f"{path}: part {name!r} is corrupted (its checksum differs).")
            parts[name] = data
    return manifest, parts


def _read_parts(path):
    """The manifest and parts of a model file, which must be those of its estimators."""
    manifest, parts = read_checked_parts(path)
    expected = {f"estimators/{i}.{kind}" for i in range(manifest["n_estimators"])
                for kind in ("json", "safetensors")}  # fmt: skip
    if "sklearn" in manifest["root"]:
        expected.add(manifest["root"]["sklearn"])
    if expected != set(parts):
        raise ValueError(f"{path}: the manifest's parts disagree with its estimators.")
    return manifest, parts


def _read(archive, name, path):
    try:
        return archive.read(name)
    except KeyError:
        raise ValueError(f"{path} lacks its part {name!r}: truncated or not skae's.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"{path}: part {name!r} is corrupted or truncated ({exc}).") from None


def _untrusted(manifest, parts):
    """Names of the file's classes and functions that nothing trusts by default."""
    names = set()
    for i in range(manifest["n_estimators"]):
        names |= callables_in(json.loads(parts[f"estimators/{i}.json"]))
    names = {name for name in names if not name.startswith("skae.")}
    if "sklearn" in manifest["root"]:
        names |= _skops_untrusted(parts) - SKAE_COMPOSITES
    return names


def _skops_untrusted(parts):
    if SKLEARN_PART not in parts:
        return set()
    return set(_require("skops.io").get_untrusted_types(data=parts[SKLEARN_PART]))


# ---------------------------------------------------------- the object graph


def _skae_estimators(obj):
    """Every distinct skae estimator in ``obj``'s graph, in the order first met."""
    found, seen = [], set()

    def visit(item):
        if id(item) in seen:
            return
        seen.add(id(item))
        if isinstance(item, BaseAutoencoder):
            found.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                visit(value)
        elif isinstance(item, list | tuple | set):
            for value in item:
                visit(value)
        elif isinstance(item, np.ndarray) and item.dtype == object:
            for value in item.ravel():
                visit(value)
        elif isinstance(item, BaseEstimator):
            for value in vars(item).values():
                visit(value)

    visit(obj)
    return found


def _with_estimators(item, markers, seen):
    """``item`` with every marker string replaced by its skae estimator, in place."""
    if isinstance(item, str):
        return markers.get(item, item)
    if id(item) in seen:
        return item
    seen.add(id(item))
    if isinstance(item, list):
        item[:] = [_with_estimators(value, markers, seen) for value in item]
    elif isinstance(item, tuple):
        return tuple(_with_estimators(value, markers, seen) for value in item)
    elif isinstance(item, dict):
        for key in item:
            item[key] = _with_estimators(item[key], markers, seen)
    elif isinstance(item, np.ndarray) and item.dtype == object:
        flat = item.reshape(-1)
        for i, value in enumerate(flat):
            flat[i] = _with_estimators(value, markers, seen)
    elif isinstance(item, BaseEstimator):
        for name, value in vars(item).items():
            setattr(item, name, _with_estimators(value, markers, seen))
    return item


def _require(module):
    return import_extra(module, "persistence", "Saving and loading skae models")
