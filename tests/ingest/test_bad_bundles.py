"""Bad input through the whole pipeline (DESIGN.md, Idempotency and bad input).

Every bad bundle is received as the API receives it and parsed. Each must be kept byte for
byte, marked failed with its specific error code and a message a person can act on, and
leave nothing behind: no observation, component, installation or asset. Where the cause can
be removed without new bytes (a limit raised, the registry corrected), parsing the same
stored bundle again succeeds.

The answers at the door (empty body 400, wrong content type 415, over the size limit 413) are
covered in test_upload_api.py and not repeated here.
"""

from __future__ import annotations

import io
import json
import random
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.models import LogBundle, Observation
from ingest.services.parsing import parse_bundle
from registry.models import Asset, Component, Installation
from tests.ingest.bundles import gz, inventory, manifest, part, tar_gz, zip_bytes

pytestmark = pytest.mark.django_db

Ingest = Callable[..., LogBundle]

COLLECTED_AT = "2026-03-01T10:00:00+02:00"
T1 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
R6515_LSHW = "ironlib-fixtures/dell/r6515/lshw.json"
R6515_SDA = "ironlib-fixtures/dell/r6515/smartctl/sda.json"
NETBOX_SSG6028R = "dmidecode-netbox-agent/dmidecode/SM_SSG-6028R"
LINUXHW_R750 = "dmidecode-linuxhw-DMI/files/Dell_PowerEdge_R750_D1750E589C22.dmidecode.txt"

GOOD_INVENTORY = inventory("SRV-BAD-1", T1, [part("SSD", "SSD-BAD-1"), part("DIMM", "DIMM-BAD-1")])


# --- building bad bundles ------------------------------------------------------------------


def tar_gz_raw(entries: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    """A tar.gz with entries exactly as given (links, absolute names, ...), which the
    well-behaved helper in bundles.py would never write."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in entries:
            info.mtime = 1_700_000_000
            if info.isreg():
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return buffer.getvalue()


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, b""


def good_members() -> dict[str, bytes]:
    return {"inventory.json": GOOD_INVENTORY, "manifest.json": manifest(COLLECTED_AT)}


def zip_with_bomb(padding: int) -> bytes:
    """A good inventory next to `padding` zero bytes: deflate packs them about 1000:1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("inventory.json", date_time=(2026, 1, 1, 0, 0, 0)), GOOD_INVENTORY)
        info = zipfile.ZipInfo("padding.bin", date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, b"\x00" * padding)
    return buffer.getvalue()


def random_text_files(count: int) -> dict[str, bytes]:
    rng = random.Random(20260301)
    words = ["alpha", "rack", "note", "the", "cable", "blue", "spare", "ticket", "maybe", "later"]
    return {f"notes/{index}.txt": " ".join(rng.choice(words) for _ in range(200)).encode() for index in range(count)}


@dataclass(frozen=True)
class Bad:
    id: str
    build: Callable[[Path], bytes]
    code: str
    says: tuple[str, ...]  # fragments the message must contain, so that a person can act on it
    settings: tuple[tuple[str, Any], ...] = ()

    def param(self):
        return pytest.param(self, id=self.id)


