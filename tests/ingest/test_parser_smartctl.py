"""smartctl parser: every smartctl JSON of the corpus, the older text output, and bad input."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import smartctl
from ingest.parsers.base import ParserError

SETS = ("smartctl-json-scrutiny", "smartctl-json-libblockdev", "ironlib-fixtures")

# file name -> ParserError code; files not listed must parse.
EXPECTED_ERRORS = {
    "02_exit_err.json": "smartctl_error",  # exit status 7: device could not be opened
    "04_malformed.json": "malformed_json",
    "05_empty.json": "empty_output",
    "smart-fail.json": "smartctl_error",  # exit status 2, "open device ... failed"
    "smart-pass.json": "no_device_identity",  # `smartctl -jH`: health only
    "smart-sat.json": "no_device_identity",
}
# Parse, but describe no drive: --scan listings and an Intel RST logical volume.
EXPECTED_EMPTY = {"scan.json", "smartctl_scan_simple.json", "smartctl_scan_megaraid.json", "smartctl_scan_nvme.json"}
EXPECTED_EMPTY |= {"smart-raid.json"}


def _code_or_ok(call: Callable[[], object]) -> str:
    """ "ok", or the code of the ParserError raised; any other exception fails the test."""
    try:
        call()
    except ParserError as exc:
        return exc.code
    return "ok"


def _smartctl_files(corpus: Path) -> list[Path]:
    files: list[Path] = []
    for name in SETS:
        for path in sorted((corpus / name).rglob("*.json")):
            if name != "ironlib-fixtures" or path.parent.name == "smartctl":
                files.append(path)
    return files


def _corpus() -> Path:
    from django.conf import settings as django_settings

    return Path(django_settings.REANIMATOR_CORPUS)


@pytest.mark.parametrize("path", _smartctl_files(_corpus()), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_smartctl_json_parses_or_fails_with_its_expected_code(path: Path) -> None:
    data = path.read_bytes()
    if path.name in EXPECTED_ERRORS:
        with pytest.raises(ParserError) as caught:
            smartctl.parse(str(path), data)
        assert caught.value.code == EXPECTED_ERRORS[path.name]
        return
    result = smartctl.parse(str(path), data)
    assert result.parser == "smartctl"
    if path.name in EXPECTED_EMPTY:
        assert result.components == []
        assert result.warnings
        return
    assert len(result.components) == 1
    drive = result.components[0]
    assert drive.component_class in {"SSD", "HDD", "NVME"}
    assert drive.source == "smartctl"
    assert drive.model
    assert drive.serial


def test_corpus_file_list_covers_the_three_sets(corpus_dir: Path) -> None:
    files = _smartctl_files(corpus_dir)
    assert Counter(p.relative_to(corpus_dir).parts[0] for p in files) == {
        "smartctl-json-scrutiny": 24,
        "smartctl-json-libblockdev": 17,
        "ironlib-fixtures": 28,
    }


def _parse_dir(directory: Path) -> list:
    components = []
    for path in sorted(directory.glob("*.json")):
        components.extend(smartctl.parse(str(path), path.read_bytes()).components)
    return components


def test_dell_r6515_drives_two_m2_ssds_and_two_nvme(corpus_dir: Path) -> None:
    drives = _parse_dir(corpus_dir / "ironlib-fixtures/dell/r6515/smartctl")
    assert Counter(d.component_class for d in drives) == {"SSD": 2, "NVME": 2}
    by_slot = {d.slot: d for d in drives}
    sda = by_slot["/dev/sda"]
    assert (sda.model, sda.serial, sda.firmware) == ("MTFDDAV240TDU", "203329F89392", "D3DJ004")
    assert sda.specs == {"capacity_bytes": 240057409536, "interface": "SATA", "form_factor": "M.2"}
    assert sda.health["reallocated_sectors"] == 0
    nvme0 = by_slot["/dev/nvme0"]
    assert (nvme0.model, nvme0.serial, nvme0.firmware) == ("Micron_9300_MTFDHAL3T8TDP", "202728F691F5", "11300DN0")
    assert nvme0.health["power_on_hours"] == 301
    assert nvme0.health["media_errors"] == 0


def test_dell_r6515_collected_at_comes_from_local_time(corpus_dir: Path) -> None:
    path = corpus_dir / "ironlib-fixtures/dell/r6515/smartctl/sda.json"
    result = smartctl.parse(str(path), path.read_bytes())
    assert result.collected_at == datetime(2021, 5, 19, 4, 13, 27, tzinfo=UTC)


def test_supermicro_x11dph_t_has_twelve_hdds_two_ssds_two_nvme(corpus_dir: Path) -> None:
    drives = _parse_dir(corpus_dir / "ironlib-fixtures/supermicro/x11dph-t/smartctl")
    assert Counter(d.component_class for d in drives) == {"HDD": 12, "SSD": 2, "NVME": 2}
    hdd = next(d for d in drives if d.slot == "/dev/sda")
    assert (hdd.model, hdd.serial, hdd.firmware) == ("HGST HUS728T8TALE6L4", "VDJKG9LK", "V8GNW460")
    assert hdd.specs["rotation_rpm"] == 7200
    assert hdd.specs["capacity_bytes"] == 8001563222016
    assert len({d.serial for d in drives}) == 16


def test_megaraid_disks_sharing_a_block_device_get_distinct_slots(corpus_dir: Path) -> None:
    base = corpus_dir / "smartctl-json-scrutiny/testdata"
    slots = [
        smartctl.parse(n, (base / n).read_bytes()).components[0].slot
        for n in ("smart-megaraid0.json", "smart-megaraid1.json")
    ]
    assert slots == ["/dev/sda megaraid,0", "/dev/sda megaraid,1"]


def test_failing_drive_reports_failed_smart_and_exit_status_warnings(corpus_dir: Path) -> None:
    path = corpus_dir / "smartctl-json-scrutiny/testdata/smart-fail2.json"
    result = smartctl.parse(str(path), path.read_bytes())
    drive = result.components[0]
    assert drive.health["smart_passed"] is False
    assert drive.health["reallocated_sectors"] == 1975
    assert any("DISK FAILING" in w for w in result.warnings)


def test_nvme_health_log_gives_media_errors_and_wear(corpus_dir: Path) -> None:
    path = corpus_dir / "smartctl-json-scrutiny/testdata/smart-nvme-failed.json"
    drive = smartctl.parse(str(path), path.read_bytes()).components[0]
    assert drive.component_class == "NVME"
    assert drive.health["media_errors"] == 7
    assert drive.health["percentage_used"] == 3


def test_sas_drive_is_read_from_scsi_fields(corpus_dir: Path) -> None:
    path = corpus_dir / "smartctl-json-libblockdev/SEAGATE_ST600MP0036.json"
    drive = smartctl.parse(str(path), path.read_bytes()).components[0]
    assert (drive.component_class, drive.vendor, drive.model, drive.firmware) == (
        "HDD",
        "SEAGATE",
        "SEAGATE ST600MP0036",
        "KT3A",
    )
    assert drive.specs["interface"] == "SAS"
    assert drive.specs["rotation_rpm"] == 15000


def test_sas_ssd_with_zero_rotation_is_an_ssd(corpus_dir: Path) -> None:
    path = corpus_dir / "smartctl-json-libblockdev/HGST_HUSMR3280ASS200.json"
    assert smartctl.parse(str(path), path.read_bytes()).components[0].component_class == "SSD"


def test_raid_volume_is_not_a_drive(corpus_dir: Path) -> None:
    path = corpus_dir / "smartctl-json-scrutiny/testdata/smart-raid.json"
    result = smartctl.parse(str(path), path.read_bytes())
    assert result.components == []
    assert any("logical volume" in w for w in result.warnings)


def test_placeholder_like_serial_is_reported_raw(corpus_dir: Path) -> None:
    path = corpus_dir / "smartctl-json-scrutiny/testdata/smart-nvme2.json"
    assert smartctl.parse(str(path), path.read_bytes()).components[0].serial == "yes"


def test_missing_rotation_rate_is_classed_hdd_with_a_warning(corpus_dir: Path) -> None:
    path = corpus_dir / "smartctl-json-scrutiny/testdata/smartctl_info_sata_smart_support_bool.json"
    result = smartctl.parse(str(path), path.read_bytes())
    assert result.components[0].component_class == "HDD"
    assert any("no rotation rate" in w for w in result.warnings)
    assert result.collected_at is None


def test_sniff_rejects_scan_output_and_accepts_device_output(corpus_dir: Path) -> None:
    base = corpus_dir / "ironlib-fixtures/dell/r6515/smartctl"
    assert smartctl.sniff("x", (base / "sda.json").read_bytes()) is True
    assert smartctl.sniff("x", (base / "scan.json").read_bytes()) is False
    assert smartctl.sniff("x", b"/dev/sda -d scsi # /dev/sda, SCSI device\n") is False
    nvme_list = corpus_dir / "dmidecode-netbox-agent/inventory/nvme.json"
    assert smartctl.sniff("x", nvme_list.read_bytes()) is False


def test_sniff_ignores_file_names() -> None:
    assert smartctl.sniff("smartctl-sda.json", b'{"Devices": []}') is False
    assert smartctl.sniff("anything.txt", b'{"smartctl": {"exit_status": 0}, "device": {}}') is True


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_output"),
        (b"  \n", "empty_output"),
        (b'{"smartctl": {', "malformed_json"),
        (b"[1, 2]", "not_smartctl"),
        (b'{"hello": 1}', "not_smartctl"),
        (b"hello world", "not_smartctl"),
        (b'{"smartctl": {"exit_status": 1, "messages": [{"string": "bad option"}]}}', "smartctl_error"),
    ],
)
def test_bad_input_raises_a_specific_parser_error(data: bytes, code: str) -> None:
    with pytest.raises(ParserError) as caught:
        smartctl.parse("bad", data)
    assert caught.value.code == code


def test_old_text_output_with_several_devices(corpus_dir: Path) -> None:
    path = corpus_dir / "rackhd-on-tasks-samples/smartctrl.txt"
    data = path.read_bytes()
    assert smartctl.sniff(str(path), data) is True
    result = smartctl.parse(str(path), data)
    assert [c.slot for c in result.components] == ["/dev/sda1 megaraid,9", "/dev/sda2 scsi", "/dev/sda0 megaraid,13"]
    micron = result.components[0]
    assert (micron.model, micron.serial, micron.firmware) == ("Micron_P400e-MTFDDAK200MAR", "1144031E6FB3", "0135")
    assert micron.specs["capacity_bytes"] == 200049647616
    assert micron.health == {"smart_passed": True, "reallocated_sectors": 0, "power_on_hours": 472, "temperature_c": 40}
    assert result.collected_at is None  # "Local Time is: ... CST" is an ambiguous zone


TEXT_ATA_SSD = b"""smartctl 6.6 2016-05-31 r4324 [x86_64-linux-4.15.0] (local build)
Copyright (C) 2002-16, Bruce Allen, Christian Franke, www.smartmontools.org

