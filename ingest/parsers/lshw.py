"""Parser for `lshw -json`: one JSON object tree (current lshw) or a top-level array (older lshw,
and `lshw -json -class ...` which lists the matching nodes without the system root).

The tree mixes hardware with software views (volumes, bonds, USB virtual media of the BMC,
NVMe namespaces), so the walk keeps only physical parts: CPUs, populated memory banks, disks,
NVMe controllers, PCI NICs, SAS/RAID controllers, discrete GPUs, power supplies and the main
board. Values stay raw except for two lshw artefacts that are not part of the hardware's
answer: the "[dead:beef]"-style numeric PCI ids lshw appends to vendor/product names, and the
" (<SKU>)" suffix lshw glues to the system product name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError, ParseResult
from ingest.parsers.lspci import is_chipset_function, is_discrete_gpu
from ingest.parsers.values import decode_text

NAME = "lshw"

_SNIFF_WINDOW = 8 * 1024
_SNIFF_CLASS = re.compile(rb'"class"\s*:\s*"(?:system|bus|memory|processor|disk|storage|network|display|bridge)"')
_SNIFF_ID = re.compile(rb'"id"\s*:\s*"')
_SNIFF_LSHW_KEY = re.compile(rb'"(?:claimed|physid|businfo|handle)"\s*:')
_PCI_ID_SUFFIX = re.compile(r"\s*\[[0-9a-fA-F]{4}(?::[0-9a-fA-F]{4})?\]$")
_RPM = re.compile(r"^(\d+)rpm$")
_MEMORY_TYPE = re.compile(r"\b((?:LP)?DDR\d?)\b")
_SSD_MODEL = re.compile(
    r"ssd|solid|mtfd|micron_\d|mz[0-9a-z]{2}|ssdsc|ssdpe|kxg|kpm|kioxia|sdlf|satadom|thnsn|husmm|husmr|"
    r"\bpm\d{3,4}|\bsm\d{3,4}|ct\d+mx|\bpx0\d|xs\d{3,4}",
    re.IGNORECASE,
)
# RAID volumes, BMC virtual media and optical drives show up as disks but are not drives
_NOT_A_DRIVE = re.compile(r"perc|logical volume|virtual|megaraid|\bmr\d{4}|raid|cd-?rom|dvd", re.IGNORECASE)
_RAID_DESCRIPTIONS = {"raid bus controller", "serial attached scsi controller"}
_RAID_DRIVERS = {"megaraid_sas", "mpt2sas", "mpt3sas", "mpi3mr", "aacraid", "hpsa", "smartpqi", "arcmsr"}
_EMPTY_BANK_VALUES = {"", "NO DIMM", "[EMPTY]", "EMPTY", "NOT INSTALLED"}
_FILLER = {"to be filled by o.e.m.", "to be filled by oem", "default string"}


def sniff(path: str, data: bytes) -> bool:
    """lshw JSON: an "id" string and an lshw node class, plus a key only lshw writes."""
    try:
        head = data[:_SNIFF_WINDOW]
        if head.lstrip()[:1] not in (b"{", b"["):
            return False
        return all(p.search(head) for p in (_SNIFF_ID, _SNIFF_CLASS, _SNIFF_LSHW_KEY))
    except Exception:  # sniffing must never break the bundle scan
        return False


def parse(path: str, data: bytes) -> ParseResult:
    text, warnings = decode_text(data)
    if not text.strip():
        raise ParserError("empty_output", f"{path}: lshw output is empty")
    root = _root_node(path, _load_json(path, text))
    result = ParseResult(parser=NAME, members=[path], warnings=warnings)
    if _text(root, "class") == "system":
        result.asset = _asset(root)
    walker = _Walker(result)
    try:
        walker.visit(root, _Context())
    except RecursionError:
        raise ParserError("malformed_json", f"{path}: lshw tree nested too deeply") from None
    if walker.empty_banks:
        result.warnings.append(f"{walker.empty_banks} memory bank(s) empty")
    return result


def _load_json(path: str, text: str) -> Any:
    """The JSON document; a shell prompt or banner before it (captured terminals) is skipped."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ParserError("malformed_json", f"{path}: JSON nested too deeply") from None
    except ValueError:
        pass
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if starts:
        try:
            document, _ = json.JSONDecoder().raw_decode(text, min(starts))
            return document
        except RecursionError:
            raise ParserError("malformed_json", f"{path}: JSON nested too deeply") from None
        except ValueError as exc:
            raise ParserError("malformed_json", f"{path}: lshw JSON does not parse: {exc}") from None
    raise ParserError("malformed_json", f"{path}: no JSON document in lshw output")


def _is_node(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str) and isinstance(value.get("class"), str)


