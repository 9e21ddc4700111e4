"""Parser for `lspci -vmm` (machine-readable) output, with or without `-nn`, `-k` and `-D`.

Each device is a block of "Key:<TAB>Value" lines separated by blank lines:

    Slot:	0000:41:00.0
    Class:	Ethernet controller [0200]
    Vendor:	Intel Corporation [8086]
    Device:	Ethernet Controller XXV710 for 25GbE SFP28 [158b]

`lspci -vm` (one m) names the address "Device:" too, so the first "Device:" holding a PCI address
is read as the slot. lspci knows no serial numbers: records keep serial "" and the PCI address as
their slot; the ingest layer binds them to (asset, slot) as anonymous observations.
"""

from __future__ import annotations

import re

from ingest.parsers.base import ComponentRecord, ParserError, ParseResult
from ingest.parsers.values import decode_text

NAME = "lspci"

_ADDRESS = re.compile(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")
_SNIFF = re.compile(
    rb"^(?:Slot|Device):[ \t]+(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7][ \t]*\r?\n"
    rb"(?:[A-Za-z]+:[^\n]*\n){0,3}?Class:",
    re.MULTILINE,
)
_SNIFF_WINDOW = 64 * 1024
# "-nn" appends numeric ids: "Intel Corporation [8086]", "Ethernet controller [0200]"
_NUMERIC_ID = re.compile(r"^(.*?)\s*\[([0-9a-fA-F]{4,6})\]$")

_NIC_CLASSES = {"ethernet controller", "network controller", "infiniband controller", "fabric controller"}
_GPU_CLASSES = {"vga compatible controller", "3d controller", "display controller"}
_RAID_CLASSES = {"raid bus controller", "serial attached scsi controller"}
_NVME_CLASSES = {"non-volatile memory controller"}

# Display functions from these vendors are add-in accelerators; the ASPEED/Matrox VGA behind a
# BMC and integrated graphics are part of the board, not a part anyone replaces.
_DISCRETE_GPU_VENDOR = re.compile(r"nvidia|\bati\b|amd/ati|advanced micro devices.*\[amd/ati\]|habana|moore threads")
_ONBOARD_VGA_VENDOR = re.compile(r"aspeed|matrox|nuvoton|emulex|renesas|hisilicon|xgi|silicon motion")
_CHIPSET = re.compile(r"chipset|\bPCH\b", re.IGNORECASE)


def sniff(path: str, data: bytes) -> bool:
    """A PCI address on a "Slot:" line followed closely by "Class:"."""
    try:
        return _SNIFF.search(data[:_SNIFF_WINDOW]) is not None
    except Exception:  # sniffing must never break the bundle scan
        return False


def parse(path: str, data: bytes) -> ParseResult:
    text, warnings = decode_text(data)
    if not text.strip():
        raise ParserError("empty_output", f"{path}: lspci output is empty")
    devices = parse_devices(text)
    if not devices:
        raise ParserError("not_lspci", f"{path}: no 'Slot:' blocks of lspci -vmm found")
    result = ParseResult(parser=NAME, members=[path], warnings=warnings)
    for device in devices:
        record = device_record(device)
        if record is not None:
            result.components.append(record)
    return result


def parse_devices(text: str) -> list[dict[str, str]]:
    """Blocks of "Key: value" with a PCI address. Lines without a key (prompts, banners) are
    skipped; repeated keys ("Module:") keep their first value."""
    devices: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for raw_line in [*text.splitlines(), ""]:
        line = raw_line.strip()
        if not line:
            if "Slot" in current:
                devices.append(current)
            current = {}
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or not key or " " in key:
            continue
        starts_device = key == "Slot" or (key == "Device" and "Slot" not in current)
        if starts_device and _ADDRESS.match(value):
            # a new address without a blank line before it still starts a new device
            if "Slot" in current:
                devices.append(current)
            current = {"Slot": value}
            continue
        current.setdefault(key, value)
    return devices


def split_numeric_id(value: str) -> tuple[str, str]:
    """ "Intel Corporation [8086]" -> ("Intel Corporation", "8086"); ids are absent without -nn."""
    match = _NUMERIC_ID.match(value)
    if not match:
        return value, ""
    return match.group(1), match.group(2).lower()


def is_discrete_gpu(pci_class: str, vendor: str) -> bool:
    """Whether a display-class PCI function is a GPU worth tracking as a component."""
    pci_class, vendor = pci_class.lower(), vendor.lower()
    if pci_class not in _GPU_CLASSES:
        return False
    if _ONBOARD_VGA_VENDOR.search(vendor):
        return False
    # a 3D controller is a compute GPU whoever made it; a VGA/display one only from GPU vendors
    return pci_class == "3d controller" or _DISCRETE_GPU_VENDOR.search(vendor) is not None


def is_chipset_function(device: str) -> bool:
    """Storage functions built into a chipset are not cards: Intel C600 reports its SATA storage
    control unit as a "Serial Attached SCSI controller"."""
    return _CHIPSET.search(device) is not None


def component_class_for(pci_class: str, vendor: str, device: str) -> str | None:
    """The component class of one PCI function, or None when it is not a tracked part."""
    lowered = pci_class.lower()
    if lowered in _NIC_CLASSES:
        # SR-IOV virtual functions are software views of a port, not hardware
        return None if "virtual function" in device.lower() else "NIC"
    if lowered in _RAID_CLASSES:
        return None if is_chipset_function(device) else "RAID"
    if lowered in _NVME_CLASSES:
        return "NVME"
    if is_discrete_gpu(lowered, vendor):
        return "GPU"
    return None


def device_record(device: dict[str, str]) -> ComponentRecord | None:
    pci_class, class_id = split_numeric_id(device.get("Class", ""))
    vendor, vendor_id = split_numeric_id(device.get("Vendor", ""))
    model, device_id = split_numeric_id(device.get("Device", ""))
    component_class = component_class_for(pci_class, vendor, model)
    if component_class is None:
        return None
    specs: dict[str, object] = {"pci_class": pci_class}
    optional = {
        "pci_class_id": class_id,
        "pci_vendor_id": vendor_id,
        "pci_device_id": device_id,
        "subsystem_vendor": split_numeric_id(device.get("SVendor", ""))[0],
        "subsystem_device": split_numeric_id(device.get("SDevice", ""))[0],
        "revision": device.get("Rev", ""),
        "physical_slot": device.get("PhySlot", ""),
        "driver": device.get("Driver", ""),
        "numa_node": device.get("NUMANode", ""),
    }
    specs.update({key: value for key, value in optional.items() if value})
    return ComponentRecord(
        component_class=component_class,
        source=NAME,
        slot=device["Slot"],
        vendor=vendor,
        model=model,
        serial="",
        specs=specs,
    )