=== START OF INFORMATION SECTION ===
Device Model:     INTEL SSDSC2KB960G8
Serial Number:    PHYF0000000A960CGN
Firmware Version: XCV10132
User Capacity:    960,197,124,096 bytes [960 GB]
Rotation Rate:    Solid State Device
SATA Version is:  SATA 3.2, 6.0 Gb/s (current: 6.0 Gb/s)

=== START OF READ SMART DATA SECTION ===
SMART overall-health self-assessment test result: FAILED!

ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE
  5 Reallocated_Sector_Ct   0x0032   100   100   000    Old_age   Always       -       12
  9 Power_On_Hours          0x0032   100   100   000    Old_age   Always       -       20311
"""

TEXT_SAS_HDD = b"""smartctl 6.5 2016-01-24 r4214 [x86_64-linux-4.4.0] (local build)
=== START OF INFORMATION SECTION ===
Vendor:               SEAGATE
Product:              ST1200MM0088
Revision:             N004
User Capacity:        1,200,243,695,616 bytes [1.20 TB]
Rotation Rate:        10500 rpm
Form Factor:          2.5 inches
Serial number:        Z4028VRY0000C810BZXB
Transport protocol:   SAS (SPL-3)
SMART Health Status: OK
Current Drive Temperature:     31 C
Elements in grown defect list: 3
Accumulated power on time, hours:minutes 5675:12
"""

TEXT_NVME = b"""smartctl 6.6 2017-11-05 r4594 [x86_64-linux-5.4.0] (local build)
=== START OF INFORMATION SECTION ===
Model Number:                       Samsung SSD 970 EVO 500GB
Serial Number:                      S466NX0M776250H
Firmware Version:                   2B2QEXE7
Total NVM Capacity:                 500,107,862,016 [500 GB]

