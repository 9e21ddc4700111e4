"""Manual events: what operators record by hand. Each change re-derives the subject's history,
since manual removals take part in the installation projection."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from registry.models import Asset, Component, Location
from registry.services.lifecycle import LifecycleTransitionError, change_asset_status
from timeline.choices import EventType
from timeline.models import ManualEvent
from timeline.services.derivation import derive_history


def record_manual_event(
    *,
    event_type: str,
    timestamp: datetime,
    asset: Asset | None = None,
    component: Component | None = None,
    note: str = "",
    reference: str = "",
    location: Location | None = None,
    user_id: int | None = None,
) -> ManualEvent:
    """Record the event and bring the registry along: a retired asset changes status (through
    the lifecycle map), a location change moves the asset, and the subject's history is
    re-derived. Raises ValidationError for an event that does not fit."""
    event = ManualEvent(
        event_type=event_type,
        timestamp=timestamp,
        asset=asset,
        component=component,
        note=note,
        reference=reference,
        location=location,
        recorded_by_id=user_id,
    )
    with transaction.atomic():
        save_manual_event(event)
    return event


def save_manual_event(event: ManualEvent, *, previous: ManualEvent | None = None) -> ManualEvent:
    """Validate, save, apply to the asset, re-derive (for new and edited events)."""
    event.full_clean()
    with transaction.atomic():
        event.save()
        if event.asset is not None:
            _apply_to_asset(event)
        _rederive(event, previous)
    return event


def delete_manual_event(event: ManualEvent) -> None:
    with transaction.atomic():
        subject = ManualEvent(pk=event.pk, asset_id=event.asset_id, component_id=event.component_id)
        event.delete()
        _rederive(subject, None)


def _apply_to_asset(event: ManualEvent) -> None:
    asset = event.asset
    assert asset is not None
    if event.event_type == EventType.RETIRED:
        try:
            change_asset_status(asset, to="retired", user_id=event.recorded_by_id)
        except LifecycleTransitionError as exc:
            raise ValidationError({"event_type": str(exc)}) from exc
    elif event.event_type == EventType.LOCATION_CHANGED and event.location_id:
        asset.location_id = event.location_id
        asset.save(update_fields=["location", "updated_at"])


def _rederive(event: ManualEvent, previous: ManualEvent | None) -> None:
    components = {pk for pk in (event.component_id, previous.component_id if previous else None) if pk}
    assets = {pk for pk in (event.asset_id, previous.asset_id if previous else None) if pk}
    derive_history(components, asset_ids=assets)
