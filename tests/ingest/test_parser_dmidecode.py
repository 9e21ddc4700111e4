"""dmidecode parser: every dmidecode capture of the corpus, real machines in detail, bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.parsers import dmidecode
from ingest.parsers.base import ComponentRecord, ParserError, ParseResult
from tests.ingest.corpus import CORPUS_SETS

LINUXHW = "dmidecode-linuxhw-DMI/files"
R750 = f"{LINUXHW}/Dell_PowerEdge_R750_D1750E589C22.dmidecode.txt"
SYS_2049U = f"{LINUXHW}/Supermicro_SYS-2049U-TR4_13107E8A13EF.dmidecode.txt"
DL380_GEN11 = f"{LINUXHW}/HPE_ProLiant_DL380_Gen11_89BBBA931D2E.dmidecode.txt"
X3850 = f"{LINUXHW}/IBM_System_x3850_X5_-_7143Y61_-_32036814BD3E.dmidecode.txt"
ASROCK_ROMED8 = f"{LINUXHW}/ASRockRack_ROMED8-2T_3BC6540442E7.dmidecode.txt"
ASRR = "ironlib-fixtures/asrr/e3c246d4i-nl/dmidecode"
ASRR_NON_PACKET = "ironlib-fixtures/asrr/e3c246d4i-nl/dmidecode-non-packet"
GIB = 1024**3


def _corpus() -> Path:
    from django.conf import settings as django_settings

    return Path(django_settings.REANIMATOR_CORPUS)


def dmidecode_files(corpus: Path) -> list[Path]:
    """Every dmidecode capture in the corpus, full dumps and `-t N` fragments."""
    files = sorted((corpus / LINUXHW).glob("*.dmidecode.txt"))
    files += sorted((corpus / "dmidecode-netbox-agent/dmidecode").iterdir())
    files += sorted(p for p in (corpus / "ironlib-fixtures").rglob("*") if p.is_file() and "dmidecode" in p.parts[-2:])
    files += sorted(p for p in (corpus / "ironlib-fixtures/asrr").rglob("dmidecode*") if p.is_file())
    files += [corpus / "ralph-legacy-samples/discovery_tests_samples_dmidecode_data/DATA.txt"]
    files += sorted((corpus / "rackhd-on-tasks-samples").glob("dmidecode-*.txt"))
    return sorted(set(files))


def _parse(corpus_dir: Path, relative: str) -> ParseResult:
    path = corpus_dir / relative
    return dmidecode.parse(str(path), path.read_bytes())


def _counts(result: ParseResult) -> Counter[str]:
    return Counter(c.component_class for c in result.components)


def _by_slot(result: ParseResult, component_class: str) -> dict[str, ComponentRecord]:
    return {c.slot: c for c in result.components if c.component_class == component_class}


# -- every corpus file -------------------------------------------------------------------------


def test_corpus_file_list_covers_every_dmidecode_capture(corpus_dir: Path) -> None:
    files = dmidecode_files(corpus_dir)
    assert Counter(p.relative_to(corpus_dir).parts[0] for p in files) == {
        "dmidecode-linuxhw-DMI": 29,
        "dmidecode-netbox-agent": 13,
        "ironlib-fixtures": 8,
        "ralph-legacy-samples": 1,
        "rackhd-on-tasks-samples": 2,
    }


@pytest.mark.parametrize("path", dmidecode_files(_corpus()), ids=lambda p: "/".join(p.parts[-3:]))
def test_every_corpus_dmidecode_file_is_sniffed_and_parses(path: Path) -> None:
    data = path.read_bytes()
    assert dmidecode.sniff(str(path), data) is True
    result = dmidecode.parse(str(path), data)
    assert result.parser == "dmidecode"
    assert result.members == [str(path)]
    assert all(c.source == "dmidecode" for c in result.components)
    # a full dump always names the machine; fragments (-t 39, -t 43) do not
    if "DMI type 1," in data.decode("utf-8", "replace"):
        assert result.asset.vendor or result.asset.model


@pytest.mark.parametrize(
    "corpus_set",
    # every set but the masked linuxhw dmidecode captures, which are all dmidecode
    [name for name in CORPUS_SETS if name != "dmidecode-linuxhw-DMI"],
)
def test_sniff_rejects_every_other_format_in_the_corpus(corpus_dir: Path, corpus_set: str) -> None:
    own = set(dmidecode_files(corpus_dir))
    others = [p for p in sorted((corpus_dir / corpus_set).rglob("*")) if p.is_file() and p not in own]
    assert others
    false_positives = [str(p) for p in others if dmidecode.sniff(str(p), p.read_bytes())]
    assert false_positives == []


# -- real machines -----------------------------------------------------------------------------


def test_dell_r750_identity_bios_and_masked_serial_kept_raw(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, R750)
    assert result.asset.vendor == "Dell Inc."
    assert result.asset.model == "PowerEdge R750"
    assert result.asset.serial == "--"  # hw-probe's mask: the ingest layer decides it is no serial
    assert result.asset.uuid == "--"
    assert result.asset.firmware == {"BIOS": "1.10.2"}


def test_dell_r750_counts_sixteen_dimms_and_skips_sixteen_empty_slots(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, R750)
    assert _counts(result) == {"MOTHERBOARD": 1, "CPU": 2, "DIMM": 16, "PSU": 1}
    assert "16 DIMM slot(s) empty" in result.warnings
    dimm = _by_slot(result, "DIMM")["A1"]
    assert dimm.model == "36ASF8G72PZ-3G2E1"
    assert dimm.vendor == "002C0632002C"
    assert dimm.specs["capacity_bytes"] == 64 * GIB
    assert dimm.specs["speed_mts"] == 3200
    assert dimm.specs["configured_speed_mts"] == 2666
    assert dimm.specs["memory_type"] == "DDR4"


def test_dell_r750_cpu_and_power_supply(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, R750)
    cpus = _by_slot(result, "CPU")
    assert set(cpus) == {"CPU1", "CPU2"}
    assert cpus["CPU1"].model == "Intel(R) Xeon(R) Silver 4316 CPU @ 2.30GHz"
    assert cpus["CPU1"].vendor == "Intel"
    assert cpus["CPU1"].specs == {"cores": 20, "threads": 40, "max_speed_mhz": 4000, "family": "Xeon"}
    (psu,) = _by_slot(result, "PSU").values()
    assert psu.model == "PWR SPLY,1400W,RDNT,LTON"
    assert psu.vendor == "DELL"
    assert psu.specs["part_number"] == "01CW9GA04"
    assert psu.specs["max_power_w"] == 1400
    board = next(c for c in result.components if c.component_class == "MOTHERBOARD")
    assert (board.vendor, board.model) == ("Dell Inc.", "06V45N")


def test_supermicro_2049u_four_sockets_and_absent_psu_bays_are_not_components(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, SYS_2049U)
    assert _counts(result) == {"MOTHERBOARD": 1, "CPU": 4, "DIMM": 24, "PSU": 2}
    assert "2 PSU bay(s) empty" in result.warnings
    assert "24 DIMM slot(s) empty" in result.warnings
    psus = _by_slot(result, "PSU")
    assert set(psus) == {"System Power Supply #1", "System Power Supply #2"}
    assert {p.model for p in psus.values()} == {"PWS-1K62A-1R"}


def test_hpe_dl380_gen11_reports_critical_power_supply_health(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, DL380_GEN11)
    psus = _by_slot(result, "PSU")
    # both PSUs say "Location: Not Specified": the ordinal keeps their slots apart
    assert set(psus) == {"PSU 1", "PSU 2"}
    assert psus["PSU 1"].health == {"status": "OK"}
    assert psus["PSU 2"].health == {"status": "Critical"}
    assert _counts(result)["DIMM"] == 8


def test_ibm_x3850_processor_and_memory_cards_are_other_boards(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, X3850)
    counts = _counts(result)
    assert counts["CPU"] == 4
    assert counts["DIMM"] == 12
    assert counts["OTHER"] == 11
    assert "MOTHERBOARD" not in counts
    assert "52 DIMM slot(s) empty" in result.warnings


def test_asrockrack_placeholders_stay_raw(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, ASROCK_ROMED8)
    assert result.asset.vendor == "To Be Filled By O.E.M."
    assert result.asset.model == "ROMED8-2T"
    assert result.asset.firmware == {"BIOS": "P3.80"}
    assert _counts(result) == {"MOTHERBOARD": 1, "CPU": 1, "DIMM": 8}


def test_netbox_supermicro_unpopulated_socket_is_not_a_cpu(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, "dmidecode-netbox-agent/dmidecode/SM_SSG-6028R")
    assert result.asset.serial == "S212101X7A18218"
    assert result.asset.model == "SSG-6028R-OSD072P"
    assert _counts(result)["CPU"] == 1
    assert "1 CPU socket(s) unpopulated" in result.warnings
    assert _counts(result)["DIMM"] == 4


@pytest.mark.parametrize(
    ("relative", "vendor", "model", "serial"),
    [
        ("dmidecode-netbox-agent/dmidecode/HP_ProLiant_m710x", "HP", "ProLiant m710x Server Cartridge", "CN66480BLA"),
        (
            "dmidecode-netbox-agent/dmidecode/QCT_X10E-9N",
            "Quanta Cloud Technology Inc.",
            "QuantaMicro X10E-9N",
            "QTFCQ57140285",
        ),
        ("dmidecode-netbox-agent/dmidecode/SM_SYS-6018R", "Supermicro", "SYS-6018R-TDTPR", "A177950X7709591"),
        ("dmidecode-netbox-agent/dmidecode/Dell_DSS7500", "Dell Inc.", "DSS7500", "4242-SERVICE_TAG"),
        ("rackhd-on-tasks-samples/dmidecode-quanta.txt", "Quanta Computer Inc", "QuantaPlex T41S-2U", "QTFCKJ50800080"),
        ("rackhd-on-tasks-samples/dmidecode-supermicro.txt", "Supermicro", "X9DRT-P", "0123456789"),
        (
            "ralph-legacy-samples/discovery_tests_samples_dmidecode_data/DATA.txt",
            "Hewlett-Packard",
            "ProLiant BL460c G6",
            "GB8926V807",
        ),
    ],
)
def test_system_identity_of_real_servers(corpus_dir: Path, relative: str, vendor: str, model: str, serial: str) -> None:
    asset = _parse(corpus_dir, relative).asset
    assert (asset.vendor, asset.model, asset.serial) == (vendor, model, serial)


def test_netbox_dell_m630_blade_dimm_serials_and_empty_slots(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, "dmidecode-netbox-agent/dmidecode/Dell_PowerEdge_M630")
    assert _counts(result) == {"MOTHERBOARD": 1, "OTHER": 1, "CPU": 2, "DIMM": 8}
    assert "16 DIMM slot(s) empty" in result.warnings
    assert all(d.serial for d in result.components if d.component_class == "DIMM")


def test_rackhd_supermicro_psu_serials_and_placeholder_system_serial(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, "rackhd-on-tasks-samples/dmidecode-supermicro.txt")
    psus = _by_slot(result, "PSU")
    assert {p.serial for p in psus.values()} == {"P1K28CD52AB2379", "P1K28CD52AB2439"}
    assert set(psus) == {"Upper Slot", "Lower Slot"}
    assert _counts(result) == {"MOTHERBOARD": 1, "CPU": 2, "DIMM": 16, "PSU": 2}


def test_ironlib_asrockrack_identity_uuid_and_board_serial(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, ASRR)
    assert result.asset.vendor == "Packet"
    assert result.asset.model == "c3.small.x86"
    assert result.asset.serial == "D5S0R8000105"
    assert result.asset.uuid == "00000000-0000-0000-0000-d05099f030c4"
    assert result.asset.firmware["BIOS"] == "L2.07B"
    board = next(c for c in result.components if c.component_class == "MOTHERBOARD")
    assert board.serial == "196231220000153"
    assert _counts(result) == {"MOTHERBOARD": 1, "CPU": 1, "DIMM": 2}
    assert "2 DIMM slot(s) empty" in result.warnings


def test_ironlib_asrockrack_non_packet_variant_has_placeholder_and_blank_serials(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, ASRR_NON_PACKET)
    assert result.asset.serial == "To Be Filled By O.E.M."
    assert result.asset.uuid == "03000200-0400-0500-0006-000700080009"
    assert result.asset.firmware["BIOS"] == "L2.09C"
    board = next(c for c in result.components if c.component_class == "MOTHERBOARD")
    assert board.serial == ""  # "Serial Number:" followed by blanks


@pytest.mark.parametrize(
    ("relative", "serials"),
    [
        ("ironlib-fixtures/dell/r6515/dmidecode/psu", {"CNDED0009S4FFK", "CNDED0009S4FGF"}),
        ("ironlib-fixtures/supermicro/x11dph-t/dmidecode/psu", {"P1K2ACK07HB0670", "P1K2ACK07HB0669"}),
    ],
)
def test_type_39_fragment_with_space_indent_gives_power_supplies_only(
    corpus_dir: Path, relative: str, serials: set[str]
) -> None:
    result = _parse(corpus_dir, relative)
    assert {c.component_class for c in result.components} == {"PSU"}
    assert {c.serial for c in result.components} == serials
    assert result.asset.vendor == ""
    assert result.asset.serial == ""


def test_type_43_fragment_gives_tpm_firmware(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, "ironlib-fixtures/supermicro/x11dph-t/dmidecode/tpm")
    assert result.asset.firmware == {"TPM": "7.62"}
    assert result.components == []


def test_fragment_without_structures_parses_with_a_warning(corpus_dir: Path) -> None:
    result = _parse(corpus_dir, "ironlib-fixtures/dell/r6515/dmidecode/tpm")
    assert result.components == []
    assert result.warnings == ["dmidecode output holds no DMI structures"]


# -- messy input -------------------------------------------------------------------------------


def test_shell_prompts_around_and_inside_the_capture_change_nothing(corpus_dir: Path) -> None:
    clean = (corpus_dir / R750).read_bytes()
    handle = clean.index(b"Handle 0x0400")
    noisy = b"root@r750:~# dmidecode\n" + clean[:handle] + b"root@r750:~# \n" + clean[handle:] + b"root@r750:~# exit\n"
    assert dmidecode.parse("noisy", noisy).components == dmidecode.parse("clean", clean).components


def test_truncated_capture_keeps_what_was_complete(corpus_dir: Path) -> None:
    data = (corpus_dir / R750).read_bytes()
    cut = data.index(b"Handle 0x1108")  # in the middle of the memory devices
    result = dmidecode.parse("truncated", data[: cut + 60])
    assert result.asset.model == "PowerEdge R750"
    assert 0 < _counts(result)["DIMM"] < 16
    assert "PSU" not in _counts(result)


def test_non_utf8_bytes_are_replaced_and_reported(corpus_dir: Path) -> None:
    data = (corpus_dir / R750).read_bytes().replace(b"Part Number: 36ASF8G72PZ-3G2E1", b"Part Number: 36ASF\xff\xfe", 1)
    result = dmidecode.parse("binary", data)
    assert any("UTF-8" in w for w in result.warnings)
    assert _by_slot(result, "DIMM")["A1"].model == "36ASF\ufffd\ufffd"
    assert _counts(result)["DIMM"] == 16


def test_repeated_locators_are_prefixed_with_their_bank() -> None:
    text = "\n".join(
        f"Handle 0x00{n}0, DMI type 17, 40 bytes\nMemory Device\n\tSize: 8 GB\n\tLocator: DIMM0\n"
        f"\tBank Locator: BANK {n}\n\tManufacturer: Samsung\n\tSerial Number: S{n}\n\tPart Number: M378\n"
        for n in range(2)
    )
    result = dmidecode.parse("banks", text.encode())
    assert [c.slot for c in result.components] == ["BANK 0 DIMM0", "BANK 1 DIMM0"]


@pytest.mark.parametrize("size", ["No Module Installed", "0 MB", "0", "Not Installed"])
def test_empty_dimm_sizes_are_not_components(size: str) -> None:
    text = f"# dmidecode 3.3\n\nHandle 0x1100, DMI type 17, 40 bytes\nMemory Device\n\tSize: {size}\n\tLocator: A1\n"
    result = dmidecode.parse("empty", text.encode())
    assert result.components == []
    assert result.warnings == ["1 DIMM slot(s) empty"]


def test_empty_output_is_an_error() -> None:
    with pytest.raises(ParserError) as caught:
        dmidecode.parse("empty", b"  \n\n")
    assert caught.value.code == "empty_output"


def test_random_text_is_not_dmidecode() -> None:
    with pytest.raises(ParserError) as caught:
        dmidecode.parse("random", b"the quick brown fox\njumps over: the lazy dog\n")
    assert caught.value.code == "not_dmidecode"
    assert dmidecode.sniff("random", b"the quick brown fox\n") is False


# -- robustness --------------------------------------------------------------------------------


def _result_or_code(data: bytes) -> ParseResult | str:
    """The parse result, or the code of the ParserError; any other exception fails the test."""
    try:
        return dmidecode.parse("fuzz", data)
    except ParserError as error:
        return error.code


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_nothing_but_parser_error(data: bytes) -> None:
    assert isinstance(dmidecode.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    assert not isinstance(outcome, str) or outcome in {"empty_output", "not_dmidecode"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=60),
            st.sampled_from(["Handle 0x0001, DMI type 17, 40 bytes", "Memory Device", "\tSize: 8 GB", "\t\tx", ""]),
        ),
        max_size=40,
    )
)
def test_arbitrary_text_with_dmidecode_fragments_raises_nothing_but_parser_error(lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    assert isinstance(dmidecode.sniff("fuzz", data), bool)
    outcome = _result_or_code(data)
    if isinstance(outcome, str):
        assert outcome in {"empty_output", "not_dmidecode"}
    else:
        result = outcome
        assert all(c.component_class in {"CPU", "DIMM", "PSU", "MOTHERBOARD", "OTHER"} for c in result.components)
