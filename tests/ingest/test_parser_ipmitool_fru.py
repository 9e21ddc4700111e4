"""ipmitool fru print parser: the Sun Fire X4270 ILOM and Quanta S210 captures, and bad input."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import ipmitool_fru
from ingest.parsers.base import ComponentRecord, ParserError, ParseResult
from tests.ingest.corpus import CORPUS_SETS

X4270 = "ralph-legacy-samples/scan_tests_plugins_samples_ipmi/IPMI_FRU_SAMPLE.txt"
QUANTA = "rackhd-on-tasks-samples/quanta_fru.txt"
FRU_FILES = (X4270, QUANTA)
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")


def _parse(corpus_dir: Path, relative: str) -> ParseResult:
    path = corpus_dir / relative
    return ipmitool_fru.parse(str(path), path.read_bytes())


def _by_slot(result: ParseResult, component_class: str) -> dict[str, ComponentRecord]:
    return {c.slot: c for c in result.components if c.component_class == component_class}


@pytest.mark.parametrize("relative", FRU_FILES)
def test_every_corpus_fru_file_is_sniffed_and_parses(corpus_dir: Path, relative: str) -> None:
    path = corpus_dir / relative
    data = path.read_bytes()
    assert ipmitool_fru.sniff(str(path), data) is True
    result = ipmitool_fru.parse(str(path), data)
    assert result.parser == "ipmitool_fru"
    assert result.asset.serial
    assert any(c.component_class == "MOTHERBOARD" for c in result.components)


@pytest.mark.parametrize(
    "corpus_set",
    CORPUS_SETS,
)
def test_sniff_rejects_every_other_format_in_the_corpus(corpus_dir: Path, corpus_set: str) -> None:
    own = {corpus_dir / r for r in FRU_FILES}
    others = [p for p in sorted((corpus_dir / corpus_set).rglob("*")) if p.is_file() and p not in own]
    assert others
    assert [str(p) for p in others if ipmitool_fru.sniff(str(p), p.read_bytes())] == []


# -- Sun Fire X4270 (ILOM) ---------------------------------------------------------------------


def test_x4270_asset_comes_from_sys_not_from_the_service_processor(corpus_dir: Path) -> None:
    asset = _parse(corpus_dir, X4270).asset
    assert asset.vendor == "ORACLE CORPORATION"
    assert asset.model == "SUN FIRE X4270 SERVER"
    assert asset.serial == "0932XF707A"
    assert asset.firmware == {"BIOS": "07060304"}


def test_x4270_component_counts_skip_device_not_present_blocks(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, X4270)
    assert Counter(c.component_class for c in result.components) == {
        "BMC": 1,
        "MOTHERBOARD": 1,
        "NIC": 4,
        "CPU": 1,
        "DIMM": 6,
        "OTHER": 7,
        "PSU": 2,
    }
    assert "33 FRU device(s) not present or empty" in result.warnings
    dimms = _by_slot(result, "DIMM")
    assert "MB/P0/D0" not in dimms
    assert "MB/P1/D1" not in dimms
    assert "MB/P1" not in _by_slot(result, "CPU")


def test_x4270_dimm_serials_part_numbers_and_capacity(corpus_dir: Path) -> None:
    dimms = _by_slot(_parse(corpus_dir, X4270), "DIMM")
    assert dimms["MB/P0/D1"].serial == "43223369"
    assert dimms["MB/P0/D1"].vendor == "SAMSUNG"
    assert dimms["MB/P0/D1"].model == "M393A5170EH1-CH9"
    assert dimms["MB/P0/D1"].specs["capacity_bytes"] == 4 * 1024**3
    assert dimms["MB/P0/D8"].serial == "9226B058"


def test_x4270_power_supplies_from_board_area(corpus_dir: Path) -> None:
    psus = _by_slot(_parse(corpus_dir, X4270), "PSU")
    assert set(psus) == {"PS0", "PS1"}
    assert psus["PS0"].serial == "9038BAO-0926A30L9J"
    assert psus["PS0"].vendor == "POWER ONE"
    assert psus["PS0"].model == "A217"
    assert psus["PS1"].specs["part_number"] == "303-1897-04"


def test_x4270_mac_shaped_product_serials_are_macs(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, X4270)
    nics = _by_slot(result, "NIC")
    assert set(nics) == {"MB/NET0", "MB/NET1", "MB/NET2", "MB/NET3"}
    assert all(n.serial == "" for n in nics.values())
    assert nics["MB/NET2"].specs["mac"] == "00:11:4F:E7:92:66"  # the port's own MAC, not the base one
    (bmc,) = (c for c in result.components if c.component_class == "BMC")
    assert bmc.model == "ILOM INTEGRATED SP"
    assert bmc.serial == ""
    assert bmc.specs["mac"] == "00:11:22:33:44:55"


def test_x4270_motherboard_is_the_mb_fru_and_boards_with_serials_are_other(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, X4270)
    (board,) = _by_slot(result, "MOTHERBOARD").values()
    assert board.slot == "MB"
    assert board.serial == "9328MSL-09304H08BA"
    assert board.specs["part_number"] == "501-7317-12"
    others = _by_slot(result, "OTHER")
    assert set(others) == {"MB/R1", "MB/R2", "DBP", "PDB", "PADCRD", "FB0", "FB1"}
    assert others["PDB"].serial == "9226AHF-0930B500MC"  # board area, not the copied product serial


# -- Quanta S210 -------------------------------------------------------------------------------


def test_quanta_builtin_fru_gives_asset_and_motherboard(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, QUANTA)
    assert result.asset.vendor == "Quanta"
    assert result.asset.model == "S210-X12RS V2"
    assert result.asset.serial == "QTFCEV4120280"
    (board,) = result.components  # the AST2300 block repeats the builtin FRU, the FP FRU has no serial
    assert board.component_class == "MOTHERBOARD"
    assert board.serial == "QTF3EV41400432"
    assert board.specs["part_number"] == "31S2RMB00H0"


# -- synthetic shapes --------------------------------------------------------------------------

GENERIC = """\
FRU Device Description : Builtin FRU Device (ID 0)
 Chassis Type          : Rack Mount Chassis
 Chassis Serial        : CH123
 Board Mfg             : Supermicro
 Board Product         : X11DPH-T
 Board Serial          : ZM19AS026837
 Product Manufacturer  : Supermicro
 Product Name          : SSG-6029P
 Product Serial        :
 Product Asset Tag     : AT-0042

