"""Tools to craft model files from genuine ones, as an attacker would."""

import hashlib
import json
import zipfile


def parts_of(path):
    """``(manifest, parts)`` of a file: its manifest as a dict, every other entry's bytes."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(parts.pop("skae.json")), parts


def write(path, manifest, parts, *, checksums=True, compression=zipfile.ZIP_STORED, entries=()):
    """Write a zip of ``manifest`` and ``parts``; ``entries`` are extra ``(name, bytes)``.

    With ``checksums``, the manifest lists every part with its recomputed
    SHA-256, as anyone can: what an attacker's file looks like.
    """
    if checksums:
        manifest = {
            **manifest,
            "parts": {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()},
        }
    manifest_bytes = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("skae.json", manifest_bytes)
        for name, data in [*parts.items(), *entries]:
            archive.writestr(name, data)
    return path


def rewrite(path, change):
    """Rewrite the file with ``change(manifest, parts)`` applied, checksums recomputed."""
    manifest, parts = parts_of(path)
    change(manifest, parts)
    return write(path, manifest, parts)


def edit_record(path, change, index=0):
    """Rewrite estimator ``index``'s JSON record with ``change(record)`` applied."""

    def edit(manifest, parts):
        record = json.loads(parts[f"estimators/{index}.json"])
        change(record)
        parts[f"estimators/{index}.json"] = json.dumps(record).encode()

    return rewrite(path, edit)


def set_pair(tagged_dict, name, value):
    """Set ``name`` in a ``{"__dict__": [[key, value], ...]}`` value, adding it if missing."""
    pairs = tagged_dict["__dict__"]
    for pair in pairs:
        if pair[0] == name:
            pair[1] = value
            return
    pairs.append([name, value])


def get_pair(tagged_dict, name):
    return next(value for key, value in tagged_dict["__dict__"] if key == name)
