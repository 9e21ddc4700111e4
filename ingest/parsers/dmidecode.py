"""Parser for `dmidecode` text output (full dump, `dmidecode -t N` fragments, old and new versions).

dmidecode prints one block per SMBIOS structure:

    Handle 0x1100, DMI type 17, 92 bytes
    Memory Device
    <indent>Size: 64 GB
    <indent>Flags:
    <indent><indent>FPU (Floating-point unit on-chip)

The indent is a tab in dmidecode itself but eight spaces in some captures, so the parser measures
indentation instead of matching tabs. Values are reported raw (trimmed): deciding that "--",
"Not Specified" or "To Be Filled By O.E.M." is not a serial is the ingest layer's job. What this
parser does decide is physical presence: empty DIMM slots, unpopulated CPU sockets and absent
PSU bays are not components.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError, ParseResult
from ingest.parsers.values import decode_text

NAME = "dmidecode"

_HANDLE = re.compile(r"^Handle 0x([0-9A-Fa-f]+), DMI type (\d+), (\d+) bytes")
_SNIFF = re.compile(
    rb"^(?:Handle 0x[0-9A-Fa-f]{4}, DMI type \d+, \d+ bytes|# dmidecode \d|SMBIOS \d+\.\d+(?:\.\d+)? present\.)",
    re.MULTILINE,
)
_SNIFF_WINDOW = 64 * 1024

# Values firmware prints when a field is simply not filled in. Used only where the parser must
# decide something itself (an optional spec, a firmware string, a slot name), never for serials.
_ABSENT = {
    "",
    "not specified",
    "not provided",
    "unknown",
    "none",
    "n/a",
    "to be filled by o.e.m.",
    "default string",
    "not available",
    "<out of spec>",
}
_EMPTY_DIMM_SIZES = {"no module installed", "not installed", "0", "none"}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(bytes|kb|mb|gb|tb)$", re.IGNORECASE)
_SIZE_FACTORS = {"bytes": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
_LEADING_INT = re.compile(r"^(\d+)")
_MAIN_BOARD_TYPES = {"motherboard", "server blade", "system board", "main server board"}


@dataclass
class DmiRecord:
    """One SMBIOS structure as dmidecode printed it."""

    handle: str
    dmi_type: int
    title: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.fields.get(key, "")


def sniff(path: str, data: bytes) -> bool:
    """dmidecode output starts with its banner or with the first "Handle" line of a structure."""
    try:
        return _SNIFF.search(data[:_SNIFF_WINDOW]) is not None
    except Exception:  # sniffing must never break the bundle scan
        return False


def parse(path: str, data: bytes) -> ParseResult:
    text, warnings = decode_text(data)
    if not text.strip():
        raise ParserError("empty_output", f"{path}: dmidecode output is empty")
    records = parse_records(text)
    if not records and not _SNIFF.search(data[:_SNIFF_WINDOW]):
        raise ParserError("not_dmidecode", f"{path}: no dmidecode banner and no DMI structures")

    result = ParseResult(parser=NAME, members=[path], warnings=warnings)
    if not records:
        result.warnings.append("dmidecode output holds no DMI structures")
        return result
    result.asset = _asset(records)
    result.components.extend(_boards(records))
    result.components.extend(_cpus(records, result.warnings))
    result.components.extend(_dimms(records, result.warnings))
    result.components.extend(_psus(records, result.warnings))
    return result


def parse_records(text: str) -> list[DmiRecord]:
    """Split dmidecode text into structures. Lines outside a structure (banners, shell prompts
    pasted into a capture) are ignored; a structure ends at a blank or unindented line."""
    records: list[DmiRecord] = []
    current: DmiRecord | None = None
    base_indent: int | None = None
    last_key = ""
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        match = _HANDLE.match(line)
        if match:
            current = DmiRecord(handle=match.group(1).upper(), dmi_type=int(match.group(2)))
            records.append(current)
            base_indent, last_key = None, ""
            continue
        if current is None:
            continue
        if not line.strip():
            if current.title:
                current = None
            continue
        indent = len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())
        if indent == 0:
            if current.title:
                current = None  # a prompt or banner after the structure, not part of it
            else:
                current.title = line.strip()
            continue
        if base_indent is None:
            base_indent = indent
        if indent > base_indent:
            if last_key:
                current.lists.setdefault(last_key, []).append(line.strip())
            continue
        key, sep, value = line.strip().partition(":")
        if not sep:
            continue
        last_key = key.strip()
        current.fields.setdefault(last_key, value.strip())
    return records


def _present(value: str) -> str:
    """The value, or "" when it only says that nothing was filled in (for specs and firmware)."""
    return "" if value.strip().lower() in _ABSENT else value.strip()


def _first(records: list[DmiRecord], dmi_type: int) -> DmiRecord | None:
    return next((r for r in records if r.dmi_type == dmi_type), None)


def _of_type(records: list[DmiRecord], dmi_type: int) -> list[DmiRecord]:
    return [r for r in records if r.dmi_type == dmi_type]


def _int(value: str) -> int | None:
    match = _LEADING_INT.match(value.strip())
    return int(match.group(1)) if match else None


def size_to_bytes(value: str) -> int | None:
    """ "64 GB" -> 68719476736; None for anything that is not a size."""
    match = _SIZE.match(value.strip())
    if not match:
        return None
    return int(float(match.group(1)) * _SIZE_FACTORS[match.group(2).lower()])


def _asset(records: list[DmiRecord]) -> AssetRecord:
    asset = AssetRecord(source=NAME)
    system = _first(records, 1)
    if system is not None:
        asset.vendor = system.get("Manufacturer")
        asset.model = system.get("Product Name")
        asset.serial = system.get("Serial Number")
        asset.uuid = system.get("UUID")
    chassis = _first(records, 3)
    if chassis is not None:
        asset.asset_tag = chassis.get("Asset Tag")
    bios = _first(records, 0)
    if bios is not None and _present(bios.get("Version")):
        asset.firmware["BIOS"] = bios.get("Version")
    tpm = _first(records, 43)
    if tpm is not None and _present(tpm.get("Firmware Revision")):
        asset.firmware["TPM"] = tpm.get("Firmware Revision")
    return asset


def _boards(records: list[DmiRecord]) -> list[ComponentRecord]:
    """Type 2. The main board is the MOTHERBOARD; blade interconnects, processor and memory
    cards (IBM x3850 has eleven boards) are kept as OTHER so their serials are not lost."""
    boards = _of_type(records, 2)
    components: list[ComponentRecord] = []
    for board in boards:
        board_type = board.get("Type").lower()
        is_main = board_type in _MAIN_BOARD_TYPES or not _present(board_type) or len(boards) == 1
        specs: dict[str, object] = {}
        if _present(board.get("Version")):
            specs["version"] = board.get("Version")
        if board.get("Type"):
            specs["board_type"] = board.get("Type")
        components.append(
            ComponentRecord(
                component_class="MOTHERBOARD" if is_main else "OTHER",
                source=NAME,
                slot="" if is_main else board.get("Product Name"),
                vendor=board.get("Manufacturer"),
                model=board.get("Product Name"),
                serial=board.get("Serial Number"),
                specs=specs,
            )
        )
    return components


def _cpus(records: list[DmiRecord], warnings: list[str]) -> list[ComponentRecord]:
    components: list[ComponentRecord] = []
    empty = 0
    for cpu in _of_type(records, 4):
        status = cpu.get("Status").lower()
        if "unpopulated" in status:
            empty += 1
            continue
        cpu_type = cpu.get("Type")
        if _present(cpu_type) and cpu_type != "Central Processor":
            continue
        specs: dict[str, object] = {}
        for key, spec in (("Core Count", "cores"), ("Thread Count", "threads"), ("Max Speed", "max_speed_mhz")):
            number = _int(cpu.get(key))
            if number:
                specs[spec] = number
        if _present(cpu.get("Family")):
            specs["family"] = cpu.get("Family")
        if _present(cpu.get("Part Number")):
            specs["part_number"] = cpu.get("Part Number")
        components.append(
            ComponentRecord(
                component_class="CPU",
                source=NAME,
                slot=cpu.get("Socket Designation"),
                vendor=cpu.get("Manufacturer"),
                model=cpu.get("Version"),
                serial=cpu.get("Serial Number"),
                specs=specs,
            )
        )
    if empty:
        warnings.append(f"{empty} CPU socket(s) unpopulated")
    return components


def _dimm_is_empty(dimm: DmiRecord) -> bool:
    size = dimm.get("Size").strip().lower()
    if size in _EMPTY_DIMM_SIZES:
        return True
    capacity = size_to_bytes(size)
    return capacity == 0


def _dimm_specs(dimm: DmiRecord) -> dict[str, object]:
    specs: dict[str, object] = {}
    capacity = size_to_bytes(dimm.get("Size"))
    if capacity:
        specs["capacity_bytes"] = capacity
    for key, spec in (("Speed", "speed_mts"), ("Configured Memory Speed", "configured_speed_mts")):
        number = _int(dimm.get(key))
        if number:
            specs[spec] = number
    for key, spec in (
        ("Type", "memory_type"),
        ("Type Detail", "type_detail"),
        ("Form Factor", "form_factor"),
        ("Rank", "rank"),
        ("Part Number", "part_number"),
        ("Bank Locator", "bank_locator"),
    ):
        value = _present(dimm.get(key))
        if value:
            specs[spec] = value
    return specs


def _dimms(records: list[DmiRecord], warnings: list[str]) -> list[ComponentRecord]:
    components: list[ComponentRecord] = []
    empty = 0
    for dimm in _of_type(records, 17):
        if _dimm_is_empty(dimm):
            empty += 1
            continue
        components.append(
            ComponentRecord(
                component_class="DIMM",
                source=NAME,
                slot=dimm.get("Locator"),
                vendor=dimm.get("Manufacturer"),
                model=dimm.get("Part Number"),
                serial=dimm.get("Serial Number"),
                firmware=_present(dimm.get("Firmware Version")),
                specs=_dimm_specs(dimm),
            )
        )
    _disambiguate_slots(components)
    if empty:
        warnings.append(f"{empty} DIMM slot(s) empty")
    return components


def _disambiguate_slots(dimms: list[ComponentRecord]) -> None:
    """Some boards reuse one Locator per bank ("DIMM0" in "BANK 0" and "BANK 1"); the slot must
    still name one place in the server, so the bank locator is prefixed where locators repeat."""
    seen: dict[str, int] = {}
    for dimm in dimms:
        seen[dimm.slot] = seen.get(dimm.slot, 0) + 1
    for dimm in dimms:
        bank = dimm.specs.get("bank_locator")
        if seen[dimm.slot] > 1 and bank:
            dimm.slot = f"{bank} {dimm.slot}".strip()


def _psus(records: list[DmiRecord], warnings: list[str]) -> list[ComponentRecord]:
    supplies = _of_type(records, 39)
    locations = [_present(p.get("Location")) for p in supplies]
    components: list[ComponentRecord] = []
    absent = 0
    for index, psu in enumerate(supplies, start=1):
        status = psu.get("Status")
        if "not present" in status.lower():
            absent += 1
            continue
        location = locations[index - 1]
        # Dell prints "Not Specified" for every bay; the ordinal keeps the slots distinct
        slot = location if location and locations.count(location) == 1 else f"PSU {index}"
        components.append(
            ComponentRecord(
                component_class="PSU",
                source=NAME,
                slot=slot,
                vendor=psu.get("Manufacturer"),
                model=psu.get("Name"),
                serial=psu.get("Serial Number"),
                specs=_psu_specs(psu),
                health=_psu_health(status),
            )
        )
    if absent:
        warnings.append(f"{absent} PSU bay(s) empty")
    return components


def _psu_specs(psu: DmiRecord) -> dict[str, object]:
    specs: dict[str, object] = {}
    watts = _int(psu.get("Max Power Capacity"))
    if watts:
        specs["max_power_w"] = watts
    for key, spec in (("Model Part Number", "part_number"), ("Revision", "revision"), ("Location", "location")):
        value = _present(psu.get(key))
        if value:
            specs[spec] = value
    return specs


def _psu_health(status: str) -> dict[str, object]:
    """ "Present, Critical" -> {"status": "Critical"}; dmidecode's "Unknown" says nothing."""
    _, _, state = status.partition(",")
    state = state.strip()
    return {"status": state} if _present(state) else {}
