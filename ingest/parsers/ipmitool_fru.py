"""Parser for `ipmitool fru print`.

The output is one block per FRU device:

    FRU Device Description : Builtin FRU Device (ID 0)
     Board Mfg             : Quanta
     Board Serial          : QTF3EV41400432
     Product Serial        : QTFCEV4120280

Blocks that read "Device not present" are empty bays and slots. Which block describes the server
depends on the BMC: usually the builtin FRU (ID 0), but on Sun/Oracle ILOM the builtin FRU is the
service processor itself and the server is "/SYS". Components come from the block names that BMCs
use for them (PSn, MB/Pn/Dn, MB/NETn, ...). A "Product Serial" shaped like a MAC address (ILOM
reports them for NICs and for the SP) is a MAC, not a part serial, and goes to specs["mac"].
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError, ParseResult
from ingest.parsers.values import decode_text

NAME = "ipmitool_fru"

_HEADER = re.compile(r"^FRU Device Description\s*:\s*(.*?)\s*(?:\(ID\s*(\d+)\))?\s*$")
_FIELD = re.compile(r"^\s+([A-Za-z][A-Za-z0-9 /#._-]*?)\s*:\s?(.*)$")
_SNIFF = re.compile(rb"^FRU Device Description\s*:", re.MULTILINE)
_SNIFF_WINDOW = 64 * 1024
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
_CAPACITY = re.compile(r"\b(\d+)\s*(GB|MB|TB)\b", re.IGNORECASE)
_CAPACITY_FACTORS = {"MB": 1024**2, "GB": 1024**3, "TB": 1024**4}

_SYSTEM_NAMES = re.compile(r"^/?(SYS|SYSTEM)$", re.IGNORECASE)
_BOARD_NAMES = re.compile(r"^/?(MB|MOTHERBOARD|MAINBOARD|BASEBOARD|BASE BOARD|SYSTEM BOARD)$", re.IGNORECASE)
_SP_PRODUCT = re.compile(r"\b(ILOM|SP|BMC|IDRAC|ILO|IMM|XCC)\b", re.IGNORECASE)
_PSU_NAME = re.compile(
    r"(^|[/ _])(PSU?\s*\d+|PSU|POWER\s*SUPPLY(\s*\d+)?|PWR\s*SUPPLY|PWS\s*\d*)($|[/ _:])", re.IGNORECASE
)
_DIMM_NAME = re.compile(r"(^|/)D\d+$|DIMM", re.IGNORECASE)
_CPU_NAME = re.compile(r"(^|/)(P|CPU|PROC)\s*\d+$", re.IGNORECASE)
_NIC_NAME = re.compile(r"(^|/)(NET|NIC|ETH)\s*\d+$", re.IGNORECASE)
_BIOS_NAME = re.compile(r"(^|/)BIOS$", re.IGNORECASE)


@dataclass
class FruBlock:
    """One "FRU Device Description" block; repeated keys ("Board Extra") keep every value."""

    name: str
    fru_id: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    not_present: bool = False

    def get(self, key: str) -> str:
        values = self.fields.get(key)
        return values[0] if values else ""

    @property
    def is_builtin(self) -> bool:
        return self.fru_id == "0" or self.name.lower().startswith("builtin fru")


def sniff(path: str, data: bytes) -> bool:
    try:
        return _SNIFF.search(data[:_SNIFF_WINDOW]) is not None
    except Exception:  # sniffing must never break the bundle scan
        return False


def parse(path: str, data: bytes) -> ParseResult:
    text, warnings = decode_text(data)
    if not text.strip():
        raise ParserError("empty_output", f"{path}: ipmitool fru output is empty")
    blocks = parse_blocks(text)
    if not blocks:
        raise ParserError("not_ipmitool_fru", f"{path}: no 'FRU Device Description' blocks found")
    result = ParseResult(parser=NAME, members=[path], warnings=warnings)
    present = [b for b in blocks if not b.not_present and b.fields]
    absent = len(blocks) - len(present)
    if absent:
        result.warnings.append(f"{absent} FRU device(s) not present or empty")
    system = _system_block(present)
    result.asset = _asset(system, present)
    result.components.extend(_components(present, system))
    return result


def parse_blocks(text: str) -> list[FruBlock]:
    """Blocks in output order. Lines that are neither a header nor an indented "Key : value"
    (shell prompts, ipmitool errors, binary noise) are ignored."""
    blocks: list[FruBlock] = []
    current: FruBlock | None = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = FruBlock(name=header.group(1), fru_id=header.group(2) or "")
            blocks.append(current)
            continue
        if current is None:
            continue
        if "device not present" in line.lower():
            current.not_present = True
            continue
        match = _FIELD.match(line)
        if match:
            current.fields.setdefault(match.group(1).strip(), []).append(match.group(2).strip())
    return blocks


def _system_block(blocks: list[FruBlock]) -> FruBlock | None:
    """The block describing the server: "/SYS" where the BMC has one, else the builtin FRU
    unless that is the service processor describing itself."""
    named = next((b for b in blocks if _SYSTEM_NAMES.match(b.name)), None)
    if named is not None:
        return named
    builtin = next((b for b in blocks if b.is_builtin), None)
    if builtin is not None and not _is_service_processor(builtin):
        return builtin
    return None


def _is_service_processor(block: FruBlock) -> bool:
    return block.is_builtin and bool(_SP_PRODUCT.search(block.get("Product Name")))


def _asset(system: FruBlock | None, blocks: list[FruBlock]) -> AssetRecord:
    asset = AssetRecord(source=NAME)
    if system is not None:
        asset.vendor = system.get("Product Manufacturer") or system.get("Board Mfg")
        asset.model = system.get("Product Name")
        # Chassis Serial is the fallback: some BMCs fill only the chassis area
        asset.serial = system.get("Product Serial") or system.get("Chassis Serial")
        asset.asset_tag = system.get("Product Asset Tag")
    bios = next((b for b in blocks if _BIOS_NAME.search(b.name)), None)
    if bios is not None and bios.get("Product Version"):
        asset.firmware["BIOS"] = bios.get("Product Version")
    return asset


def _serial_and_mac(serial: str) -> tuple[str, str]:
    return ("", serial) if _MAC.match(serial) else (serial, "")


def _record(block: FruBlock, component_class: str, prefer_board: bool = False) -> ComponentRecord:
    """A component from whichever FRU area (product or board) the BMC filled in."""
    product = (block.get("Product Manufacturer"), block.get("Product Name"), block.get("Product Serial"))
    board = (block.get("Board Mfg"), block.get("Board Product"), block.get("Board Serial"))
    first, second = (board, product) if prefer_board else (product, board)
    vendor = first[0] or second[0]
    model = first[1] or second[1]
    serial, mac = _serial_and_mac(first[2] or second[2])
    # ILOM NIC FRUs carry the board's base MAC as serial and the port's own MAC as an extra
    port_mac = next((extra for extra in block.fields.get("Product Extra", []) if _MAC.match(extra)), "")
    mac = port_mac or mac
    part_number = (
        block.get("Board Part Number") or block.get("Product Part Number")
        if prefer_board
        else block.get("Product Part Number") or block.get("Board Part Number")
    )
    specs: dict[str, object] = {"fru_name": block.name}
    for key, value in (
        ("part_number", part_number),
        ("revision", block.get("Product Version")),
        ("mac", mac),
    ):
        if value:
            specs[key] = value
    return ComponentRecord(
        component_class=component_class,
        source=NAME,
        slot=block.name,
        vendor=vendor,
        model=model,
        serial=serial,
        specs=specs,
    )


def _classify(block: FruBlock) -> str | None:
    """The component class a FRU block name stands for, or None for blocks that are not parts
    tracked on their own (CPLD, UUID holders, front panels, BIOS)."""
    name = block.name
    if _is_service_processor(block):
        return "BMC"
    if _PSU_NAME.search(name):
        return "PSU"
    if _BOARD_NAMES.match(name):
        return "MOTHERBOARD"
    if _CPU_NAME.search(name):
        return "CPU"
    if _DIMM_NAME.search(name):
        return "DIMM"
    if _NIC_NAME.search(name) and not name.upper().startswith("SP/"):
        return "NIC"  # SP/NETn are the service processor's own ports
    return None


def _components(blocks: list[FruBlock], system: FruBlock | None) -> list[ComponentRecord]:
    components: list[ComponentRecord] = []
    system_serials = _serials(system) if system is not None else set()
    for block in blocks:
        component_class = _classify(block)
        if component_class is None and block is not system and _is_other_part(block, system_serials):
            component_class = "OTHER"
        if component_class is None:
            continue
        record = _record(block, component_class, prefer_board=component_class in ("MOTHERBOARD", "PSU", "OTHER"))
        if component_class == "DIMM":
            _dimm_details(block, record)
        components.append(record)
    if system is not None and not any(c.component_class == "MOTHERBOARD" for c in components):
        board = _board_of_system(system)
        if board is not None:
            components.append(board)
    return components


def _serials(block: FruBlock) -> set[str]:
    return {v for v in (block.get("Board Serial"), block.get("Product Serial")) if v}


def _is_other_part(block: FruBlock, system_serials: set[str]) -> bool:
    """Risers, backplanes, fan boards and the like: tracked as OTHER when they carry a serial of
    their own. A block repeating the system's serials (Quanta's "AST2300") is a copy, not a part."""
    serials = {s for s in _serials(block) if not _MAC.match(s)}
    return bool(serials) and not serials <= system_serials


def _dimm_details(block: FruBlock, record: ComponentRecord) -> None:
    """DIMM FRUs name the module ("4GB DDR3 SDRAM 666"); the part number is the model, as in
    dmidecode, and the name gives the capacity."""
    name = record.model
    part_number = block.get("Product Part Number")
    if part_number:
        record.model = part_number
        record.specs["description"] = name
    capacity = _CAPACITY.search(name)
    if capacity:
        record.specs["capacity_bytes"] = int(capacity.group(1)) * _CAPACITY_FACTORS[capacity.group(2).upper()]


def _board_of_system(system: FruBlock) -> ComponentRecord | None:
    """Without a dedicated board FRU, the board area of the system FRU is the motherboard."""
    if not (system.get("Board Serial") or system.get("Board Product")):
        return None
    record = _record(system, "MOTHERBOARD", prefer_board=True)
    # the product area belongs to the server, not to the board
    record.vendor = system.get("Board Mfg")
    record.model = system.get("Board Product")
    record.serial = system.get("Board Serial")
    record.specs["part_number"] = system.get("Board Part Number")
    record.specs = {k: v for k, v in record.specs.items() if v and k != "revision"}
    return record