def _truncated_tar_gz(corpus: Path) -> bytes:
    raw = tar_gz(good_members())
    return raw[: len(raw) // 2]


def _truncated_zip(corpus: Path) -> bytes:
    raw = zip_bytes(good_members())
    return raw[: len(raw) - 40]  # the central directory and end record are cut off


def _with_corpus_file(corpus: Path, name: str, source: str, collected_at: str | None) -> bytes:
    members = {name: (corpus / source).read_bytes()}
    if collected_at is not None:
        members["manifest.json"] = manifest(collected_at)
    return tar_gz(members)


def _lshw_with_manifest(corpus: Path, document: dict[str, Any]) -> bytes:
    return tar_gz({"lshw.json": (corpus / R6515_LSHW).read_bytes(), "manifest.json": json.dumps(document).encode()})


BAD_BUNDLES = [
    Bad("truncated-gzip", _truncated_tar_gz, "truncated_archive", ("gzip", "truncated")),
    Bad("truncated-zip", _truncated_zip, "truncated_archive", ("zip", "truncated")),
    Bad(
        "zip-bomb",
        lambda corpus: zip_with_bomb(8 * 1024 * 1024),
        "expanded_too_large",
        ("expands beyond the limit", "1048576"),
        settings=(("REANIMATOR_MAX_EXPANDED_BYTES", 1024 * 1024),),
    ),
    Bad(
        "too-many-members",
        lambda corpus: tar_gz({**good_members(), **random_text_files(5)}),
        "too_many_members",
        ("more than 4 entries",),
        settings=(("REANIMATOR_MAX_ARCHIVE_MEMBERS", 4),),
    ),
    Bad(
        "path-traversal",
        lambda corpus: tar_gz_raw(
            [regular("manifest.json", manifest(COLLECTED_AT)), regular("../../etc/cron.d/x", b"x")]
        ),
        "unsafe_member",
        ("../../etc/cron.d/x", "'..'"),
    ),
    Bad(
        "absolute-path",
        lambda corpus: tar_gz_raw([regular("/etc/passwd", b"root:x:0:0"), regular("inventory.json", GOOD_INVENTORY)]),
        "unsafe_member",
        ("/etc/passwd", "absolute"),
    ),
    Bad(
        "symlink",
        lambda corpus: tar_gz_raw(
            [regular("inventory.json", GOOD_INVENTORY), link("lshw.json", "/etc/shadow", tarfile.SYMTYPE)]
        ),
        "unsafe_member",
        ("lshw.json", "link"),
    ),
    Bad(
        "hardlink",
        lambda corpus: tar_gz_raw(
            [regular("inventory.json", GOOD_INVENTORY), link("copy.json", "inventory.json", tarfile.LNKTYPE)]
        ),
        "unsafe_member",
        ("copy.json", "link"),
    ),
    Bad(
        "non-utf8-single-json",
        lambda corpus: GOOD_INVENTORY.replace(b'"hostname": ""', b'"hostname": "caf\xe9"'),
        "invalid_encoding",
        ("not UTF-8",),
    ),
    Bad(
        "non-utf8-manifest",
        lambda corpus: tar_gz(
            {
                "inventory.json": GOOD_INVENTORY,
                "manifest.json": manifest(COLLECTED_AT, hostname="café").replace(b"\\u00e9", b"\xe9"),
            }
        ),
        "invalid_encoding",
        ("manifest.json", "not UTF-8"),
    ),
    Bad(
        "malformed-single-json",
        lambda corpus: GOOD_INVENTORY[:-40],
        "malformed_json",
        ("malformed", "line 1"),
    ),
    Bad(
        "malformed-manifest",
        lambda corpus: tar_gz(
            {"inventory.json": GOOD_INVENTORY, "manifest.json": b'{"collected_at": "2026-03-01T10:00:00Z",'}
        ),
        "malformed_json",
        ("manifest.json", "not valid JSON"),
    ),
    Bad(
        "manifest-collected-at-without-zone",
        lambda corpus: _with_corpus_file(corpus, "lshw.json", R6515_LSHW, "2026-03-01T10:00:00"),
        "invalid_collected_at",
        ("2026-03-01T10:00:00", "no zone"),
    ),
    Bad(
        "manifest-without-collected-at",
        lambda corpus: _lshw_with_manifest(corpus, {"hostname": "node-1", "collector": {"name": "c", "version": "1"}}),
        "invalid_collected_at",
        ("collected_at is missing",),
    ),
    Bad(
        "no-recoverable-collected-at",
        lambda corpus: _with_corpus_file(corpus, "dmidecode.txt", NETBOX_SSG6028R, None),
        "no_collected_at",
        ("no collection time",),
    ),
    Bad(
        "collected-at-far-in-the-future",
        lambda corpus: _with_corpus_file(corpus, "lshw.json", R6515_LSHW, "2099-01-01T00:00:00Z"),
        "collected_at_in_future",
        ("2099-01-01", "clock"),
    ),
    Bad(
        "no-asset-identity-smartctl-only",
        lambda corpus: _with_corpus_file(corpus, "smartctl/sda.json", R6515_SDA, COLLECTED_AT),
        "no_asset_identity",
        ("no usable system serial, system UUID or asset tag",),
    ),
    Bad(
        "no-asset-identity-masked-dmidecode",
        lambda corpus: _with_corpus_file(corpus, "dmidecode.txt", LINUXHW_R750, COLLECTED_AT),
        "no_asset_identity",
        ("no usable system serial",),
    ),
    Bad(
        "manifest-serial-contradicts-lshw",
        lambda corpus: tar_gz(
            {
                "lshw.json": (corpus / R6515_LSHW).read_bytes(),
                "manifest.json": manifest(COLLECTED_AT, asset={"serial": "7XQ9D43"}),
            }
        ),
        "asset_identity_conflict",
        ("7XQ9D43", "11WLK93"),
    ),
    Bad(
        "unknown-formats-only",
        lambda corpus: tar_gz({**random_text_files(3), "manifest.json": manifest(COLLECTED_AT)}),
        "unknown_format",
        ("notes/0.txt", "unrecognised"),
    ),
    Bad(
        "only-a-manifest",
        lambda corpus: tar_gz({"manifest.json": manifest(COLLECTED_AT, hostname="node-1")}),
        "unknown_format",
        ("only a manifest",),
    ),
    Bad(
        "invalid-inventory",
        lambda corpus: inventory("SRV-BAD-2", T1, [part("SSD", "SSD-BAD-2"), {"class": "RAM", "serial": "X1"}]),
        "invalid_inventory",
        ("$.components[1].class", "'RAM'"),
    ),
    Bad(
        "inventory-of-a-later-version",
        lambda corpus: GOOD_INVENTORY.replace(b'"version": 1', b'"version": 2'),
        "invalid_inventory",
        ("version",),
    ),
    Bad(
        "gzip-of-a-broken-inventory",
        lambda corpus: gz(inventory("SRV-BAD-3", T1, [{"class": "SSD", "serail": "S1"}])),
        "invalid_inventory",
        ("serail",),
    ),
]


def state() -> tuple[int, int, int, int]:
    return (Observation.objects.count(), Component.objects.count(), Installation.objects.count(), Asset.objects.count())


@pytest.mark.parametrize("bad", [bad.param() for bad in BAD_BUNDLES])
def test_bad_bundle_is_kept_marked_failed_with_its_reason_and_records_nothing(
    ingest: Ingest, corpus_dir: Path, settings, bad: Bad
) -> None:
    for name, value in bad.settings:
        setattr(settings, name, value)
    raw = bad.build(corpus_dir)
    bundle = ingest(raw, content_type="application/octet-stream")

    assert bundle.status == "failed", (bundle.status, bundle.counts)
    assert bundle.error_code == bad.code, bundle.error_message
    for fragment in bad.says:
        assert fragment in bundle.error_message, bundle.error_message
    assert "Traceback" not in bundle.error_message
    assert bundle.raw.read() == raw
    assert bundle.size == len(raw)
    assert bundle.asset is None
    assert bundle.counts == {}
    assert state() == (0, 0, 0, 0)


@pytest.mark.parametrize("bad", [bad.param() for bad in BAD_BUNDLES])
def test_reparsing_a_bad_bundle_unchanged_fails_the_same_way(
    ingest: Ingest, corpus_dir: Path, settings, bad: Bad
) -> None:
    for name, value in bad.settings:
        setattr(settings, name, value)
    bundle = ingest(bad.build(corpus_dir))
    again = parse_bundle(bundle.pk, reparse=True)
    assert again is not None
    again.refresh_from_db()
    assert (again.status, again.error_code) == ("failed", bad.code)
    assert all(fragment in again.error_message for fragment in bad.says), again.error_message
    assert state() == (0, 0, 0, 0)


def test_the_same_bad_bytes_twice_are_one_failed_bundle(ingest: Ingest) -> None:
    raw = _truncated_tar_gz(Path())
    first = ingest(raw)
    second = ingest(raw)
    assert second.pk == first.pk
    assert LogBundle.objects.count() == 1
    assert second.status == "failed"


# --- the cause removed, the same stored bytes parse ------------------------------------------


def test_bundle_over_the_expansion_limit_parses_after_the_limit_is_raised(ingest: Ingest, settings) -> None:
    settings.REANIMATOR_MAX_EXPANDED_BYTES = 1024 * 1024
    raw = zip_with_bomb(8 * 1024 * 1024)
    assert len(raw) < 64 * 1024  # the high ratio is the point
    bundle = ingest(raw)
    assert bundle.error_code == "expanded_too_large"

    settings.REANIMATOR_MAX_EXPANDED_BYTES = 16 * 1024 * 1024
    reparsed = parse_bundle(bundle.pk, reparse=True)
    assert reparsed is not None
    assert (reparsed.status, reparsed.error_code, reparsed.error_message) == ("parsed", "", "")
    assert reparsed.container == "zip"
    assert set(Component.objects.values_list("serial", flat=True)) == {"SSD-BAD-1", "DIMM-BAD-1"}
    assert Asset.objects.get().vendor_serial == "SRV-BAD-1"


def test_bundle_with_too_many_members_parses_after_the_limit_is_raised(ingest: Ingest, settings) -> None:
    settings.REANIMATOR_MAX_ARCHIVE_MEMBERS = 4
    bundle = ingest(tar_gz({**good_members(), **random_text_files(5)}))
    assert bundle.error_code == "too_many_members"

    settings.REANIMATOR_MAX_ARCHIVE_MEMBERS = 5000
    reparsed = parse_bundle(bundle.pk, reparse=True)
    assert reparsed is not None
    assert reparsed.status == "parsed"
    assert reparsed.collected_at == T1  # the manifest's time
    assert Installation.objects.filter(removed_at=None).count() == 2


def test_asset_matching_two_registered_assets_fails_until_an_operator_fixes_the_registry(ingest: Ingest) -> None:
    """The bundle's serial is asset A's, its asset tag was (wrongly) recorded on asset B:
    binding it to either would be a guess. Once the operator clears B's tag, the same stored
    bundle parses and lands on A, which takes the tag."""
    server_a = Asset.objects.create(vendor="ACME", model="Box 1", vendor_serial_raw="SRV-A", vendor_serial="SRV-A")
    server_b = Asset.objects.create(
        vendor="ACME", model="Box 1", vendor_serial_raw="SRV-B", vendor_serial="SRV-B", asset_tag="RZ-000417"
    )
    raw = inventory("srv-a", T1, [part("SSD", "SSD-A-1", slot="Bay 0")], asset_tag="rz-000417")

    bundle = ingest(raw)
    assert bundle.status == "failed"
    assert bundle.error_code == "asset_identity_conflict"
    assert f"asset_tag matches asset {server_b.pk}" in bundle.error_message
    assert f"vendor_serial matches asset {server_a.pk}" in bundle.error_message
    assert bundle.raw.read() == raw
    assert bundle.asset is None
    assert (Observation.objects.count(), Component.objects.count(), Installation.objects.count()) == (0, 0, 0)
    assert Asset.objects.count() == 2

    server_b.asset_tag = None  # the operator's correction, as in admin
    server_b.save()
    reparsed = parse_bundle(bundle.pk, reparse=True)
    assert reparsed is not None
    assert (reparsed.status, reparsed.error_code, reparsed.error_message) == ("parsed", "", "")
    assert reparsed.asset_id == server_a.pk
    server_a.refresh_from_db()
    assert server_a.asset_tag == "RZ-000417"
    installation = Installation.objects.get()
    assert (installation.asset_id, installation.component.serial, installation.removed_at) == (
        server_a.pk,
        "SSD-A-1",
        None,
    )
    assert Asset.objects.count() == 2


def parsed_then_failed(ingest: Ingest, settings) -> LogBundle:
    """A bundle that parsed, then re-parsed under a member limit it now exceeds."""
    raw = tar_gz({**good_members(), **random_text_files(5)})
    bundle = ingest(raw)
    assert bundle.status == "parsed"
    assert Installation.objects.filter(removed_at=None).count() == 2
    settings.REANIMATOR_MAX_ARCHIVE_MEMBERS = 4
    failed = parse_bundle(bundle.pk, reparse=True)
    assert failed is not None
    assert LogBundle.objects.get(pk=bundle.pk).raw.read() == raw  # still kept byte for byte
    return failed


def test_a_good_parse_replaced_by_a_failure_drops_its_observations(ingest: Ingest, settings) -> None:
    failed = parsed_then_failed(ingest, settings)
    assert (failed.status, failed.error_code, failed.counts) == ("failed", "too_many_members", {})
    assert not Observation.objects.exists()


def test_a_good_parse_replaced_by_a_failure_leaves_no_installation_behind(ingest: Ingest, settings) -> None:
    """The installations were derived from the bundle's observations only; with those gone,
    nothing says the parts were ever in the server."""
    parsed_then_failed(ingest, settings)
    assert list(Installation.objects.values_list("component__serial", "removed_at")) == []
