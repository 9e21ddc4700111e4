"""Creating and updating registry records by hand (admin, API). Ingest has its own bulk path
that reuses the same identity and LOT functions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from registry.models import Asset, Component
from registry.services.identity import IdentityRules, apply_asset_identity, apply_component_identity
from registry.services.lifecycle import change_asset_status
from registry.services.lots import assign_lot


def identity_conflicts(asset: Asset) -> dict[str, str]:
    """Normalised keys of `asset` that another asset already holds (field -> message)."""
    conflicts: dict[str, str] = {}
    for field in ("vendor_serial", "system_uuid", "asset_tag"):
        value = getattr(asset, field)
        if value and Asset.objects.filter(**{field: value}).exclude(pk=asset.pk).exists():
            conflicts[field] = f"Another asset already has {field.replace('_', ' ')} {value}."
    return conflicts


def save_asset(asset: Asset, *, status: str | None = None, user_id: int | None = None) -> Asset:
    """Normalise identity, save, and move the lifecycle status through its transitions map.
    A new asset may start in any status; an existing one changes status only by a transition."""
    apply_asset_identity(asset)
    with transaction.atomic():
        if asset.pk is None:
            if status:
                asset.status = status
            asset.save()
            return asset
        asset.save()
        if status and status != asset.status:
            return change_asset_status(asset, to=status, user_id=user_id)
    return asset


def component_conflict(component: Component) -> bool:
    return (
        Component.objects.filter(
            component_class=component.component_class, vendor=component.vendor, serial=component.serial
        )
        .exclude(pk=component.pk)
        .exists()
    )


def save_component(component: Component, *, rules: IdentityRules | None = None) -> Component:
    """Normalise identity, give a new component its LOT, save."""
    apply_component_identity(component, rules=rules)
    if component_conflict(component):
        raise ValidationError(
            f"A {component.component_class} from {component.vendor or 'an unknown vendor'} "
            f"with serial {component.serial} already exists.",
            code="unique",
        )
    if component.pk is None:
        assign_lot(component)
    component.save()
    return component
