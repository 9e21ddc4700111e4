"""The timeline: every asset's and component's history as events (DESIGN.md, Events).

TimelineEvent rows are derived (timeline.services.derivation) from observations, manual
events and tickets; each carries a deterministic natural key, so deriving twice adds nothing,
and an `origin` naming the derivation unit that wrote it, so re-deriving one component
replaces exactly its events. ManualEvent rows are what operators record; they are inputs of
the derivation, like observations.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from timeline.choices import EVENT_TYPE_ORDER, MANUAL_EVENT_TYPES, EventSource, EventType, SubjectType


class TimelineEvent(models.Model):
    subject_type = models.CharField(max_length=10, choices=SubjectType.choices)
    subject_id = models.PositiveBigIntegerField()
    timestamp = models.DateTimeField()
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    type_order = models.PositiveSmallIntegerField()
    payload = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=EventSource.choices)
    source_ref = models.CharField(max_length=64, blank=True, help_text="Bundle sha256, ticket id or user id.")
    natural_key = models.CharField(max_length=64, unique=True)
    origin = models.CharField(max_length=40, help_text="The derivation unit that wrote it: component:7, asset:3.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "type_order", "id"]
        indexes = [
            # Serves a subject's timeline in (timestamp, type_order, id) order with keyset paging.
            models.Index(
                fields=["subject_type", "subject_id", "timestamp", "type_order", "id"], name="event_subject_time"
            ),
            models.Index(fields=["origin"], name="event_origin"),
            models.Index(fields=["event_type", "timestamp"], name="event_type_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.subject_type}:{self.subject_id} @ {self.timestamp:%Y-%m-%d %H:%M}"


def _manual_type_choices() -> list[tuple[str, str]]:
    return [(value, EventType(value).label) for value in MANUAL_EVENT_TYPES]


class ManualEvent(models.Model):
    """Something an operator records by hand: an RMA, a retirement, a note. RMA_SENT and
    RETIRED on a component end its installation until the part is observed again."""

    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.CASCADE, null=True, blank=True, related_name="manual_events"
    )
    component = models.ForeignKey(
        "registry.Component", on_delete=models.CASCADE, null=True, blank=True, related_name="manual_events"
    )
    event_type = models.CharField(max_length=20, choices=_manual_type_choices())
    timestamp = models.DateTimeField(help_text="When it happened (not when it was recorded).")
    note = models.TextField(blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="RMA number, ticket key, ...")
    location = models.ForeignKey(
        "registry.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For LOCATION_CHANGED: where the asset went.",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(asset__isnull=False) & Q(component__isnull=True))
                | (Q(asset__isnull=True) & Q(component__isnull=False)),
                name="manual_event_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} on {self.asset or self.component} @ {self.timestamp:%Y-%m-%d}"

    def clean(self) -> None:
        if bool(self.asset_id) == bool(self.component_id):
            raise ValidationError("A manual event is about one asset or one component.")
        if self.event_type == EventType.LOCATION_CHANGED and (self.component_id or not self.location_id):
            raise ValidationError({"location": "A location change is recorded on an asset, with the new location."})

    @property
    def type_order(self) -> int:
        return EVENT_TYPE_ORDER[self.event_type]
