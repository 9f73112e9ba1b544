"""skae's model file: one container of JSON records, safetensors and a skops part.

A file holds one object: a skae estimator, or any scikit-learn object (a
``Pipeline``, a search, a :class:`~skae.PretrainedClassifier`) with skae
estimators inside. Each skae estimator, wherever it stands in the object's
graph (a step, a search's ``cv_results_``, a masked array, a dict), is a
JSON record and a safetensors part (:mod:`skae._persistence._estimators`);
everything else is written by ``skops.io``, with a marker string where a
skae estimator stood, so that no skae object ever reaches skops.

What a file may name without the caller's trust: skae's estimator types and
records (fixed tables), plain data, and what skops trusts by default. Every
other class or function is listed by :func:`get_untrusted_types` and must be
passed in ``trusted=``; a file that names a part of skae that :func:`save`
never writes is refused as crafted.
"""

import contextlib
import copy
import dataclasses
import io
import json
import math
import re
import secrets
import types
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from skae._augmenter import AugmentedClassifier, AutoencoderAugmenter
from skae._base import BaseAutoencoder
from skae._extras import import_extra
from skae._persistence import _tensors
from skae._persistence._codec import qualified_name, resolve_callable
from skae._persistence._container import (
    JsonBudget,
    parse_json,
    read_container,
    write_container,
    zip_entries,
)
from skae._persistence._errors import ModelFileError, UntrustedTypeError, refusals
from skae._persistence._estimators import build_estimator, estimator_record, read_record
from skae._pretrained import PretrainedClassifier

FORMAT = "skae"
FORMAT_VERSION = 2
SKLEARN_PART = "sklearn.skops"
#: skae's own scikit-learn composites, which skops.io does not know but load trusts.
SKAE_COMPOSITES = frozenset(
    qualified_name(cls) for cls in (PretrainedClassifier, AugmentedClassifier, AutoencoderAugmenter)
)
_MARKER = re.compile(r"__skae_estimator_[0-9a-f]{16}_")
#: What the object graph does not enter: values, classes, modules and functions.
_ATOMS = (
    str, bytes, int, float, complex, bool, type(None), type, np.dtype, np.generic,
    types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
)  # fmt: skip