=== START OF SMART DATA SECTION ===
SMART overall-health self-assessment test result: PASSED
Temperature:                        35 Celsius
Percentage Used:                    3%
Power On Hours:                     12,798
Media and Data Integrity Errors:    7
"""


def test_text_ata_ssd_with_failed_health() -> None:
    drive = smartctl.parse("sda.txt", TEXT_ATA_SSD).components[0]
    assert (drive.component_class, drive.model, drive.serial, drive.firmware) == (
        "SSD",
        "INTEL SSDSC2KB960G8",
        "PHYF0000000A960CGN",
        "XCV10132",
    )
    assert drive.specs == {"capacity_bytes": 960197124096, "interface": "SATA"}
    assert drive.health == {"smart_passed": False, "reallocated_sectors": 12, "power_on_hours": 20311}


def test_text_sas_hdd_uses_vendor_product_and_grown_defects() -> None:
    drive = smartctl.parse("sdb.txt", TEXT_SAS_HDD).components[0]
    assert (drive.component_class, drive.vendor, drive.model, drive.firmware) == (
        "HDD",
        "SEAGATE",
        "SEAGATE ST1200MM0088",
        "N004",
    )
    # "Serial number:" (lower-case n) is how SCSI devices print it
    assert drive.serial == "Z4028VRY0000C810BZXB"
    assert drive.specs["interface"] == "SAS"
    assert drive.specs["rotation_rpm"] == 10500
    assert drive.health == {"smart_passed": True, "reallocated_sectors": 3, "power_on_hours": 5675, "temperature_c": 31}


def test_text_nvme_is_classed_nvme() -> None:
    drive = smartctl.parse("nvme0.txt", TEXT_NVME).components[0]
    assert drive.component_class == "NVME"
    assert drive.specs["capacity_bytes"] == 500107862016
    assert drive.health == {
        "smart_passed": True,
        "power_on_hours": 12798,
        "media_errors": 7,
        "percentage_used": 3,
        "temperature_c": 35,
    }


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_nothing_but_parser_error(data: bytes) -> None:
    assert isinstance(smartctl.sniff("x", data), bool)
    assert _code_or_ok(lambda: smartctl.parse("x", data))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "smartctl",
        "device",
        "model_name",
        "serial_number",
        "user_capacity",
        "rotation_rate",
        "smart_status",
        "ata_smart_attributes",
        "nvme_smart_health_information_log",
        "local_time",
        "power_on_time",
        "temperature",
        "devices",
        "json_format_version",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_keys, _json_values, max_size=8))
def test_arbitrary_smartctl_shaped_json_raises_nothing_but_parser_error(doc: dict) -> None:
    import json

    assert _code_or_ok(lambda: smartctl.parse("x", json.dumps(doc).encode()))