FRU Device Description : PSU1 (ID 1)
 Product Manufacturer  : SUPERMICRO
 Product Name          : PWS-1K23A-1R
 Product Serial        : P1K2ACK07HB0670
 Product Version       : 1.4

FRU Device Description : Power Supply 2 (ID 2)
 Device not present (Requested sensor, data, or record not found)
"""


def test_generic_bmc_psu_blocks_asset_tag_and_chassis_serial_fallback() -> None:
    result = ipmitool_fru.parse("fru", GENERIC.encode())
    assert result.asset.serial == "CH123"  # Product Serial is blank
    assert result.asset.asset_tag == "AT-0042"
    psus = _by_slot(result, "PSU")
    assert set(psus) == {"PSU1"}
    assert psus["PSU1"].serial == "P1K2ACK07HB0670"
    assert psus["PSU1"].specs["revision"] == "1.4"
    assert "1 FRU device(s) not present or empty" in result.warnings


def test_binary_bytes_and_prompts_in_the_capture_are_tolerated(corpus_dir: Path) -> None:
    data = (corpus_dir / QUANTA).read_bytes()
    noisy = b"root@host:~# ipmitool fru print\n" + data.replace(b"Quanta\n", b"Quanta\xc3\x28\x00\n", 1)
    result = ipmitool_fru.parse("noisy", noisy)
    assert any("UTF-8" in w for w in result.warnings)
    assert result.asset.serial == "QTFCEV4120280"
    assert result.asset.model == "S210-X12RS V2"


def test_truncated_capture_keeps_complete_blocks(corpus_dir: Path) -> None:
    data = (corpus_dir / X4270).read_bytes()
    cut = data.index(b"FRU Device Description : MB/P0/D2")
    result = ipmitool_fru.parse("truncated", data[:cut])
    counts = Counter(c.component_class for c in result.components)
    assert counts["DIMM"] == 1
    assert "PSU" not in counts
    assert result.asset.serial == "0932XF707A"


def test_empty_output_is_an_error() -> None:
    with pytest.raises(ParserError) as caught:
        ipmitool_fru.parse("empty", b"")
    assert caught.value.code == "empty_output"


def test_random_text_is_not_fru_output(corpus_dir: Path) -> None:
    lan = (corpus_dir / "ralph-legacy-samples/scan_tests_plugins_samples_ipmi/IPMI_LAN_SAMPLE.txt").read_bytes()
    assert ipmitool_fru.sniff("lan", lan) is False
    with pytest.raises(ParserError) as caught:
        ipmitool_fru.parse("lan", lan)
    assert caught.value.code == "not_ipmitool_fru"


def _result_or_code(data: bytes) -> ParseResult | str:
    """The parse result, or the code of the ParserError; any other exception fails the test."""
    try:
        return ipmitool_fru.parse("fuzz", data)
    except ParserError as error:
        return error.code


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_parser_error(data: bytes) -> None:
    assert isinstance(ipmitool_fru.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    assert not isinstance(outcome, str) or outcome in {"empty_output", "not_ipmitool_fru"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=50),
            st.sampled_from(
                [
                    "FRU Device Description : PS1 (ID 3)",
                    "FRU Device Description : Builtin FRU Device (ID 0)",
                    " Product Serial        : 00:11:22:33:44:55",
                    " Board Serial : X",
                    " Device not present",
                    "",
                ]
            ),
        ),
        max_size=30,
    )
)
def test_arbitrary_text_raises_nothing_but_parser_error(lines: list[str]) -> None:
    data = "\n".join(lines).encode()
    assert isinstance(ipmitool_fru.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    if isinstance(outcome, str):
        assert outcome in {"empty_output", "not_ipmitool_fru"}
    else:
        result = outcome
        assert not any(_MAC.match(c.serial) for c in result.components)
