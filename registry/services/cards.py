"""What the server card and the component page show, gathered in a fixed number of queries
however many parts, events or bundles there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import JSONField, Min, OuterRef, QuerySet, Subquery

from ingest.choices import BundleStatus, ObservationKind
from ingest.models import LogBundle, Observation
from registry.choices import ComponentClass
from registry.models import Asset, Component, Installation
from timeline.choices import EventType, SubjectType
from timeline.models import TimelineEvent
from timeline.services.display import EventRow, describe
from timeline.services.queries import installations_at, newest_of

MOVEMENT_TYPES = [EventType.INSTALLED, EventType.REMOVED]
CLASS_LABELS = dict(ComponentClass.choices)


@dataclass
class PartGroup:
    component_class: str
    label: str
    parts: list[Installation] = field(default_factory=list)


@dataclass(frozen=True)
class Health:
    """What the last observation said about a part's health, reduced to a verdict."""

    raw: dict[str, Any]

    @property
    def verdict(self) -> str:
        if not self.raw:
            return ""
        if self.raw.get("smart_passed") is False or str(self.raw.get("status", "")).lower() in {"critical", "failed"}:
            return "failed"
        if self.raw.get("media_errors"):
            return "warning"
        if self.raw.get("smart_passed") is True or str(self.raw.get("status", "")).lower() == "ok":
            return "ok"
        return ""

    @property
    def summary(self) -> str:
        bits = []
        if "power_on_hours" in self.raw:
            bits.append(f"{self.raw['power_on_hours']:,} h")
        if "temperature_c" in self.raw:
            bits.append(f"{self.raw['temperature_c']} °C")
        if self.raw.get("media_errors"):
            bits.append(f"{self.raw['media_errors']} media errors")
        return ", ".join(bits)


def parts_in(asset: Asset, *, moment: datetime | None = None) -> list[PartGroup]:
    """The parts in the asset now (or at `moment`), grouped by class, each with the firmware
    and health of its latest observation in this asset (as of the moment). One query."""
    queryset: QuerySet[Installation]
    observations = Observation.objects.filter(component_id=OuterRef("component_id"), asset_id=asset.pk)
    if moment is None:
        queryset = Installation.objects.filter(asset=asset, removed_at__isnull=True).select_related("component__lot")
        queryset = queryset.order_by("component__component_class", "slot", "id")
    else:
        queryset = installations_at(asset.pk, moment)
        observations = observations.filter(collected_at__lte=moment)
    latest = observations.order_by("-collected_at", "-id")
    queryset = queryset.annotate(
        firmware=Subquery(latest.values("firmware")[:1]),
        health_raw=Subquery(latest.values("health")[:1], output_field=JSONField()),
    )
    groups: dict[str, PartGroup] = {}
    for installation in queryset:
        component_class = installation.component.component_class
        group = groups.setdefault(
            component_class, PartGroup(component_class, CLASS_LABELS.get(component_class, component_class))
        )
        installation.health = Health(installation.health_raw or {})  # type: ignore[attr-defined]
        # As the API says it: inside the removal window (last_seen_at, removed_at] the part may be gone.
        installation.certain = (  # type: ignore[attr-defined]
            moment is None or installation.removed_at is None or moment <= installation.last_seen_at
        )
        group.parts.append(installation)
    order = {value: index for index, value in enumerate(ComponentClass.values)}
    return sorted(groups.values(), key=lambda g: order.get(g.component_class, 99))


@dataclass(frozen=True)
class ServerCard:
    asset: Asset
    groups: list[PartGroup]
    part_count: int
    asset_firmware: dict[str, str]
    first_collected_at: datetime | None
    initial_parts: int
    movements: list[EventRow]
    firmware_changes: list[EventRow]
    bundles: list[LogBundle]
    anonymous_parts: int


