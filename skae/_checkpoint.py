"""Checkpoints: a fit's whole state at the end of every epoch, so that a killed fit resumes.

A checkpoint is a container of skae's format (:mod:`skae._persistence._container`:
a manifest with a SHA-256 per part, JSON and safetensors, nothing pickled):
the network's weights, every phase's optimizer, the engine's
:class:`~skae.nn.LoopState` (history, learning-rate schedule, early-stopping
counters), the random generators, the seeds, and what identifies the fit
(the estimator's type, its parameters and a fingerprint of the data). A
``fit`` given the same path reads it, refuses it if it was written by
another fit, and continues from the epoch it holds.

**Threat model.** The identity of a fit is no secret: anyone who knows the
data (a public data set) can compute it. So the manifest is signed with
HMAC-SHA256 under a key of the user's own (:func:`checkpoint_key`, a file
readable by the user alone, as Jupyter signs trusted notebooks), and a
checkpoint that another user, another machine or a planted file wrote is
refused, never resumed. A checkpoint decodes under the rules of model
files: plain data and tensors only, within the container's limits.
"""

import dataclasses
import hashlib
import json
import os
import secrets
import stat
from pathlib import Path

import numpy as np

from skae._fitted import Seeds
from skae._persistence import _tensors
from skae._persistence._codec import decode, encode, string_budget
from skae._persistence._container import (
    JsonBudget,
    parse_json,
    read_container,
    write_container,
)
from skae._persistence._errors import ModelFileError, refusals
from skae.nn._training import History, LoopState

FORMAT = "skae-checkpoint"
FORMAT_VERSION = 2
#: The environment variable that names the key file instead of the default.
KEY_FILE_VARIABLE = "SKAE_CHECKPOINT_KEY_FILE"
STATE_PART = "state.json"
TENSORS_PART = "tensors.safetensors"
#: Parameters that may differ between the fit that wrote a checkpoint and the one resuming it.
FREE_PARAMS = ("checkpoint", "verbose")
#: Rows hashed for the data's fingerprint: evenly spaced, so that it stays quick on large data.
FINGERPRINT_ROWS = 1024


@dataclasses.dataclass
class Resumed:
    """What a checkpoint holds, decoded: the fit template continues from it."""

    seeds: Seeds
    phase: int
    histories: dict
    loop: LoopState
    weights: dict
    optimizers: list
    generators: dict


class Checkpoint:
    """The checkpoint file of one fit: written after every epoch, read to resume.

    Parameters
    ----------
    path : str or path-like
        The file.
    estimator : BaseAutoencoder
        The estimator being fitted.
    X : array-like of shape (n_samples, n_features)
        Its validated training data.
    labels : skae._fitted.Labels or None
        The classifier's validated y.
    """

    def __init__(self, path, estimator, X, labels):
        self.path = Path(path)
        _check_folder(self.path, path)
        params = estimator.get_params(deep=False)
        self.identity = {
            "estimator": type(estimator).__name__,
            "params": {
                name: _comparable(value)
                for name, value in params.items()
                if name not in FREE_PARAMS
            },
            "data": data_fingerprint(X, labels),
        }
        self._key = checkpoint_key()

    def read(self):
        """The :class:`Resumed` state of the file, or None if there is none yet.

        Raises
        ------
        ModelFileError
            If the file is not a checkpoint, is corrupted or truncated, is
            not signed with this user's key, or was written by a fit of
            another estimator, other parameters or other data.
        """
        if not self.path.exists():
            return None
        with refusals(self.path):
            _, parts = read_container(
                self.path, FORMAT, FORMAT_VERSION, what="skae checkpoint", key=self._key
            )
            if set(parts) != {STATE_PART, TENSORS_PART}:
                raise ModelFileError(f"{self.path}: the checkpoint's parts are not a checkpoint's.")
            budget = JsonBudget()
            state = parse_json(parts[STATE_PART], f"{self.path}: its state", budget)
            self._check_identity(state["identity"])
            tensor_bytes = parts[TENSORS_PART]
            entries = _tensors.header(tensor_bytes, str(self.path), budget)
            tensors = _tensors.loads(tensor_bytes, entries)
            strings = string_budget(len(parts[STATE_PART]))
            values = {
                key: decode(
                    state[key], tensors, _no_names, f"{self.path}: {key}", string_budget=strings
                )
                for key in _ENCODED
            }
            loop = values["loop"]
            loop["history"] = History(**loop["history"])
            return Resumed(
                seeds=Seeds(**state["seeds"]),
                phase=state["phase"],
                histories={name: History(**fields) for name, fields in values["histories"].items()},
                loop=LoopState(**loop),
                weights=values["weights"],
                optimizers=values["optimizers"],
                generators=values["generators"],
            )

    def write(self, loop, *, seeds, phase, histories, network, optimizers, generators):
        """Write the state after an epoch of phase number ``phase``, atomically.

        ``loop`` is the engine's :class:`~skae.nn.LoopState` (this is a
        :func:`~skae.nn.fit_loop` ``on_epoch_end``); ``histories`` are those
        of the phases before, ``optimizers`` those of every phase up to this
        one, and ``generators`` the phase's torch generators, by name.
        """
        tensors = {}
        state = {
            "identity": self.identity,
            "seeds": dataclasses.asdict(seeds),
            "phase": phase,
            "histories": encode(
                {name: dataclasses.asdict(h) for name, h in histories.items()}, tensors, "h"
            ),
            "loop": encode(dataclasses.asdict(loop), tensors, "loop"),
            "weights": encode(network.state_dict(), tensors, "weights"),
            "optimizers": encode([o.state_dict() for o in optimizers], tensors, "optimizers"),
            "generators": encode(
                {name: g.get_state() for name, g in generators.items()}, tensors, "generators"
            ),
        }
        parts = {STATE_PART: json.dumps(state).encode(), TENSORS_PART: _tensors.dumps(tensors)}
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION}
        write_container(self.path, manifest, parts, key=self._key)

    def remove(self):
        """Delete the file: the fit it was for has finished."""
        self.path.unlink(missing_ok=True)

    def _check_identity(self, written):
        if written["estimator"] != self.identity["estimator"]:
            raise ModelFileError(
                f"{self.path} is the checkpoint of a {written['estimator']}, not of a "
                f"{self.identity['estimator']}; delete it or choose another checkpoint path."
            )
        if written["data"] != self.identity["data"]:
            old, new = written["data"], self.identity["data"]
            if old["shape"] != new["shape"]:
                what = f"X of shape {tuple(old['shape'])}, not {tuple(new['shape'])} as now"
            elif old["dtype"] != new["dtype"]:
                what = f"X of dtype {old['dtype']}, not {new['dtype']} as now"
            else:
                what = "other data of the same shape"
            raise ModelFileError(
                f"{self.path} was written by a fit on {what}; resuming needs the same X and "
                "y. Delete it or choose another checkpoint path."
            )
        differ = sorted(
            name
            for name in {*written["params"], *self.identity["params"]}
            if written["params"].get(name) != self.identity["params"].get(name)
        )
        if differ:
            raise ModelFileError(
                f"{self.path} was written by a fit with other parameters ({', '.join(differ)} "
                "differ); resuming needs the same parameters. Delete it or choose another "
                "checkpoint path."
            )


