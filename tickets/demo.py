"""Demo tickets for `make run` (registry.demo seeds the fleet, then calls seed_demo_tickets)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Min

from ingest.models import LogBundle
from registry.models import Asset, Component
from tickets.services.sync import sync_tickets
from timeline.choices import EventType
from timeline.models import TimelineEvent


def seed_demo_tickets() -> None:
    """A few service-desk tickets, synced the way a connector would push them, so they are
    linked by the real matching (serials, hostnames and asset tags in their text). Their
    times hang off the fleet's first snapshot, so seeding again, any day, changes nothing."""

    start = LogBundle.objects.filter(asset__asset_tag__startswith="RN-").aggregate(first=Min("collected_at"))["first"]
    if start is None:
        return
    failed = TimelineEvent.objects.filter(event_type=EventType.FAILED).order_by("timestamp", "id").first()
    moved = TimelineEvent.objects.filter(event_type=EventType.MOVED).order_by("timestamp", "id").first()
    failed_part = Component.objects.filter(pk=failed.subject_id).first() if failed else None
    failed_asset_id = int((failed.payload or {}).get("asset_id") or 0) if failed else 0
    failed_host = Asset.objects.filter(pk=failed_asset_id).first() if failed_asset_id else None
    moved_part = Component.objects.filter(pk=moved.subject_id).first() if moved else None

    def at(days: float) -> str:
        return (start + timedelta(days=days)).isoformat()

    items: list[dict[str, Any]] = []
    if failed_part and failed_host:
        items.append(
            {
                "external_id": "OPS-1042",
                "title": f"SMART failure on a drive in {failed_host.hostname.split('.')[0]}",
                "description": f"Monitoring reports SMART overall-health FAILED for drive {failed_part.serial} "
                f"in {failed_host.hostname}. Please replace.",
                "status": "open",
                "priority": "P2",
                "category": "hardware",
                "opened_at": at(36),
                "updated_at": at(36.2),
                "reporter": "monitoring",
            }
        )
    if moved_part:
        items.append(
            {
                "external_id": "OPS-0998",
                "title": "Drive swapped between servers during a disk check",
                "description": f"Drive {moved_part.serial} was moved to another node while testing the backplane.",
                "status": "closed",
                "priority": "P4",
                "category": "hardware",
                "opened_at": at(6),
                "updated_at": at(8),
                "closed_at": at(8),
                "reporter": "dc-ops",
            }
        )
    items += [
        {
            "external_id": "OPS-1038",
            "title": "PSU redundancy lost",
            "description": "PSU2 reports no input on RN-10006. Cable checked, PSU to be replaced.",
            "status": "in_progress",
            "priority": "P2",
            "category": "hardware",
            "opened_at": at(30),
            "updated_at": at(33),
            "reporter": "dc-ops",
        },
        {
            "external_id": "OPS-1051",
            "title": "node-12 unreachable after reboot",
            "description": "node-12.dc1.example.com does not come back after the kernel update; BMC reachable.",
            "status": "open",
            "priority": "P1",
            "category": "incident",
            "opened_at": at(40),
            "updated_at": at(40.1),
            "reporter": "oncall",
        },
        {
            "external_id": "OPS-1060",
            "title": "Correctable memory errors",
            "description": "EDAC counts rising on RN-10014, DIMM P1-DIMM3. Watch and schedule a swap.",
            "status": "open",
            "priority": "P3",
            "category": "hardware",
            "opened_at": at(38),
            "updated_at": at(39),
            "reporter": "monitoring",
        },
        {
            "external_id": "OPS-1017",
            "title": "BIOS roll-out on the Supermicro nodes",
            "description": "Roll the vendor's BIOS update out to the Supermicro nodes in DC1.",
            "status": "closed",
            "priority": "P3",
            "category": "change",
            "opened_at": at(10),
            "updated_at": at(30),
            "closed_at": at(30),
            "reporter": "platform",
        },
    ]
    for item in items:
        item["url"] = f"https://servicedesk.example.com/browse/{item['external_id']}"
    sync_tickets(items, source="servicedesk")
