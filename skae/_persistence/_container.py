"""skae's container: one zip of a JSON manifest and named parts, within fixed limits.

The container knows nothing of estimators. Its manifest names the file's
format and version and the SHA-256 of every part; a checkpoint's manifest is
also signed (HMAC-SHA256) with the user's key. Reading checks the zip's
directory before any part is used: every entry is stored (never compressed,
so that no entry can expand), entries follow each other from the first byte
to the directory with nothing before, between or after them, no name is
given twice, and the sizes stay within :class:`Limits`. Parts are returned as
views of the file's bytes, so that reading never takes more memory than the
file's size. A SHA-256 detects corruption, not an attacker (anyone can
recompute it); the signature and the ``sha256=`` pin of :func:`read_container`
are what detect a changed file.
"""

import dataclasses
import hashlib
import hmac
import io
import json
import os
import secrets
import struct
import zipfile
import zlib
from pathlib import Path

from skae._persistence._errors import ModelFileError

MANIFEST = "skae.json"
SIGNATURE = "skae.sig"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_END_RECORD_SIZE = 22


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a file may hold before anything in it is used.

    Attributes
    ----------
    max_file_bytes : int
        The file's size.
    max_parts : int
        Entries in the zip, the manifest included.
    max_manifest_bytes : int
        The manifest's size.
    max_json_bytes : int
        Another JSON part's size (a record's, a checkpoint's state, a header).
    max_json_depth : int
        How deeply JSON values nest.
    max_json_values : int
        JSON values (numbers, strings, lists, ...) in all of a file's JSON,
        counted from its bytes before it is parsed: each costs Python up to
        about 70 bytes, whatever the few bytes that wrote it.
    max_name_bytes : int
        An entry's name.
    """

    max_file_bytes: int = 16 * 2**30
    max_parts: int = 10_000
    max_manifest_bytes: int = 2**20
    max_json_bytes: int = 16 * 2**20
    max_json_depth: int = 64
    max_json_values: int = 2**21
    max_name_bytes: int = 256


LIMITS = Limits()


# ------------------------------------------------------------------ writing


def write_container(path, manifest, parts, *, key=None):
    """Write ``manifest`` and ``parts`` (bytes by name) as one zip at ``path``.

    ``manifest`` holds the format's fields; the SHA-256 of every part is
    added as ``"parts"``. With ``key`` (bytes), the manifest is signed.
    The file is written as :func:`write_atomically` does.
    """
    manifest = {
        **manifest,
        "parts": {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()},
    }
    manifest_bytes = json.dumps(manifest, indent=1).encode()

    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, manifest_bytes)
            if key is not None:
                archive.writestr(SIGNATURE, _signature(key, manifest_bytes))
            for name, data in parts.items():
                archive.writestr(name, data)

    write_atomically(path, write)


def write_atomically(path, write):
    """Call ``write(file)`` on a new file beside ``path``, then rename it to ``path``.

    Behaves like ``open(path, "wb")``: the file's mode comes from the
    umask, a target that cannot be written (read-only, a folder, in a
    missing folder) is an ``OSError`` naming ``path``, before anything is
    written. ``path`` holds the old file or the new one, never part of one,
    even if the process dies while writing.
    """
    path = Path(path)
    _check_writable(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}", str(path)) from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}", str(path)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _check_writable(path):
    """Raise what ``open(path, "wb")`` would, without changing the file."""
    if path.is_dir():
        raise IsADirectoryError(21, f"cannot write {path}: it is a folder", str(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(
            2, f"cannot write {path}: its folder {path.parent} does not exist", str(path)
        )
    if path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY))  # no O_TRUNC: the file is left as it is
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}", str(path)) from None
    elif not os.access(path.parent, os.W_OK):
        raise PermissionError(
            13, f"cannot write {path}: its folder {path.parent} is not writable", str(path)
        )


def _signature(key, manifest_bytes):
    return hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest().encode()


# ------------------------------------------------------------------ reading


def read_container(path, file_format, version, *, what, key=None, sha256=None, limits=LIMITS):
    """The manifest and every part it lists, each checked against its SHA-256.

    Parameters
    ----------
    path : str or path-like
        The file.
    file_format : str
        The manifest's expected ``"format"``.
    version : int
        The newest ``"format_version"`` read; older versions are refused too.
    what : str
        Names the file in errors, e.g. ``"skae model file"``.
    key : bytes, default=None
        The key the manifest must be signed with.
    sha256 : str, default=None
        The SHA-256 of the whole file, checked before anything is parsed.
    limits : Limits, default=LIMITS

    Returns
    -------
    manifest : dict
    parts : dict of str to memoryview
        Views of the file's bytes, by name, without the manifest.

    Raises
    ------
    ModelFileError
        For anything but a complete file of this format.
    """
    data = _read_file(path, limits)
    if sha256 is not None and not hmac.compare_digest(
        hashlib.sha256(data).hexdigest(), str(sha256).lower()
    ):
        raise ModelFileError(f"{path}: its SHA-256 differs from sha256={sha256!r}.")
    entries = zip_entries(data, path, what, limits)
    if MANIFEST not in entries:
        raise ModelFileError(f"{path} is not a {what}: it has no manifest.")
    manifest_bytes = entries.pop(MANIFEST)
    if key is not None:
        _check_signature(entries.pop(SIGNATURE, None), key, manifest_bytes, path, what)
    if len(manifest_bytes) > limits.max_manifest_bytes:
        raise ModelFileError(
            f"{path}: its manifest holds {len(manifest_bytes)} bytes, more than the "
            f"{limits.max_manifest_bytes} allowed."
        )
    manifest = parse_json(manifest_bytes, f"{path}: its manifest", JsonBudget(limits))
    if not isinstance(manifest, dict) or manifest.get("format") != file_format:
        raise ModelFileError(f"{path} is not a {what} (no {file_format} manifest).")
    _check_version(manifest.get("format_version"), version, path)
    listed = manifest.get("parts")
    if not isinstance(listed, dict) or not all(isinstance(d, str) for d in listed.values()):
        raise ModelFileError(f"{path}: its manifest's list of parts is malformed.")
    if set(entries) != set(listed):
        extra, missing = sorted(set(entries) - set(listed)), sorted(set(listed) - set(entries))
        raise ModelFileError(
            f"{path}: its parts disagree with its manifest (unlisted: {extra}, missing: "
            f"{missing}); it is truncated, or not a {what}."
        )
    for name, digest in listed.items():
        if not hmac.compare_digest(hashlib.sha256(entries[name]).hexdigest(), digest):
            raise ModelFileError(f"{path}: part {name!r} is corrupted (its checksum differs).")
    return manifest, entries


def _read_file(path, limits):
    if os.path.exists(path) and not os.path.isfile(path):
        raise ModelFileError(f"{path} is not a regular file.")  # a FIFO would block open()
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > limits.max_file_bytes:
            raise ModelFileError(
                f"{path} holds {size} bytes, more than the {limits.max_file_bytes} a file may."
            )
        data = file.read(size + 1)
    if len(data) != size:
        raise ModelFileError(f"{path} changed while it was read.")
    return data


def _check_version(found, version, path):
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise ModelFileError(f"{path}: its manifest's format_version is malformed.")
    if found > version:
        raise ModelFileError(
            f"{path} was written in skae's format version {found}, newer than this skae "
            f"reads (up to {version}); upgrade skae to load it."
        )
    if found < version:
        raise ModelFileError(
            f"{path} was written in skae's format version {found}, which an older skae "
            f"wrote; this skae reads version {version} only (older loaders could run code "
            "from a file). Load it with the skae that wrote it, in an environment you "
            "trust, and save it again."
        )


def _check_signature(signature, key, manifest_bytes, path, what):
    if signature is None or not hmac.compare_digest(
        bytes(signature), _signature(key, manifest_bytes)
    ):
        raise ModelFileError(
            f"{path} is not signed with this user's key: it was not written by a skae of "
            f"this user (another user's, another machine's, or a planted {what}). Delete "
            "it or choose another path."
        )


def zip_entries(data, where, what="zip file", limits=LIMITS):
    """The entries of the zip ``data`` (bytes), as views by name, after checking its layout.

    Every entry must be stored, in order from the first byte, each local
    header agreeing with the directory, with no data before, between or after
    the entries and the directory, no comment, no name twice, and the CRC of
    each entry right.
    """
    view = memoryview(data)
    count, directory_size, directory_end = _end_record(view, where, what, limits)
    try:
        # BytesIO shares the memory of bytes instead of copying them.
        archive = zipfile.ZipFile(io.BytesIO(bytes(data) if not isinstance(data, bytes) else data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ModelFileError(f"{where} is not a {what}, or it is truncated ({exc}).") from None
    if len(infos) > limits.max_parts:
        raise ModelFileError(
            f"{where} holds {len(infos)} entries, more than the {limits.max_parts} allowed."
        )
    names = [info.filename for info in infos]
    if any(len(info.orig_filename.encode()) > limits.max_name_bytes for info in infos):
        raise ModelFileError(f"{where} holds an entry whose name is too long.")
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise ModelFileError(f"{where} holds entries of the same name twice: {twice}.")
    entries, offset = {}, 0
    for info in sorted(infos, key=lambda info: info.header_offset):
        start, end = _entry_bounds(view, info, offset, where)
        entry = view[start:end]
        if zlib.crc32(entry) != info.CRC:
            raise ModelFileError(f"{where}: part {info.filename!r} is corrupted (its CRC differs).")
        entries[info.filename], offset = entry, end
    if archive.start_dir != offset:
        raise ModelFileError(f"{where} holds data between its entries and its directory.")
    if len(infos) != count or offset + directory_size != directory_end:
        raise ModelFileError(f"{where} holds data after its directory.")
    return entries


def _end_record(view, where, what, limits):
    """``(count, directory_size, directory_end)`` from the zip's end records, all checked.

    Read before :mod:`zipfile` parses the directory, which makes an object
    per entry whatever their number: a zip announcing more entries, or a
    larger directory, than the limits allow is refused first.
    ``directory_end`` is where the directory must end: at the end record,
    or at the zip64 end record that files past 4 GiB have before it.
    """
    tail = len(view) - _END_RECORD_SIZE
    if tail < 0 or bytes(view[tail : tail + 4]) != b"PK\x05\x06":
        raise ModelFileError(
            f"{where} is not a {what}, or it is truncated (its end record is not at its end: "
            "the file is cut, or has data or a comment after it)."
        )
    count, directory_size = struct.unpack("<HL", view[tail + 10 : tail + 16])
    directory_end = tail
    if count == 0xFFFF or directory_size == 0xFFFFFFFF:  # zip64: the sizes are elsewhere
        locator = tail - 20
        if locator < 0 or bytes(view[locator : locator + 4]) != b"PK\x06\x07":
            raise ModelFileError(f"{where}: its zip64 end record is missing.")
        (directory_end,) = struct.unpack("<Q", view[locator + 8 : locator + 16])
        if directory_end + 56 != locator or bytes(view[directory_end : directory_end + 4]) != (
            b"PK\x06\x06"
        ):
            raise ModelFileError(f"{where}: its zip64 end record is malformed.")
        count, directory_size = struct.unpack("<QQ", view[directory_end + 32 : directory_end + 48])
    per_entry = 46 + limits.max_name_bytes + 64  # fixed header, name, zip64 extra
    if count > limits.max_parts or directory_size > limits.max_parts * per_entry:
        raise ModelFileError(
            f"{where} announces {count} entries in a directory of {directory_size} bytes, "
            f"more than the {limits.max_parts} entries allowed."
        )
    return count, directory_size, directory_end


def _entry_bounds(view, info, offset, where):
    """Where the data of entry ``info`` lies, which must start at ``offset``."""
    if info.compress_type != zipfile.ZIP_STORED:
        raise ModelFileError(
            f"{where}: part {info.filename!r} is compressed; skae writes stored entries only."
        )
    if info.flag_bits & 0x09 or info.compress_size != info.file_size:
        raise ModelFileError(f"{where}: part {info.filename!r} is encrypted or malformed.")
    if info.header_offset != offset:
        raise ModelFileError(
            f"{where} holds data before or between its entries (at byte {offset})."
        )
    header = bytes(view[offset : offset + _LOCAL_HEADER.size])
    if len(header) < _LOCAL_HEADER.size:
        raise ModelFileError(f"{where} is truncated.")
    fields = _LOCAL_HEADER.unpack(header)
    name_length, extra_length = fields[-2], fields[-1]
    name_start = offset + _LOCAL_HEADER.size
    name = bytes(view[name_start : name_start + name_length])
    if fields[0] != b"PK\x03\x04" or name != info.orig_filename.encode(
        "utf-8" if info.flag_bits & 0x800 else "cp437"
    ):
        raise ModelFileError(f"{where}: part {info.filename!r} disagrees with its directory.")
    start = name_start + name_length + extra_length
    end = start + info.file_size
    if end > len(view):
        raise ModelFileError(f"{where} is truncated.")
    return start, end


class JsonBudget:
    """The JSON values a file may still parse (:attr:`Limits.max_json_values`)."""

    def __init__(self, limits=LIMITS):
        self.limits = limits
        self.values = limits.max_json_values

    def spend(self, data, where):
        """Count ``data``'s values from its bytes, before any is made, and refuse too many.

        Every value but the first follows a comma or a colon, or opens a
        list or an object: counting those bytes bounds the values from
        above, wherever they stand (in strings too).
        """
        self.values -= 1 + sum(bytes(data).count(mark) for mark in (b",", b":", b"[", b"{"))
        if self.values < 0:
            raise ModelFileError(
                f"{where}: its JSON holds more values than the {self.limits.max_json_values} "
                "a file may."
            )


def parse_json(data, where, budget):
    """JSON ``data`` (bytes) within the limits of ``budget``, with no key twice."""
    limits = budget.limits
    if len(data) > limits.max_json_bytes:
        raise ModelFileError(
            f"{where} holds {len(data)} bytes of JSON, more than the {limits.max_json_bytes} "
            "allowed."
        )
    budget.spend(data, where)
    try:
        value = json.loads(bytes(data), object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ModelFileError(f"{where} nests too deeply.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{where} is not valid JSON ({exc}).") from None
    _check_depth(value, limits.max_json_depth, where)
    return value


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a key given twice among {sorted(set(keys))[:5]}")
    return dict(pairs)


def _check_depth(value, max_depth, where):
    level = [value]
    for _ in range(max_depth):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return
    raise ModelFileError(f"{where} nests deeper than {max_depth} levels.")