def _root_node(path: str, document: Any) -> dict[str, Any]:
    if _is_node(document):
        return document
    if isinstance(document, list):
        nodes = [item for item in document if _is_node(item)]
        system = next((n for n in nodes if n["class"] == "system"), None)
        if system is not None:
            return system
        if nodes:
            # `lshw -json -class disk` and friends: matching nodes without the system root
            return {"id": "", "class": "", "children": nodes}
    raise ParserError("not_lshw", f"{path}: JSON is not an lshw node tree")


def _text(node: dict[str, Any], key: str) -> str:
    value = node.get(key)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0].strip()  # logicalname may be a list: the device node comes first
    return ""


def _number(node: dict[str, Any], key: str) -> int | None:
    value = node.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _config(node: dict[str, Any]) -> dict[str, Any]:
    config = node.get("configuration")
    return config if isinstance(config, dict) else {}


def _capabilities(node: dict[str, Any]) -> dict[str, Any]:
    caps = node.get("capabilities")
    return caps if isinstance(caps, dict) else {}


def _children(node: dict[str, Any]) -> list[dict[str, Any]]:
    children = node.get("children")
    return [c for c in children if isinstance(c, dict)] if isinstance(children, list) else []


def clean_name(value: str) -> str:
    """Drop the numeric PCI ids lshw appends ("Broadcom / LSI [dead]", "... [1b4b:9230]")."""
    previous = None
    while previous != value:
        previous, value = value, _PCI_ID_SUFFIX.sub("", value)
    return value


def _pci_address(node: dict[str, Any]) -> str:
    businfo = _text(node, "businfo")
    return businfo[4:] if businfo.startswith("pci@") else ""


def system_model(product: str, sku: str) -> str:
    """lshw reports "<product name> (<SKU>)"; the SKU is not part of the model name."""
    for suffix in (sku, *_FILLER):
        if not suffix:
            continue
        for candidate in (f" ({suffix})", f"({suffix})"):
            if product.lower().endswith(candidate.lower()):
                return product[: len(product) - len(candidate)].strip()
    return product


def _asset(root: dict[str, Any]) -> AssetRecord:
    config = _config(root)
    sku = config.get("sku") if isinstance(config.get("sku"), str) else ""
    uuid = config.get("uuid") if isinstance(config.get("uuid"), str) else ""
    return AssetRecord(
        source=NAME,
        vendor=_text(root, "vendor"),
        model=system_model(_text(root, "product"), sku or ""),
        serial=_text(root, "serial"),
        uuid=uuid or "",
        hostname=_text(root, "id"),
    )


@dataclass
class _Context:
    """What the walk knows about a node's ancestors."""

    parent_class: str = ""
    via_usb: bool = False  # below a USB mass-storage bridge: BMC virtual media, thumb drives
    under_nvme: bool = False  # an NVMe namespace below a controller already recorded


@dataclass
class _Walker:
    result: ParseResult
    empty_banks: int = 0
    psu_count: int = 0

    def visit(self, node: dict[str, Any], context: _Context) -> None:
        node_class = _text(node, "class")
        handled = self._handle(node, node_class, context)
        child_context = _Context(
            parent_class=node_class,
            via_usb=context.via_usb or _text(_config(node), "driver") == "usb-storage" or _is_usb(node),
            under_nvme=context.under_nvme or handled == "NVME",
        )
        for child in _children(node):
            self.visit(child, child_context)

    def _add(self, component: ComponentRecord) -> str:
        self.result.components.append(component)
        return component.component_class

    def _handle(self, node: dict[str, Any], node_class: str, context: _Context) -> str:
        """Record the node when it is a physical part; return its component class or ""."""
        if node_class == "processor":
            return self._add(cpu) if (cpu := _cpu(node)) else ""
        if node_class == "memory":
            return self._memory(node)
        if node_class == "disk":
            return self._add(disk) if (disk := _disk(node, context)) else ""
        if node_class == "storage":
            return self._add(storage) if (storage := _storage(node, context)) else ""
        if node_class == "network":
            return self._add(nic) if (nic := _nic(node)) else ""
        if node_class == "display":
            return self._add(gpu) if (gpu := _gpu(node)) else ""
        if node_class == "power":
            self.psu_count += 1
            return self._add(_psu(node, self.psu_count))
        if node_class == "bus" and _text(node, "description").lower() == "motherboard":
            return self._add(_motherboard(node))
        return ""

    def _memory(self, node: dict[str, Any]) -> str:
        node_id = _text(node, "id")
        description = _text(node, "description")
        if node_id == "firmware" or description == "BIOS":
            version = _text(node, "version")
            if version:
                self.result.asset.firmware.setdefault("BIOS", version)
            return ""
        if not node_id.startswith("bank"):
            return ""
        if _bank_is_empty(node):
            self.empty_banks += 1
            return ""
        return self._add(_dimm(node))


