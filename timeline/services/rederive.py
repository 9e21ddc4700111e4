"""Rebuilding the projection (installations and events) from observations and manual events."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from ingest.models import Observation
from registry.models import Asset, Component
from timeline.services.derivation import DerivationResult, derive_history


def rederive_components(component_ids: list[int], *, batch: int = 500) -> Iterator[DerivationResult]:
    for start in range(0, len(component_ids), batch):
        with transaction.atomic():
            yield derive_history(component_ids[start : start + batch])


def rederive_assets(asset_ids: list[int], *, batch: int = 200) -> Iterator[DerivationResult]:
    """Each asset's own events and the history of every part ever observed in it."""
    for start in range(0, len(asset_ids), batch):
        chunk = asset_ids[start : start + batch]
        components = list(
            Observation.objects.filter(asset_id__in=chunk, component__isnull=False)
            .order_by()
            .values_list("component_id", flat=True)
            .distinct()
        )
        with transaction.atomic():
            yield derive_history(components, asset_ids=chunk)


def rederive_all(*, batch: int = 500) -> Iterator[DerivationResult]:
    """Every observed component, then every asset's own events, in id-ordered batches."""
    observed = list(
        Component.objects.filter(observations__isnull=False).order_by("pk").values_list("pk", flat=True).distinct()
    )
    yield from rederive_components(observed, batch=batch)
    assets = list(Asset.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(assets), batch):
        with transaction.atomic():
            yield derive_history(asset_ids=assets[start : start + batch])
