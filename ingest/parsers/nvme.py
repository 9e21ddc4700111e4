"""nvme-cli JSON: `nvme list -o json` and `nvme smart-log -o json`.

`nvme list` comes in two shapes. nvme-cli 1.x prints one flat entry per namespace under
"Devices" (DevicePath, ModelNumber, SerialNumber, Firmware, PhysicalSize...). nvme-cli 2.x
nests Devices -> Subsystems -> Controllers -> Namespaces. Both give one NVME component per drive:
namespaces of one drive share its serial and are folded into it (capacity_bytes is the sum of
their sizes), and the controllers of a dual-port drive share one subsystem and one serial.

`nvme smart-log` carries health only (no serial, no model, no device path), so it cannot be tied
to a drive from its content. parse() returns NO component for it, only a warning that quotes the
health figures (temperature converted from Kelvin), rather than inventing an anonymous drive that
would double-count the real one seen through `nvme list` or smartctl.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.parsers.base import ComponentRecord, ParserError, ParseResult
from ingest.parsers.values import as_dict, as_int, as_list, as_raw, as_text

NAME = "nvme"

_SNIFF_WINDOW = 65536
_KELVIN_OFFSET = 273


def sniff(path: str, data: bytes) -> bool:
    """True for `nvme list -o json` and `nvme smart-log -o json` output."""
    try:
        head = data[:_SNIFF_WINDOW]
        if not head.lstrip().startswith(b"{") or b'"smartctl"' in head:
            return False
        is_list = b'"Devices"' in head and (b'"ModelNumber"' in head or b'"Subsystems"' in head)
        is_smart_log = b'"critical_warning"' in head and (b'"percent_used"' in head or b'"percentage_used"' in head)
        return is_list or is_smart_log
    except Exception:
        return False


def parse(path: str, data: bytes) -> ParseResult:
    if not data.strip():
        raise ParserError("empty_output", f"{path}: nvme output is empty")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ParserError("malformed_json", f"{path}: nvme JSON does not parse: {exc}") from None
    if not isinstance(doc, dict):
        raise ParserError("not_nvme", f"{path}: nvme JSON must be an object")
    if "Devices" in doc:
        return _parse_list(path, doc)
    if "critical_warning" in doc:
        return _parse_smart_log(path, doc)
    raise ParserError("not_nvme", f"{path}: neither `nvme list` nor `nvme smart-log` JSON")


# --- nvme list -------------------------------------------------------------------------------


def _parse_list(path: str, doc: dict[str, Any]) -> ParseResult:
    devices = doc.get("Devices")
    if not isinstance(devices, list):
        raise ParserError("not_nvme", f"{path}: 'Devices' is not a list")
    result = ParseResult(parser=NAME, members=[path])
    by_serial: dict[str, ComponentRecord] = {}
    for device in devices:
        entry = as_dict(device)
        subsystems = as_list(entry.get("Subsystems"))
        drives = [d for s in subsystems for d in _subsystem_drives(as_dict(s))] if subsystems else [_flat_drive(entry)]
        for drive in drives:
            _add_drive(result, by_serial, drive)
    if not result.components and not result.warnings:
        result.warnings.append(f"{path}: nvme list reports no devices")
    return result


def _flat_drive(entry: dict[str, Any]) -> ComponentRecord:
    """nvme-cli 1.x (and 2.x non-verbose): one entry per namespace."""
    drive = ComponentRecord(
        component_class="NVME",
        source=NAME,
        slot=as_text(entry.get("DevicePath")),
        model=as_text(entry.get("ModelNumber")),
        serial=as_raw(entry.get("SerialNumber")),
        firmware=as_text(entry.get("Firmware")),
        specs={"interface": "NVMe"},
    )
    size = as_int(entry.get("PhysicalSize"))
    if size:
        drive.specs["capacity_bytes"] = size
    return drive


def _subsystem_drives(subsystem: dict[str, Any]) -> list[ComponentRecord]:
    """nvme-cli 2.x verbose: controllers of one subsystem; namespaces may sit on either level."""
    shared = _namespace_bytes(as_list(subsystem.get("Namespaces")))
    drives: list[ComponentRecord] = []
    serials: set[str] = set()
    for raw_controller in as_list(subsystem.get("Controllers")):
        controller = as_dict(raw_controller)
        serial = as_raw(controller.get("SerialNumber"))
        if serial.strip() and serial.strip() in serials:
            continue  # second port of a dual-port drive: same part, same namespaces
        serials.add(serial.strip())
        drive = ComponentRecord(
            component_class="NVME",
            source=NAME,
            slot=_controller_slot(controller),
            model=as_text(controller.get("ModelNumber")),
            serial=serial,
            firmware=as_text(controller.get("Firmware")),
            specs={"interface": "NVMe"},
        )
        size = shared + _namespace_bytes(as_list(controller.get("Namespaces")))
        if size:
            drive.specs["capacity_bytes"] = size
        address = as_text(controller.get("Address"))
        if address:
            drive.specs["pci_address"] = address
        drives.append(drive)
    return drives


def _controller_slot(controller: dict[str, Any]) -> str:
    name = as_text(controller.get("Controller"))
    return f"/dev/{name}" if name and not name.startswith("/") else name


def _namespace_bytes(namespaces: list[Any]) -> int:
    return sum(as_int(as_dict(ns).get("PhysicalSize")) or 0 for ns in namespaces)


def _add_drive(result: ParseResult, by_serial: dict[str, ComponentRecord], drive: ComponentRecord) -> None:
    key = drive.serial.strip()
    if not key:
        result.warnings.append(f"{drive.slot or 'an NVMe device'}: no serial number reported")
        result.components.append(drive)
        return
    seen = by_serial.get(key)
    if seen is None:
        by_serial[key] = drive
        result.components.append(drive)
        return
    # Another namespace (or controller) of a drive already listed: one part, more capacity.
    extra = drive.specs.get("capacity_bytes", 0)
    if extra and seen.slot != drive.slot:
        seen.specs["capacity_bytes"] = seen.specs.get("capacity_bytes", 0) + extra


# --- nvme smart-log --------------------------------------------------------------------------


def _parse_smart_log(path: str, doc: dict[str, Any]) -> ParseResult:
    health = smart_log_health(doc)
    figures = ", ".join(f"{k}={v}" for k, v in sorted(health.items())) or "no figures"
    result = ParseResult(parser=NAME, members=[path])
    result.warnings.append(
        f"{path}: nvme smart-log names no device (no serial); health not attached to a component: {figures}"
    )
    return result


def smart_log_health(doc: dict[str, Any]) -> dict[str, Any]:
    """Health figures of one smart-log document, in the ComponentRecord.health vocabulary."""
    health: dict[str, Any] = {}
    kelvin = as_int(doc.get("temperature"))
    if kelvin:  # smart-log reports the composite temperature in Kelvin
        health["temperature_c"] = kelvin - _KELVIN_OFFSET
    used = as_int(doc.get("percent_used"))
    if used is None:
        used = as_int(doc.get("percentage_used"))
    if used is not None:
        health["percentage_used"] = used
    for key in ("power_on_hours", "media_errors"):
        value = as_int(doc.get(key))
        if value is not None:
            health[key] = value
    warning = as_int(doc.get("critical_warning"))
    if warning is not None:
        health["smart_passed"] = warning == 0
    return health