def _is_usb(node: dict[str, Any]) -> bool:
    return _text(node, "businfo").startswith("usb@")


def _cpu(node: dict[str, Any]) -> ComponentRecord | None:
    businfo = _text(node, "businfo")
    description = _text(node, "description")
    # SCSI enclosure "processors" (Marvell console) share the class with real CPUs
    if not (businfo.startswith("cpu@") or description == "CPU"):
        return None
    if not _text(node, "product") and ("[empty]" in description or node.get("disabled") is True):
        return None
    config = _config(node)
    specs: dict[str, Any] = {}
    for key, spec in (("cores", "cores"), ("threads", "threads")):
        value = _number(config, key)
        if value:
            specs[spec] = value
    capacity = _number(node, "capacity")
    if capacity and _text(node, "units") == "Hz":
        specs["max_speed_mhz"] = capacity // 1_000_000
    microcode = _text(config, "microcode")
    if microcode:
        specs["microcode"] = microcode
    return ComponentRecord(
        component_class="CPU",
        source=NAME,
        slot=_text(node, "slot") or businfo,
        vendor=clean_name(_text(node, "vendor")),
        model=clean_name(_text(node, "product")),
        serial=_text(node, "serial"),
        specs=specs,
    )


def _bank_is_empty(node: dict[str, Any]) -> bool:
    """Empty banks read "[empty]" or "NO DIMM"; yet Supermicro also tags populated banks
    "... (0.3 ns) [empty]", so the description alone decides nothing."""
    if _number(node, "size"):
        return False
    identity = (_text(node, "product"), _text(node, "serial"))
    return all(value.upper() in _EMPTY_BANK_VALUES for value in identity)


def _dimm(node: dict[str, Any]) -> ComponentRecord:
    description = _text(node, "description")
    specs: dict[str, Any] = {}
    size = _number(node, "size")
    if size:
        specs["capacity_bytes"] = size
    clock = _number(node, "clock")
    if clock:
        specs["speed_mts"] = clock // 1_000_000
    memory_type = _MEMORY_TYPE.search(description)
    if memory_type:
        specs["memory_type"] = memory_type.group(1)
    if description:
        specs["form_factor"] = description.split()[0]
        specs["description"] = description
    return ComponentRecord(
        component_class="DIMM",
        source=NAME,
        slot=_text(node, "slot"),
        vendor=_text(node, "vendor"),
        model=_text(node, "product"),
        serial=_text(node, "serial"),
        specs=specs,
    )


def _is_nvme(node: dict[str, Any]) -> bool:
    return (
        "nvme" in _text(node, "description").lower()
        or _text(_config(node), "driver") == "nvme"
        or _text(node, "logicalname").startswith("/dev/nvme")
        or _text(node, "businfo").startswith("nvme@")
    )


def _disk(node: dict[str, Any], context: _Context) -> ComponentRecord | None:
    if context.via_usb or _is_usb(node) or context.parent_class == "disk":
        return None  # BMC virtual media, USB sticks, and the "medium" child of a removable disk
    label = " ".join((_text(node, "description"), _text(node, "vendor"), _text(node, "product")))
    logicalname = _text(node, "logicalname")
    if _NOT_A_DRIVE.search(label) or logicalname.startswith(("/dev/sr", "/dev/cdrom")):
        return None
    if _is_nvme(node):
        if context.under_nvme:
            return None  # a namespace of a controller recorded above
        return _nvme(node, size=_number(node, "size"))
    component_class, specs = _media(node)
    size = _number(node, "size")
    if size:
        specs["capacity_bytes"] = size
    if _text(node, "description") == "ATA Disk":
        specs["interface"] = "SATA"
    if _text(node, "businfo"):
        specs["businfo"] = _text(node, "businfo")
    return ComponentRecord(
        component_class=component_class,
        source=NAME,
        slot=logicalname or _text(node, "businfo"),
        vendor=clean_name(_text(node, "vendor")),
        model=clean_name(_text(node, "product")),
        serial=_text(node, "serial"),
        firmware=_text(node, "version"),
        specs=specs,
    )