def save(obj, path):
    """Write a skae estimator, or a scikit-learn object holding some, to one file.

    Nothing in the file is a pickle: parameters and fitted configuration are
    JSON, weights and fitted arrays safetensors, and the scikit-learn parts
    ``skops.io``'s format. Saving behaves like ``open(path, "wb")``: the
    file's mode comes from the umask, and a target that cannot be written is
    an ``OSError`` naming it. The file is written to a temporary name beside
    ``path`` and renamed, so that ``path`` is never half-written. A skae
    estimator's ``checkpoint`` is saved as None.

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
        For an attribute that the format cannot hold, naming it: a lambda,
        a class defined in ``__main__`` or inside a function, an object of
        an unknown type.
    OSError
        When ``path`` cannot be written (a missing folder, a read-only file).

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
    import_extra("safetensors.torch", "persistence", "Saving skae models")
    estimators = _skae_estimators(obj)
    parts = {}
    if isinstance(obj, BaseAutoencoder):
        root = {"estimator": 0}
    else:
        skops_io = _require("skops.io")
        marker = f"__skae_estimator_{secrets.token_hex(8)}_"
        parts[SKLEARN_PART] = skops_io.dumps(_with_markers(obj, estimators, marker))
        root = {"sklearn": SKLEARN_PART, "marker": marker}
    for i, estimator in enumerate(estimators):
        record, tensors = estimator_record(estimator)
        parts[f"estimators/{i}.json"] = json.dumps(record).encode()
        parts[f"estimators/{i}.safetensors"] = _tensors.dumps(tensors)
    _check_loadable(parts)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "root": root,
        "n_estimators": len(estimators),
    }
    write_container(path, manifest, parts)
    return Path(path)


def _check_loadable(parts):
    """Refuse to write what :func:`load` would refuse: JSON past the limits, a skops part
    holding what skae does not read (a sparse matrix)."""
    budget = JsonBudget()
    try:
        for name, data in parts.items():
            if name.endswith(".json"):
                parse_json(data, name, budget)
        if SKLEARN_PART in parts:
            check_skops_part(parts[SKLEARN_PART], "its scikit-learn part", budget)
    except ModelFileError as exc:
        raise TypeError(f"Cannot save this object: load would refuse it: {exc}") from None


def load(path, *, trusted=None, sha256=None):
    """Read what :func:`save` wrote, executing nothing from the file.

    The whole file is checked before anything is built from it: its zip
    directory, sizes and checksums, every record against what its
    estimator declares, every name it holds against the trusted ones. skae
    estimators are then rebuilt from their fitted configuration and their
    weights loaded into them; scikit-learn parts go through ``skops.io``'s
    loader. Any class or function the file names that is neither one of
    skae's estimator types, nor trusted by ``skops.io`` by default, nor in
    ``trusted``, is refused before anything is imported. A model fitted on a
    GPU loads on the CPU where there is none (with a warning). Loading takes
    memory in proportion to the file's size, whatever its bytes.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    trusted : list of str, default=None
        Qualified names (``"package.module.Name"``) of the user's classes and
        functions that the file may name: one's own encoder, a custom
        scikit-learn step. :func:`get_untrusted_types` lists them.
    sha256 : str, default=None
        The SHA-256 of the whole file (``sha256sum model.skae``), checked
        before anything in it is read: pins the exact file a user reviewed.

    Returns
    -------
    obj : estimator
        The object saved, with identical outputs.

    Raises
    ------
    skae.ModelFileError
        A ``ValueError`` naming the file and the problem, for any file that
        is not one :func:`save` wrote whole: not skae's, truncated, changed
        (a flipped byte), of another format version, of an unknown estimator
        type, with parts that disagree (a weight of the wrong shape), larger
        than the limits, or crafted. Its subclass ``skae.UntrustedTypeError``
        names the types to trust.
    OSError
        When ``path`` cannot be read.
    """
    trusted = _trusted(trusted)
    with refusals(path):
        reviewed = _review(path, sha256)
        untrusted = sorted(reviewed.names - trusted)
        if untrusted:
            raise UntrustedTypeError(
                f"{path} names types that are not trusted: {untrusted}. Loading them would "
                f"import and run their code; if you trust the file, pass trusted={untrusted}."
            )
        estimators = [
            build_estimator(
                record,
                lambda name: resolve_callable(name, trusted),
                f"{path}: estimators/{i}",
            )
            for i, record in enumerate(reviewed.records)
        ]
        if reviewed.sklearn is None:
            return estimators[0]
        return _sklearn_object(reviewed, estimators, trusted, path)


def get_untrusted_types(path, *, sha256=None):
    """The names in a file that :func:`load` needs in ``trusted``, for review.

    The file is checked as :func:`load` checks it, importing nothing and
    building no network: a file that holds what :func:`save` never writes
    (a part of skae named as a function, an attribute an estimator does not
    have, a skae estimator inside the scikit-learn part) is refused as
    crafted. Whether its weights and optimizer state fit the network is
    checked by :func:`load`, which builds it.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save`.
    sha256 : str, default=None
        The SHA-256 of the whole file, checked first.

    Returns
    -------
    names : list of str
        Qualified names of classes and functions that are neither skae's
        estimator types nor trusted by ``skops.io`` by default.

    Raises
    ------
    skae.ModelFileError
        For a malformed, corrupted, oversized or crafted file.
    """
    with refusals(path):
        return sorted(_review(path, sha256).names)


@dataclasses.dataclass
class _Reviewed:
    """A checked file, nothing built: its records, its skops part and the names it needs."""

    records: list
    sklearn: bytes | None = None
    marker: str | None = None
    #: What skops needs trusted in its part, skae's composites included.
    skops_names: frozenset = frozenset()

    @property
    def names(self):
        """What the caller must trust: the records' names and skops' but skae's composites."""
        names = {name for record in self.records for name in record.names}
        return names | (self.skops_names - SKAE_COMPOSITES)


def _review(path, sha256):
    manifest, parts = read_container(
        path, FORMAT, FORMAT_VERSION, what="skae model file", sha256=sha256
    )
    root, n_estimators = _checked_root(manifest, parts, path)
    budget = JsonBudget()
    records = [
        read_record(
            parts[f"estimators/{i}.json"],
            parts[f"estimators/{i}.safetensors"],
            f"{path}: estimators/{i}",
            budget,
        )
        for i in range(n_estimators)
    ]
    if "sklearn" not in root:
        return _Reviewed(records)
    sklearn = bytes(parts[SKLEARN_PART])
    where = f"{path}: {SKLEARN_PART}"
    check_skops_part(sklearn, where, budget)
    return _Reviewed(records, sklearn, root["marker"], _skops_names(sklearn, where))


def _checked_root(manifest, parts, path):
    root, n_estimators = manifest.get("root"), manifest.get("n_estimators")
    if not (
        isinstance(n_estimators, int)
        and not isinstance(n_estimators, bool)
        and 0 <= 2 * n_estimators <= len(parts)
    ):
        raise ModelFileError(f"{path}: its manifest's n_estimators is malformed.")
    if root == {"estimator": 0} and n_estimators == 1:
        expected = set()
    elif (
        isinstance(root, dict)
        and set(root) == {"sklearn", "marker"}
        and root["sklearn"] == SKLEARN_PART
        and isinstance(root["marker"], str)
        and _MARKER.fullmatch(root["marker"])
    ):
        expected = {SKLEARN_PART}
    else:
        raise ModelFileError(f"{path}: its manifest's root is malformed.")
    expected |= {
        f"estimators/{i}.{kind}" for i in range(n_estimators) for kind in ("json", "safetensors")
    }
    if expected != set(parts):
        raise ModelFileError(f"{path}: the manifest's parts disagree with its estimators.")
    return root, n_estimators


def check_skops_part(data, where, budget):
    """Refuse a skops part that could take more memory than its size, before skops reads it.

    Its zip is checked as the container's (stored entries, no gaps, no
    name twice); it may hold its JSON schema, within the file's JSON
    budget, and ``.npy`` arrays whose headers must announce exactly the
    bytes that follow them (numpy allocates what a header announces before
    reading) and no Python objects.
    """
    for name, entry in zip_entries(data, where).items():
        if name == "schema.json":
            if len(entry) > budget.limits.max_json_bytes:
                raise ModelFileError(f"{where}: its schema is larger than the JSON limit.")
            budget.spend(entry, f"{where}: its schema")
        elif name.endswith(".npy"):
            _check_npy(entry, f"{where}: {name}")
        else:
            raise ModelFileError(
                f"{where} holds {name!r}; skae reads skops parts of a JSON schema and .npy "
                "arrays only (a sparse matrix, for one, is not read)."
            )


def _check_npy(entry, where):
    stream = io.BytesIO(entry)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }[version]
        shape, _, dtype = read_header(stream)
    except (ValueError, KeyError, SyntaxError, TypeError, EOFError) as exc:
        raise ModelFileError(f"{where} is not a .npy array ({exc}).") from None
    if dtype.hasobject or stream.tell() + math.prod(shape) * dtype.itemsize != len(entry):
        raise ModelFileError(f"{where}: its header disagrees with its bytes.")


def _skops_names(data, where):
    """The names skops needs trusted in its part, of which skae's may be composites only."""
    with _skops_imports(where):
        names = set(_require("skops.io").get_untrusted_types(data=data))
    crafted = sorted(n for n in names if n.split(".")[0] == "skae" and n not in SKAE_COMPOSITES)
    if crafted:
        raise ModelFileError(
            f"{where} holds {crafted}, which skae always saves as records: the file was crafted."
        )
    return frozenset(names)


@contextlib.contextmanager
def _skops_imports(where):
    """skops reports a loader whose library is missing with an ImportError: the file chose it."""
    try:
        yield
    except ImportError as exc:
        raise ModelFileError(f"{where} needs what is not installed here: {exc}") from None


def _sklearn_object(reviewed, estimators, trusted, path):
    accepted = reviewed.skops_names & (trusted | SKAE_COMPOSITES)
    skops_io = _require("skops.io")
    with _skops_imports(f"{path}: {SKLEARN_PART}"):
        obj = skops_io.loads(reviewed.sklearn, trusted=sorted(accepted))
    _check_composites(obj, path)
    _check_no_paths(obj, path)
    markers = {f"{reviewed.marker}{i}": est for i, est in enumerate(estimators)}
    return _replaced(obj, markers, {})


def _check_composites(obj, path):
    """Refuse skae composites whose attributes shadow their methods, or dunder names."""
    for item in _graph(obj):
        if qualified_name(type(item)) in SKAE_COMPOSITES:
            shadowing = sorted(
                name for name in vars(item) if name.startswith("__") or hasattr(type(item), name)
            )
            if shadowing:
                raise ModelFileError(
                    f"{path}: a {type(item).__name__} with attributes that shadow its own "
                    f"methods or attributes: {shadowing[:5]}; the file was crafted."
                )


#: Parameters that name a path of the fitting machine, which a fit writes to or reads from.
PATH_PARAMS = ("memory", "checkpoint")
_GRIDS = ("param_grid", "param_distributions")


def _path_params(item):
    """The parameters of ``item`` (any object) that name a path, with their values.

    ``memory`` (a Pipeline's cache, which a fit reads back with pickle) and
    ``checkpoint``, set or searched over in a grid.
    """
    if not isinstance(item, BaseEstimator) or isinstance(item, BaseAutoencoder):
        return {}
    params = item.get_params(deep=False)
    found = {name: params[name] for name in PATH_PARAMS if params.get(name) is not None}
    for grid_name in _GRIDS:
        grids = params.get(grid_name)
        for grid in grids if isinstance(grids, list) else [grids]:
            if isinstance(grid, dict):
                found |= {
                    f"{grid_name}[{key!r}]": values
                    for key, values in grid.items()
                    if isinstance(key, str) and key.rpartition("__")[2] in PATH_PARAMS
                }
    return found


def _check_no_paths(obj, path):
    """Refuse scikit-learn objects that would write or read where the file says when fitted."""
    for item in _graph(obj):
        found = _path_params(item)
        if found:
            raise ModelFileError(
                f"{path}: a {type(item).__name__} with {sorted(found)}: fitting it would write "
                "and read (a Pipeline's cache with pickle) files where the file says; skae "
                "never saves such paths."
            )


def _trusted(trusted):
    if trusted is None:
        return set()
    if isinstance(trusted, str) or not all(isinstance(name, str) for name in trusted):
        raise TypeError(
            f"trusted must be a list of qualified names, got {trusted!r}; e.g. "
            "trusted=['mypackage.encoders.Encoder']."
        )
    return set(trusted)


def _require(module):
    return import_extra(module, "persistence", "Saving and loading skae models")


# ---------------------------------------------------------- the object graph


def _graph(obj):
    """Every object reachable from ``obj``, once each, but inside skae estimators.

    Follows containers (dicts, lists, tuples, sets), arrays of objects
    (masked ones included) and the attributes of any object with a
    ``__dict__``; skae estimators are reached but not entered.
    """
    seen, stack = set(), [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, _ATOMS) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, BaseAutoencoder):
            continue
        stack.extend(reversed(list(_children(item))))


def _children(item):
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, list | tuple | set | frozenset):
        return list(item)
    if isinstance(item, np.ndarray):
        return list(np.ma.getdata(item).ravel()) if item.dtype == object else []
    return list(vars(item).values()) if hasattr(item, "__dict__") else []


def _skae_estimators(obj):
    """Every distinct skae estimator in ``obj``'s graph, in the order first met."""
    return [item for item in _graph(obj) if isinstance(item, BaseAutoencoder)]


def _with_markers(obj, estimators, marker):
    """A deep copy of ``obj`` with each skae estimator replaced by its marker string.

    The copy's paths of this machine (a ``Pipeline``'s ``memory``) are None.

    ``copy.deepcopy`` returns the memo's entry for an object it has already
    seen: the markers. Masked arrays copy their elements without the memo,
    so each one holding objects is copied here first, into the memo.
    """
    memo = {id(est): f"{marker}{i}" for i, est in enumerate(estimators)}
    for item in _graph(obj):
        if isinstance(item, np.ma.MaskedArray) and item.dtype == object:
            copied = item.copy()
            data = np.ma.getdata(copied)
            for index in np.ndindex(data.shape):
                data[index] = copy.deepcopy(data[index], memo)
            memo[id(item)] = copied
    copied = copy.deepcopy(obj, memo)
    for item in _graph(copied):
        found = _path_params(item)
        if any(name.startswith(_GRIDS) for name in found):
            raise TypeError(
                f"A {type(item).__name__} searches over {sorted(found)}, paths of this machine "
                "that a loaded search would write to when refitted; search without them to "
                "save it."
            )
        if found:
            item.set_params(**{name: None for name in found})
    left = [type(item).__name__ for item in _graph(copied) if isinstance(item, BaseAutoencoder)]
    if left:
        raise TypeError(
            f"A skae estimator ({left[0]}) is held where save cannot replace it by its "
            "record (an object whose copy ignores copy.deepcopy's memo); save it on its own."
        )
    return copied


def _replaced(item, markers, done):
    """``item`` with every marker string replaced by its skae estimator, in place."""
    if isinstance(item, str):
        return markers.get(item, item)
    if isinstance(item, _ATOMS) or isinstance(item, BaseAutoencoder):
        return item
    if id(item) in done:
        return done[id(item)]
    done[id(item)] = item
    if isinstance(item, tuple):
        done[id(item)] = tuple(_replaced(value, markers, done) for value in item)
    elif isinstance(item, list):
        item[:] = [_replaced(value, markers, done) for value in item]
    elif isinstance(item, dict):
        for key in list(item):
            item[key] = _replaced(item[key], markers, done)
    elif isinstance(item, np.ndarray):
        if item.dtype == object:
            data = np.ma.getdata(item)
            for index in np.ndindex(data.shape):
                data[index] = _replaced(data[index], markers, done)
    elif hasattr(item, "__dict__"):
        for name, value in vars(item).items():
            vars(item)[name] = _replaced(value, markers, done)
    return done[id(item)]
