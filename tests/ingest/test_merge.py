"""From several tools' answers to one inventory: merge priority, identity, and collection time."""

from __future__ import annotations

import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.archive import ArchiveLimits, BundleError, read_members
from ingest.parsers import (
    BundleInventory,
    MemberOutcome,
    class_family,
    inspect_bundle,
    merge_asset,
    merge_components,
)
from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError, ParseResult

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LIMITS = ArchiveLimits()


# --- builders -----------------------------------------------------------------------------


def part(source: str, component_class: str, **fields: Any) -> ComponentRecord:
    return ComponentRecord(component_class=component_class, source=source, **fields)


def result(parser: str, *components: ComponentRecord, asset: AssetRecord | None = None, **kw: Any) -> ParseResult:
    return ParseResult(parser=parser, asset=asset or AssetRecord(source=parser), components=list(components), **kw)


def merged(*results: ParseResult) -> list[ComponentRecord]:
    components, _ = merge_components(results)
    return components


def inventory_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "reanimator-inventory",
        "version": 1,
        "collected_at": "2026-03-01T08:00:00Z",
        "hostname": "inv-host",
        "asset": {"vendor": "Supermicro", "serial": "SYS-SERIAL-1"},
        "components": [{"class": "DIMM", "slot": "A1", "serial": "D1"}],
    }
    doc.update(changes)
    return doc


def manifest_doc(**changes: Any) -> dict[str, Any]:
    return {"collected_at": "2026-03-01T10:00:00+02:00", "hostname": "node-17", **changes}


