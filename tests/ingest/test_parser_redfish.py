"""Redfish parser: whole dumps from the corpus (HPE iLO mockups, Supermicro, hms-smd, DMTF),
synthetic trees for the linking rules, and arbitrary input."""

from __future__ import annotations

import json
import tarfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import redfish
from ingest.parsers.base import ParserError, ParseResult


def _code_or_ok(call: Callable[[], object]) -> str:
    """ "ok", or the code of the ParserError raised; any other exception fails the test."""
    try:
        call()
    except ParserError as exc:
        return exc.code
    return "ok"


def _members(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root.parent)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def _parse(root: Path) -> ParseResult:
    return redfish.parse_tree(_members(root))


def _extract(corpus_dir: Path, archive: str, tmp_path: Path) -> Path:
    with tarfile.open(corpus_dir / "redfish-hpe-ilo-emulator/archives" / archive) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / archive.removesuffix(".tar.gz")


def _counts(result: ParseResult) -> dict[str, int]:
    return dict(Counter(c.component_class for c in result.components))


def _by_serial(result: ParseResult) -> dict[str, Any]:
    return {c.serial: c for c in result.components if c.serial.strip()}


# --- HPE iLO mockups ---------------------------------------------------------------------------


def test_hpe_dl325_identity_firmware_and_counts(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hpe-ilo-emulator/mockups/DL325_Gen10Plus_FC")
    asset = result.asset
    assert (asset.vendor, asset.model, asset.serial) == ("HPE", "ProLiant DL325 Gen10 Plus - SIMULATED", "MXQ019020B")
    assert asset.uuid == "36383150-3630-584D-5130-313930323042"
    assert asset.hostname == "ncn-m003"
    assert asset.firmware["BIOS"] == "A43 v2.52 (10/29/2021)"
    assert asset.firmware["BMC"] == "iLO 5 v2.46"
    assert asset.firmware["Redundant System ROM"] == "A43 v2.40 (02/23/2021)"  # FirmwareInventory
    # 4 DIMMs present of 16 slots; FC HBA + Mellanox adapters + 2 PCIe NICs not in NetworkAdapters
    assert _counts(result) == {"CPU": 1, "DIMM": 4, "RAID": 1, "SSD": 2, "NIC": 4, "PSU": 2}
    assert "12 of 16 memory slots empty" in result.warnings


def test_hpe_dl325_parts_carry_serials_and_firmware(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hpe-ilo-emulator/mockups/DL325_Gen10Plus_FC")
    parts = _by_serial(result)
    drive = parts["S521NA0T605357"]
    assert (drive.component_class, drive.model, drive.firmware) == ("SSD", "MK000480GWSSC", "HPG3")
    assert drive.specs["capacity_bytes"] == 480103981056
    assert drive.slot == "Slot=12:Port=2I:Box=1:Bay=1"
    controller = parts["PWWTT0C52GE0FF"]
    assert (controller.component_class, controller.model, controller.firmware) == (
        "RAID",
        "HPE SR416i-a Gen10+",
        "03.01.33.044",
    )
    nic = parts["ILC22001H7"]
    assert nic.firmware == "16.35.4030"
    assert nic.specs["macs"] == ["88:e9:a4:6b:f5:74", "88:e9:a4:6b:f5:75", "88:e9:a4:6b:f5:76", "88:e9:a4:6b:f5:77"]
    psu = parts["5WBXK0FLLDIKPU"]
    assert (psu.slot, psu.vendor, psu.model, psu.firmware) == ("Bay 1", "LTEON", "865408-B21", "1.00")
    dimm = parts["438AD388"]
    assert (dimm.slot, dimm.vendor, dimm.model) == ("PROC 1 DIMM 1", "Hynix", "HMA82GR7CJR4N-XN")
    assert dimm.specs["capacity_bytes"] == 16 * 1024**3
    cpu = next(c for c in result.components if c.component_class == "CPU")
    assert cpu.model == "AMD EPYC 7302P 16-Core Processor"  # trailing padding trimmed, nothing else
    assert cpu.specs["cores"] == 16


def test_hpe_dl380a_gpus_are_processors_and_four_psus(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hpe-ilo-emulator/mockups/DL380a")
    assert _counts(result) == {"CPU": 2, "GPU": 2, "DIMM": 16, "RAID": 2, "NVME": 7, "NIC": 1, "PSU": 4}
    gpu = _by_serial(result)["1790125012120"]
    assert (gpu.component_class, gpu.vendor, gpu.firmware) == ("GPU", "NVIDIA", "96.00.AF.00.02")
    assert result.asset.model == "ProLiant DL380a Gen11 -- SIMULATED"


def test_hpe_ex235a_blade_dual_port_hsn_cards_count_once(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hpe-ilo-emulator/mockups/EX235a")
    # 4 NetworkAdapters HPCNet0..3, two serials: two dual-port cards
    assert _counts(result) == {"CPU": 1, "DIMM": 8, "GPU": 8, "NIC": 2}
    assert sorted(c.serial for c in result.components if c.component_class == "NIC") == ["DW20430082", "DW20430411"]
    # MI200 serials are all zeros: placeholders, so the eight GPUs are not merged into one
    assert {c.serial for c in result.components if c.component_class == "GPU"} == {"00000000000000"}
    assert result.asset.serial == "GE21100074"


def test_hpe_dl340e_archive_absent_dimms_and_psu_bay(corpus_dir: Path, tmp_path: Path) -> None:
    result = _parse(_extract(corpus_dir, "DL340e.tar.gz", tmp_path))
    assert result.asset.model == "HPE Alletra Storage Server 4220 Gen12 - SIMULATED"
    assert result.asset.serial == "SANJACSCM"
    assert _counts(result) == {"CPU": 1, "DIMM": 1, "NIC": 1, "PSU": 1}
    assert "15 of 16 memory slots empty" in result.warnings
    assert "1 power supply bays empty in chassis 1" in result.warnings


def test_hpe_dl380a_gen12_archive_five_of_eight_psus_and_nvme_not_raid(corpus_dir: Path, tmp_path: Path) -> None:
    result = _parse(_extract(corpus_dir, "DL380a_Gen12.tar.gz", tmp_path))
    # direct-attached NVMe drives show up as Storage "controllers" with the drive's serial: one part
    assert _counts(result) == {"CPU": 2, "GPU": 4, "DIMM": 16, "RAID": 1, "NVME": 6, "NIC": 5, "PSU": 5}
    assert "3 power supply bays empty in chassis 1" in result.warnings
    assert result.asset.firmware["BIOS"] == "U72 v1.34 (04/18/2025)"


@pytest.mark.parametrize(
    ("archive", "serial", "counts"),
    [
        ("DL360_Gen12.tar.gz", "3M1D2V13TW", {"CPU": 2, "DIMM": 16, "RAID": 1, "SSD": 2, "NIC": 2, "PSU": 2}),
        ("DL365_Gen10Plus.tar.gz", "MXQ2370DLQ", {"CPU": 2, "DIMM": 12, "RAID": 1, "SSD": 2, "NIC": 2, "PSU": 2}),
    ],
)
def test_hpe_archived_mockups(corpus_dir: Path, tmp_path: Path, archive: str, serial: str, counts: dict) -> None:
    result = _parse(_extract(corpus_dir, archive, tmp_path))
    assert result.asset.serial == serial
    assert _counts(result) == counts


def test_hpe_dl360_mockup(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hpe-ilo-emulator/mockups/DL360")
    assert result.asset.serial == "MXQ2390RHW"
    assert result.asset.firmware["BIOS"] == "U46 v2.34 (03/11/2025)"
    assert _counts(result) == {"CPU": 2, "DIMM": 12, "RAID": 1, "SSD": 2, "NIC": 2, "PSU": 2}


# --- Supermicro, hms-smd, DMTF, bmclib ---------------------------------------------------------


def test_supermicro_x10_blank_serial_stays_raw_and_nics_come_from_interfaces(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-redfish_ctl-supermicro/SMC_X10SDV-TLN4F")
    assert result.asset.serial == "          "
    assert (result.asset.vendor, result.asset.model) == ("Supermicro", "Super Server")
    assert result.asset.firmware == {"BIOS": "1.2", "BMC": "4.0"}  # Redfish 1.0.1: no FirmwareInventory
    assert _counts(result) == {"CPU": 1, "DIMM": 4, "NIC": 4}
    nics = [c for c in result.components if c.component_class == "NIC"]
    assert nics[0].specs["mac"] == "ac:1f:6b:18:a4:5a"
    assert all(c.serial == "" for c in nics)


def test_supermicro_gb300_two_systems_first_sorted_is_described(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-redfish_ctl-supermicro/SMC_GB300_NVL")
    assert result.asset.serial == "1653125034241"  # /redfish/v1/Systems/HGX_Baseboard_0
    assert any("not /redfish/v1/Systems/System_0" in w for w in result.warnings)
    assert _counts(result) == {"CPU": 2, "GPU": 2, "DIMM": 2}


def test_hms_smd_dell_single_space_vendor_and_model_trim_to_empty(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hms-smd/Dell")
    assert (result.asset.vendor, result.asset.model, result.asset.serial) == ("", "", "CNIVC0076B0735")
    assert result.asset.firmware == {"BIOS": "2.4.3", "BMC": "2.40.40.40"}
    # four NIC.Integrated.1-N-1 interfaces are ports of one card
    assert _counts(result) == {"CPU": 2, "NIC": 1, "PSU": 2}
    nic = next(c for c in result.components if c.component_class == "NIC")
    assert nic.slot == "NIC.Integrated.1"
    assert len(nic.specs["macs"]) == 4


def test_hms_smd_intel_rebadged_cray_with_sixteen_drives(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hms-smd/Intel")
    assert (result.asset.vendor, result.asset.model, result.asset.serial) == ("Cray Inc.", "S2600BPB", "QSBP74304715")
    assert _counts(result) == {"CPU": 2, "DIMM": 6, "HDD": 16, "PSU": 2}


def test_hms_smd_proliant(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hms-smd/PRLT")
    assert result.asset.serial == "MXQ019020H"
    assert result.asset.firmware["BMC"] == "iLO 5 v2.14"
    assert _counts(result) == {"CPU": 1, "DIMM": 2, "NIC": 2, "PSU": 2}


def test_hms_smd_cray_node_card_two_nodes(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-hms-smd/CrayNC")
    assert any("not /redfish/v1/Systems/Node1" in w for w in result.warnings)
    assert result.asset.firmware["BIOS"] == "wnc.bios-0.6.0"
    assert _counts(result) == {"HDD": 1, "NIC": 1}


def test_dmtf_rackmount1_psus_and_firmware_inventory(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-dmtf-dsp2043/public-rackmount1")
    assert result.asset.serial == "437XR1138R2"
    assert result.asset.firmware["Contoso BMC Firmware"] == "1.45.455b66-rev4"
    assert _counts(result)["PSU"] == 2
    assert "1 of 4 memory slots empty" in result.warnings


def test_dmtf_bladed_describes_first_blade_and_names_the_others(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-dmtf-dsp2043/public-bladed")
    assert result.asset.serial == "529QB9450R6"
    warning = next(w for w in result.warnings if "several ComputerSystems" in w)
    assert all(s in warning for s in ("529QB9451R6", "529QB9452R6", "529QB9453R6"))


def test_bmclib_flat_fragments_resolve_by_odata_id(corpus_dir: Path) -> None:
    result = _parse(corpus_dir / "redfish-bmclib-fragments")
    assert result.asset.model == "SYS-510T-MR-EI018"
    nvme = sorted(c.serial for c in result.components if c.component_class == "NVME")
    assert nvme == ["TESTDRIVESERIAL01", "TESTDRIVESERIAL02"]


# --- synthetic trees: linking rules --------------------------------------------------------------


def _tree(resources: list[dict[str, Any]], prefix: str = "bmc") -> dict[str, bytes]:
    return {f"{prefix}{r['@odata.id']}/index.json": json.dumps(r).encode() for r in resources}


def _base(system_extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    system = {
        "@odata.id": "/redfish/v1/Systems/1",
        "@odata.type": "#ComputerSystem.v1_10_0.ComputerSystem",
        "Manufacturer": " Acme ",
        "Model": "  R100 Gen2  ",
        "SerialNumber": "SN-1  ",
        "BiosVersion": "1.0",
        "Storage": {"@odata.id": "/redfish/v1/Systems/1/Storage"},
        "Memory": {"@odata.id": "/redfish/v1/Systems/1/Memory"},
        **(system_extra or {}),
    }
    return [
        system,
        {
            "@odata.id": "/redfish/v1/Systems/1/Storage",
            "Members": [{"@odata.id": "/redfish/v1/Systems/1/Storage/RAID"}],
        },
        {
            "@odata.id": "/redfish/v1/Systems/1/Storage/RAID",
            "@odata.type": "#Storage.v1_8_0.Storage",
            "StorageControllers": [
                {"MemberId": "0", "Model": "MegaRAID 9460", "SerialNumber": "C1", "FirmwareVersion": "5.1"}
            ],
            "Drives": [{"@odata.id": "/redfish/v1/Systems/1/Storage/RAID/Drives/0"}],
        },
        {
            "@odata.id": "/redfish/v1/Systems/1/Storage/RAID/Drives/0",
            "@odata.type": "#Drive.v1_9_0.Drive",
            "SerialNumber": "D-1",
            "Model": "ST4000",
            "MediaType": "HDD",
            "Revision": "SN04",
            "CapacityBytes": 4000787030016,
        },
        {"@odata.id": "/redfish/v1/Chassis", "Members": [{"@odata.id": "/redfish/v1/Chassis/1"}]},
        {
            "@odata.id": "/redfish/v1/Chassis/1",
            "@odata.type": "#Chassis.v1_10_0.Chassis",
            "Drives": {"@odata.id": "/redfish/v1/Chassis/1/Drives"},
        },
        {"@odata.id": "/redfish/v1/Chassis/1/Drives", "Members": [{"@odata.id": "/redfish/v1/Chassis/1/Drives/Bay0"}]},
        {
            "@odata.id": "/redfish/v1/Chassis/1/Drives/Bay0",
            "@odata.type": "#Drive.v1_9_0.Drive",
            "SerialNumber": "D-1",
            "Model": "ST4000",
            "MediaType": "HDD",
            "PhysicalLocation": {"PartLocation": {"ServiceLabel": "Bay 0"}},
        },
        {
            "@odata.id": "/redfish/v1/Systems/1/Memory",
            "Members": [
                {"@odata.id": "/redfish/v1/Systems/1/Memory/A1"},
                {"@odata.id": "/redfish/v1/Systems/1/Memory/A2"},
            ],
        },
        {
            "@odata.id": "/redfish/v1/Systems/1/Memory/A1",
            "CapacityMiB": 32768,
            "SerialNumber": "M1",
            "DeviceLocator": "A1",
        },
        {"@odata.id": "/redfish/v1/Systems/1/Memory/A2", "DeviceLocator": "A2", "Status": {"State": "Enabled"}},
    ]


def test_part_seen_in_chassis_and_storage_is_one_component() -> None:
    result = redfish.parse_tree(_tree(_base()))
    drives = [c for c in result.components if c.component_class == "HDD"]
    assert len(drives) == 1
    assert drives[0].firmware == "SN04"
    assert drives[0].slot == "Bay 0"  # the Storage copy names no location; the chassis copy fills it in
    assert drives[0].specs["capacity_bytes"] == 4000787030016
    raid = next(c for c in result.components if c.component_class == "RAID")
    assert (raid.model, raid.serial, raid.firmware) == ("MegaRAID 9460", "C1", "5.1")


def test_memory_without_capacity_is_an_empty_slot() -> None:
    result = redfish.parse_tree(_tree(_base()))
    assert [c.slot for c in result.components if c.component_class == "DIMM"] == ["A1"]
    assert "1 of 2 memory slots empty" in result.warnings


def test_any_prefix_before_redfish_v1_and_raw_values() -> None:
    result = redfish.parse_tree(_tree(_base(), prefix="bundle-2024/host7/bmc"))
    assert (result.asset.vendor, result.asset.model, result.asset.serial) == ("Acme", "R100 Gen2", "SN-1  ")
    assert result.members[0].startswith("bundle-2024/host7/bmc/redfish/v1/")


def test_firmware_inventory_maps_by_related_item_else_stays_asset_level() -> None:
    resources = [
        *_base(),
        {
            "@odata.id": "/redfish/v1/UpdateService",
            "FirmwareInventory": {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory"},
        },
        {
            "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory",
            "Members": [
                {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/M1"},
                {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/CPLD"},
            ],
        },
        {
            "@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/M1",
            "Name": "DIMM SPD",
            "Version": "7.7",
            "RelatedItem": [{"@odata.id": "/redfish/v1/Systems/1/Memory/A1"}],
        },
        {"@odata.id": "/redfish/v1/UpdateService/FirmwareInventory/CPLD", "Name": "CPLD", "Version": "0x0D"},
    ]
    result = redfish.parse_tree(_tree(resources))
    dimm = next(c for c in result.components if c.component_class == "DIMM")
    assert dimm.firmware == "7.7"
    assert result.asset.firmware == {"BIOS": "1.0", "CPLD": "0x0D"}


def test_manager_firmware_found_through_manager_for_servers() -> None:
    manager = {
        "@odata.id": "/redfish/v1/Managers/BMC",
        "@odata.type": "#Manager.v1_5_0.Manager",
        "FirmwareVersion": "7.10",
        "Links": {"ManagerForServers": [{"@odata.id": "/redfish/v1/Systems/1"}]},
    }
    result = redfish.parse_tree(_tree([*_base(), manager]))
    assert result.asset.firmware["BMC"] == "7.10"


def test_absent_psu_bays_skipped_and_counted() -> None:
    resources = _base()
    resources[5]["Power"] = {"@odata.id": "/redfish/v1/Chassis/1/Power"}
    resources.append(
        {
            "@odata.id": "/redfish/v1/Chassis/1/Power",
            "PowerSupplies": [
                {"@odata.id": "/redfish/v1/Chassis/1/Power#/PowerSupplies/0", "Model": "PWS-1K", "SerialNumber": "P0"},
                {"@odata.id": "/redfish/v1/Chassis/1/Power#/PowerSupplies/1", "Status": {"State": "Absent"}},
            ],
        }
    )
    result = redfish.parse_tree(_tree(resources))
    assert [c.serial for c in result.components if c.component_class == "PSU"] == ["P0"]
    assert "1 power supply bays empty in chassis " in result.warnings


def test_missing_linked_resources_are_counted_not_fatal() -> None:
    resources = _base({"Processors": {"@odata.id": "/redfish/v1/Systems/1/Processors"}})
    resources.append(
        {
            "@odata.id": "/redfish/v1/Systems/1/Processors",
            "Members": [{"@odata.id": "/redfish/v1/Systems/1/Processors/CPU0"}],
        }
    )
    result = redfish.parse_tree(_tree(resources))
    assert not any(c.component_class == "CPU" for c in result.components)
    assert any("1 linked Redfish resources are not in the dump" in w for w in result.warnings)


def test_invalid_member_is_skipped_with_a_warning() -> None:
    members = _tree(_base())
    members["bmc/redfish/v1/Broken/index.json"] = b"{not json"
    result = redfish.parse_tree(members)
    assert "1 Redfish members are not valid JSON and were skipped" in result.warnings


@pytest.mark.parametrize(
    ("members", "code"),
    [
        ({}, "empty_tree"),
        ({"redfish/v1/index.json": b"[]"}, "malformed_json"),
        ({"redfish/v1/Chassis/1/index.json": b'{"@odata.id": "/redfish/v1/Chassis/1"}'}, "no_computer_system"),
    ],
)
def test_trees_without_a_system_raise_a_specific_parser_error(members: dict[str, bytes], code: str) -> None:
    with pytest.raises(ParserError) as caught:
        redfish.parse_tree(members)
    assert caught.value.code == code


def test_sniff_recognises_redfish_members(corpus_dir: Path) -> None:
    dl325 = corpus_dir / "redfish-hpe-ilo-emulator/mockups/DL325_Gen10Plus_FC/Systems/1/index.json"
    assert redfish.sniff("mockups/DL325/Systems/1/index.json", dl325.read_bytes()) is True  # by content
    assert redfish.sniff("bmc/redfish/v1/Systems/1/index.json", b'{"Id": "1"}') is True  # by layout
    assert redfish.sniff("bmc/redfish/v1/Systems/1/index.json", b"not json") is False
    smart = corpus_dir / "smartctl-json-scrutiny/testdata/smart-nvme.json"
    assert redfish.sniff("smart.json", smart.read_bytes()) is False


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1024))
def test_arbitrary_bytes_sniff_never_raises(data: bytes) -> None:
    assert isinstance(redfish.sniff("redfish/v1/x/index.json", data), bool)
    assert _code_or_ok(lambda: redfish.parse_tree({"redfish/v1/Systems/1/index.json": data}))


_ids = st.sampled_from(
    [
        "/redfish/v1/Systems/1",
        "/redfish/v1/Systems/1/Memory",
        "/redfish/v1/Systems/1/Memory/A",
        "/redfish/v1/Systems/1/Storage/S",
        "/redfish/v1/Chassis/1",
        "/redfish/v1/Chassis/1/Power",
        "/redfish/v1/Chassis/1/NetworkAdapters/N",
        "/redfish/v1/Chassis/1/PCIeDevices/P",
        "/redfish/v1/UpdateService/FirmwareInventory",
        "/redfish/v1/Managers/1",
    ]
)
_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6) | _ids
_values = st.recursive(
    _leaf | st.builds(lambda i: {"@odata.id": i}, _ids),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "@odata.id",
                    "@odata.type",
                    "Members",
                    "Links",
                    "Status",
                    "State",
                    "SerialNumber",
                    "Model",
                    "Drives",
                    "Memory",
                    "Storage",
                    "Processors",
                    "PowerSupplies",
                    "Controllers",
                    "Chassis",
                    "CapacityMiB",
                    "RelatedItem",
                    "Version",
                    "Name",
                    "PCIeFunctions",
                    "StorageControllers",
                    "EthernetInterfaces",
                    "NetworkAdapters",
                    "PCIeDevices",
                    "ManagedBy",
                    "Contains",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_ids, st.dictionaries(st.text(max_size=12), _values, max_size=6), min_size=1, max_size=6))
def test_arbitrary_member_dicts_raise_nothing_but_parser_error(docs: dict[str, dict[str, Any]]) -> None:
    members = {}
    for odata_id, doc in docs.items():
        doc.setdefault("@odata.id", odata_id)
        members[f"x{odata_id}/index.json"] = json.dumps(doc).encode()
    members["x/redfish/v1/Systems/1/index.json"] = json.dumps(
        {**docs.get("/redfish/v1/Systems/1", {}), "@odata.type": "#ComputerSystem.v1.ComputerSystem"}
    ).encode()
    result = redfish.parse_tree(members)
    assert all(c.source == "redfish" for c in result.components)
