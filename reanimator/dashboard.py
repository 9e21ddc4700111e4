"""The dashboard's figures, in a fixed number of queries: fleet counts, bundles of the last
24 hours, recent movements and firmware changes, recent failures and open tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from ingest.services.console import ConsoleSummary, console_summary
from registry.choices import AssetStatus, ComponentClass
from registry.models import Asset, Component
from tickets.services.panels import open_tickets
from timeline.choices import EventType, SubjectType
from timeline.models import TimelineEvent
from timeline.services.display import EventRow, describe


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


def dashboard_summary(*, recent: int = 10) -> DashboardSummary:
    by_status = dict(Asset.objects.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    status_labels = dict(AssetStatus.choices)
    statuses = [Count_(value, status_labels[value], by_status.get(value, 0)) for value in AssetStatus.values]
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
    movements = list(
        TimelineEvent.objects.filter(
            subject_type=SubjectType.COMPONENT, event_type__in=[EventType.MOVED, EventType.REMOVED]
        ).order_by("-timestamp", "-id")[:recent]
    )
    firmware = list(
        TimelineEvent.objects.filter(event_type=EventType.FIRMWARE_CHANGED).order_by("-timestamp", "-id")[:recent]
    )
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