def bundle(files: dict[str, Any]) -> bytes:
    """A tar.gz of the given members; dicts and lists are written as JSON."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def inspect(raw: bytes, **kw: Any) -> BundleInventory:
    return inspect_bundle(raw, limits=LIMITS, now=kw.pop("now", NOW), **kw)


def refusal(raw: bytes, **kw: Any) -> BundleError:
    with pytest.raises(BundleError) as caught:
        inspect(raw, **kw)
    return caught.value


# --- one part, one record -----------------------------------------------------------------


def test_same_drive_seen_by_smartctl_and_lshw_is_one_component_with_smartctl_values() -> None:
    smartctl = part(
        "smartctl", "SSD", slot="/dev/sda", model="MTFDDAV240TDU", serial="203329F89392", firmware="D3DJ004"
    )
    lshw = part(
        "lshw",
        "SSD",
        slot="/dev/sda",
        vendor="Micron",
        model="MTFDDAV240TDU-X",
        serial=" 203329f89392 ",
        firmware="J004",
    )

    [drive] = merged(result("lshw", lshw), result("smartctl", smartctl))

    assert drive.source == "smartctl+lshw"
    assert (drive.model, drive.firmware) == ("MTFDDAV240TDU", "D3DJ004")
    assert drive.vendor == "Micron"  # smartctl left it empty: non-empty beats priority
    assert drive.serial == "203329F89392"


def test_ssd_hdd_and_nvme_are_one_drive_family() -> None:
    lshw = part("lshw", "HDD", serial="S3VJNA0K700123", slot="/dev/nvme0n1")
    nvme = part("nvme", "NVME", serial="S3VJNA0K700123", slot="/dev/nvme0")

    [drive] = merged(result("lshw", lshw), result("nvme", nvme))

    assert class_family("SSD") == class_family("HDD") == class_family("NVME") == "drive"
    assert drive.component_class == "NVME"  # class follows the drive priority: nvme beats lshw


def test_drive_class_follows_priority_when_lshw_guesses_wrong() -> None:
    [drive] = merged(
        result("lshw", part("lshw", "HDD", serial="X1")), result("smartctl", part("smartctl", "SSD", serial="X1"))
    )

    assert drive.component_class == "SSD"


def test_same_serial_in_different_families_stays_two_parts() -> None:
    components = merged(
        result("dmidecode", part("dmidecode", "DIMM", serial="1234ABCD"), part("dmidecode", "CPU", serial="1234ABCD"))
    )

    assert sorted(c.component_class for c in components) == ["CPU", "DIMM"]


@pytest.mark.parametrize(
    ("family", "winner", "sources"),
    [
        ("SSD", "smartctl", ["dmidecode", "lshw", "redfish", "inventory", "nvme", "smartctl"]),
        ("DIMM", "inventory", ["lshw", "redfish", "dmidecode", "inventory"]),
        ("CPU", "dmidecode", ["lshw", "redfish", "dmidecode"]),
        ("PSU", "ipmitool_fru", ["inventory", "dmidecode", "redfish", "ipmitool_fru"]),
        ("PSU", "redfish", ["inventory", "dmidecode", "redfish"]),
        ("NIC", "redfish", ["lspci", "lshw", "redfish"]),
        ("GPU", "lshw", ["lspci", "lshw"]),
        ("RAID", "redfish", ["lspci", "redfish", "lshw"]),
    ],
)
def test_better_source_wins_each_field(family: str, winner: str, sources: list[str]) -> None:
    results = [
        result(s, part(s, family, serial="SER-1", model=f"model by {s}", firmware=f"fw by {s}")) for s in sources
    ]

    [component] = merged(*results)

    assert component.model == f"model by {winner}"
    assert component.firmware == f"fw by {winner}"
    assert component.source.split("+")[0] == winner
    assert set(component.source.split("+")) == set(sources)


def test_empty_and_placeholder_values_never_beat_real_ones() -> None:
    dmidecode = part("dmidecode", "DIMM", serial="D1", vendor="Not Specified", model="", firmware="Unknown", slot="A1")
    redfish = part(
        "redfish", "DIMM", serial="D1", vendor="Samsung", model="M393A4K40CB2", firmware="1.0", slot="DIMM A1"
    )

    [dimm] = merged(result("dmidecode", dmidecode), result("redfish", redfish))

    assert (dimm.vendor, dimm.model, dimm.firmware) == ("Samsung", "M393A4K40CB2", "1.0")
    assert dimm.slot == "A1"  # dmidecode has a real slot name and wins it


_RAW_VALUES = st.sampled_from(["", "  ", "\t", "Not Specified", "N/A", "0000", "-", " Samsung ", "S1  X"]) | st.text(
    max_size=8
)


@given(
    component_class=st.sampled_from(["DIMM", "SSD", "NIC", ""]),
    slot=_RAW_VALUES,
    vendor=_RAW_VALUES,
    model=_RAW_VALUES,
    serial=_RAW_VALUES,
    firmware=_RAW_VALUES,
)
def test_a_part_seen_by_one_tool_keeps_its_raw_values_and_drops_only_blanks(
    component_class: str, slot: str, vendor: str, model: str, serial: str, firmware: str
) -> None:
    record = part(
        "dmidecode",
        component_class,
        slot=slot,
        vendor=vendor,
        model=model,
        serial=serial,
        firmware=firmware,
        specs={"speed_mts": 2933, "rank": None, "note": ""},
        health={"status": "OK"},
    )

    [component] = merged(result("dmidecode", record))

    def kept(value: str) -> str:
        return value if value.strip() else ""

    assert component == ComponentRecord(
        component_class=component_class,
        source="dmidecode",
        slot=kept(slot),
        vendor=kept(vendor),
        model=kept(model),
        serial=kept(serial),
        firmware=kept(firmware),
        specs={"speed_mts": 2933},
        health={"status": "OK"},
    )


def test_specs_and_health_merge_key_by_key_in_priority_order() -> None:
    smartctl = part(
        "smartctl",
        "SSD",
        serial="S1",
        specs={"capacity_bytes": 480103981056},
        health={"smart_passed": False, "power_on_hours": 100},
    )
    lshw = part(
        "lshw",
        "SSD",
        serial="S1",
        specs={"capacity_bytes": 480000000000, "interface": "SATA"},
        health={"power_on_hours": 1, "status": "OK"},
    )

    [drive] = merged(result("lshw", lshw), result("smartctl", smartctl))

    assert drive.specs == {"capacity_bytes": 480103981056, "interface": "SATA"}
    assert drive.health == {"smart_passed": False, "power_on_hours": 100, "status": "OK"}


def test_one_tool_reporting_a_serial_in_two_slots_is_two_parts_with_a_warning() -> None:
    # short DIMM serials collide across vendors: one tool lists each part once
    results = [
        result(
            "dmidecode",
            part("dmidecode", "DIMM", serial="12345678", slot="A1", vendor="Samsung"),
            part("dmidecode", "DIMM", serial="12345678", slot="A2", vendor="Micron"),
        )
    ]

    components, warnings = merge_components(results)

    assert sorted((c.slot, c.vendor) for c in components) == [("A1", "Samsung"), ("A2", "Micron")]
    assert any("'A1'" in w and "'A2'" in w and "separate" in w for w in warnings)


def test_one_tool_listing_a_part_twice_in_the_same_slot_is_one_part() -> None:
    results = [
        result(
            "redfish",
            part("redfish", "SSD", serial="S1", slot="Bay 1"),
            part("redfish", "SSD", serial="S1", slot="bay 1"),
        )
    ]

    assert len(merged(*results)) == 1


def test_other_tool_joins_the_colliding_serial_in_its_own_slot_or_of_its_vendor() -> None:
    dmidecode = result(
        "dmidecode",
        part("dmidecode", "DIMM", serial="12345678", slot="A1", vendor="Samsung"),
        part("dmidecode", "DIMM", serial="12345678", slot="A2", vendor="Micron"),
    )
    redfish = result("redfish", part("redfish", "DIMM", serial="12345678", slot="A2", firmware="by slot"))
    lshw = result(
        "lshw", part("lshw", "DIMM", serial="12345678", slot="bank 0", vendor="Samsung", firmware="by vendor")
    )

    components = merged(dmidecode, redfish, lshw)

    by_slot = {c.slot: c for c in components}
    assert set(by_slot) == {"A1", "A2"}
    assert by_slot["A2"].source == "dmidecode+redfish"
    assert by_slot["A1"].source == "dmidecode+lshw"


def test_vendor_disagreement_is_a_warning_and_priority_decides() -> None:
    results = [
        result("redfish", part("redfish", "DIMM", serial="D9", vendor="Hynix")),
        result("dmidecode", part("dmidecode", "DIMM", serial="D9", vendor="Samsung")),
    ]

    components, warnings = merge_components(results)

    assert components[0].vendor == "Samsung"
    assert any("vendor" in w and "Hynix" in w and "Samsung" in w for w in warnings)


def test_vendor_aliases_decide_whether_vendors_disagree() -> None:
    results = [
        result("redfish", part("redfish", "DIMM", serial="D9", vendor="80CE")),
        result("dmidecode", part("dmidecode", "DIMM", serial="D9", vendor="Samsung")),
    ]

    _, warnings = merge_components(results)  # default aliases know JEDEC 80CE is Samsung

    assert warnings == []


# --- anonymous parts ----------------------------------------------------------------------


def test_anonymous_parts_from_different_tools_in_the_same_slot_merge() -> None:
    dmidecode = part("dmidecode", "PSU", slot="PSU 1", serial="Not Specified", model="PWS-1K23A")
    redfish = part("redfish", "PSU", slot="psu  1", serial="", firmware="1.2")

    [psu] = merged(result("dmidecode", dmidecode), result("redfish", redfish))

    assert psu.source == "redfish+dmidecode"
    assert (psu.model, psu.firmware) == ("PWS-1K23A", "1.2")


def test_anonymous_parts_from_the_same_tool_never_merge() -> None:
    components = merged(
        result("dmidecode", part("dmidecode", "CPU", slot="CPU1"), part("dmidecode", "CPU", slot="CPU1"))
    )

    assert len(components) == 2


def test_anonymous_parts_in_different_slots_or_families_stay_separate() -> None:
    components = merged(
        result("dmidecode", part("dmidecode", "CPU", slot="CPU1"), part("dmidecode", "DIMM", slot="SLOT1")),
        result("lshw", part("lshw", "CPU", slot="CPU2"), part("lshw", "GPU", slot="SLOT1")),
    )

    assert len(components) == 4


def test_anonymous_parts_without_a_slot_never_merge() -> None:
    components = merged(result("dmidecode", part("dmidecode", "CPU")), result("lshw", part("lshw", "CPU")))

    assert len(components) == 2


def test_anonymous_record_joins_the_serialised_part_in_its_slot_and_keeps_the_real_serial() -> None:
    dmidecode = part("dmidecode", "DIMM", slot="DIMM_A1", serial="To Be Filled By O.E.M.", model="M393A4K40CB2")
    redfish = part("redfish", "DIMM", slot="DIMM_A1", serial="40AB12CD")

    [dimm] = merged(result("dmidecode", dmidecode), result("redfish", redfish))

    assert dimm.serial == "40AB12CD"  # the placeholder from the better source does not win
    assert dimm.model == "M393A4K40CB2"
    assert dimm.source == "dmidecode+redfish"


def test_merge_output_order_does_not_depend_on_result_order() -> None:
    a = result("lshw", part("lshw", "SSD", serial="S2", slot="/dev/sdb"), part("lshw", "CPU", slot="CPU1"))
    b = result("smartctl", part("smartctl", "SSD", serial="S1", slot="/dev/sda"))

    assert merged(a, b) == merged(b, a)


# --- asset --------------------------------------------------------------------------------


def test_asset_fields_follow_inventory_then_dmidecode_then_redfish_then_lshw() -> None:
    records = [
        AssetRecord(source="lshw", vendor="Dell Inc.", model="lshw model", serial="SER", hostname="lshw-host"),
        AssetRecord(
            source="redfish",
            model="redfish model",
            uuid="4c4c4544-0031-5710-804c-b1c04f4b3933",
            firmware={"BMC": "5.10", "BIOS": "1.0"},
        ),
        AssetRecord(source="dmidecode", model="PowerEdge R6515", serial="Not Specified", firmware={"BIOS": "1.7.4"}),
    ]

    asset = merge_asset(records)

    assert asset.model == "PowerEdge R6515"
    assert asset.serial == "SER"  # dmidecode's placeholder loses to lshw's real serial
    assert asset.vendor == "Dell Inc."
    assert asset.uuid == "4c4c4544-0031-5710-804c-b1c04f4b3933"
    assert asset.firmware == {"BIOS": "1.7.4", "BMC": "5.10"}
    assert asset.source == "dmidecode+redfish+lshw"


def test_manifest_hints_fill_empty_asset_fields() -> None:
    doc = inventory_doc(asset={"serial": "SYS-SERIAL-1"})
    raw = bundle(
        {
            "manifest.json": manifest_doc(asset={"asset_tag": "RZ-1", "model": "R6515", "serial": "sys-serial-1"}),
            "inventory.json": doc,
        }
    )

    found = inspect(raw)

    assert (found.asset.serial, found.asset.asset_tag, found.asset.model) == ("SYS-SERIAL-1", "RZ-1", "R6515")
    assert found.asset.source == "inventory+manifest"


def test_manifest_hostname_wins_over_tool_hostnames() -> None:
    found = inspect(bundle({"manifest.json": manifest_doc(), "inventory.json": inventory_doc()}))

    assert found.hostname == "node-17"
    assert found.asset.hostname == "node-17"


def test_tool_hostname_is_used_without_a_manifest() -> None:
    assert inspect(bundle({"inventory.json": inventory_doc()})).hostname == "inv-host"


@pytest.mark.parametrize(
    ("hint", "tools"),
    [
        ({"serial": "OTHER-SERIAL"}, {"serial": "SYS-SERIAL-1"}),
        (
            {"uuid": "4c4c4544-0031-5710-804c-b1c04f4b3933"},
            {"serial": "S", "uuid": "35383350-3837-584D-5132-333730444C51"},
        ),
        ({"asset_tag": "RZ-1"}, {"serial": "S", "asset_tag": "RZ-2"}),
    ],
    ids=["serial", "uuid", "asset-tag"],
)
def test_manifest_hint_contradicting_the_tools_is_an_identity_conflict(
    hint: dict[str, str], tools: dict[str, str]
) -> None:
    raw = bundle({"manifest.json": manifest_doc(asset=hint), "inventory.json": inventory_doc(asset=tools)})

    error = refusal(raw)

    assert error.code == "asset_identity_conflict"
    [(field, hint_value)] = hint.items()
    assert repr(hint_value) in error.message
    assert repr(tools[field]) in error.message


def test_hints_equal_after_normalisation_are_no_conflict() -> None:
    raw = bundle(
        {
            "manifest.json": manifest_doc(
                asset={"serial": "  sys-serial-1 ", "uuid": "{4C4C4544-0031-5710-804C-B1C04F4B3933}"}
            ),
            "inventory.json": inventory_doc(
                asset={"serial": "SYS-SERIAL-1", "uuid": "4c4c4544-0031-5710-804c-b1c04f4b3933"}
            ),
        }
    )

    assert inspect(raw).asset.serial == "SYS-SERIAL-1"


def test_placeholder_hint_is_no_conflict_and_fills_nothing() -> None:
    raw = bundle(
        {"manifest.json": manifest_doc(asset={"serial": "To Be Filled By O.E.M."}), "inventory.json": inventory_doc()}
    )

    assert inspect(raw).asset.serial == "SYS-SERIAL-1"


def test_bundle_without_any_asset_identity_is_refused() -> None:
    doc = inventory_doc(
        asset={
            "vendor": "ASRockRack",
            "serial": "To Be Filled By O.E.M.",
            "uuid": "00000000-0000-0000-0000-000000000000",
            "asset_tag": "Default string",
        }
    )

    error = refusal(bundle({"inventory.json": doc, "manifest.json": manifest_doc(asset={"serial": "0123456789"})}))

    assert error.code == "no_asset_identity"


def test_manifest_hint_alone_gives_the_asset_identity() -> None:
    raw = bundle(
        {"manifest.json": manifest_doc(asset={"asset_tag": "RZ-9"}), "inventory.json": inventory_doc(asset={})}
    )

    assert inspect(raw).asset.asset_tag == "RZ-9"


def test_custom_placeholders_are_honoured() -> None:
    from registry.normalisation import PlaceholderMatcher

    matcher = PlaceholderMatcher.from_rows([("SYS-SERIAL-1", "exact")])

    assert refusal(bundle({"inventory.json": inventory_doc()}), placeholders=matcher).code == "no_asset_identity"


# --- collection time ----------------------------------------------------------------------


def test_manifest_time_wins_over_inventory_time() -> None:
    found = inspect(
        bundle({"manifest.json": manifest_doc(), "inventory.json": inventory_doc(collected_at="2026-02-01T00:00:00Z")})
    )

    assert found.collected_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert found.manifest is not None
    assert any("inventory" in w and "clock" in w for w in found.warnings)


def test_inventory_time_is_used_without_a_manifest() -> None:
    found = inspect(bundle({"inventory.json": inventory_doc(collected_at="2026-03-01T09:30:00+01:00")}))

    assert found.collected_at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert found.collected_at.tzinfo is UTC


def test_latest_tool_time_is_used_when_only_tools_carry_one(corpus_dir: Path) -> None:
    machine = corpus_dir / "ironlib-fixtures" / "dell" / "r6515"
    files = {"lshw.json": (machine / "lshw.json").read_bytes()}
    times = []
    for name in ("sda", "sdb", "nvme0", "nvme1"):
        data = (machine / "smartctl" / f"{name}.json").read_bytes()
        files[f"smartctl/{name}.json"] = data
        times.append(datetime.fromtimestamp(json.loads(data)["local_time"]["time_t"], tz=UTC))

    found = inspect(bundle(files))

    assert found.manifest is None
    assert found.collected_at == max(times)


def test_bundle_without_any_time_is_refused() -> None:
    doc = inventory_doc()
    del doc["collected_at"]

    error = refusal(bundle({"inventory.json": doc}))

    assert error.code == "no_collected_at"


def test_time_beyond_now_plus_skew_is_in_the_future() -> None:
    raw = bundle({"inventory.json": inventory_doc(collected_at="2026-03-03T12:00:01Z")})

    error = refusal(raw)

    assert error.code == "collected_at_in_future"
    assert "2026-03-03T12:00:01" in error.message


def test_time_within_the_skew_is_accepted_and_skew_is_configurable() -> None:
    raw = bundle({"inventory.json": inventory_doc(collected_at="2026-03-03T11:59:59Z")})

    assert inspect(raw).collected_at == datetime(2026, 3, 3, 11, 59, 59, tzinfo=UTC)
    assert refusal(raw, max_future_skew=timedelta(hours=1)).code == "collected_at_in_future"


def test_broken_manifest_fails_the_bundle_rather_than_guessing_a_time() -> None:
    raw = bundle({"manifest.json": manifest_doc(collected_at="2026-03-01T10:00:00"), "inventory.json": inventory_doc()})

    assert refusal(raw).code == "invalid_collected_at"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        inspect(bundle({"inventory.json": inventory_doc()}), now=datetime(2026, 3, 2, 12, 0))


# --- dispatch -----------------------------------------------------------------------------


def test_single_json_inventory_is_a_whole_bundle() -> None:
    found = inspect(json.dumps(inventory_doc()).encode())

    assert found.container == "json"
    assert found.member_outcomes == [MemberOutcome("bundle.json", "inventory", None)]
    assert [(c.component_class, c.serial) for c in found.components] == [("DIMM", "D1")]


def test_unrecognised_members_are_listed_and_ignored() -> None:
    found = inspect(
        bundle({"inventory.json": inventory_doc(), "notes.txt": b"rack B07", "storcli.json": {"Controllers": []}})
    )

    assert MemberOutcome("notes.txt", None, None) in found.member_outcomes
    assert MemberOutcome("storcli.json", None, None) in found.member_outcomes


def test_member_that_fails_to_parse_is_a_warning_not_a_bundle_failure() -> None:
    broken = inventory_doc(components=[{"class": "RAM"}])
    found = inspect(bundle({"a/inventory.json": inventory_doc(), "b/inventory.json": broken}))

    assert MemberOutcome("b/inventory.json", "inventory", "invalid_inventory") in found.member_outcomes
    assert any(
        w.startswith("b/inventory.json: inventory could not parse it (invalid_inventory)") for w in found.warnings
    )
    assert len(found.results) == 1


def test_bundle_whose_only_recognised_member_fails_carries_that_error() -> None:
    error = refusal(json.dumps(inventory_doc(components=[{"class": "RAM"}])).encode())

    assert error.code == "invalid_inventory"
    assert "$.components[0].class" in error.message


def test_bundle_with_nothing_recognised_is_unknown_format() -> None:
    error = refusal(bundle({"notes.txt": b"hello", "data.bin": b"\x00\x01"}))

    assert error.code == "unknown_format"
    assert "notes.txt" in error.message


def test_manifest_alone_is_unknown_format() -> None:
    # a manifest says nothing about the hardware; accepting it would look like an empty server
    error = refusal(bundle({"manifest.json": manifest_doc(asset={"serial": "S"})}))

    assert error.code == "unknown_format"
    assert "only a manifest" in error.message


def test_second_manifest_is_reported_and_the_shallowest_used() -> None:
    found = inspect(
        bundle(
            {
                "deep/manifest.json": manifest_doc(hostname="deep"),
                "manifest.json": manifest_doc(),
                "inventory.json": inventory_doc(),
            }
        )
    )

    assert found.hostname == "node-17"
    assert MemberOutcome("deep/manifest.json", "manifest", "duplicate_manifest") in found.member_outcomes


def test_archive_errors_surface_unchanged() -> None:
    assert refusal(b"").code == "empty_bundle"
    assert refusal(b"not a bundle").code == "unknown_container"


# --- real hardware ------------------------------------------------------------------------


def test_real_lshw_and_smartctl_of_one_server_merge_drives(corpus_dir: Path) -> None:
    machine = corpus_dir / "ironlib-fixtures" / "supermicro" / "x11dph-t"
    files: dict[str, Any] = {"manifest.json": manifest_doc(), "lshw.json": (machine / "lshw.json").read_bytes()}
    smartctl_serials = set()
    for path in sorted((machine / "smartctl").glob("*.json")):
        data = path.read_bytes()
        files[f"smartctl/{path.name}"] = data
        serial = json.loads(data).get("serial_number")
        if serial:
            smartctl_serials.add(serial.strip().upper())

    found = inspect(bundle(files))

    drives = [c for c in found.components if class_family(c.component_class) == "drive"]
    assert {d.serial.strip().upper() for d in drives} == smartctl_serials
    assert len(drives) == len(smartctl_serials)  # one record per drive, not one per tool
    assert all(d.source.startswith("smartctl") for d in drives)
    assert found.asset.serial  # lshw gives the system serial
    assert found.collected_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_real_redfish_dump_with_a_manifest_is_one_asset(corpus_dir: Path) -> None:
    raw = (corpus_dir / "redfish-hpe-ilo-emulator" / "archives" / "DL360_Gen12.tar.gz").read_bytes()
    _, members = read_members(raw, limits=LIMITS)
    members["manifest.json"] = json.dumps(manifest_doc(asset={"serial": "3m1d2v13tw"})).encode()

    found = inspect(bundle(members))

    assert found.asset.serial == "3M1D2V13TW"
    assert [r.parser for r in found.results] == ["redfish"]
    redfish_members = [o for o in found.member_outcomes if o.parser == "redfish"]
    assert len(redfish_members) > 100
    assert all(o.error is None for o in redfish_members)
    assert any(c.component_class == "DIMM" for c in found.components)


# --- robustness ---------------------------------------------------------------------------


_MEMBER_NAMES = st.sampled_from(
    [
        "manifest.json",
        "inventory.json",
        "lshw.json",
        "smartctl/sda.json",
        "dmidecode.txt",
        "redfish/v1/Systems/1/index.json",
        "lspci.txt",
        "fru.txt",
        "nvme.json",
        "x",
    ]
)
_MEMBER_BYTES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"{}",
            b"[]",
            b'{"smartctl": {}}',
            b"Handle 0x0001, DMI type 1, 27 bytes\n",
            b'{"format": "reanimator-inventory", "version": 1, "components": []}',
            b"FRU Device Description : Builtin FRU Device (ID 0)\n",
            b'{"Devices": [{"ModelNumber": 1}]}',
            b'{"collected_at": "2026-03-01T00:00:00Z", "collector": {}}',
        ]
    ),
)


def attempt(raw: bytes) -> tuple[BundleInventory | None, ParserError | None]:
    """inspect_bundle's answer or its ParserError; any other exception escapes and fails the test."""
    try:
        return inspect(raw), None
    except ParserError as error:
        return None, error


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=1024))
def test_inspect_bundle_on_arbitrary_bytes_raises_only_parser_errors(raw: bytes) -> None:
    found, error = attempt(raw)

    assert (found is None) != (error is None)
    assert error is None or error.code
    assert found is None or found.collected_at.tzinfo is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.dictionaries(_MEMBER_NAMES, _MEMBER_BYTES, min_size=1, max_size=5))
def test_inspect_bundle_on_archives_of_arbitrary_members_raises_only_parser_errors(files: dict[str, bytes]) -> None:
    found, error = attempt(bundle(files))

    assert (found is None) != (error is None)
    assert error is None or error.code
    assert found is None or {o.path for o in found.member_outcomes} == set(files)
