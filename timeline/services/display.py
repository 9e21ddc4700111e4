"""Turning timeline events into rows a page can show: the assets and components their
payloads name are fetched in bulk (two queries at most, whatever the number of events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from registry.models import Asset, Component
from timeline.choices import SubjectType
from timeline.models import TimelineEvent


@dataclass(frozen=True)
class EventRow:
    event: TimelineEvent
    asset: Asset | None  # the server it happened in (the subject, or named by the payload)
    component: Component | None  # the part it is about
    from_asset: Asset | None
    to_asset: Asset | None
    window_after: datetime | None  # a removal: the part was still there at this time

    @property
    def payload(self) -> dict[str, Any]:
        return self.event.payload or {}


def _ids(events: list[TimelineEvent], subject_type: str, *keys: str) -> set[int]:
    ids: set[int] = set()
    for event in events:
        if event.subject_type == subject_type:
            ids.add(event.subject_id)
        for key in keys:
            value = (event.payload or {}).get(key)
            if isinstance(value, int):
                ids.add(value)
    return ids


def describe(events: list[TimelineEvent]) -> list[EventRow]:
    asset_ids = _ids(
        events,
        SubjectType.ASSET,
        "asset_id",
        "from_asset_id",
        "to_asset_id",
        "moved_from_asset_id",
        "moved_to_asset_id",
    )
    component_ids = _ids(events, SubjectType.COMPONENT, "component_id")
    assets = Asset.objects.in_bulk(asset_ids) if asset_ids else {}
    components = Component.objects.select_related("lot").in_bulk(component_ids) if component_ids else {}
    rows = []
    for event in events:
        payload = event.payload or {}
        if event.subject_type == SubjectType.ASSET:
            asset = assets.get(event.subject_id)
            component = components.get(payload.get("component_id"))
        else:
            asset = assets.get(payload.get("asset_id") or payload.get("to_asset_id"))
            component = components.get(event.subject_id)
        after = payload.get("last_seen_at")
        rows.append(
            EventRow(
                event=event,
                asset=asset,
                component=component,
                from_asset=assets.get(payload.get("from_asset_id") or payload.get("moved_from_asset_id")),
                to_asset=assets.get(payload.get("to_asset_id") or payload.get("moved_to_asset_id")),
                window_after=parse_datetime(after) if isinstance(after, str) else None,
            )
        )
    return rows
