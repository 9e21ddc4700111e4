"""lspci -vmm parser.

The shared corpus holds no lspci capture, so the positive cases below are written inline in the
exact layout lspci prints (tab after the key, blank line between devices, "[xxxx]" ids with -nn);
the corpus is still used to prove that no other format is mistaken for lspci.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import lspci
from ingest.parsers.base import ComponentRecord, ParserError, ParseResult
from tests.ingest.corpus import CORPUS_SETS

# `lspci -vmm -nn -k -D` of a two-socket server: chipset functions, an onboard ASPEED VGA, a dual
# port X710, a MegaRAID card, a chipset SAS unit, an NVMe drive, an A100 and an SR-IOV function.
SERVER_NN = """\
Slot:\t0000:00:00.0
Class:\tHost bridge [0600]
Vendor:\tIntel Corporation [8086]
Device:\tSky Lake-E DMI3 Registers [2020]
SVendor:\tDell [1028]
SDevice:\tDevice [0716]
Rev:\t07
NUMANode:\t0

Slot:\t0000:00:11.4
Class:\tSerial Attached SCSI controller [0107]
Vendor:\tIntel Corporation [8086]
Device:\tC600/X79 series chipset SATA Storage Control Unit [1d6b]
Rev:\t06

Slot:\t0000:03:00.0
Class:\tVGA compatible controller [0300]
Vendor:\tASPEED Technology, Inc. [1a03]
Device:\tASPEED Graphics Family [2000]
Rev:\t41
Driver:\tast
Module:\tast

Slot:\t0000:18:00.0
Class:\tRAID bus controller [0104]
Vendor:\tBroadcom / LSI [1000]
Device:\tMegaRAID SAS-3 3108 [Invader] [005d]
SVendor:\tDell [1028]
SDevice:\tPERC H730P Mini [1f47]
Rev:\t02
Driver:\tmegaraid_sas
Module:\tmegaraid_sas
NUMANode:\t0

Slot:\t0000:3b:00.0
Class:\tEthernet controller [0200]
Vendor:\tIntel Corporation [8086]
Device:\tEthernet Controller X710 for 10GbE SFP+ [1572]
SVendor:\tIntel Corporation [8086]
SDevice:\tEthernet 10G 2P X710 Adapter [0006]
PhySlot:\t1
Rev:\t01
Driver:\ti40e
Module:\ti40e
NUMANode:\t0

Slot:\t0000:3b:00.1
Class:\tEthernet controller [0200]
Vendor:\tIntel Corporation [8086]
Device:\tEthernet Controller X710 for 10GbE SFP+ [1572]
SVendor:\tIntel Corporation [8086]
SDevice:\tEthernet 10G 2P X710 Adapter [0000]
PhySlot:\t1
Rev:\t01
Driver:\ti40e
Module:\ti40e
NUMANode:\t0

Slot:\t0000:3b:02.0
Class:\tEthernet controller [0200]
Vendor:\tIntel Corporation [8086]
Device:\tEthernet Virtual Function 700 Series [154c]
Rev:\t01
Driver:\tiavf

Slot:\t0000:5e:00.0
Class:\tNon-Volatile memory controller [0108]
Vendor:\tSamsung Electronics Co Ltd [144d]
Device:\tNVMe SSD Controller PM173X [a824]
SVendor:\tDell [1028]
SDevice:\tDevice [1fe1]
PhySlot:\t184
Rev:\t00
ProgIf:\t02
Driver:\tnvme
Module:\tnvme
NUMANode:\t0

Slot:\t0000:af:00.0
Class:\t3D controller [0302]
Vendor:\tNVIDIA Corporation [10de]
Device:\tGA100 [A100 PCIe 40GB] [20f1]
SVendor:\tNVIDIA Corporation [10de]
SDevice:\tDevice [145f]
Rev:\ta1
Driver:\tnvidia
NUMANode:\t1
"""

# Plain `lspci -vmm` (no ids), an older lspci with -vm naming the address "Device:" too.
PLAIN = """\
Slot:\t01:00.0
Class:\tEthernet controller
Vendor:\tMellanox Technologies
Device:\tMT27800 Family [ConnectX-5]
SVendor:\tMellanox Technologies
SDevice:\tDevice 0008

Slot:\t02:00.0
Class:\tVGA compatible controller
Vendor:\tAdvanced Micro Devices, Inc. [AMD/ATI]
Device:\tVega 10 [Radeon Instinct MI25]
"""
OLD_VM = """\
Device:\t00:19.0
Class:\tEthernet controller
Vendor:\tIntel Corporation
Device:\t82579LM Gigabit Network Connection
Rev:\t04

