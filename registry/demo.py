"""A small, realistic demo fleet for `make run`: customers, projects, locations, LOTs with
rules, and 24 servers whose history comes through the real pipeline: a few weekly snapshots
of each server (ingest.benchmarks' synthetic fleet: drives that move between servers, drives
replaced, BIOS and drive firmware updates) are uploaded with `receive_bundle` and parsed, so
the servers have observations, installations, timeline events and health. One drive fails
its SMART check in the last snapshot and one upload is a broken bundle.

Deterministic (seeded random), and idempotent: seeding twice leaves one fleet.
"""

from __future__ import annotations

import json
import random
from typing import Any

from django.db import transaction

from registry.choices import AssetStatus, ComponentClass, LocationKind
from registry.models import Asset, Component, Customer, Installation, Location, Lot, LotRule, Project

TB = 1000**4
GB = 1000**3
GIB = 1024**3

LOTS = [
    # code, class, description, vendor, model pattern, capacity range
    ("SSD_NVME_03.84TB_GEN4", ComponentClass.NVME, "3.84 TB NVMe, PCIe Gen4", "", r"PM9A3|P5510|CD6", (3 * TB, 4 * TB)),
    ("SSD_NVME_03.84TB_GEN3", ComponentClass.NVME, "3.84 TB NVMe, PCIe Gen3", "", r"MZQLB", (3 * TB, 4 * TB)),
    ("SSD_NVME_07.68TB_GEN4", ComponentClass.NVME, "7.68 TB NVMe, PCIe Gen4", "", r"", (7 * TB, 8 * TB)),
    ("SSD_SATA_00.96TB", ComponentClass.SSD, "960 GB SATA SSD (boot)", "", r"", (900 * GB, 1 * TB)),
    ("HDD_SAS_16TB_7K2", ComponentClass.HDD, "16 TB 7200 rpm SAS", "", r"", (15 * TB, 17 * TB)),
    ("HDD_SATA_08TB_7K2", ComponentClass.HDD, "8 TB 7200 rpm SATA", "", r"", (7 * TB, 9 * TB)),
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
    ("CPU_INTEL_XEON_CLX", ComponentClass.CPU, "Intel Xeon 2nd gen (Cascade Lake)", "INTEL", r"Gold 62\d\d", None),
    ("NIC_25G_DUAL", ComponentClass.NIC, "Dual-port 25 GbE", "", r"ConnectX-4 Lx|E810-XXV", None),
    ("NIC_100G_CX5", ComponentClass.NIC, "100 GbE ConnectX-5", "", r"ConnectX-5", None),
    ("NIC_10G_X710", ComponentClass.NIC, "10 GbE Intel X710", "", r"X710", None),
    ("PSU_0800W", ComponentClass.PSU, "800 W power supply", "", r"800", None),
    ("PSU_1600W", ComponentClass.PSU, "1600 W power supply", "", r"PWS-1K62|0PJMDN|865414", None),
]


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


DEMO_TAG = "RN-10000"  # the first demo server's asset tag: present means the fleet is there
SNAPSHOTS = 6
PARTS_PER_SERVER = 26
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def seed_demo_fleet(*, servers: int = 24, seed: int = 7) -> dict[str, int]:
    """Create the demo fleet unless it exists. Returns counts of what the fleet holds."""
    from tickets.demo import seed_demo_tickets

    with transaction.atomic():
        _ensure_lots()
        places = _ensure_places()
    _drop_registry_only_demo()
    if not Asset.objects.filter(asset_tag=DEMO_TAG).exists():
        _ingest_fleet(servers=servers, seed=seed)
        _place_assets(places)
    seed_demo_tickets()
    return {
        "customers": Customer.objects.count(),
        "assets": Asset.objects.count(),
        "components": Component.objects.count(),
        "installations": Installation.objects.count(),
        "lots": Lot.objects.count(),
        "bundles": _bundle_count(),
        "tickets": _ticket_count(),
    }


@transaction.atomic
def _drop_registry_only_demo() -> None:
    """Earlier versions wrote the demo straight into the registry, without bundles or history.
    Such a demo (its servers noted "demo fleet", none with a bundle) is replaced."""
    from ingest.models import LogBundle

    old = Asset.objects.filter(notes__startswith="demo fleet")
    if not old.exists() or LogBundle.objects.filter(asset__in=old).exists():
        return
    parts = Component.objects.filter(installations__asset__in=old).values_list("pk", flat=True)
    Component.objects.filter(pk__in=list(parts)).delete()
    old.delete()


def _bundle_count() -> int:
    from ingest.models import LogBundle

    return LogBundle.objects.count()


