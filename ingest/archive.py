"""Opening an uploaded log bundle: which container it is, and the files inside it.

The container is told by its magic bytes, never by the upload's file name (collectors name
things badly, and a name is a claim, not a fact). Everything here assumes hostile input: the
limits are checked while bytes are produced, so a zip or gzip bomb is stopped after at most
`max_expanded_bytes` plus one chunk, and member paths are checked before anything uses them.
Nothing is written to disk.
"""

from __future__ import annotations

import io
import json
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ingest.parsers.base import ParserError

# Name under which a bundle that is one bare JSON document appears among the members.
SINGLE_DOCUMENT_MEMBER = "bundle.json"

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # local file header; end record of an empty zip
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_JSON_WHITESPACE = b" \t\r\n"
_TAR_BLOCK = 512
_CHUNK = 64 * 1024
_ZIP_END_RECORD = b"PK\x05\x06"
_ZIP_END_RECORD_SIZE = 22
_ZIP_MAX_COMMENT = 0xFFFF


class BundleError(ParserError):
    """The bundle as a whole cannot be read. Codes: empty_bundle, unknown_container,
    truncated_archive, too_many_members, expanded_too_large, unsafe_member,
    unsupported_member, invalid_encoding, malformed_json (and the dispatcher's own)."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Ceilings for one bundle; defaults match the REANIMATOR_MAX_* settings."""

    max_members: int = 5000
    max_expanded_bytes: int = 512 * 1024 * 1024
    max_member_bytes: int = 64 * 1024 * 1024


class OpenedBundle(NamedTuple):
    container: str  # "tar.gz" | "tar" | "zip" | "json"
    members: dict[str, bytes]  # the regular files, by relative path
    # Members decoded as JSON while the bundle was opened (a bundle that is one bare document
    # is decoded to be checked), by path, so that a parser need not decode them again.
    decoded: dict[str, Any]


def read_members(raw: bytes, *, limits: ArchiveLimits) -> tuple[str, dict[str, bytes]]:
    """The container kind ("tar.gz", "tar", "zip" or "json") and the regular files inside it,
    by relative path. Raises BundleError for anything that is not a safe, complete bundle."""
    opened = open_bundle(raw, limits=limits)
    return opened.container, opened.members


def open_bundle(raw: bytes, *, limits: ArchiveLimits) -> OpenedBundle:
    """read_members, and the members it decoded on the way."""
    if not raw.strip():
        raise BundleError("empty_bundle", "the bundle is empty")
    if raw.startswith(_GZIP_MAGIC):
        return _read_gzip(raw, limits)
    if raw.startswith(_ZIP_MAGICS):
        return OpenedBundle("zip", _read_zip(raw, limits), {})
    if _looks_like_tar(raw):
        return OpenedBundle("tar", _read_tar(raw, limits), {})
    if _looks_like_json(raw):
        return _read_single_document(raw, limits)
    raise BundleError(
        "unknown_container",
        "the bundle is not a gzip, tar or zip archive nor a JSON document (checked by content, not by name)",
    )


# --- gzip ---------------------------------------------------------------------------------


def _read_gzip(raw: bytes, limits: ArchiveLimits) -> OpenedBundle:
    inner = _gunzip(raw, limits.max_expanded_bytes)
    if not inner.strip():
        raise BundleError("empty_bundle", "the gzip stream holds nothing")
    if _looks_like_tar(inner):
        return OpenedBundle("tar.gz", _read_tar(inner, limits), {})
    if _looks_like_json(inner):
        return _read_single_document(inner, limits)
    raise BundleError("unknown_container", "the gzip stream holds neither a tar archive nor a JSON document")


def _gunzip(raw: bytes, max_bytes: int) -> bytes:
    """Decompress every gzip member of `raw`, counting output as it is produced."""
    out = bytearray()
    pending = raw
    while pending:
        pending = _gunzip_member(pending, out, max_bytes)
        if pending.strip(b"\x00") and not pending.startswith(_GZIP_MAGIC):
            # gzip(1) ignores trailing garbage; we do not, since it means a damaged upload
            raise BundleError("truncated_archive", "unexpected bytes after the end of the gzip stream")
        if not pending.startswith(_GZIP_MAGIC):
            break
    return bytes(out)


