"""lshw -json parser: the five lshw captures of the corpus in detail, and bad input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import lshw
from ingest.parsers.base import ComponentRecord, ParserError, ParseResult
from tests.ingest.corpus import CORPUS_SETS

R6515 = "ironlib-fixtures/dell/r6515/lshw.json"
X11DPH = "ironlib-fixtures/supermicro/x11dph-t/lshw.json"
ASRR = "ironlib-fixtures/asrr/e3c246d4i-nl/lshw.json"
S2600JF = "rackhd-on-tasks-samples/lshw-lshwOutput.json"
MULTI_NIC = "rackhd-on-tasks-samples/multi-nic-lshw.txt"
LSHW_FILES = (R6515, X11DPH, ASRR, S2600JF, MULTI_NIC)


def _parse(corpus_dir: Path, relative: str) -> ParseResult:
    path = corpus_dir / relative
    return lshw.parse(str(path), path.read_bytes())


def _counts(result: ParseResult) -> Counter[str]:
    return Counter(c.component_class for c in result.components)


def _of(result: ParseResult, component_class: str) -> list[ComponentRecord]:
    return [c for c in result.components if c.component_class == component_class]


# -- every corpus file -------------------------------------------------------------------------


@pytest.mark.parametrize("relative", LSHW_FILES)
def test_every_corpus_lshw_file_is_sniffed_and_parses(corpus_dir: Path, relative: str) -> None:
    path = corpus_dir / relative
    data = path.read_bytes()
    assert lshw.sniff(str(path), data) is True
    result = lshw.parse(str(path), data)
    assert result.parser == "lshw"
    assert result.asset.serial
    assert result.asset.firmware["BIOS"]
    assert {"CPU", "DIMM", "NIC", "MOTHERBOARD"} <= set(_counts(result))
    assert all(c.source == "lshw" for c in result.components)


@pytest.mark.parametrize(
    "corpus_set",
    CORPUS_SETS,
)
def test_sniff_rejects_every_other_format_in_the_corpus(corpus_dir: Path, corpus_set: str) -> None:
    own = {corpus_dir / r for r in LSHW_FILES}
    others = [p for p in sorted((corpus_dir / corpus_set).rglob("*")) if p.is_file() and p not in own]
    assert others
    false_positives = [str(p) for p in others if lshw.sniff(str(p), p.read_bytes())]
    assert false_positives == []


# -- Dell R6515 --------------------------------------------------------------------------------


def test_r6515_identity_strips_the_sku_suffix_lshw_adds(corpus_dir: Path) -> None:
    asset = _parse(corpus_dir, R6515).asset
    assert asset.vendor == "Dell Inc."
    assert asset.model == "PowerEdge R6515"
    assert asset.serial == "11WLK93"
    assert asset.uuid == "4c4c4544-0031-5710-804c-b1c04f4b3933"
    assert asset.hostname == "fup-1621094422160741414.dc13.packet.net"
    assert asset.firmware == {"BIOS": "1.7.4"}


def test_r6515_component_counts_skip_eight_empty_banks(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, R6515)
    assert _counts(result) == {
        "MOTHERBOARD": 1,
        "CPU": 1,
        "DIMM": 8,
        "RAID": 1,
        "NIC": 2,
        "NVME": 2,
        "SSD": 2,
        "PSU": 2,
    }
    assert "8 memory bank(s) empty" in result.warnings
    assert {d.slot for d in _of(result, "DIMM")} == {f"A{n}" for n in range(1, 9)}


def test_r6515_serials_and_firmware(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, R6515)
    nvme = {c.serial: c for c in _of(result, "NVME")}
    assert set(nvme) == {"202728F691F5", "202728F691C6"}
    assert nvme["202728F691F5"].firmware == "11300DN0"
    assert nvme["202728F691F5"].specs["capacity_bytes"] == 3840755982336
    assert nvme["202728F691F5"].slot == "/dev/nvme0"
    ssds = {c.slot: c for c in _of(result, "SSD")}
    assert ssds["/dev/sda"].serial == "203329F89392"
    assert ssds["/dev/sda"].firmware == "J004"
    dimm_serials = {d.serial for d in _of(result, "DIMM")}
    assert {"3510CB7F", "3510CC93"} <= dimm_serials
    psus = {p.serial: p for p in _of(result, "PSU")}
    assert set(psus) == {"CNLOD000B229D6", "CNLOD000B232CD"}
    assert psus["CNLOD000B229D6"].model == "PWR SPLY,550W,RDNT,LTON"
    assert psus["CNLOD000B229D6"].specs == {"part_number": "0NCNFFA02", "max_power_w": 550}


def test_r6515_nic_mac_goes_to_specs_not_serial(corpus_dir: Path) -> None:
    nics = {n.slot: n for n in _of(_parse(corpus_dir, R6515), "NIC")}
    assert set(nics) == {"0000:41:00.0", "0000:41:00.1"}
    port = nics["0000:41:00.0"]
    assert port.serial == ""
    assert port.specs["mac"] == "40:a6:b7:4e:8a:a0"
    assert port.firmware == "8.15 0x800096ca 20.0.17"
    assert port.model == "Ethernet Controller XXV710 for 25GbE SFP28"


def test_r6515_dead_beef_pci_ids_are_dropped_from_names(corpus_dir: Path) -> None:
    (raid,) = _of(_parse(corpus_dir, R6515), "RAID")
    assert raid.vendor == "Broadcom / LSI"
    assert raid.model == "SAS3008 PCI-Express Fusion-MPT SAS-3"
    assert raid.slot == "0000:01:00.0"


def test_r6515_onboard_matrox_vga_and_scsi_console_processor_are_not_parts(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, R6515)
    assert _of(result, "GPU") == []
    (cpu,) = _of(result, "CPU")
    assert cpu.model == "AMD EPYC 7502P 32-Core Processor"
    assert cpu.specs["cores"] == 32
    assert cpu.specs["threads"] == 64


# -- Supermicro X11DPH-T -----------------------------------------------------------------------


def test_x11dph_identity_strips_oem_filler_from_product(corpus_dir: Path) -> None:
    asset = _parse(corpus_dir, X11DPH).asset
    assert asset.vendor == "Supermicro"
    assert asset.model == "SSG-6029P-E1CR12L-PH004"
    assert asset.serial == "A401031X0502795"
    assert asset.firmware == {"BIOS": "3.4"}


def test_x11dph_counts_twelve_hdds_behind_the_hba(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, X11DPH)
    assert _counts(result) == {
        "MOTHERBOARD": 1,
        "DIMM": 12,
        "CPU": 2,
        "SSD": 2,
        "NIC": 4,
        "NVME": 2,
        "RAID": 1,
        "HDD": 12,
        "PSU": 2,
    }
    hdds = {h.serial: h for h in _of(result, "HDD")}
    assert "VDJKG9LK" in hdds
    assert hdds["VDJKG9LK"].specs["rotation_rpm"] == 7200
    assert hdds["VDJKG9LK"].firmware == "W460"
    assert {s.serial for s in _of(result, "SSD")} == {"20032613EE70", "20032613D813"}


def test_x11dph_populated_banks_tagged_empty_still_count_and_no_dimm_banks_do_not(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, X11DPH)
    slots = {d.slot: d for d in _of(result, "DIMM")}
    assert slots["P1-DIMMA1"].serial == "53963974"  # its description ends in "[empty]"
    assert "P1-DIMMA2" not in slots  # product/vendor/serial "NO DIMM"
    assert "4 memory bank(s) empty" in result.warnings


def test_x11dph_nvme_psu_and_mellanox_firmware(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, X11DPH)
    assert {n.serial for n in _of(result, "NVME")} == {"Z9DF71TJFY3L", "Z9DF71YGFY3L"}
    assert {p.serial for p in _of(result, "PSU")} == {"P1K2ACK07HB0670", "P1K2ACK07HB0669"}
    mellanox = [n for n in _of(result, "NIC") if n.vendor == "Mellanox Technologies"]
    assert len(mellanox) == 2
    assert mellanox[0].firmware == "14.27.1016 (MT_2420110034)"
    board = _of(result, "MOTHERBOARD")[0]
    assert (board.model, board.serial) == ("X11DPH-T", "ZM19AS026837")


# -- ASRockRack (array form) and RackHD ---------------------------------------------------------


def test_asrr_top_level_array_skips_bmc_virtual_media_bond_and_usb_nic(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, ASRR)
    assert result.asset.model == "c3.small.x86"
    assert result.asset.serial == "D5S0R8000105"
    assert _counts(result) == {"MOTHERBOARD": 1, "DIMM": 2, "CPU": 1, "NIC": 2, "SSD": 2}
    assert {s.serial for s in _of(result, "SSD")} == {"PHYF001300HB480BGN", "PHYF001209KL480BGN"}
    assert {n.slot for n in _of(result, "NIC")} == {"0000:01:00.0", "0000:01:00.1"}
    assert "2 memory bank(s) empty" in result.warnings


def test_rackhd_s2600jf_chipset_sas_unit_is_not_a_raid_card(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, S2600JF)
    assert result.asset.vendor == "EMC"
    assert result.asset.model == "S2600JF"
    assert result.asset.serial == "FC6VW142000003"
    (raid,) = _of(result, "RAID")
    assert raid.model == "SAS2308 PCI-Express Fusion-MPT SAS-2"
    assert _counts(result) == {"MOTHERBOARD": 1, "CPU": 2, "DIMM": 8, "RAID": 1, "HDD": 3, "NIC": 3, "SSD": 1}


def test_rackhd_s2600jf_anonymous_disks_are_kept_as_guessed_hdds(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, S2600JF)
    anonymous = [d for d in _of(result, "HDD") if not d.serial]
    assert len(anonymous) == 3
    assert all(d.specs["media_guessed"] is True for d in anonymous)
    assert {d.slot for d in anonymous} == {"/dev/sdb", "/dev/sdc", "/dev/sdd"}


def test_rackhd_dell_empty_model_name_sku_gives_empty_model(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, MULTI_NIC)
    assert result.asset.model == ""
    assert result.asset.serial == "5BC2082"
    assert _counts(result) == {"MOTHERBOARD": 1, "CPU": 2, "DIMM": 16, "RAID": 1, "SSD": 2, "NIC": 4}
    (raid,) = _of(result, "RAID")
    assert raid.specs["driver"] == "megaraid_sas"
    assert {s.serial for s in _of(result, "SSD")} == {"BTHC536205Y9800NGN", "BTHC536205KX800NGN"}


# -- synthetic shapes --------------------------------------------------------------------------


def _tree(*children: dict) -> bytes:
    return json.dumps({"id": "host", "class": "system", "claimed": True, "children": list(children)}).encode()


def test_discrete_gpu_is_recorded_and_aspeed_vga_is_not() -> None:
    nvidia = {
        "id": "display",
        "class": "display",
        "description": "3D controller",
        "vendor": "NVIDIA Corporation",
        "product": "GA100 [A100 PCIe 40GB]",
        "businfo": "pci@0000:3b:00.0",
    }
    aspeed = {
        "id": "display",
        "class": "display",
        "description": "VGA compatible controller",
        "vendor": "ASPEED Technology, Inc.",
        "product": "ASPEED Graphics Family",
        "businfo": "pci@0000:04:00.0",
    }
    result = lshw.parse("gpu", _tree(nvidia, aspeed))
    (gpu,) = _of(result, "GPU")
    assert gpu.slot == "0000:3b:00.0"
    assert gpu.model == "GA100 [A100 PCIe 40GB]"


def test_class_filtered_array_without_system_root_still_yields_disks() -> None:
    disks = [
        {
            "id": "disk",
            "class": "disk",
            "claimed": True,
            "product": "ST4000NM0035",
            "serial": "ZC1",
            "logicalname": "/dev/sda",
        },
        {"id": "cdrom", "class": "disk", "description": "DVD-RAM writer", "logicalname": "/dev/sr0"},
    ]
    result = lshw.parse("disks", json.dumps(disks).encode())
    assert [d.serial for d in result.components] == ["ZC1"]
    assert result.asset.serial == ""


def test_prompt_before_the_json_is_tolerated(corpus_dir: Path) -> None:
    data = (corpus_dir / ASRR).read_bytes()
    result = lshw.parse("prompt", b"root@host:~# lshw -json\n" + data)
    assert result.asset.serial == "D5S0R8000105"


def test_truncated_json_is_malformed(corpus_dir: Path) -> None:
    data = (corpus_dir / R6515).read_bytes()
    with pytest.raises(ParserError) as caught:
        lshw.parse("truncated", data[: len(data) // 2])
    assert caught.value.code == "malformed_json"


def test_other_json_is_not_lshw(corpus_dir: Path) -> None:
    path = corpus_dir / "ironlib-fixtures/dell/r6515/smartctl/sda.json"
    with pytest.raises(ParserError) as caught:
        lshw.parse(str(path), path.read_bytes())
    assert caught.value.code == "not_lshw"


def test_empty_output_is_an_error() -> None:
    with pytest.raises(ParserError) as caught:
        lshw.parse("empty", b"")
    assert caught.value.code == "empty_output"


def test_random_text_is_malformed_json() -> None:
    with pytest.raises(ParserError) as caught:
        lshw.parse("random", b"lshw: command not found\n")
    assert caught.value.code == "malformed_json"
    assert lshw.sniff("random", b"lshw: command not found\n") is False


def test_deeply_nested_json_is_rejected_not_crashed() -> None:
    with pytest.raises(ParserError) as caught:
        lshw.parse("deep", b"[" * 100_000 + b"]" * 100_000)
    assert caught.value.code == "malformed_json"


def test_non_utf8_bytes_are_replaced_and_reported(corpus_dir: Path) -> None:
    data = (corpus_dir / ASRR).read_bytes().replace(b'"device.example.net"', b'"device.\xff.net"', 1)
    result = lshw.parse("binary", data)
    assert any("UTF-8" in w for w in result.warnings)
    assert result.asset.hostname == "device.\ufffd.net"


# -- robustness --------------------------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)
_nodes = st.fixed_dictionaries(
    {"id": st.text(max_size=8), "class": st.sampled_from(["system", "disk", "memory", "storage", "network", "power"])},
    optional={
        "children": st.lists(_json_values, max_size=3),
        "size": _json_values,
        "logicalname": _json_values,
        "configuration": _json_values,
        "capabilities": _json_values,
        "businfo": st.sampled_from(["pci@0000:01:00.0", "nvme@0:1", "usb@1", ""]),
    },
)


def _result_or_code(data: bytes) -> ParseResult | str:
    """The parse result, or the code of the ParserError; any other exception fails the test."""
    try:
        return lshw.parse("fuzz", data)
    except ParserError as error:
        return error.code


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_parser_error(data: bytes) -> None:
    assert isinstance(lshw.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    assert not isinstance(outcome, str) or outcome in {"empty_output", "malformed_json", "not_lshw"}


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json_values, _nodes, st.lists(_nodes, max_size=3)))
def test_arbitrary_json_raises_nothing_but_parser_error(document: object) -> None:
    data = json.dumps(document).encode()
    assert isinstance(lshw.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    if isinstance(outcome, str):
        assert outcome in {"empty_output", "malformed_json", "not_lshw"}
    else:
        result = outcome
        assert all(c.source == "lshw" for c in result.components)