def _media(node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """HDD or SSD: lshw has no media field, so a spindle speed says HDD, a known SSD model
    family says SSD, and anything else is a guess recorded as such."""
    for capability in _capabilities(node):
        match = _RPM.match(str(capability))
        if match:
            return "HDD", {"rotation_rpm": int(match.group(1))}
    if _SSD_MODEL.search(f"{_text(node, 'vendor')} {_text(node, 'product')}"):
        return "SSD", {}
    return "HDD", {"media_guessed": True}


def _nvme(node: dict[str, Any], size: int | None) -> ComponentRecord:
    specs: dict[str, Any] = {"interface": "NVMe"}
    if size:
        specs["capacity_bytes"] = size
    address = _pci_address(node)
    if address:
        specs["pci_address"] = address
    return ComponentRecord(
        component_class="NVME",
        source=NAME,
        slot=_text(node, "logicalname") or address or _text(node, "businfo"),
        vendor=clean_name(_text(node, "vendor")),
        model=clean_name(_text(node, "product")),
        serial=_text(node, "serial"),
        firmware=_text(node, "version"),
        specs=specs,
    )


def _storage(node: dict[str, Any], context: _Context) -> ComponentRecord | None:
    if context.via_usb or _is_usb(node):
        return None
    if _is_nvme(node):
        namespaces = [c for c in _children(node) if _text(c, "class") == "disk"]
        total = sum(_number(c, "size") or 0 for c in namespaces)
        return _nvme(node, size=total or None)
    address = _pci_address(node)
    description = _text(node, "description").lower()
    driver = _text(_config(node), "driver")
    model = clean_name(_text(node, "product"))
    if not address or not (description in _RAID_DESCRIPTIONS or driver in _RAID_DRIVERS):
        return None  # chipset SATA/AHCI ports and SCSI host adapters are not parts
    if is_chipset_function(model):
        return None
    specs: dict[str, Any] = {"pci_address": address, "description": _text(node, "description")}
    if driver:
        specs["driver"] = driver
    return ComponentRecord(
        component_class="RAID",
        source=NAME,
        slot=address,
        vendor=clean_name(_text(node, "vendor")),
        model=model,
        serial=_text(node, "serial"),
        firmware=_text(_config(node), "firmware"),
        specs=specs,
    )


def _nic(node: dict[str, Any]) -> ComponentRecord | None:
    """PCI network functions only: bonds, bridges and the BMC's USB NIC have no PCI address."""
    address = _pci_address(node)
    product = _text(node, "product")
    if not address or "virtual function" in product.lower():
        return None
    config = _config(node)
    specs: dict[str, Any] = {"pci_address": address}
    # lshw's "serial" of a network node is its MAC address, which is not a part serial
    for key, value in (
        ("mac", _text(node, "serial")),
        ("logicalname", _text(node, "logicalname")),
        ("driver", _text(config, "driver")),
        ("revision", _text(node, "version")),
    ):
        if value:
            specs[key] = value
    speed = _number(node, "capacity") or _number(node, "size")
    if speed:
        specs["speed_bps"] = speed
    return ComponentRecord(
        component_class="NIC",
        source=NAME,
        slot=address,
        vendor=clean_name(_text(node, "vendor")),
        model=clean_name(product),
        serial="",
        firmware=_text(config, "firmware"),
        specs=specs,
    )


def _gpu(node: dict[str, Any]) -> ComponentRecord | None:
    address = _pci_address(node)
    vendor = clean_name(_text(node, "vendor"))
    if not address or not is_discrete_gpu(_text(node, "description"), vendor):
        return None
    return ComponentRecord(
        component_class="GPU",
        source=NAME,
        slot=address,
        vendor=vendor,
        model=clean_name(_text(node, "product")),
        serial=_text(node, "serial"),
        specs={"pci_address": address},
    )


def _psu(node: dict[str, Any], ordinal: int) -> ComponentRecord:
    """lshw copies SMBIOS type 39: description is the supply's name, product its part number."""
    specs: dict[str, Any] = {}
    for key, value in (("part_number", _text(node, "product")), ("revision", _text(node, "version"))):
        if value:
            specs[key] = value
    capacity = _number(node, "capacity")
    if capacity:
        # lshw labels the SMBIOS wattage "mWh", but the number is the supply's rating in watts
        specs["max_power_w"] = capacity
    return ComponentRecord(
        component_class="PSU",
        source=NAME,
        slot=_text(node, "slot") or f"PSU {ordinal}",
        vendor=_text(node, "vendor"),
        model=_text(node, "description") or _text(node, "product"),
        serial=_text(node, "serial"),
        specs=specs,
    )


def _motherboard(node: dict[str, Any]) -> ComponentRecord:
    specs: dict[str, Any] = {}
    if _text(node, "version"):
        specs["version"] = _text(node, "version")
    return ComponentRecord(
        component_class="MOTHERBOARD",
        source=NAME,
        vendor=_text(node, "vendor"),
        model=_text(node, "product"),
        serial=_text(node, "serial"),
        specs=specs,
    )
