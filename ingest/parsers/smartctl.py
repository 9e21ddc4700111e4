"""smartctl output: `smartctl --json -a` (smartmontools >= 7.0) and the older text `smartctl -a`.

One JSON document describes one device (ATA/SAT, SCSI/SAS, NVMe, or a disk behind a MegaRAID
controller addressed as `-d megaraid,N`). The text form may hold several devices one after the
other (collectors often concatenate `smartctl -a` runs); every "smartctl X.Y" banner starts one.

What comes out is one drive component per device with raw identity (model, serial, firmware),
specs (capacity_bytes, interface, rotation_rpm, form_factor) and health (smart_passed,
power_on_hours, temperature_c, reallocated_sectors; NVMe media_errors and percentage_used).
`smartctl --scan` output lists devices but describes none: sniff() rejects it and parse() returns
an empty result with a warning.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from ingest.parsers.base import ComponentRecord, ParserError, ParseResult
from ingest.parsers.values import as_dict, as_int, as_list, as_raw, as_text

NAME = "smartctl"

_SNIFF_WINDOW = 65536

# smartctl's exit status is a bit mask (smartctl(8), "RETURN VALUES").
_EXIT_BAD_COMMAND_LINE = 1 << 0
_EXIT_OPEN_FAILED = 1 << 1
_EXIT_BITS_WARNINGS: tuple[tuple[int, str], ...] = (
    (1 << 2, "some SMART or other ATA command to the disk failed, or a checksum error occurred"),
    (1 << 3, "SMART status check returned DISK FAILING"),
    (1 << 4, "prefail attributes are at or below threshold"),
    (1 << 5, "some usage/prefail attributes were at or below threshold in the past"),
    (1 << 6, "the device error log contains records of errors"),
    (1 << 7, "the device self-test log contains records of errors"),
)

# A RAID controller's logical drive answers smartctl like a disk; it is not a physical part.
_LOGICAL_VOLUME = re.compile(r"raid\s*\d*\s*volume|logical\s+volume|virtual\s+disk|^perc\b", re.IGNORECASE)

_ATA_REALLOCATED = 5
_ATA_POWER_ON_HOURS = 9

_TEXT_BANNER = re.compile(rb"^smartctl \d+\.\d+", re.MULTILINE)
_TEXT_INFO = b"=== START OF INFORMATION SECTION ==="
_TEXT_DEVICE_HEADER = re.compile(r"^#{3,}\s*(/dev/\S+)(?:\s+(\S+))?\s*$")


def sniff(path: str, data: bytes) -> bool:
    """True for smartctl JSON describing a device, or for smartctl text with an information section."""
    try:
        head = data[:_SNIFF_WINDOW]
        stripped = head.lstrip()
        if stripped.startswith(b"{"):
            if b'"devices"' in head and b'"device"' not in head:
                return False  # --scan lists devices; no device is described
            return b'"smartctl"' in head or (b'"device"' in head and b'"protocol"' in head)
        return bool(_TEXT_BANNER.search(head)) and _TEXT_INFO in head
    except Exception:
        return False


def parse(path: str, data: bytes) -> ParseResult:
    if not data.strip():
        raise ParserError("empty_output", f"{path}: smartctl output is empty")
    if data.lstrip().startswith(b"{"):
        return _parse_json(path, data)
    if _TEXT_BANNER.search(data) or _TEXT_INFO in data:
        return _parse_text(path, data)
    raise ParserError("not_smartctl", f"{path}: neither smartctl JSON nor smartctl text output")


# --- JSON ------------------------------------------------------------------------------------


def _parse_json(path: str, data: bytes) -> ParseResult:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ParserError("malformed_json", f"{path}: smartctl JSON does not parse: {exc}") from None
    if not isinstance(doc, dict):
        raise ParserError("not_smartctl", f"{path}: smartctl JSON must be an object")
    smartctl = as_dict(doc.get("smartctl"))
    if not smartctl and not isinstance(doc.get("device"), dict):
        raise ParserError("not_smartctl", f"{path}: no 'smartctl' or 'device' object")

    result = ParseResult(parser=NAME, members=[path])
    result.collected_at = _time_t(as_dict(doc.get("local_time")).get("time_t"))
    messages = _messages(smartctl)
    exit_status = as_int(smartctl.get("exit_status"))
    if exit_status is not None and exit_status & (_EXIT_BAD_COMMAND_LINE | _EXIT_OPEN_FAILED):
        # Bits 0 and 1 mean smartctl never talked to the device: whatever else the file holds
        # is not a reading of this drive.
        detail = "; ".join(messages) or "command line did not parse or the device could not be opened"
        raise ParserError("smartctl_error", f"{path}: smartctl exit status {exit_status}: {detail}")

    if "devices" in doc and "device" not in doc:
        result.warnings.append(f"{path}: smartctl --scan output lists devices but describes none")
        return result

    version = doc.get("json_format_version")
    if isinstance(version, list) and version and version[0] != 1:
        result.warnings.append(f"{path}: unexpected smartctl json_format_version {version}")
    for bit, meaning in _EXIT_BITS_WARNINGS:
        if exit_status is not None and exit_status & bit:
            result.warnings.append(f"{path}: smartctl exit status {exit_status}: {meaning}")
    result.warnings.extend(f"{path}: smartctl: {m}" for m in messages)

    component = _json_component(doc)
    if not (component.model or component.serial.strip()):
        raise ParserError("no_device_identity", f"{path}: smartctl output names no model or serial number")
    if _LOGICAL_VOLUME.search(component.model):
        result.warnings.append(f"{path}: {component.model!r} is a RAID logical volume, not a physical drive")
        return result
    if component.component_class == "HDD" and "rotation_rpm" not in component.specs:
        result.warnings.append(f"{path}: {component.model!r}: no rotation rate reported, classed HDD")
    result.components.append(component)
    return result


def _json_component(doc: dict[str, Any]) -> ComponentRecord:
    device = as_dict(doc.get("device"))
    protocol = as_text(device.get("protocol"))
    model = as_text(doc.get("model_name")) or as_text(doc.get("scsi_model_name"))
    if not model:
        model = " ".join(p for p in (as_text(doc.get("scsi_vendor")), as_text(doc.get("scsi_product"))) if p)
    vendor = as_text(doc.get("scsi_vendor")) or as_text(doc.get("vendor"))
    firmware = as_text(doc.get("firmware_version")) or as_text(doc.get("scsi_revision")) or as_text(doc.get("revision"))
    rotation = as_int(doc.get("rotation_rate"))
    component = ComponentRecord(
        component_class=_drive_class(protocol, rotation),
        source=NAME,
        slot=_slot(device),
        vendor=vendor,
        model=model,
        serial=as_raw(doc.get("serial_number")),
        firmware=firmware,
    )
    capacity = as_int(as_dict(doc.get("user_capacity")).get("bytes"))
    if capacity is None:
        capacity = as_int(doc.get("nvme_total_capacity"))
    if capacity:
        component.specs["capacity_bytes"] = capacity
    interface = _interface(doc, protocol)
    if interface:
        component.specs["interface"] = interface
    if rotation:
        component.specs["rotation_rpm"] = rotation
    form_factor = as_text(as_dict(doc.get("form_factor")).get("name"))
    if form_factor:
        component.specs["form_factor"] = form_factor
    component.health = _json_health(doc)
    return component


def _json_health(doc: dict[str, Any]) -> dict[str, Any]:
    health: dict[str, Any] = {}
    passed = as_dict(doc.get("smart_status")).get("passed")
    if isinstance(passed, bool):
        health["smart_passed"] = passed
    hours = as_int(as_dict(doc.get("power_on_time")).get("hours"))
    temperature = as_int(as_dict(doc.get("temperature")).get("current"))
    nvme = as_dict(doc.get("nvme_smart_health_information_log"))
    if nvme:
        hours = hours if hours is not None else as_int(nvme.get("power_on_hours"))
        temperature = temperature if temperature is not None else as_int(nvme.get("temperature"))
        for key in ("media_errors", "percentage_used"):
            value = as_int(nvme.get(key))
            if value is not None:
                health[key] = value
    if hours is not None:
        health["power_on_hours"] = hours
    if temperature:  # smartctl prints 0 when the drive does not report a temperature
        health["temperature_c"] = temperature
    for attribute in as_list(as_dict(doc.get("ata_smart_attributes")).get("table")):
        attr = as_dict(attribute)
        if as_int(attr.get("id")) == _ATA_REALLOCATED:
            value = as_int(as_dict(attr.get("raw")).get("value"))
            if value is not None:
                health["reallocated_sectors"] = value
    if "reallocated_sectors" not in health:
        grown = as_int(doc.get("scsi_grown_defect_list"))
        if grown is not None:
            health["reallocated_sectors"] = grown
    return health


def _slot(device: dict[str, Any]) -> str:
    name = as_text(device.get("name"))
    match = re.search(r"megaraid,(\d+)", as_text(device.get("type")))
    # Every disk behind one MegaRAID controller shares the block device name; N tells them apart.
    return f"{name} megaraid,{match.group(1)}" if match else name


def _interface(doc: dict[str, Any], protocol: str) -> str:
    if protocol == "NVMe":
        return "NVMe"
    if protocol == "SCSI":
        transport = as_text(as_dict(doc.get("scsi_transport_protocol")).get("name"))
        return "SAS" if transport.upper().startswith("SAS") else "SCSI"
    if protocol == "ATA":
        return (
            "SATA"
            if doc.get("sata_version") or as_text(as_dict(doc.get("device")).get("type")).startswith("sat")
            else "ATA"
        )
    return protocol


def _drive_class(protocol: str, rotation: int | None) -> str:
    if protocol.upper() == "NVME":
        return "NVME"
    return "SSD" if rotation == 0 else "HDD"


def _messages(smartctl: dict[str, Any]) -> list[str]:
    return [
        as_text(as_dict(m).get("string"))
        for m in as_list(smartctl.get("messages"))
        if as_text(as_dict(m).get("string"))
    ]


def _time_t(value: Any) -> datetime | None:
    seconds = as_int(value)
    if seconds is None or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --- text ------------------------------------------------------------------------------------

_TEXT_FIELDS = {
    "device model": "model",
    "model number": "nvme_model",
    "product": "product",
    "vendor": "vendor",
    "serial number": "serial",
    "firmware version": "firmware",
    "revision": "firmware",
    "user capacity": "capacity",
    "total nvm capacity": "capacity",
    "rotation rate": "rotation",
    "form factor": "form_factor",
    "transport protocol": "transport",
    "sata version is": "sata",
    "smart overall-health self-assessment test result": "health",
    "smart health status": "health",
    "power on hours": "power_on_hours",
    "temperature": "temperature",
    "current drive temperature": "temperature",
    "media and data integrity errors": "media_errors",
    "percentage used": "percentage_used",
    "elements in grown defect list": "grown_defects",
}


def _parse_text(path: str, data: bytes) -> ParseResult:
    text = data.decode("utf-8", errors="replace")
    result = ParseResult(parser=NAME, members=[path])
    sections = _text_sections(text)
    if not sections:
        raise ParserError("not_smartctl", f"{path}: no smartctl device section found")
    for index, (device_name, body) in enumerate(sections, start=1):
        component = _text_component(device_name, body)
        label = device_name or f"section {index}"
        if component is None:
            result.warnings.append(f"{path}: {label}: smartctl section names no model or serial number")
        elif _LOGICAL_VOLUME.search(component.model):
            result.warnings.append(f"{path}: {label}: {component.model!r} is a RAID logical volume")
        else:
            if component.component_class == "HDD" and "rotation_rpm" not in component.specs:
                result.warnings.append(f"{path}: {label}: no rotation rate reported, classed HDD")
            result.components.append(component)
    if not result.components and not result.warnings:
        raise ParserError("no_device_identity", f"{path}: smartctl text names no device")
    return result


def _text_sections(text: str) -> list[tuple[str, str]]:
    """Split on smartctl banners; a preceding "####/dev/sda megaraid,9" line names the device."""
    sections: list[tuple[str, list[str]]] = []
    pending_name = ""
    for line in text.splitlines():
        header = _TEXT_DEVICE_HEADER.match(line)
        if header:
            pending_name = " ".join(p for p in header.groups() if p)
            continue
        if re.match(r"^smartctl \d+\.\d+", line):
            sections.append((pending_name, []))
            pending_name = ""
            continue
        if sections:
            sections[-1][1].append(line)
    if not sections and _TEXT_INFO.decode() in text:
        sections.append(("", text.splitlines()))
    return [(name, "\n".join(lines)) for name, lines in sections]


def _text_component(device_name: str, body: str) -> ComponentRecord | None:
    fields: dict[str, str] = {}
    for line in body.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        name = _TEXT_FIELDS.get(key.strip().lower())
        if name and name not in fields:
            fields[name] = value.strip()
    model = (
        fields.get("model")
        or fields.get("nvme_model")
        or " ".join(p for p in (fields.get("vendor", ""), fields.get("product", "")) if p)
    )
    serial = fields.get("serial", "")
    if not (model or serial):
        return None
    rotation = _text_rotation(fields.get("rotation", ""))
    # Only NVMe devices print "Model Number:"; ATA prints "Device Model:", SCSI "Product:".
    is_nvme = "nvme_model" in fields
    component = ComponentRecord(
        component_class="NVME" if is_nvme else _drive_class("", rotation),
        source=NAME,
        slot=device_name,
        vendor=fields.get("vendor", ""),
        model=model,
        serial=serial,
        firmware=fields.get("firmware", ""),
    )
    # "200,049,647,616 bytes [200 GB]" (ATA/SCSI) or "500,107,862,016 [500 GB]" (NVMe)
    capacity = _text_int((fields.get("capacity", "").split() or [""])[0])
    if capacity:
        component.specs["capacity_bytes"] = capacity
    if rotation:
        component.specs["rotation_rpm"] = rotation
    if fields.get("form_factor"):
        component.specs["form_factor"] = fields["form_factor"]
    interface = _text_interface(fields, is_nvme)
    if interface:
        component.specs["interface"] = interface
    component.health = _text_health(fields, body)
    return component


def _text_interface(fields: dict[str, str], is_nvme: bool) -> str:
    if is_nvme:
        return "NVMe"
    if fields.get("transport", "").upper().startswith("SAS"):
        return "SAS"
    if fields.get("sata"):
        return "SATA"
    return ""


def _text_health(fields: dict[str, str], body: str) -> dict[str, Any]:
    health: dict[str, Any] = {}
    verdict = fields.get("health", "").upper()
    if verdict:
        health["smart_passed"] = verdict.startswith(("PASSED", "OK"))
    for key in ("power_on_hours", "media_errors", "percentage_used"):
        value = _text_int(fields.get(key, ""))
        if value is not None:
            health[key] = value
    temperature = _text_int(fields.get("temperature", "").split()[0] if fields.get("temperature") else "")
    attributes = _text_attributes(body)
    if _ATA_REALLOCATED in attributes:
        health["reallocated_sectors"] = attributes[_ATA_REALLOCATED]
    elif fields.get("grown_defects") and _text_int(fields["grown_defects"]) is not None:
        health["reallocated_sectors"] = _text_int(fields["grown_defects"])
    if _ATA_POWER_ON_HOURS in attributes and "power_on_hours" not in health:
        health["power_on_hours"] = attributes[_ATA_POWER_ON_HOURS]
    hours = re.search(r"Accumulated power on time, hours:minutes\s+(\d+):\d+", body)
    if hours and "power_on_hours" not in health:
        health["power_on_hours"] = int(hours.group(1))
    if temperature is None and 194 in attributes:
        temperature = attributes[194]
    if temperature:
        health["temperature_c"] = temperature
    return health


_ATTRIBUTE_ROW = re.compile(r"^\s*(\d{1,3})\s+\S+\s+0x[0-9a-fA-F]{4}\s+(?:\S+\s+){6}(\d+)")


def _text_attributes(body: str) -> dict[int, int]:
    """ATA attribute table: ID -> leading integer of RAW_VALUE ("40 (Min/Max 25/47)" -> 40)."""
    attributes: dict[int, int] = {}
    for line in body.splitlines():
        match = _ATTRIBUTE_ROW.match(line)
        if match:
            attributes.setdefault(int(match.group(1)), int(match.group(2)))
    return attributes


def _text_rotation(value: str) -> int | None:
    if not value:
        return None
    if "solid state" in value.lower():
        return 0
    return _text_int(value.split()[0])


def _text_int(value: str) -> int | None:
    digits = value.strip().replace(",", "").replace(".", "").replace("\u00a0", "").rstrip("%")
    return int(digits) if digits.isdigit() else None
