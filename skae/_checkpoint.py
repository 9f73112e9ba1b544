"""Checkpoints: a fit's whole state at the end of every epoch, so that a killed fit resumes.

A checkpoint is a zip in the format of :func:`skae.save` (a manifest with a
SHA-256 per part, JSON and safetensors, nothing pickled): the network's
weights, every phase's optimizer, the engine's :class:`~skae.nn.LoopState`
(history, learning-rate schedule, early-stopping counters), the random
generators, the seeds, and what identifies the fit (the estimator's type,
its parameters and a fingerprint of the data). A ``fit`` given the same path
reads it, refuses it if it was written by another fit, and continues from
the epoch it holds.
"""

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np

from skae._extras import import_extra
from skae._fitted import Seeds
from skae._persistence._archive import read_checked_parts, write_atomically
from skae._persistence._codec import decode, encode
from skae.nn._training import History, LoopState

FORMAT = "skae-checkpoint"
FORMAT_VERSION = 1
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
    targets : object
        What its phases need of y (see ``_validate_training_data``).
    """

    def __init__(self, path, estimator, X, targets):
        self.path = Path(path)
        params = estimator.get_params(deep=False)
        self.identity = {
            "estimator": type(estimator).__name__,
            "params": {
                name: _comparable(value)
                for name, value in params.items()
                if name not in FREE_PARAMS
            },
            "data": data_fingerprint(X, targets),
        }
        self._safetensors = import_extra(
            "safetensors.torch", "persistence", "Checkpoints (checkpoint=...)"
        )

    def read(self):
        """The :class:`Resumed` state of the file, or None if there is none yet.

        Raises
        ------
        ValueError
            If the file is not a checkpoint, is corrupted or truncated, or was
            written by a fit of another estimator, other parameters or other
            data.
        """
        if not self.path.exists():
            return None
        _, parts = read_checked_parts(self.path, FORMAT, FORMAT_VERSION, what="skae checkpoint")
        if set(parts) != {STATE_PART, TENSORS_PART}:
            raise ValueError(f"{self.path}: the checkpoint's parts are not a checkpoint's.")
        state = json.loads(parts[STATE_PART])
        self._check_identity(state["identity"])
        tensors = self._safetensors.load(parts[TENSORS_PART])
        loop = decode(state["loop"], tensors, trusted=set())
        loop["history"] = History(**loop["history"])
        return Resumed(
            seeds=Seeds(**state["seeds"]),
            phase=state["phase"],
            histories={
                name: History(**fields)
                for name, fields in decode(state["histories"], tensors, set()).items()
            },
            loop=LoopState(**loop),
            weights=decode(state["weights"], tensors, set()),
            optimizers=decode(state["optimizers"], tensors, set()),
            generators=decode(state["generators"], tensors, set()),
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
        parts = {
            STATE_PART: json.dumps(state).encode(),
            TENSORS_PART: self._safetensors.save(tensors),
        }
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "parts": {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()},
        }
        write_atomically(self.path, manifest, parts)

    def remove(self):
        """Delete the file: the fit it was for has finished."""
        self.path.unlink(missing_ok=True)

    def _check_identity(self, written):
        if written["estimator"] != self.identity["estimator"]:
            raise ValueError(
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
            raise ValueError(
                f"{self.path} was written by a fit on {what}; resuming needs the same X and "
                "y. Delete it or choose another checkpoint path."
            )
        differ = sorted(
            name
            for name in {*written["params"], *self.identity["params"]}
            if written["params"].get(name) != self.identity["params"].get(name)
        )
        if differ:
            raise ValueError(
                f"{self.path} was written by a fit with other parameters ({', '.join(differ)} "
                "differ); resuming needs the same parameters. Delete it or choose another "
                "checkpoint path."
            )


def data_fingerprint(X, targets):
    """Shape, dtype and a SHA-256 of evenly spaced rows of X and of all of ``targets``."""
    step = max(1, len(X) // FINGERPRINT_ROWS)
    digest = hashlib.sha256(np.ascontiguousarray(X[::step]).tobytes())
    for name, value in sorted((targets or {}).items()):
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
