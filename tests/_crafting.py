"""Tools to craft model files from genuine ones, as an attacker would."""

import hashlib
import io
import json
import struct
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


def skops_entries(path):
    """``(manifest, parts, entries)``: the file's parts and its skops part's entries."""
    manifest, parts = parts_of(path)
    with zipfile.ZipFile(io.BytesIO(parts["sklearn.skops"])) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    return manifest, parts, entries


def write_skops(path, manifest, parts, entries):
    """Write the file with its skops part made of ``entries``, checksums recomputed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return write(path, manifest, {**parts, "sklearn.skops": buffer.getvalue()})


def npy_announcing(shape, body=b""):
    """A .npy array whose header announces ``shape`` of float64, followed by ``body``."""
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + body


def directory_bomb(n_entries):
    """A zip of one entry whose zip64 directory lists it ``n_entries`` times."""
    local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0) + b"a"
    entry = struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
    )
    directory = (entry + b"a") * n_entries
    end64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n_entries, n_entries,
        len(directory), len(local),
    )  # fmt: skip
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(local) + len(directory), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 2**32 - 1, 2**32 - 1, 0)
    return local + directory + end64 + locator + end
