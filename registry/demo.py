"""A small, realistic demo fleet for `make run`: customers, projects, locations, LOTs with
rules, and 24 servers with their parts, a few of which moved between servers.

Deterministic (seeded random), and idempotent: seeding twice leaves one fleet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from registry.choices import AssetStatus, ComponentClass, LocationKind
from registry.models import Asset, Component, Customer, Installation, Location, Lot, LotRule, Project
from registry.services.identity import identity_rules
from registry.services.lots import assign_lot, load_lot_rules

TB = 1000**4
GB = 1000**3
GIB = 1024**3

LOTS = [
    # code, class, description, vendor, model pattern, capacity range
    ("SSD_NVME_03.84TB_GEN4", ComponentClass.NVME, "3.84 TB NVMe, PCIe Gen4", "", r"PM9A3|P5510|CD6", (3 * TB, 4 * TB)),
    ("SSD_NVME_07.68TB_GEN4", ComponentClass.NVME, "7.68 TB NVMe, PCIe Gen4", "", r"", (7 * TB, 8 * TB)),
    ("SSD_SATA_00.96TB", ComponentClass.SSD, "960 GB SATA SSD (boot)", "", r"", (900 * GB, 1 * TB)),
    ("HDD_SAS_16TB_7K2", ComponentClass.HDD, "16 TB 7200 rpm SAS", "", r"", (15 * TB, 17 * TB)),
    ("DIMM_DDR4_32G_3200", ComponentClass.DIMM, "32 GiB DDR4-3200 RDIMM", "", r"", (32 * GIB, 32 * GIB)),
    ("DIMM_DDR4_64G_3200", ComponentClass.DIMM, "64 GiB DDR4-3200 RDIMM", "", r"", (64 * GIB, 64 * GIB)),
    ("CPU_AMD_EPYC_7003", ComponentClass.CPU, "AMD EPYC Milan", "AMD", r"EPYC 7\d\d3", None),
    (
        "CPU_INTEL_XEON_ICX",
        ComponentClass.CPU,
        "Intel Xeon 3rd gen (Ice Lake)",
        "INTEL",
        r"Gold 63\d\d|Silver 43\d\d",
        None,
    ),
    ("NIC_25G_DUAL", ComponentClass.NIC, "Dual-port 25 GbE", "", r"ConnectX-4 Lx|E810-XXV", None),
    ("PSU_0800W", ComponentClass.PSU, "800 W power supply", "", r"800", None),
]


@dataclass(frozen=True)
class ServerModel:
    vendor: str
    model: str
    cpu: tuple[str, str]
    cpu_count: int
    dimm: tuple[str, str, int]
    dimm_count: int
    drives: list[tuple[str, str, str, int]]
    nic: tuple[str, str]
    psu: tuple[str, str]


SERVER_MODELS = [
    ServerModel(
        "Dell Inc.",
        "PowerEdge R6515",
        ("AMD", "AMD EPYC 7443P 24-Core Processor"),
        1,
        ("Samsung", "M393A4K40DB3-CWE", 32 * GIB),
        8,
        [
            (ComponentClass.NVME, "SAMSUNG", "SAMSUNG MZQL23T8HCLS-00A07 (PM9A3)", int(3.84 * TB)),
            (ComponentClass.NVME, "SAMSUNG", "SAMSUNG MZQL23T8HCLS-00A07 (PM9A3)", int(3.84 * TB)),
            (ComponentClass.SSD, "Micron", "MTFDDAV960TDS", 960 * GB),
        ],
        ("Mellanox", "MT27710 Family [ConnectX-4 Lx]"),
        ("Dell", "PWR SPLY,800W,RDNT,LTON"),
    ),
    ServerModel(
        "Supermicro",
        "SYS-6029P-E1CR12L",
        ("Intel", "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz"),
        2,
        ("Micron", "36ASF8G72PZ-3G2E1", 64 * GIB),
        16,
        [
            (ComponentClass.HDD, "Seagate", "ST16000NM002G", 16 * TB),
            (ComponentClass.HDD, "Seagate", "ST16000NM002G", 16 * TB),
            (ComponentClass.HDD, "Seagate", "ST16000NM002G", 16 * TB),
            (ComponentClass.HDD, "Seagate", "ST16000NM002G", 16 * TB),
            (ComponentClass.SSD, "Intel", "INTEL SSDSC2KG960G8", 960 * GB),
        ],
        ("Intel", "Ethernet Controller E810-XXV for SFP"),
        ("Supermicro", "PWS-801-1R 800W"),
    ),
    ServerModel(
        "HPE",
        "ProLiant DL360 Gen10 Plus",
        ("Intel", "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz"),
        2,
        ("SK Hynix", "HMA84GR7CJR4N-XN", 32 * GIB),
        12,
        [
            (ComponentClass.NVME, "KIOXIA", "KIOXIA CD6-R KCD61LUL7T68", int(7.68 * TB)),
            (ComponentClass.SSD, "Samsung", "MZ7LH960HAJR", 960 * GB),
        ],
        ("Mellanox", "MT27710 Family [ConnectX-4 Lx]"),
        ("HPE", "800W FS Plat Ht Plg LH Pwr Sply Kit"),
    ),
]


def _serial(rng: random.Random, prefix: str, length: int = 10) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def _ensure_lots() -> None:
    for code, component_class, description, vendor, pattern, capacity in LOTS:
        lot, _ = Lot.objects.get_or_create(
            code=code, defaults={"component_class": component_class, "description": description}
        )
        if not lot.rules.exists():
            LotRule.objects.create(
                lot=lot,
                component_class=component_class,
                vendor=vendor,
                model_pattern=pattern,
                capacity_min_bytes=capacity[0] if capacity else None,
                capacity_max_bytes=capacity[1] if capacity else None,
            )


@transaction.atomic
def seed_demo_fleet(*, servers: int = 24, seed: int = 7) -> dict[str, int]:
    """Create the demo fleet unless it exists. Returns counts of what the fleet holds."""
    _ensure_lots()
    if not Asset.objects.filter(notes__startswith="demo fleet").exists():
        _create_fleet(servers=servers, rng=random.Random(seed))
    return {
        "customers": Customer.objects.count(),
        "assets": Asset.objects.count(),
        "components": Component.objects.count(),
        "installations": Installation.objects.count(),
        "lots": Lot.objects.count(),
    }


def _create_fleet(*, servers: int, rng: random.Random) -> None:
    rules = identity_rules()
    lot_rules = load_lot_rules()
    acme = Customer.objects.get_or_create(name="Acme Cloud")[0]
    northwind = Customer.objects.get_or_create(name="Northwind Analytics")[0]
    globex = Customer.objects.get_or_create(name="Globex Research")[0]
    projects = [
        Project.objects.get_or_create(customer=acme, name="Object storage")[0],
        Project.objects.get_or_create(customer=acme, name="Compute pool A")[0],
        Project.objects.get_or_create(customer=northwind, name="Data warehouse")[0],
        Project.objects.get_or_create(customer=globex, name="HPC cluster")[0],
    ]
    dc1 = Location.objects.get_or_create(name="DC1 Frankfurt", parent=None, kind=LocationKind.DATACENTER)[0]
    dc2 = Location.objects.get_or_create(name="DC2 Amsterdam", parent=None, kind=LocationKind.DATACENTER)[0]
    racks = [
        Location.objects.get_or_create(name=f"DC1-R{n:02d}", parent=dc1, kind=LocationKind.RACK)[0] for n in (1, 2, 3)
    ]
    racks += [
        Location.objects.get_or_create(name=f"DC2-R{n:02d}", parent=dc2, kind=LocationKind.RACK)[0] for n in (1, 2)
    ]
    warehouse = Location.objects.get_or_create(name="Central warehouse", parent=None, kind=LocationKind.WAREHOUSE)[0]
    repair = Location.objects.get_or_create(name="Repair centre Brno", parent=None, kind=LocationKind.REPAIR_CENTRE)[0]

    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    statuses = [AssetStatus.DEPLOYED] * 18 + [AssetStatus.STOCK] * 3 + [AssetStatus.REPAIR, AssetStatus.INTAKE]
    statuses += [AssetStatus.RETIRED]
    assets: list[tuple[Asset, ServerModel]] = []
    for n in range(servers):
        model = SERVER_MODELS[n % len(SERVER_MODELS)]
        status = statuses[n % len(statuses)]
        location = {AssetStatus.STOCK: warehouse, AssetStatus.INTAKE: warehouse, AssetStatus.REPAIR: repair}.get(
            status, racks[n % len(racks)]
        )
        raw_serial = _serial(rng, {"Dell Inc.": "", "Supermicro": "S", "HPE": "MXQ"}[model.vendor], 7)
        asset = Asset(
            vendor=model.vendor,
            model=model.model,
            vendor_serial_raw=raw_serial,
            asset_tag=f"RN-{10000 + n}",
            hostname=f"node-{n + 1:02d}.{'dc1' if location in racks[:3] else 'dc2'}.example.com"
            if status == AssetStatus.DEPLOYED
            else "",
            project=projects[n % len(projects)] if status != AssetStatus.INTAKE else None,
            location=location,
            status=status,
            notes="demo fleet",
        )
        asset.vendor_serial = rules.serial(raw_serial) or None
        asset.asset_tag = rules.serial(asset.asset_tag) or None
        asset.save()
        assets.append((asset, model))

    for index, (asset, model) in enumerate(assets):
        installed_at = start + timedelta(days=index * 3)
        for slot, component in _parts(model, rng):
            component.vendor = rules.vendor(component.vendor_raw)
            component.serial = rules.serial(component.serial_raw)
            component.first_seen_at = installed_at
            assign_lot(component, rules=lot_rules)
            component.save()
            Installation.objects.create(
                component=component,
                asset=asset,
                slot=slot,
                installed_at=installed_at,
                last_seen_at=installed_at + timedelta(days=200),
            )
    _move_some_parts([a for a, _ in assets])


def _parts(model: ServerModel, rng: random.Random) -> list[tuple[str, Component]]:
    parts: list[tuple[str, Component]] = []
    for socket in range(model.cpu_count):
        parts.append(
            (
                f"CPU{socket + 1}",
                Component(
                    component_class=ComponentClass.CPU,
                    vendor_raw=model.cpu[0],
                    model=model.cpu[1],
                    serial_raw=_serial(rng, "CPU-", 12),
                    specs={"cores": 24 if "EPYC" in model.cpu[1] else 28},
                ),
            )
        )
    for dimm in range(model.dimm_count):
        parts.append(
            (
                f"DIMM_{'ABCDEFGH'[dimm % 8]}{dimm // 8 + 1}",
                Component(
                    component_class=ComponentClass.DIMM,
                    vendor_raw=model.dimm[0],
                    model=model.dimm[1],
                    serial_raw=_serial(rng, "", 8),
                    specs={"capacity_bytes": model.dimm[2], "speed_mts": 3200, "type": "DDR4"},
                ),
            )
        )
    for bay, (component_class, vendor, drive_model, capacity) in enumerate(model.drives):
        parts.append(
            (
                f"Bay {bay}",
                Component(
                    component_class=component_class,
                    vendor_raw=vendor,
                    model=drive_model,
                    serial_raw=_serial(rng, "", 12),
                    specs={"capacity_bytes": capacity},
                ),
            )
        )
    parts.append(
        (
            "NIC.Slot.1",
            Component(
                component_class=ComponentClass.NIC,
                vendor_raw=model.nic[0],
                model=model.nic[1],
                serial_raw=_serial(rng, "MT", 10),
                specs={"ports": 2, "speed_gbps": 25},
            ),
        )
    )
    for psu in (1, 2):
        parts.append(
            (
                f"PSU{psu}",
                Component(
                    component_class=ComponentClass.PSU,
                    vendor_raw=model.psu[0],
                    model=model.psu[1],
                    serial_raw=_serial(rng, "PS", 12),
                    specs={"watts": 800},
                ),
            )
        )
    return parts


def _move_some_parts(assets: list[Asset]) -> None:
    """A few drives left one server (removed for repair) and one went into another."""
    drives = list(
        Installation.objects.filter(
            asset__in=assets[:6], component__component_class__in=[ComponentClass.NVME, ComponentClass.SSD]
        ).select_related("component")[:4]
    )
    for number, installation in enumerate(drives):
        removed_at = installation.last_seen_at + timedelta(days=2)
        installation.removed_at = removed_at
        installation.save(update_fields=["removed_at"])
        if number % 2 == 0:
            target = assets[-(number + 2)]
            Installation.objects.create(
                component=installation.component,
                asset=target,
                slot="Bay 9",
                installed_at=removed_at,
                last_seen_at=removed_at + timedelta(days=30),
            )