def _gunzip_member(data: bytes, out: bytearray, max_bytes: int) -> bytes:
    """Inflate one gzip member into `out`; return what follows it."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = data
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if chunk:
                out += chunk
                if len(out) > max_bytes:
                    raise BundleError(
                        "expanded_too_large", f"the gzip stream expands beyond the limit of {max_bytes} bytes"
                    )
            elif not pending:
                break  # no input left and nothing more to give: the stream stops mid-way
    except zlib.error as exc:
        raise BundleError("truncated_archive", f"the gzip stream is corrupt: {exc}") from None
    if not inflater.eof:
        raise BundleError("truncated_archive", "the gzip stream ends before its end marker (truncated upload?)")
    return inflater.unused_data


# --- tar ----------------------------------------------------------------------------------


def _looks_like_tar(data: bytes) -> bool:
    if len(data) < _TAR_BLOCK:
        return False
    header = data[:_TAR_BLOCK]
    if header[257:262] == b"ustar":
        return True
    # pre-POSIX (v7) headers carry no magic; their checksum is the only tell
    return _tar_checksum_matches(header)


def _tar_checksum_matches(header: bytes) -> bool:
    field = header[148:156].replace(b"\x00", b" ").strip()
    if not field or not all(48 <= c <= 55 for c in field):  # octal digits only
        return False
    stored = int(field, 8)
    computed = sum(header[:148]) + 8 * 32 + sum(header[156:])
    return stored == computed and any(header[:100])


def _read_tar(data: bytes, limits: ArchiveLimits) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    counter = _ExpansionCounter(limits)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            seen = 0
            for info in archive:  # iterating reads one header at a time
                seen += 1
                if seen > limits.max_members:
                    raise _too_many_members(limits)
                if info.isdir():
                    continue
                path = _safe_member_path(info.name)
                _refuse_special_tar_member(info)
                if path is None:
                    continue
                counter.declare(path, info.size)
                content = _read_tar_member(archive, info, path)
                counter.add(path, len(content))
                _store(members, path, content)
            end_offset = archive.offset
    except (tarfile.TarError, EOFError) as exc:
        raise BundleError("truncated_archive", f"the tar archive is damaged or truncated: {exc}") from None
    _require_tar_end_marker(data, end_offset)
    return _non_empty(members)


def _refuse_special_tar_member(info: tarfile.TarInfo) -> None:
    if info.issym() or info.islnk():
        raise BundleError("unsafe_member", f"{info.name!r} is a link; bundles may hold regular files only")
    if info.isdev():
        raise BundleError("unsafe_member", f"{info.name!r} is a device or fifo; bundles may hold regular files only")
    if not info.isreg():
        raise BundleError("unsafe_member", f"{info.name!r} is not a regular file (tar type {info.type!r})")


def _read_tar_member(archive: tarfile.TarFile, info: tarfile.TarInfo, path: str) -> bytes:
    stream = archive.extractfile(info)
    if stream is None:
        raise BundleError("unsafe_member", f"{path!r} has no readable content")
    content = stream.read()
    if len(content) != info.size:
        raise BundleError("truncated_archive", f"{path!r} is cut short ({len(content)} of {info.size} bytes)")
    return content


def _require_tar_end_marker(data: bytes, offset: int) -> None:
    """tarfile stops quietly at a header cut in half; a complete archive ends in zero blocks."""
    tail = data[offset : offset + _TAR_BLOCK]
    if len(tail) < _TAR_BLOCK or any(tail):
        raise BundleError("truncated_archive", "the tar archive has no end-of-archive marker (truncated upload?)")


# --- zip ----------------------------------------------------------------------------------


def _read_zip(raw: bytes, limits: ArchiveLimits) -> dict[str, bytes]:
    _refuse_oversized_zip_directory(raw, limits)
    members: dict[str, bytes] = {}
    counter = _ExpansionCounter(limits)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_members:
                raise _too_many_members(limits)
            for info in infos:
                if info.is_dir() or _zip_unix_mode_is(info, stat.S_ISDIR):
                    continue
                path = _safe_member_path(info.filename)
                _refuse_special_zip_member(info)
                if path is None:
                    continue
                counter.declare(path, info.file_size)
                _store(members, path, _read_zip_member(archive, info, path, counter))
    except zipfile.BadZipFile as exc:
        raise BundleError("truncated_archive", f"the zip archive is damaged or truncated: {exc}") from None
    except (zlib.error, EOFError) as exc:
        raise BundleError("truncated_archive", f"a zip member is corrupt: {exc}") from None
    except NotImplementedError as exc:
        raise BundleError("unsupported_member", f"a zip member uses an unsupported compression: {exc}") from None
    return _non_empty(members)


def _refuse_oversized_zip_directory(raw: bytes, limits: ArchiveLimits) -> None:
    """Read the entry count from the end record before zipfile builds an object per entry,
    so a directory of a million empty entries costs nothing."""
    window = raw[-(_ZIP_END_RECORD_SIZE + _ZIP_MAX_COMMENT) :]
    at = window.rfind(_ZIP_END_RECORD)
    if at < 0 or len(window) - at < _ZIP_END_RECORD_SIZE:
        return  # zipfile will report the damage
    (entries,) = struct.unpack("<H", window[at + 10 : at + 12])
    if entries != 0xFFFF and entries > limits.max_members:  # 0xFFFF: zip64 keeps the count elsewhere
        raise _too_many_members(limits)


def _refuse_special_zip_member(info: zipfile.ZipInfo) -> None:
    if info.flag_bits & 0x1:
        raise BundleError("unsupported_member", f"{info.filename!r} is encrypted")
    if _zip_unix_mode_is(info, stat.S_ISLNK):
        raise BundleError("unsafe_member", f"{info.filename!r} is a symlink; bundles may hold regular files only")
    if _zip_unix_mode(info) and not _zip_unix_mode_is(info, stat.S_ISREG):
        raise BundleError(
            "unsafe_member", f"{info.filename!r} is a device or fifo; bundles may hold regular files only"
        )


def _zip_unix_mode(info: zipfile.ZipInfo) -> int:
    """The Unix file mode when the archiver recorded a file type, else 0: non-Unix archivers, and
    some Unix ones (Python's writestr among them), leave the type bits empty."""
    mode = info.external_attr >> 16 if info.create_system == 3 else 0
    return mode if stat.S_IFMT(mode) else 0


def _zip_unix_mode_is(info: zipfile.ZipInfo, test: Callable[[int], bool]) -> bool:
    mode = _zip_unix_mode(info)
    return bool(mode) and test(mode)


def _read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, counter: _ExpansionCounter) -> bytes:
    """Stream the member so a lying size in the header cannot make us inflate a bomb."""
    parts: list[bytes] = []
    size = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            counter.add(path, len(chunk))
            counter.check_member(path, size)
            parts.append(chunk)
    return b"".join(parts)