def server_card(
    asset: Asset, *, moment: datetime | None = None, movements: int = 50, firmware: int = 50, bundles: int = 20
) -> ServerCard:
    """Everything on the card; `moment` shows the parts as they were then (the as-of picker)."""
    groups = parts_in(asset, moment=moment)
    last_asset_observation = (
        Observation.objects.filter(asset=asset, kind=ObservationKind.ASSET).order_by("-collected_at", "-id").first()
    )
    first = LogBundle.objects.filter(asset=asset, status=BundleStatus.PARSED).aggregate(first=Min("collected_at"))
    first_collected_at = first["first"]
    # Parts present at the first log collection are the initial inventory, not movements.
    movement_events = TimelineEvent.objects.filter(
        subject_type=SubjectType.ASSET, subject_id=asset.pk, event_type__in=MOVEMENT_TYPES
    )
    initial = 0
    if first_collected_at is not None:
        initial = movement_events.filter(event_type=EventType.INSTALLED, timestamp=first_collected_at).count()
        movement_events = movement_events.exclude(event_type=EventType.INSTALLED, timestamp=first_collected_at)
    movement_rows = list(movement_events.order_by("-timestamp", "-type_order", "-id")[:movements])
    firmware_rows = firmware_history(asset, limit=firmware)
    described = describe(movement_rows + firmware_rows)
    bundle_rows = list(LogBundle.objects.filter(asset=asset).order_by("-collected_at", "-id")[:bundles])
    anonymous = 0
    latest_bundle = next((b for b in bundle_rows if b.status == BundleStatus.PARSED), None)
    if latest_bundle is not None:
        anonymous = int((latest_bundle.counts or {}).get("anonymous", 0) or 0)
    specs = last_asset_observation.specs if last_asset_observation else {}
    return ServerCard(
        asset=asset,
        groups=groups,
        part_count=sum(len(g.parts) for g in groups),
        asset_firmware=dict((specs or {}).get("firmware") or {}),
        first_collected_at=first_collected_at,
        initial_parts=initial,
        movements=described[: len(movement_rows)],
        firmware_changes=described[len(movement_rows) :],
        bundles=bundle_rows,
        anonymous_parts=anonymous,
    )


def firmware_history(asset: Asset, *, limit: int = 50) -> list[TimelineEvent]:
    """The asset's own firmware changes and those of the parts while they were in it, newest
    first. One query, a UNION ALL of two LIMITed branches, each read through the subject index
    (event_subject_time): the asset's own events, and the events of the parts ever installed
    in it. An OR of the two, as one WHERE, made MariaDB walk the (event_type, timestamp) index
    through every firmware change of the fleet."""
    own = TimelineEvent.objects.filter(
        subject_type=SubjectType.ASSET, subject_id=asset.pk, event_type=EventType.FIRMWARE_CHANGED
    )
    ever_installed = Installation.objects.filter(asset=asset).values("component_id")
    parts = TimelineEvent.objects.filter(
        subject_type=SubjectType.COMPONENT,
        subject_id__in=Subquery(ever_installed),
        event_type=EventType.FIRMWARE_CHANGED,
        payload__asset_id=asset.pk,
    )
    return newest_of([own, parts], ["-timestamp", "-type_order", "-id"], limit)


@dataclass(frozen=True)
class FirmwareRun:
    firmware: str
    since: datetime
    until: datetime
    asset: Asset


@dataclass(frozen=True)
class ComponentCard:
    component: Component
    installations: list[Installation]
    current: Installation | None
    firmware_runs: list[FirmwareRun]
    health: list[Observation]  # oldest first
    last_health: Health


def component_card(component: Component, *, observations: int = 120) -> ComponentCard:
    installations = list(component.installations.select_related("asset").order_by("installed_at", "id"))
    current = next((i for i in installations if i.removed_at is None), None)
    rows = list(
        Observation.objects.filter(component=component)
        .select_related("asset")
        .only(
            "collected_at",
            "firmware",
            "health",
            "asset__id",
            "asset__hostname",
            "asset__vendor_serial",
            "asset__asset_tag",
            "asset__system_uuid",
            "asset__model",
        )
        .order_by("-collected_at", "-id")[:observations]
    )
    rows.reverse()
    runs: list[FirmwareRun] = []
    for row in rows:
        if not row.firmware:
            continue
        if runs and runs[-1].firmware == row.firmware:
            runs[-1] = FirmwareRun(row.firmware, runs[-1].since, row.collected_at, row.asset)
        else:
            runs.append(FirmwareRun(row.firmware, row.collected_at, row.collected_at, row.asset))
    health = [row for row in rows if row.health]
    return ComponentCard(
        component=component,
        installations=installations,
        current=current,
        firmware_runs=list(reversed(runs)),
        health=health,
        last_health=Health(health[-1].health if health else {}),
    )


def health_series(observations: list[Observation], key: str) -> list[tuple[datetime, float]]:
    return [
        (o.collected_at, float(o.health[key]))
        for o in observations
        if isinstance(o.health.get(key), int | float) and not isinstance(o.health.get(key), bool)
    ]


def sparkline(points: list[tuple[datetime, float]], *, width: int = 220, height: int = 36) -> str:
    """An SVG polyline's points attribute for a small trend chart ('' for fewer than two)."""
    if len(points) < 2:
        return ""
    values = [v for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(points) - 1)
    return " ".join(f"{i * step:.1f},{height - 3 - (v - low) / span * (height - 6):.1f}" for i, v in enumerate(values))
