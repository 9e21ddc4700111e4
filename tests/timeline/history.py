"""Reading derived history in terms that do not depend on database ids (serials instead),
so that histories built in different orders compare equal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registry.models import Asset, Component, Installation
from timeline.models import TimelineEvent

ID_KEYS = ("asset_id", "from_asset_id", "to_asset_id", "moved_to_asset_id", "moved_from_asset_id", "component_id")
VOLATILE_KEYS = ("bundle_id", "manual_event_id")


def events() -> set[tuple[Any, ...]]:
    assets = dict(Asset.objects.values_list("pk", "vendor_serial"))
    components = dict(Component.objects.values_list("pk", "serial"))
    rows = set()
    for event in TimelineEvent.objects.all():
        subject = (assets if event.subject_type == "asset" else components).get(event.subject_id)
        payload = {}
        for key, value in sorted(event.payload.items()):
            if key in VOLATILE_KEYS:
                continue
            if key in ID_KEYS and value is not None:
                value = (components if key == "component_id" else assets).get(value)
            payload[key] = value
        rows.add((event.event_type, event.subject_type, subject, event.timestamp, tuple(sorted(payload.items()))))
    return rows


def brief(kind: str | None = None) -> set[tuple[str, str, str, datetime]]:
    """(event type, subject type, subject serial, timestamp), optionally of one type."""
    return {(t, s, subject, ts) for t, s, subject, ts, _ in events() if kind is None or t == kind}


def installations() -> set[tuple[str, str, datetime, datetime, datetime | None]]:
    return set(
        Installation.objects.values_list(
            "component__serial", "asset__vendor_serial", "installed_at", "last_seen_at", "removed_at"
        )
    )