def _ticket_count() -> int:
    from tickets.models import Ticket

    return Ticket.objects.count()


def _ensure_places() -> dict[str, Any]:
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
    return {"projects": projects, "racks": racks, "warehouse": warehouse, "repair": repair}


def demo_bundles(*, servers: int = 24, seed: int = 7) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every demo upload, oldest snapshot first: the synthetic fleet of
    ingest.benchmarks with demo names and serials, a failing drive, and one broken bundle."""
    from ingest.benchmarks import RACK_SIZE, FleetSpec, _FleetBuilder

    spec = FleetSpec(servers=servers, snapshots=SNAPSHOTS, components=PARTS_PER_SERVER, seed=seed)
    uploads: list[tuple[str, bytes]] = []
    for rack in range(spec.racks):
        builder = _FleetBuilder(spec, rack)
        rng = random.Random(f"reanimator-demo:{seed}:{rack}")
        for server in builder.servers:
            n = server.index
            server.serial = {"Dell Inc.": "", "Supermicro": "S", "HPE": "MXQ"}.get(server.vendor, "") + "".join(
                rng.choice(ALPHABET) for _ in range(7)
            )
            server.asset_tag = f"RN-{10000 + n}"
            server.hostname = f"node-{n + 1:02d}.{'dc1' if n < RACK_SIZE else 'dc2'}.example.com"
            for part in server.parts:
                if part.get("serial"):
                    part["serial"] = _demo_serial(rng, part)
        for snapshot in range(spec.snapshots):
            if snapshot:
                builder.evolve()
                for server in builder.servers:  # parts that arrived with this step get demo serials too
                    for part in server.parts:
                        if str(part.get("serial", "")).startswith(spec.prefix):
                            part["serial"] = _demo_serial(rng, part)
            for server in builder.servers:
                raw = builder.bundle(server, snapshot)
                if snapshot == spec.snapshots - 1 and server.index == 2:
                    raw = _failing_drive(raw)
                uploads.append((f"{server.hostname.split('.')[0]}-{snapshot + 1}.json", raw))
    broken = json.dumps({"format": "reanimator-inventory", "version": 1, "hostname": "node-99", "components": []})
    uploads.append(("node-99-missing-time.json", broken.encode()))
    return uploads


def _demo_serial(rng: random.Random, part: dict[str, Any]) -> str:
    prefix = {"DIMM": "", "NIC": "MT", "PSU": "PS", "NVME": "S4EX", "SSD": "PHYF", "HDD": "ZL"}.get(part["class"], "")
    return prefix + "".join(rng.choice(ALPHABET) for _ in range(12 - len(prefix)))


def _failing_drive(raw: bytes) -> bytes:
    doc = json.loads(raw)
    drive = next(c for c in doc["components"] if c["class"] in {"HDD", "SSD", "NVME"})
    drive["health"] = {**drive.get("health", {}), "smart_passed": False, "media_errors": 112}
    return json.dumps(doc, sort_keys=True).encode()


def _ingest_fleet(*, servers: int, seed: int) -> None:
    from ingest.choices import BundleStatus
    from ingest.services.intake import receive_bundle
    from ingest.services.parsing import parse_bundle

    for filename, raw in demo_bundles(servers=servers, seed=seed):
        receipt = receive_bundle(raw, content_type="application/json", filename=filename)
        # Eager Celery has parsed it on commit already; with a broker, parse here rather than
        # leave `make run` waiting for a worker.
        if receipt.bundle.status == BundleStatus.RECEIVED:
            parse_bundle(receipt.bundle.pk)


def _place_assets(places: dict[str, Any]) -> None:
    """Projects, locations and lifecycle statuses, as operators would have set them in admin."""
    statuses = [AssetStatus.DEPLOYED] * 18 + [AssetStatus.STOCK] * 3 + [AssetStatus.REPAIR, AssetStatus.INTAKE]
    statuses += [AssetStatus.RETIRED]
    racks = places["racks"]
    assets = Asset.objects.filter(asset_tag__startswith="RN-").order_by("asset_tag")
    for n, asset in enumerate(assets):
        status = statuses[n % len(statuses)]
        asset.status = status
        asset.location = {
            AssetStatus.STOCK: places["warehouse"],
            AssetStatus.INTAKE: places["warehouse"],
            AssetStatus.REPAIR: places["repair"],
        }.get(status, racks[(n // 7) % 3] if n < 20 else racks[3 + n % 2])
        asset.project = places["projects"][n % 4] if status != AssetStatus.INTAKE else None
        asset.notes = "demo fleet"
        asset.save(update_fields=["status", "location", "project", "notes", "updated_at"])
