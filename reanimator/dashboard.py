"""The dashboard's figures, in a fixed number of queries: fleet counts, bundles of the last
24 hours, recent movements and firmware changes, recent failures and open tickets.

Every query reads a bounded range of an index, except the fleet counts: a count by class
over millions of parts reads the whole (narrow) component_class_id index, some 100 ms per
million rows. Those three counts are therefore cached for FLEET_COUNTS_SECONDS (Redis in
production, shared by the web processes): the dashboard's figures may lag by that much, and
a page that finds them cached runs three queries fewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, QuerySet

from ingest.services.console import ConsoleSummary, console_summary
from registry.choices import AssetStatus, ComponentClass
from registry.models import Asset, Component
from tickets.services.panels import open_tickets
from timeline.choices import EventType, SubjectType
from timeline.models import TimelineEvent
from timeline.services.display import EventRow, describe
from timeline.services.queries import newest_of


@dataclass(frozen=True)
class Count_:
    key: str
    label: str
    n: int


@dataclass(frozen=True)
class DashboardSummary:
    assets_total: int
    assets_by_status: list[Count_]
    assets_by_location: list[Count_]
    components_total: int
    components_by_class: list[Count_]
    bundles: ConsoleSummary
    movements: list[EventRow]
    firmware_changes: list[EventRow]
    open_tickets: list[Any]


def _counts(rows: dict[Any, int], labels: dict[Any, str]) -> list[Count_]:
    return [Count_(str(key), labels.get(key, str(key)), n) for key, n in sorted(rows.items(), key=lambda kv: -kv[1])]


FLEET_COUNTS_KEY = "dashboard:fleet-counts:v1"
FLEET_COUNTS_SECONDS = 60


FleetCounts = tuple[dict[Any, int], dict[Any, int], dict[Any, int]]


def fleet_counts() -> FleetCounts:
    """Assets by status and by location name, parts by class: from the cache, or three
    GROUP BY queries each served by a covering index (status; location_id, joined to the few
    locations; component_class_id)."""
    cached = cache.get(FLEET_COUNTS_KEY)
    if cached is not None:
        return cached
    by_status = dict(Asset.objects.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_location = dict(
        Asset.objects.order_by()
        .values_list("location__name")
        .annotate(n=Count("id"))
        .values_list("location__name", "n")
    )
    by_class = dict(
        Component.objects.order_by()
        .values_list("component_class")
        .annotate(n=Count("id"))
        .values_list("component_class", "n")
    )
    counts: FleetCounts = (by_status, by_location, by_class)
    cache.set(FLEET_COUNTS_KEY, counts, FLEET_COUNTS_SECONDS)
    return counts


def latest_events(types: list[str], *, limit: int, subject_type: str | None = None) -> list[TimelineEvent]:
    """The newest `limit` events of these types, newest first. One query (newest_of): one
    LIMITed backward range of the (event_type, timestamp) index per type, merged by the
    database. An IN over the types made MariaDB sort every event of those types instead."""
    parts: list[QuerySet[TimelineEvent]] = []
    for event_type in types:
        queryset = TimelineEvent.objects.filter(event_type=event_type)
        if subject_type is not None:
            queryset = queryset.filter(subject_type=subject_type)
        parts.append(queryset)
    return newest_of(parts, ["-timestamp", "-id"], limit)


def dashboard_summary(*, recent: int = 10) -> DashboardSummary:
    by_status, by_location, by_class = fleet_counts()
    status_labels = dict(AssetStatus.choices)
    statuses = [Count_(value, status_labels[value], by_status.get(value, 0)) for value in AssetStatus.values]
    movements = latest_events([EventType.MOVED, EventType.REMOVED], limit=recent, subject_type=SubjectType.COMPONENT)
    firmware = latest_events([EventType.FIRMWARE_CHANGED], limit=recent)
    described = describe(movements + firmware)
    return DashboardSummary(
        assets_total=sum(by_status.values()),
        assets_by_status=statuses,
        assets_by_location=_counts({k or "(no location)": v for k, v in by_location.items()}, {}),
        components_total=sum(by_class.values()),
        components_by_class=_counts(by_class, dict(ComponentClass.choices)),
        bundles=console_summary(),
        movements=described[: len(movements)],
        firmware_changes=described[len(movements) :],
        open_tickets=open_tickets(),
    )