Device:\t00:02.0
Class:\tVGA compatible controller
Vendor:\tIntel Corporation
Device:\tXeon E3-1200 v2/3rd Gen Core processor Graphics Controller
"""


def _by_slot(text: str) -> dict[str, ComponentRecord]:
    return {c.slot: c for c in lspci.parse("lspci", text.encode()).components}


def test_server_capture_yields_nic_raid_nvme_and_gpu_only() -> None:
    result = lspci.parse("lspci", SERVER_NN.encode())
    assert Counter(c.component_class for c in result.components) == {"NIC": 2, "RAID": 1, "NVME": 1, "GPU": 1}
    assert all(c.serial == "" and c.source == "lspci" for c in result.components)


def test_slot_is_the_pci_address_and_numeric_ids_go_to_specs() -> None:
    devices = _by_slot(SERVER_NN)
    nic = devices["0000:3b:00.0"]
    assert nic.component_class == "NIC"
    assert nic.vendor == "Intel Corporation"
    assert nic.model == "Ethernet Controller X710 for 10GbE SFP+"
    assert nic.specs["pci_vendor_id"] == "8086"
    assert nic.specs["pci_device_id"] == "1572"
    assert nic.specs["pci_class_id"] == "0200"
    assert nic.specs["subsystem_device"] == "Ethernet 10G 2P X710 Adapter"
    assert nic.specs["physical_slot"] == "1"
    assert nic.specs["driver"] == "i40e"


def test_raid_card_keeps_its_bracketed_code_name_and_chipset_sas_unit_is_skipped() -> None:
    devices = _by_slot(SERVER_NN)
    raid = devices["0000:18:00.0"]
    assert raid.component_class == "RAID"
    assert raid.model == "MegaRAID SAS-3 3108 [Invader]"  # only the trailing numeric id is stripped
    assert raid.specs["subsystem_device"] == "PERC H730P Mini"
    assert "0000:00:11.4" not in devices


def test_nvme_controller_has_no_serial() -> None:
    nvme = _by_slot(SERVER_NN)["0000:5e:00.0"]
    assert nvme.component_class == "NVME"
    assert nvme.serial == ""
    assert nvme.vendor == "Samsung Electronics Co Ltd"
    assert nvme.model == "NVMe SSD Controller PM173X"


def test_compute_gpu_is_recorded_but_onboard_vga_and_virtual_functions_are_not() -> None:
    devices = _by_slot(SERVER_NN)
    assert devices["0000:af:00.0"].component_class == "GPU"
    assert devices["0000:af:00.0"].model == "GA100 [A100 PCIe 40GB]"
    assert "0000:03:00.0" not in devices  # ASPEED BMC VGA
    assert "0000:3b:02.0" not in devices  # SR-IOV virtual function
    assert "0000:00:00.0" not in devices  # host bridge


def test_plain_vmm_without_numeric_ids() -> None:
    devices = _by_slot(PLAIN)
    assert devices["01:00.0"].component_class == "NIC"
    assert devices["01:00.0"].model == "MT27800 Family [ConnectX-5]"
    assert "pci_vendor_id" not in devices["01:00.0"].specs
    assert devices["02:00.0"].component_class == "GPU"
    assert devices["02:00.0"].vendor == "Advanced Micro Devices, Inc. [AMD/ATI]"


def test_old_vm_layout_names_the_slot_device() -> None:
    devices = _by_slot(OLD_VM)
    assert set(devices) == {"00:19.0"}  # integrated Intel graphics is not a GPU part
    assert devices["00:19.0"].model == "82579LM Gigabit Network Connection"
    assert lspci.sniff("old", OLD_VM.encode()) is True


def test_prompts_and_missing_blank_lines_are_tolerated() -> None:
    text = "root@host:~# lspci -vmm\n" + PLAIN.replace("\n\nSlot:", "\nSlot:") + "root@host:~# exit\n"
    devices = _by_slot(text)
    assert set(devices) == {"01:00.0", "02:00.0"}
    assert devices["02:00.0"].component_class == "GPU"


def test_non_utf8_bytes_are_replaced_and_reported() -> None:
    data = PLAIN.encode().replace(b"Device 0008", b"Device \xff\xfe")
    result = lspci.parse("binary", data)
    assert any("UTF-8" in w for w in result.warnings)
    assert len(result.components) == 2


def test_sniff_recognises_the_captures() -> None:
    assert lspci.sniff("a", SERVER_NN.encode()) is True
    assert lspci.sniff("b", PLAIN.encode()) is True
    assert lspci.sniff("c", b"00:00.0 Host bridge: Intel Corporation Device 2020\n") is False  # plain lspci


def test_empty_output_is_an_error() -> None:
    with pytest.raises(ParserError) as caught:
        lspci.parse("empty", b"\n \n")
    assert caught.value.code == "empty_output"


def test_random_text_is_not_lspci() -> None:
    with pytest.raises(ParserError) as caught:
        lspci.parse("random", b"Class: none\nVendor: nobody\n")
    assert caught.value.code == "not_lspci"


def test_truncated_capture_keeps_complete_devices() -> None:
    cut = SERVER_NN.index("Slot:\t0000:af:00.0") + len("Slot:\t0000:af:00.0\nClass:\t3D con")
    result = lspci.parse("truncated", SERVER_NN[:cut].encode())
    assert Counter(c.component_class for c in result.components) == {"NIC": 2, "RAID": 1, "NVME": 1}


@pytest.mark.parametrize(
    "corpus_set",
    CORPUS_SETS,
)
def test_sniff_rejects_every_corpus_file(corpus_dir: Path, corpus_set: str) -> None:
    files = [p for p in sorted((corpus_dir / corpus_set).rglob("*")) if p.is_file()]
    assert files
    assert [str(p) for p in files if lspci.sniff(str(p), p.read_bytes())] == []


def _result_or_code(data: bytes) -> ParseResult | str:
    """The parse result, or the code of the ParserError; any other exception fails the test."""
    try:
        return lspci.parse("fuzz", data)
    except ParserError as error:
        return error.code


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_parser_error(data: bytes) -> None:
    assert isinstance(lspci.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    assert not isinstance(outcome, str) or outcome in {"empty_output", "not_lspci"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=50),
            st.sampled_from(
                ["Slot:\t01:00.0", "Class:\tEthernet controller [0200]", "Vendor:\tX [", "Device:\t00:02.0", ""]
            ),
        ),
        max_size=30,
    )
)
def test_arbitrary_text_raises_nothing_but_parser_error(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    assert isinstance(lspci.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    if isinstance(outcome, str):
        assert outcome in {"empty_output", "not_lspci"}
    else:
        result = outcome
        assert all(c.serial == "" for c in result.components)
