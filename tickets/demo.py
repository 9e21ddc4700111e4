"""Demo tickets for `make run`: a handful of service-desk tickets about the demo fleet, pushed
through the same sync as real ones (so they are linked and on the timelines). Idempotent:
seeding twice changes nothing. Call `seed_demo_tickets()` after the fleet is seeded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from registry.models import Asset, Component
from tickets.services.sync import SyncResult, sync_tickets

DEMO_SOURCE = "demo-desk"
T0 = datetime(2026, 2, 2, 9, 30, tzinfo=UTC)


def seed_demo_tickets() -> SyncResult:
    assets = list(Asset.objects.exclude(vendor_serial=None).exclude(hostname="").order_by("pk")[:3])
    drive = Component.objects.filter(component_class__in=["NVME", "SSD", "HDD"]).order_by("pk").first()
    dimm = Component.objects.filter(component_class="DIMM").order_by("pk").first()
    batch: list[dict[str, Any]] = []

    def ticket(number: int, title: str, description: str, **extra: Any) -> None:
        opened = T0 + timedelta(days=number * 3)
        batch.append(
            {
                "external_id": f"OPS-{1000 + number}",
                "title": title,
                "description": description,
                "opened_at": opened.isoformat(),
                "updated_at": (opened + timedelta(hours=5)).isoformat(),
                "priority": "P2",
                "category": "hardware",
                "reporter": "Demo Operator",
                "url": f"https://desk.example.com/browse/OPS-{1000 + number}",
                **extra,
            }
        )

    if assets:
        first = assets[0]
        ticket(
            1,
            f"{first.hostname} does not come back after the BIOS update",
            f"After flashing BIOS the server {first.vendor_serial} stays at a black screen. Console attached.",
            status="closed",
            closed_at=(T0 + timedelta(days=4)).isoformat(),
        )
    if len(assets) > 1:
        ticket(2, "Fan noise", f"Loud fans on {assets[1].hostname} since Monday.", status="in_progress")
    if drive is not None:
        ticket(3, "NVMe media errors", f"smartctl reports media errors on drive {drive.serial}; please RMA.")
    if dimm is not None:
        ticket(
            4,
            "Correctable ECC errors",
            "EDAC counts rising on one DIMM.",
            references={"serials": [dimm.serial]},
        )
    if len(assets) > 2:
        ticket(5, "Rack move", f"Move {assets[2].hostname} to rack B2 next week.", category="logistics")
    return sync_tickets(batch, source=DEMO_SOURCE)
