"""Redfish resources dumped from a BMC, as one tree per bundle.

The dump is a set of JSON members, usually in the DMTF mockup layout (`.../redfish/v1/Systems/1/
index.json`), with any prefix before "redfish/v1". Resources are indexed by their own
`@odata.id` (so mockups whose paths lack "redfish/v1", and flat captures with arbitrary file
names, resolve too) and, for members without one, by the path from "redfish/v1" on. Links are
followed through that index; a linked resource missing from the dump is counted in a warning.

Extracted, for the first ComputerSystem by sorted @odata.id (others are named in a warning):
- asset: Manufacturer, Model, SerialNumber, UUID, AssetTag, HostName; firmware["BIOS"] from
  BiosVersion, firmware["BMC"] from the managing Manager's FirmwareVersion, plus FirmwareInventory
  entries that no component claims (by RelatedItem), under their Name;
- components: Processors (CPU/GPU), Memory (populated DIMMs only), Storage controllers (RAID) and
  Drives (SSD/HDD/NVME), SimpleStorage devices, NetworkAdapters (NIC, MACs from their functions and
  ports), PCIeDevices (GPU/NIC/RAID not already seen through another resource), power supplies
  from Chassis Power and PowerSubsystem (absent bays skipped). Only when the dump has neither
  adapters nor PCIe NICs do the system's EthernetInterfaces stand for NICs (one per interface,
  Dell ports of one card grouped; bonds, bridges and the BMC host interface skipped).
A part reached twice (same resource, or same class and usable serial) is one component.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError, ParseResult
from ingest.parsers.values import as_dict, as_int, as_list, as_raw, as_text
from registry.normalisation import normalise_serial

NAME = "redfish"

_ROOT = "/redfish/v1"
_SNIFF_WINDOW = 65536
_MIB = 1024 * 1024

_PROCESSOR_CLASSES = {"CPU": "CPU", "GPU": "GPU"}
# PCIe function DeviceClass values that make a device worth recording on its own.
_PCIE_DEVICE_CLASSES = {
    "NetworkController": "NIC",
    "MassStorageController": "RAID",
    "DisplayController": "GPU",
    "ProcessingAccelerators": "GPU",
}
_PCIE_DEVICE_TYPES = {"GPU": "GPU", "Accelerator": "GPU", "NetworkController": "NIC", "StorageController": "RAID"}
# Interfaces that are software constructs or BMC plumbing, not a network card.
_VIRTUAL_INTERFACE = re.compile(r"^(bond|br|vlan|virbr|team|usb|lo)\d*\b|host\s*interface", re.IGNORECASE)
# Dell FQDDs name every port/partition of one card: NIC.Integrated.1-2-1 is port 2 of NIC.Integrated.1.
_DELL_NIC_PORT = re.compile(r"^(NIC\.[^.]+\.\d+)-\d+(?:-\d+)?$")
_NULL_MAC = re.compile(r"^[0:\-.]*$")
_PCIE_DEVICE_KEY = re.compile(r"^/redfish/v1/(?:systems|chassis)/[^/]+/pciedevices/[^/]+")
# "/redfish/v1/chassis/1/drives/0".split("/") has 7 parts: the shallowest a component sits.
_COMPONENT_DEPTH = 7


def sniff(path: str, data: bytes) -> bool:
    """True for a JSON member of a Redfish dump: under a redfish/v1 path, or carrying Redfish ids."""
    try:
        head = data[:_SNIFF_WINDOW]
        if not head.lstrip().startswith(b"{"):
            return False
        normalised = path.replace("\\", "/")
        if "redfish/v1" in normalised and normalised.lower().endswith(".json"):
            return True
        return b'"@odata.id"' in head and b'"/redfish/v1' in head
    except Exception:
        return False


def parse_tree(members: Mapping[str, bytes]) -> ParseResult:
    if not members:
        raise ParserError("empty_tree", "no Redfish members given")
    tree = _Tree.load(members)
    if not tree.resources:
        raise ParserError("malformed_json", f"none of the {len(members)} Redfish members is a JSON object")
    systems = tree.systems()
    if not systems:
        raise ParserError("no_computer_system", "the Redfish dump holds no ComputerSystem resource")
    result = ParseResult(parser=NAME, members=sorted(members))
    result.warnings.extend(tree.warnings)
    system_id, system = systems[0]
    if len(systems) > 1:
        others = ", ".join(sid for sid, _ in systems[1:])
        result.warnings.append(f"several ComputerSystems in one dump; describing {system_id}, not {others}")
    result.asset = _asset(tree, system)
    builder = _Builder(tree)
    builder.collect(system, single_system=len(systems) == 1)
    result.components = builder.components
    _apply_firmware_inventory(tree, builder, result.asset, _key(system_id))
    result.warnings.extend(builder.warnings)
    if tree.missing:
        shown = ", ".join(sorted(tree.missing)[:5])
        result.warnings.append(f"{len(tree.missing)} linked Redfish resources are not in the dump (e.g. {shown})")
    return result


# --- the index -------------------------------------------------------------------------------


def _key(odata_id: str) -> str:
    """Canonical lookup key: from /redfish/v1 on, no fragment, unquoted, no trailing slash, lower."""
    value = unquote(odata_id.split("#", 1)[0]).strip()
    at = value.lower().find("redfish/v1")
    if at < 0:
        return ""
    return ("/" + value[at:]).rstrip("/").lower()


def _path_key(path: str) -> str:
    normalised = path.replace("\\", "/")
    for suffix in ("/index.json", ".json"):
        if normalised.lower().endswith(suffix):
            normalised = normalised[: -len(suffix)]
            break
    return _key(normalised)


@dataclass
class _Tree:
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, members: Mapping[str, bytes]) -> _Tree:
        tree = cls()
        unreadable = 0
        for path in sorted(members):
            try:
                doc = json.loads(members[path])
            except (ValueError, RecursionError, TypeError):
                unreadable += 1
                continue
            if not isinstance(doc, dict):
                continue
            own = doc.get("@odata.id")
            key = _key(own) if isinstance(own, str) else ""
            path_key = _path_key(str(path))
            for candidate in (key, path_key):
                if candidate and candidate not in tree.resources:
                    tree.resources[candidate] = doc
        if unreadable:
            tree.warnings.append(f"{unreadable} Redfish members are not valid JSON and were skipped")
        return tree

    def get(self, odata_id: Any) -> dict[str, Any] | None:
        if isinstance(odata_id, dict):
            odata_id = odata_id.get("@odata.id")
        if not isinstance(odata_id, str):
            return None
        key = _key(odata_id)
        found = self.resources.get(key)
        if found is None and key:
            self.missing.add(key)
        return found

    def members(self, ref: Any) -> list[tuple[str, dict[str, Any]]]:
        """Resources of a collection (a {"@odata.id"} link or a list of links)."""
        if isinstance(ref, list):
            return [(k, r) for k, r in (self._one(link) for link in ref) if r is not None]
        link = ref.get("@odata.id") if isinstance(ref, dict) else None
        if not isinstance(link, str):
            return []
        key = _key(link)
        collection = self.resources.get(key)
        if collection is not None and isinstance(collection.get("Members"), list):
            return [(k, r) for k, r in (self._one(m) for m in collection["Members"]) if r is not None]
        # Partial dumps sometimes hold the members but not the collection document.
        depth = key.count("/") + 1
        return sorted((k, r) for k, r in self.resources.items() if k.startswith(key + "/") and k.count("/") == depth)

    def _one(self, link: Any) -> tuple[str, dict[str, Any] | None]:
        odata_id = link.get("@odata.id") if isinstance(link, dict) else None
        if not isinstance(odata_id, str):
            return "", None
        return _key(odata_id), self.get(odata_id)

    def of_type(self, type_name: str, key_pattern: str) -> list[tuple[str, dict[str, Any]]]:
        """Resources of one schema type, by @odata.type or, lacking it, by where they sit."""
        pattern = re.compile(key_pattern)
        found = []
        for key, res in self.resources.items():
            odata_type = res.get("@odata.type")
            if isinstance(odata_type, str) and odata_type:
                if odata_type.lstrip("#").split(".", 1)[0] == type_name:
                    found.append((key, res))
            elif pattern.fullmatch(key) and "Members" not in res:
                found.append((key, res))
        unique: dict[int, tuple[str, dict[str, Any]]] = {}
        for key, res in found:
            unique.setdefault(id(res), (key, res))  # a resource indexed under two keys counts once
        return sorted(unique.values(), key=lambda kr: as_text(kr[1].get("@odata.id")) or kr[0])

    def systems(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (as_text(res.get("@odata.id")) or key, res)
            for key, res in self.of_type("ComputerSystem", r"/redfish/v1/systems/[^/]+")
        ]


# --- asset -----------------------------------------------------------------------------------


def _asset(tree: _Tree, system: dict[str, Any]) -> AssetRecord:
    asset = AssetRecord(
        source=NAME,
        vendor=as_text(system.get("Manufacturer")),
        model=as_text(system.get("Model")),
        serial=as_raw(system.get("SerialNumber")),
        uuid=as_text(system.get("UUID")),
        asset_tag=as_text(system.get("AssetTag")),
        hostname=as_text(system.get("HostName")),
    )
    bios = as_text(system.get("BiosVersion"))
    if bios:
        asset.firmware["BIOS"] = bios
    manager = _manager(tree, system)
    if manager is not None and as_text(manager.get("FirmwareVersion")):
        asset.firmware["BMC"] = as_text(manager["FirmwareVersion"])
    return asset


def _manager(tree: _Tree, system: dict[str, Any]) -> dict[str, Any] | None:
    for link in _links(as_dict(system.get("Links")).get("ManagedBy")):
        manager = tree.get(link)
        if manager is not None:
            return manager
    system_key = _key(as_text(system.get("@odata.id")))
    managers = tree.of_type("Manager", r"/redfish/v1/managers/[^/]+")
    for _, manager in managers:
        servers = {_key(link) for link in _links(as_dict(manager.get("Links")).get("ManagerForServers"))}
        if system_key and system_key in servers:
            return manager
    bmcs = [m for _, m in managers if as_text(m.get("ManagerType")) in ("BMC", "")]
    return bmcs[0] if len(bmcs) == 1 else None


# --- components ------------------------------------------------------------------------------


@dataclass
class _Builder:
    tree: _Tree
    components: list[ComponentRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # resource key -> component built from it (or merged into it)
    by_resource: dict[str, ComponentRecord] = field(default_factory=dict)
    by_serial: dict[tuple[str, str], ComponentRecord] = field(default_factory=dict)
    macs: dict[str, ComponentRecord] = field(default_factory=dict)

    def collect(self, system: dict[str, Any], *, single_system: bool) -> None:
        self._processors(system)
        self._memory(system)
        self._storage(system)
        chassis = self._chassis_of(system, single_system=single_system)
        for _, res in chassis:
            for key, drive in self.tree.members(res.get("Drives")):
                self._drive(key, drive)
            for link in _links(as_dict(res.get("Links")).get("Drives")):
                drive_res = self.tree.get(link)
                if drive_res is not None:
                    self._drive(_key(link), drive_res)
        for _, res in chassis:
            for key, adapter in self.tree.members(res.get("NetworkAdapters")):
                self._network_adapter(key, adapter)
        pcie: list[tuple[str, dict[str, Any]]] = list(self.tree.members(system.get("PCIeDevices")))
        for _, res in chassis:
            pcie.extend(self.tree.members(res.get("PCIeDevices")))
        for key, device in pcie:
            self._pcie_device(key, device)
        if not any(c.component_class == "NIC" for c in self.components):
            # Thin dumps (no NetworkAdapters, no PCIe inventory) show NICs only as the host's
            # interfaces. Where adapters exist, interfaces are views of their ports, not parts.
            self._ethernet_interfaces(system)
        for _, res in chassis:
            self._power_supplies(res)

    # -- registration: one part, one component --

    def _add(self, key: str, component: ComponentRecord, resource: dict[str, Any]) -> ComponentRecord | None:
        if key in self.by_resource:
            return None
        serial = normalise_serial(component.serial)
        if serial:
            seen = self.by_serial.get((component.component_class, serial))
            if seen is not None:
                _merge(seen, component)
                self.by_resource[key] = seen
                return None
            self.by_serial[(component.component_class, serial)] = component
        self.by_resource[key] = component
        # A GPU or adapter that names its PCIe device claims it, so the device is not counted again.
        for ref in _referenced_ids(resource):
            device = _PCIE_DEVICE_KEY.match(ref)
            if device:
                self.by_resource.setdefault(device.group(0), component)
        self.components.append(component)
        return component

    def _covered(self, key: str, resource: dict[str, Any]) -> bool:
        """True when this resource, or a resource it links to, already produced a component.

        Links may point below a component's resource (a PCIe function naming an adapter's
        NetworkDeviceFunction), so every prefix down to component depth is tried.
        """
        for ref in [key, *_referenced_ids(resource)]:
            parts = ref.split("/")
            for end in range(len(parts), _COMPONENT_DEPTH - 1, -1):
                if "/".join(parts[:end]) in self.by_resource:
                    return True
        return False

    # -- systems side --

    def _processors(self, system: dict[str, Any]) -> None:
        for key, cpu in self.tree.members(system.get("Processors")):
            if _absent(cpu):
                continue
            kind = _PROCESSOR_CLASSES.get(as_text(cpu.get("ProcessorType")) or "CPU", "OTHER")
            if not (
                as_text(cpu.get("Model")) or as_text(cpu.get("Manufacturer")) or as_raw(cpu.get("SerialNumber")).strip()
            ):
                continue  # an unpopulated socket reported without State
            component = ComponentRecord(
                component_class=kind,
                source=NAME,
                slot=as_text(cpu.get("Socket")) or _location(cpu) or as_text(cpu.get("Id")),
                vendor=as_text(cpu.get("Manufacturer")),
                model=as_text(cpu.get("Model")),
                serial=as_raw(cpu.get("SerialNumber")),
                firmware=as_text(cpu.get("FirmwareVersion"))
                or as_text(as_dict(cpu.get("ProcessorId")).get("MicrocodeInfo")),
                specs=_specs(
                    cores=as_int(cpu.get("TotalCores")),
                    threads=as_int(cpu.get("TotalThreads")),
                    speed_mhz=as_int(cpu.get("MaxSpeedMHz")),
                    part_number=as_text(cpu.get("PartNumber")),
                    architecture=as_text(cpu.get("ProcessorArchitecture")),
                ),
                health=_health(cpu),
            )
            self._add(key, component, cpu)

    def _memory(self, system: dict[str, Any]) -> None:
        slots = empty = 0
        for key, dimm in self.tree.members(system.get("Memory")):
            slots += 1
            capacity = as_int(dimm.get("CapacityMiB"))
            if _absent(dimm) or not capacity:
                empty += 1
                continue
            component = ComponentRecord(
                component_class="DIMM",
                source=NAME,
                slot=as_text(dimm.get("DeviceLocator")) or _location(dimm) or as_text(dimm.get("Id")),
                vendor=as_text(dimm.get("Manufacturer")),
                model=as_text(dimm.get("PartNumber")),
                serial=as_raw(dimm.get("SerialNumber")),
                firmware=as_text(dimm.get("FirmwareRevision")),
                specs=_specs(
                    capacity_bytes=capacity * _MIB,
                    speed_mts=as_int(dimm.get("OperatingSpeedMhz")),
                    memory_type=as_text(dimm.get("MemoryDeviceType")),
                    module_type=as_text(dimm.get("BaseModuleType")),
                    part_number=as_text(dimm.get("PartNumber")),
                ),
                health=_health(dimm),
            )
            self._add(key, component, dimm)
        if empty:
            self.warnings.append(f"{empty} of {slots} memory slots empty")

    def _storage(self, system: dict[str, Any]) -> None:
        for storage_key, storage in self.tree.members(system.get("Storage")):
            controllers: list[tuple[str, dict[str, Any]]] = []
            for index, inline in enumerate(as_list(storage.get("StorageControllers"))):
                if isinstance(inline, dict):
                    own = inline.get("@odata.id")
                    controllers.append((_key(own) if isinstance(own, str) else f"{storage_key}#{index}", inline))
            controllers.extend(self.tree.members(storage.get("Controllers")))
            drives = [(_key(link), d) for link in _links(storage.get("Drives")) if (d := self.tree.get(link))]
            # Directly attached NVMe drives appear as "controllers" carrying the drive's own serial.
            drive_serials = {normalise_serial(as_raw(d.get("SerialNumber"))) for _, d in drives} - {""}
            for key, controller in controllers:
                if normalise_serial(as_raw(controller.get("SerialNumber"))) not in drive_serials:
                    self._storage_controller(key, controller, storage)
            for key, drive in drives:
                self._drive(key, drive)
        for _, simple in self.tree.members(system.get("SimpleStorage")):
            self._simple_storage(simple)

    def _storage_controller(self, key: str, controller: dict[str, Any], storage: dict[str, Any]) -> None:
        if _absent(controller):
            return
        model = as_text(controller.get("Model")) or as_text(controller.get("Name")) or as_text(storage.get("Name"))
        firmware = as_text(controller.get("FirmwareVersion"))
        serial = as_raw(controller.get("SerialNumber"))
        if not (as_text(controller.get("Model")) or serial.strip() or firmware):
            return  # a grouping of directly attached drives, not a controller card
        component = ComponentRecord(
            component_class="RAID",
            source=NAME,
            slot=_location(controller) or as_text(controller.get("MemberId")) or as_text(storage.get("Id")),
            vendor=as_text(controller.get("Manufacturer")),
            model=model,
            serial=serial,
            firmware=firmware,
            specs=_specs(part_number=as_text(controller.get("PartNumber")) or as_text(controller.get("SKU"))),
            health=_health(controller),
        )
        self._add(key, component, controller)

    def _drive(self, key: str, drive: dict[str, Any]) -> None:
        if key in self.by_resource or _absent(drive):
            return
        protocol = as_text(drive.get("Protocol"))
        media = as_text(drive.get("MediaType"))
        rpm = _number(drive.get("RotationSpeedRPM"))
        if protocol.upper() == "NVME":
            kind = "NVME"
        elif media in ("SSD", "HDD"):
            kind = media
        else:
            kind = "SSD" if rpm == 0 else "HDD"
        capacity = as_int(drive.get("CapacityBytes"))
        life_left = _number(drive.get("PredictedMediaLifeLeftPercent"))
        component = ComponentRecord(
            component_class=kind,
            source=NAME,
            slot=_location(drive) or as_text(drive.get("Id")),
            vendor=as_text(drive.get("Manufacturer")),
            model=as_text(drive.get("Model")),
            serial=as_raw(drive.get("SerialNumber")),
            firmware=as_text(drive.get("Revision")) or as_text(drive.get("FirmwareVersion")),
            specs=_specs(
                capacity_bytes=capacity if capacity else None,
                interface=protocol,
                rotation_rpm=int(rpm) if rpm else None,
                form_factor=as_text(drive.get("DriveFormFactor")),
                part_number=as_text(drive.get("PartNumber")),
            ),
            health=_health(drive),
        )
        if life_left is not None and 0 <= life_left <= 100:
            component.health["percentage_used"] = round(100 - life_left)
        self._add(key, component, drive)

    def _simple_storage(self, simple: dict[str, Any]) -> None:
        for index, device in enumerate(as_list(simple.get("Devices"))):
            if not isinstance(device, dict) or _absent(device):
                continue
            model = as_text(device.get("Model")) or as_text(device.get("Name"))
            if not model:
                continue
            name = f"{as_text(device.get('Name'))} {model}".upper()
            component = ComponentRecord(
                component_class="SSD" if "SSD" in name or "SOLID" in name else "HDD",
                source=NAME,
                slot=as_text(device.get("Name")) or f"{as_text(simple.get('Id'))}:{index}",
                vendor=as_text(device.get("Manufacturer")),
                model=model,
                specs=_specs(capacity_bytes=as_int(device.get("CapacityBytes")) or None),
                health=_health(device),
            )
            self._add(f"{_key(as_text(simple.get('@odata.id')))}#devices/{index}", component, device)

    # -- chassis side --

    def _chassis_of(self, system: dict[str, Any], *, single_system: bool) -> list[tuple[str, dict[str, Any]]]:
        everything = self.tree.of_type("Chassis", r"/redfish/v1/chassis/[^/]+")
        if single_system:
            return everything
        system_key = _key(as_text(system.get("@odata.id")))
        wanted = {_key(link) for link in _links(as_dict(system.get("Links")).get("Chassis"))}
        for key, res in everything:
            linked = {_key(link) for link in _links(as_dict(res.get("Links")).get("ComputerSystems"))}
            if system_key in linked:
                wanted.add(key)
        if not wanted:
            # Blade dumps (Cray) name the node's chassis like the node and link neither way.
            system_id = system_key.rsplit("/", 1)[-1]
            wanted = {key for key, _ in everything if key.rsplit("/", 1)[-1] == system_id}
        by_key = dict(everything)
        pending = list(wanted)
        while pending:  # and whatever those chassis contain (drive cages, riser cards)
            contained = as_dict(by_key.get(pending.pop(), {}))
            for link in _links(as_dict(contained.get("Links")).get("Contains")):
                if _key(link) not in wanted:
                    wanted.add(_key(link))
                    pending.append(_key(link))
        return [(key, res) for key, res in everything if key in wanted]

    def _network_adapter(self, key: str, adapter: dict[str, Any]) -> None:
        if _absent(adapter):
            return
        macs = self._adapter_macs(key, adapter)
        controllers = [c for c in as_list(adapter.get("Controllers")) if isinstance(c, dict)]
        firmware = next(
            (as_text(c.get("FirmwarePackageVersion")) for c in controllers if c.get("FirmwarePackageVersion")), ""
        )
        slot = (
            _location(adapter)
            or next((_location(c) for c in controllers if _location(c)), "")
            or as_text(adapter.get("Id"))
        )
        component = ComponentRecord(
            component_class="NIC",
            source=NAME,
            slot=slot,
            vendor=as_text(adapter.get("Manufacturer")),
            model=as_text(adapter.get("Model")) or as_text(adapter.get("Name")),
            serial=as_raw(adapter.get("SerialNumber")),
            firmware=firmware,
            specs=_specs(
                part_number=as_text(adapter.get("PartNumber")) or as_text(adapter.get("SKU")),
                mac=macs[0] if macs else None,
                macs=macs or None,
            ),
            health=_health(adapter),
        )
        added = self._add(key, component, adapter)
        for mac in macs:
            self.macs.setdefault(mac, added or self.by_resource[key])

    def _adapter_macs(self, key: str, adapter: dict[str, Any]) -> list[str]:
        found: list[str] = []
        for collection in ("NetworkDeviceFunctions", "Ports", "NetworkPorts"):
            for _, res in self.tree.members(adapter.get(collection)):
                ethernet = as_dict(res.get("Ethernet"))
                candidates = [ethernet.get("PermanentMACAddress"), ethernet.get("MACAddress")]
                candidates += as_list(res.get("AssociatedNetworkAddresses"))
                candidates += as_list(ethernet.get("AssociatedMACAddresses"))
                for value in candidates:
                    mac = _mac(value)
                    if mac and mac not in found:
                        found.append(mac)
        return found

    def _ethernet_interfaces(self, system: dict[str, Any]) -> None:
        groups: dict[str, list[tuple[str, dict[str, Any], str]]] = {}
        for key, nic in self.tree.members(system.get("EthernetInterfaces")):
            mac = _mac(nic.get("PermanentMACAddress")) or _mac(nic.get("MACAddress"))
            label = as_text(nic.get("Id")) or as_text(nic.get("Name"))
            names = (as_text(nic.get(k)) for k in ("Id", "Name", "Description"))
            if not mac or any(_VIRTUAL_INTERFACE.search(n) for n in names):
                continue
            if mac in self.macs:
                self.by_resource.setdefault(key, self.macs[mac])
                continue
            if self._covered(key, nic):
                continue
            card = _DELL_NIC_PORT.match(label)
            groups.setdefault(card.group(1) if card else label or key, []).append((key, nic, mac))
        for label, ports in groups.items():
            macs = [mac for _, _, mac in ports]
            first_key, first, _ = ports[0]
            component = ComponentRecord(
                component_class="NIC",
                source=NAME,
                slot=label,
                model=as_text(first.get("Description")) if len(ports) == 1 else "",
                specs=_specs(mac=macs[0], macs=macs, speed_mbps=as_int(first.get("SpeedMbps"))),
                health=_health(first),
            )
            added = self._add(first_key, component, first)
            for key, _, _port_mac in ports[1:]:
                self.by_resource.setdefault(key, added or component)
            for mac in macs:
                self.macs.setdefault(mac, added or component)

    def _pcie_device(self, key: str, device: dict[str, Any]) -> None:
        if _absent(device) or self._covered(key, device):
            return
        functions = [res for _, res in self.tree.members(device.get("PCIeFunctions"))]
        functions += [
            r for r in (self.tree.get(link) for link in _links(as_dict(device.get("Links")).get("PCIeFunctions"))) if r
        ]
        kind = _PCIE_DEVICE_TYPES.get(as_text(device.get("DeviceType")), "")
        for function in functions:
            kind = kind or _PCIE_DEVICE_CLASSES.get(as_text(function.get("DeviceClass")), "")
            if self._covered(_key(as_text(function.get("@odata.id"))), function):
                return
        if not kind:
            return
        model = as_text(device.get("Model"))
        serial = as_raw(device.get("SerialNumber"))
        if not (model or serial.strip() or as_text(device.get("Manufacturer"))):
            return  # embedded functions (BMC video, chipset SATA) that name no part
        component = ComponentRecord(
            component_class=kind,
            source=NAME,
            slot=_location(device) or _location(as_dict(device.get("Slot"))) or as_text(device.get("Id")),
            vendor=as_text(device.get("Manufacturer")),
            model=model or as_text(device.get("Name")),
            serial=serial,
            firmware=as_text(device.get("FirmwareVersion")),
            specs=_specs(part_number=as_text(device.get("PartNumber")) or as_text(device.get("SKU"))),
            health=_health(device),
        )
        self._add(key, component, device)

    def _power_supplies(self, chassis: dict[str, Any]) -> None:
        supplies: list[tuple[str, dict[str, Any]]] = []
        power = self.tree.get(chassis.get("Power")) if isinstance(chassis.get("Power"), dict) else None
        for index, psu in enumerate(as_list(as_dict(power).get("PowerSupplies"))):
            if isinstance(psu, dict):
                own = psu.get("@odata.id")
                fallback = f"{_key(as_text(as_dict(power).get('@odata.id')))}#powersupplies/{index}"
                supplies.append(((own.lower() if isinstance(own, str) else "") or fallback, psu))
        subsystem = (
            self.tree.get(chassis.get("PowerSubsystem")) if isinstance(chassis.get("PowerSubsystem"), dict) else None
        )
        if subsystem is not None:
            supplies.extend(self.tree.members(subsystem.get("PowerSupplies")))
        absent = 0
        for key, psu in supplies:
            if _absent(psu):
                absent += 1
                continue
            if not (as_text(psu.get("Model")) or as_raw(psu.get("SerialNumber")).strip()):
                continue
            bay = as_int(as_dict(as_dict(psu.get("Oem")).get("Hpe")).get("BayNumber"))
            component = ComponentRecord(
                component_class="PSU",
                source=NAME,
                slot=_location(psu)
                or (f"Bay {bay}" if bay else "")
                or as_text(psu.get("Name"))
                or as_text(psu.get("MemberId")),
                vendor=as_text(psu.get("Manufacturer")),
                model=as_text(psu.get("Model")),
                serial=as_raw(psu.get("SerialNumber")),
                firmware=as_text(psu.get("FirmwareVersion")),
                specs=_specs(
                    capacity_watts=as_int(psu.get("PowerCapacityWatts")) or as_int(psu.get("CapacityWatts")),
                    part_number=as_text(psu.get("PartNumber")) or as_text(psu.get("SparePartNumber")),
                    supply_type=as_text(psu.get("PowerSupplyType")),
                ),
                health=_health(psu),
            )
            self._add(key, component, psu)
        if absent:
            self.warnings.append(f"{absent} power supply bays empty in chassis {as_text(chassis.get('Id'))}")


def _merge(into: ComponentRecord, other: ComponentRecord) -> None:
    """The same part seen through a second resource fills what the first left blank."""
    for name in ("slot", "vendor", "model", "firmware"):
        if not getattr(into, name) and getattr(other, name):
            setattr(into, name, getattr(other, name))
    for key, value in other.specs.items():
        into.specs.setdefault(key, value)
    for key, value in other.health.items():
        into.health.setdefault(key, value)


# --- firmware inventory ----------------------------------------------------------------------


def _apply_firmware_inventory(tree: _Tree, builder: _Builder, asset: AssetRecord, system_key: str) -> None:
    service = tree.resources.get(f"{_ROOT}/updateservice")
    ref = as_dict(service).get("FirmwareInventory") or {"@odata.id": f"{_ROOT}/UpdateService/FirmwareInventory"}
    for _, entry in tree.members(ref):
        version = as_text(entry.get("Version"))
        name = as_text(entry.get("Name")) or as_text(entry.get("Id"))
        if not version or not name:
            continue
        related = [_key(link) for link in _links(entry.get("RelatedItem"))]
        targets = [builder.by_resource[k] for k in related if k in builder.by_resource]
        for component in targets:
            component.firmware = component.firmware or version
        if targets or (related and all(_other_system(k, system_key) for k in related)):
            continue  # claimed by a component, or by a system this result does not describe
        if name in asset.firmware and asset.firmware[name] != version:
            name = f"{name} ({as_text(entry.get('Id'))})"
        asset.firmware.setdefault(name, version)


def _other_system(key: str, system_key: str) -> bool:
    return key.startswith(f"{_ROOT}/systems/") and not (key == system_key or key.startswith(system_key + "/"))


# --- value helpers ---------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _links(value: Any) -> list[str]:
    """@odata.id strings of a navigation property: one link or a list of links."""
    items = value if isinstance(value, list) else [value]
    return [item["@odata.id"] for item in items if isinstance(item, dict) and isinstance(item.get("@odata.id"), str)]


def _referenced_ids(resource: Any) -> Iterator[str]:
    """Every @odata.id inside a resource's Links blocks (and nested Controllers' Links)."""
    stack: list[Any] = [as_dict(resource).get("Links")]
    stack.extend(as_dict(c).get("Links") for c in as_list(as_dict(resource).get("Controllers")))
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if k == "@odata.id" and isinstance(v, str):
                    key = _key(v)
                    if key:
                        yield key
                else:
                    stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)


def _absent(resource: dict[str, Any]) -> bool:
    return as_text(as_dict(resource.get("Status")).get("State")) == "Absent"


def _location(resource: dict[str, Any]) -> str:
    for holder in ("Location", "PhysicalLocation"):
        part = as_dict(as_dict(resource.get(holder)).get("PartLocation"))
        label = as_text(part.get("ServiceLabel"))
        if label:
            return label
    return ""


def _health(resource: dict[str, Any]) -> dict[str, Any]:
    status = as_text(as_dict(resource.get("Status")).get("Health"))
    return {"status": status} if status else {}


def _mac(value: Any) -> str:
    text = as_text(value).lower().replace("-", ":")
    if not re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", text) or _NULL_MAC.fullmatch(text):
        return ""
    return text


def _specs(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [])}