#: The state's fields that are tagged values (:func:`~skae._persistence._codec.encode`).
_ENCODED = ("histories", "loop", "weights", "optimizers", "generators")


def _no_names(name):
    raise ModelFileError(f"A checkpoint names {name!r}; checkpoints name no class or function.")


def _check_folder(path, given):
    """Refuse, before training, a checkpoint path that ``fit`` could not write."""
    if path.is_dir():
        raise IsADirectoryError(21, f"checkpoint={given!r} is a folder, not a file", str(given))
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            2, f"checkpoint={given!r}: its folder {str(folder)!r} does not exist", str(given)
        )
    if not os.access(folder, os.W_OK):
        raise PermissionError(
            13, f"checkpoint={given!r}: its folder {str(folder)!r} is not writable", str(given)
        )


def checkpoint_key():
    """The user's key that signs checkpoints: made on first use, readable by the user alone.

    The key file is ``$SKAE_CHECKPOINT_KEY_FILE`` if set, else
    ``skae/checkpoint.key`` under ``$XDG_CONFIG_HOME`` (``~/.config``).
    Machines that resume each other's checkpoints (a shared folder, Dask
    workers) share it by pointing the variable at one file.

    Returns
    -------
    key : bytes
    """
    variable = os.environ.get(KEY_FILE_VARIABLE)
    if variable:
        path = Path(variable)
    else:
        config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
        path = Path(config) / "skae" / "checkpoint.key"
    if not os.path.lexists(path):
        _make_key(path)
    _check_key_file(path)
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ValueError(f"The checkpoint key file {path} is malformed; delete it for a new one.")
    return key


def _check_key_file(path):
    """Refuse a key that someone else could have written or read: it would sign their files."""
    status = os.lstat(path)
    problem = None
    if not stat.S_ISREG(status.st_mode):
        problem = "is not a regular file (a link, say)"
    elif hasattr(os, "getuid") and status.st_uid != os.getuid():
        problem = "belongs to another user"
    elif os.name == "posix" and status.st_mode & 0o077:
        problem = f"has mode {stat.S_IMODE(status.st_mode):o}; others may read or write it"
    if problem:
        raise PermissionError(
            13,
            f"The checkpoint key file {path} {problem}. It signs your checkpoints, so it must "
            "be a file of yours that only you can read (chmod 600), or deleted to make a new one",
            str(path),
        )


def _make_key(path):
    """Write a new random key at ``path``, unless another process just did."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_hex(32))
    try:
        os.link(temporary, path)  # fails if the key exists: the first key made stays
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def data_fingerprint(X, labels):
    """Shape, dtype and a SHA-256 of evenly spaced rows of X and of all of ``labels``."""
    step = max(1, len(X) // FINGERPRINT_ROWS)
    digest = hashlib.sha256(np.ascontiguousarray(X[::step]).tobytes())
    fields = dataclasses.asdict(labels) if labels is not None else {}
    for name, value in sorted(fields.items()):
        digest.update(name.encode())
        value = np.asarray(value)
        digest.update(
            repr(value.tolist()).encode()
            if value.dtype == object
            else np.ascontiguousarray(value).tobytes()
        )
    return {"shape": list(X.shape), "dtype": str(X.dtype), "sha256": digest.hexdigest()}


def _comparable(value):
    """A parameter's value as JSON, to compare with the one a checkpoint holds."""
    try:
        return json.loads(json.dumps(encode(value, {}, "param")))
    except TypeError:
        return repr(value)