# --- single JSON document -----------------------------------------------------------------


def _looks_like_json(data: bytes) -> bool:
    if data.startswith(_UTF16_BOMS):
        return True  # JSON in UTF-16: recognised so that it can be refused with a clear reason
    body = data.removeprefix(_UTF8_BOM).lstrip(_JSON_WHITESPACE)
    return body[:1] in (b"{", b"[")


def _read_single_document(data: bytes, limits: ArchiveLimits) -> OpenedBundle:
    if len(data) > limits.max_member_bytes:
        raise BundleError(
            "expanded_too_large", f"the JSON document is {len(data)} bytes, over the {limits.max_member_bytes} limit"
        )
    if data.startswith(_UTF16_BOMS):
        raise BundleError("invalid_encoding", "the JSON document is UTF-16; bundles must be UTF-8")
    body = data.removeprefix(_UTF8_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError("invalid_encoding", f"the JSON document is not UTF-8 (byte offset {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleError(
            "malformed_json", f"the JSON document is malformed: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise BundleError("malformed_json", "the JSON document is nested too deeply") from None
    # parsers get the document without the BOM, as plain UTF-8
    return OpenedBundle("json", {SINGLE_DOCUMENT_MEMBER: body}, {SINGLE_DOCUMENT_MEMBER: document})


# --- shared -------------------------------------------------------------------------------


class _ExpansionCounter:
    """Running total of bytes produced by unpacking, against the bundle's limits."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self._limits = limits
        self._total = 0

    def declare(self, path: str, size: int) -> None:
        """Refuse early on the size an archive header announces; the real count still follows."""
        self.check_member(path, size)
        if self._total + size > self._limits.max_expanded_bytes:
            raise self._too_large()

    def add(self, path: str, size: int) -> None:
        self._total += size
        if self._total > self._limits.max_expanded_bytes:
            raise self._too_large()

    def check_member(self, path: str, size: int) -> None:
        if size > self._limits.max_member_bytes:
            raise BundleError(
                "expanded_too_large",
                f"{path!r} expands beyond the per-file limit of {self._limits.max_member_bytes} bytes",
            )

    def _too_large(self) -> BundleError:
        return BundleError(
            "expanded_too_large", f"the archive expands beyond the limit of {self._limits.max_expanded_bytes} bytes"
        )


def _safe_member_path(name: str) -> str | None:
    """The member's relative path with "./" and empty parts removed; None for the archive root.
    Absolute paths, drive letters, backslashes and ".." parts are refused, not repaired:
    an archive that carries them was not made by a well-behaved collector."""
    if "\x00" in name:
        raise BundleError("unsafe_member", f"{name!r} contains a NUL byte")
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise BundleError("unsafe_member", f"{name!r} is an absolute or non-POSIX path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise BundleError("unsafe_member", f"{name!r} climbs out of the bundle with '..'")
    return "/".join(parts) or None


def _store(members: dict[str, bytes], path: str, content: bytes) -> None:
    if path in members:
        # two different files under one name: which one the collector meant is unknowable
        raise BundleError("unsafe_member", f"{path!r} appears twice in the archive")
    members[path] = content


def _non_empty(members: dict[str, bytes]) -> dict[str, bytes]:
    if not members:
        raise BundleError("empty_bundle", "the archive holds no files")
    return members


def _too_many_members(limits: ArchiveLimits) -> BundleError:
    return BundleError("too_many_members", f"the archive holds more than {limits.max_members} entries")
