"""Reading bundle containers: what is accepted, and every way a hostile or broken upload is refused."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.archive import SINGLE_DOCUMENT_MEMBER, ArchiveLimits, BundleError, open_bundle, read_members
from ingest.parsers.base import ParserError

LIMITS = ArchiveLimits()
SMALL = ArchiveLimits(max_members=50, max_expanded_bytes=4 * 1024 * 1024, max_member_bytes=2 * 1024 * 1024)


# --- builders -----------------------------------------------------------------------------


def tar_bytes(files: dict[str, bytes], *, compress: bool = False, extra: list[tarfile.TarInfo] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if compress else "w", format=tarfile.GNU_FORMAT) as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        for info in extra or []:
            archive.addfile(info)
    return buffer.getvalue()


def special_member(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def zip_bytes(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_with_unix_mode(name: str, content: bytes, mode: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = mode << 16
        archive.writestr(info, content)
    return buffer.getvalue()


def regular_files_of(path: Path) -> dict[str, bytes]:
    """What `tar -xzf` would write, read by the standard library as a reference."""
    files = {}
    with tarfile.open(path) as reference:
        for info in reference:
            stream = reference.extractfile(info) if info.isfile() else None
            if stream is not None:
                files[info.name] = stream.read()
    return files


def refusal(raw: bytes, limits: ArchiveLimits = LIMITS) -> BundleError:
    with pytest.raises(BundleError) as caught:
        read_members(raw, limits=limits)
    return caught.value


# --- happy paths --------------------------------------------------------------------------


def test_tar_gz_yields_regular_files_by_relative_path() -> None:
    raw = tar_bytes({"./manifest.json": b"{}", "./smartctl/sda.json": b'{"a": 1}'}, compress=True)

    kind, members = read_members(raw, limits=LIMITS)

    assert kind == "tar.gz"
    assert members == {"manifest.json": b"{}", "smartctl/sda.json": b'{"a": 1}'}


def test_plain_tar_is_recognised_by_content() -> None:
    kind, members = read_members(tar_bytes({"dmidecode.txt": b"# dmidecode 3.3\n"}), limits=LIMITS)

    assert kind == "tar"
    assert members == {"dmidecode.txt": b"# dmidecode 3.3\n"}


def test_tar_directories_are_skipped() -> None:
    directory = special_member("smartctl", tarfile.DIRTYPE)
    raw = tar_bytes({"smartctl/sda.json": b"{}"}, extra=[directory])

    _, members = read_members(raw, limits=LIMITS)

    assert list(members) == ["smartctl/sda.json"]


def test_zip_yields_files_and_skips_directories() -> None:
    raw = zip_bytes({"bundle/": b"", "bundle/lshw.json": b"[]", "./lspci.txt": b"Slot:\t00:00.0\n"})

    kind, members = read_members(raw, limits=LIMITS)

    assert kind == "zip"
    assert members == {"bundle/lshw.json": b"[]", "lspci.txt": b"Slot:\t00:00.0\n"}


def test_single_json_document_is_one_member() -> None:
    document = b'  \n{"format": "reanimator-inventory"}'

    kind, members = read_members(document, limits=LIMITS)

    assert kind == "json"
    assert members == {SINGLE_DOCUMENT_MEMBER: document}


def test_single_json_document_is_handed_on_decoded_and_archive_members_are_not() -> None:
    document = b'\xef\xbb\xbf{"hostname": "caf\xc3\xa9"}'

    assert open_bundle(document, limits=LIMITS).decoded == {SINGLE_DOCUMENT_MEMBER: {"hostname": "café"}}
    assert open_bundle(gzip.compress(document), limits=LIMITS).decoded == {SINGLE_DOCUMENT_MEMBER: {"hostname": "café"}}
    assert open_bundle(tar_bytes({"inventory.json": document}), limits=LIMITS).decoded == {}


def test_single_json_document_loses_its_utf8_bom() -> None:
    kind, members = read_members(b'\xef\xbb\xbf{"hostname": "caf\xc3\xa9"}', limits=LIMITS)

    assert kind == "json"
    assert members[SINGLE_DOCUMENT_MEMBER] == '{"hostname": "café"}'.encode()


def test_gzip_of_a_single_json_document_is_read_as_json() -> None:
    kind, members = read_members(gzip.compress(b'{"collected_at": "2026-03-01T10:00:00Z"}'), limits=LIMITS)

    assert kind == "json"
    assert json.loads(members[SINGLE_DOCUMENT_MEMBER]) == {"collected_at": "2026-03-01T10:00:00Z"}


def test_container_is_told_by_content_even_when_it_looks_like_text() -> None:
    # a zip whose only member is JSON must still be a zip, not a JSON document
    kind, _ = read_members(zip_bytes({"inventory.json": b"{}"}, compression=zipfile.ZIP_STORED), limits=LIMITS)

    assert kind == "zip"


def test_real_redfish_archives_from_the_corpus_unpack_completely(corpus_dir: Path) -> None:
    archives = sorted((corpus_dir / "redfish-hpe-ilo-emulator" / "archives").glob("*.tar.gz"))
    assert len(archives) == 4
    for path in archives:
        raw = path.read_bytes()
        expected = regular_files_of(path)

        kind, members = read_members(raw, limits=LIMITS)

        assert kind == "tar.gz"
        assert members == expected, path.name
        assert all(name.startswith(path.name.removesuffix(".tar.gz") + "/") for name in members)
        assert all(isinstance(json.loads(content), dict) for content in members.values())


# --- empty and unknown --------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   \n\t", gzip.compress(b"")], ids=["empty", "blank", "empty-gzip"])
def test_empty_upload_is_empty_bundle(raw: bytes) -> None:
    assert refusal(raw).code == "empty_bundle"


def test_archive_with_only_directories_is_empty_bundle() -> None:
    raw = tar_bytes({}, extra=[special_member("spool", tarfile.DIRTYPE)])

    assert refusal(raw).code == "empty_bundle"


def test_empty_zip_is_empty_bundle() -> None:
    assert refusal(zip_bytes({})).code == "empty_bundle"


@pytest.mark.parametrize(
    "raw",
    [b"Handle 0x0001, DMI type 1, 27 bytes\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 600, gzip.compress(b"plain text")],
    ids=["text", "png", "gzip-of-text"],
)
def test_anything_else_is_unknown_container(raw: bytes) -> None:
    assert refusal(raw).code == "unknown_container"


# --- truncated and corrupt ----------------------------------------------------------------


def test_truncated_gzip_is_truncated_archive() -> None:
    raw = tar_bytes({f"file{i}.txt": bytes(range(256)) * 40 for i in range(5)}, compress=True)

    for cut in (len(raw) // 3, len(raw) // 2, len(raw) - 5):
        assert refusal(raw[:cut]).code == "truncated_archive"


def test_gzip_crc_mismatch_is_truncated_archive() -> None:
    raw = bytearray(gzip.compress(b'{"a": 1}'))
    raw[-8] ^= 0xFF  # the CRC32 in the gzip trailer

    error = refusal(bytes(raw))

    assert error.code == "truncated_archive"
    assert "corrupt" in error.message


def test_garbage_after_gzip_stream_is_truncated_archive() -> None:
    assert refusal(gzip.compress(b"{}") + b"garbage").code == "truncated_archive"


def test_tar_cut_inside_a_member_is_truncated_archive() -> None:
    raw = tar_bytes({"dmidecode.txt": b"x" * 5000})

    assert refusal(raw[:2048]).code == "truncated_archive"


def test_tar_cut_between_members_is_truncated_archive() -> None:
    raw = tar_bytes({"a.txt": b"a" * 512, "b.txt": b"b" * 512})

    # header + one data block of a.txt only: tarfile alone would call this a complete archive
    assert refusal(raw[:1024]).code == "truncated_archive"


def test_truncated_zip_is_truncated_archive() -> None:
    raw = zip_bytes({"lshw.json": b"[" + b"{}," * 2000 + b"{}]"})

    assert refusal(raw[: len(raw) // 2]).code == "truncated_archive"


def test_zip_crc_mismatch_is_truncated_archive() -> None:
    raw = bytearray(zip_bytes({"lspci.txt": b"Slot:\t00:00.0\nClass:\tHost bridge\n"}, compression=zipfile.ZIP_STORED))
    at = raw.index(b"Host bridge")
    raw[at] ^= 0x20  # change content, keep the stored CRC

    error = refusal(bytes(raw))

    assert error.code == "truncated_archive"
    assert "CRC" in error.message


# --- limits -------------------------------------------------------------------------------


def test_ten_thousand_tiny_members_are_too_many() -> None:
    raw = tar_bytes({f"m/{i}.txt": b"x" for i in range(10_000)}, compress=True)

    error = refusal(raw)

    assert error.code == "too_many_members"
    assert "5000" in error.message


def test_zip_with_too_many_entries_is_refused_from_its_end_record() -> None:
    raw = zip_bytes({f"{i}.txt": b"" for i in range(SMALL.max_members + 1)})

    assert refusal(raw, SMALL).code == "too_many_members"


def test_zip_bomb_is_stopped_without_expanding_it_in_memory() -> None:
    expanded = 64 * 1024 * 1024
    bomb = zip_bytes({"bomb.bin": b"\x00" * expanded})
    assert expanded / len(bomb) > 500  # a real bomb: a high ratio

    tracemalloc.start()
    try:
        error = refusal(bomb, SMALL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.code == "expanded_too_large"
    assert peak < 4 * SMALL.max_expanded_bytes  # far below the 64 MiB it would have taken


def test_zip_bomb_spread_over_many_members_hits_the_bundle_limit() -> None:
    raw = zip_bytes({f"part{i}.bin": b"\x00" * (1024 * 1024) for i in range(6)})

    error = refusal(raw, SMALL)

    assert error.code == "expanded_too_large"
    assert str(SMALL.max_expanded_bytes) in error.message


def test_gzip_bomb_is_stopped_while_inflating() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\x00" * (1024 * 1024)
    bomb = b"".join([*(compressor.compress(block) for _ in range(64)), compressor.flush()])

    tracemalloc.start()
    try:
        error = refusal(bomb, SMALL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.code == "expanded_too_large"
    assert peak < 4 * SMALL.max_expanded_bytes


def test_one_member_over_the_member_limit_is_refused() -> None:
    raw = tar_bytes({"huge.txt": b"x" * (SMALL.max_member_bytes + 1)})

    error = refusal(raw, SMALL)

    assert error.code == "expanded_too_large"
    assert "huge.txt" in error.message


# --- unsafe members -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "spool/../../etc/cron.d/x", "/etc/passwd", "C:/Windows/x", "spool\\..\\x"]
)
def test_path_escaping_the_bundle_is_unsafe_in_tar(name: str) -> None:
    error = refusal(tar_bytes({name: b"x"}))

    assert error.code == "unsafe_member"
    assert repr(name) in error.message


@pytest.mark.parametrize("name", ["../evil.json", "/abs/evil.json"])
def test_path_escaping_the_bundle_is_unsafe_in_zip(name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name), b"{}")  # ZipInfo keeps the name as given

    assert refusal(buffer.getvalue()).code == "unsafe_member"


@pytest.mark.parametrize(
    ("kind", "linkname"),
    [
        (tarfile.SYMTYPE, "/etc/shadow"),
        (tarfile.LNKTYPE, "dmidecode.txt"),
        (tarfile.CHRTYPE, ""),
        (tarfile.FIFOTYPE, ""),
    ],
    ids=["symlink", "hardlink", "char-device", "fifo"],
)
def test_links_and_devices_in_tar_are_unsafe(kind: bytes, linkname: str) -> None:
    raw = tar_bytes({"dmidecode.txt": b"x"}, extra=[special_member("lshw.json", kind, linkname)])

    error = refusal(raw)

    assert error.code == "unsafe_member"
    assert "lshw.json" in error.message


def test_symlink_in_zip_is_unsafe() -> None:
    raw = zip_with_unix_mode("lshw.json", b"/etc/shadow", 0o120777)

    error = refusal(raw)

    assert error.code == "unsafe_member"
    assert "symlink" in error.message


def test_fifo_in_zip_is_unsafe() -> None:
    assert refusal(zip_with_unix_mode("pipe", b"", 0o010644)).code == "unsafe_member"


def test_encrypted_zip_member_is_unsupported() -> None:
    raw = bytearray(zip_bytes({"lshw.json": b"ciphertext"}, compression=zipfile.ZIP_STORED))
    # zipfile cannot write encrypted members; set the "encrypted" bit as `zip -e` would, in both
    # the local header (flags at +6) and the central directory entry (flags at +8)
    raw[raw.index(b"PK\x03\x04") + 6] |= 0x1
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1

    error = refusal(bytes(raw))

    assert error.code == "unsupported_member"
    assert "encrypted" in error.message


def test_regular_unix_file_in_zip_is_accepted() -> None:
    _, members = read_members(zip_with_unix_mode("lshw.json", b"[]", 0o100644), limits=LIMITS)

    assert members == {"lshw.json": b"[]"}


def test_same_path_twice_is_unsafe() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for content in (b"first", b"second"):
            info = tarfile.TarInfo("manifest.json")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))

    error = refusal(buffer.getvalue())

    assert error.code == "unsafe_member"
    assert "twice" in error.message


# --- single JSON: encoding and syntax -----------------------------------------------------


def test_single_json_in_latin1_is_invalid_encoding() -> None:
    error = refusal(b'{"hostname": "caf\xe9"}')

    assert error.code == "invalid_encoding"
    assert "UTF-8" in error.message


def test_single_json_in_utf16_is_invalid_encoding() -> None:
    assert refusal('{"hostname": "node"}'.encode("utf-16")).code == "invalid_encoding"


@pytest.mark.parametrize("raw", [b'{"collected_at": ', b"[1, 2", b"{'single': 'quotes'}", b"[" * 100_000])
def test_broken_single_json_is_malformed_json(raw: bytes) -> None:
    assert refusal(raw).code == "malformed_json"


# --- robustness ---------------------------------------------------------------------------

_MAGIC_PREFIXES = st.sampled_from([b"", b"\x1f\x8b\x08\x00", b"PK\x03\x04", b"PK\x05\x06", b"{", b"\xef\xbb\xbf["])


def attempt(raw: bytes) -> tuple[tuple[str, dict[str, bytes]] | None, ParserError | None]:
    """read_members' answer or its ParserError; any other exception escapes and fails the test."""
    try:
        return read_members(raw, limits=SMALL), None
    except ParserError as error:
        return None, error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=_MAGIC_PREFIXES, body=st.binary(max_size=2048))
def test_arbitrary_bytes_raise_nothing_but_parser_errors(prefix: bytes, body: bytes) -> None:
    answer, error = attempt(prefix + body)

    if error is not None:
        assert isinstance(error, BundleError)
        assert error.code
    else:
        assert answer is not None
        kind, members = answer
        assert kind in {"tar.gz", "tar", "zip", "json"}
        assert members


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(min_size=1, max_size=4096), cut=st.integers(min_value=1, max_value=4096))
def test_damaged_real_archives_raise_nothing_but_parser_errors(raw: bytes, cut: int) -> None:
    valid = tar_bytes({"a.json": raw, "b/c.txt": raw[::-1]}, compress=True)

    _, error = attempt(valid[: cut % len(valid)] + raw[:16])

    if error is not None:
        assert error.code in {"truncated_archive", "unknown_container", "empty_bundle", "expanded_too_large"}
