"""Asset lifecycle: status changes go through the explicit transitions map."""

from __future__ import annotations

import logging

from django.db import transaction

from registry.choices import ASSET_STATUS_TRANSITIONS, AssetStatus
from registry.models import Asset

logger = logging.getLogger(__name__)


class LifecycleTransitionError(Exception):
    def __init__(self, asset: Asset, current: str, target: str) -> None:
        allowed = sorted(ASSET_STATUS_TRANSITIONS.get(current, frozenset()))
        super().__init__(
            f"Asset {asset} cannot go from {current!r} to {target!r}; "
            f"allowed from {current!r}: {', '.join(allowed) or 'none (final status)'}."
        )
        self.current = current
        self.target = target
        self.allowed = allowed


def can_transition(current: str, target: str) -> bool:
    return target in ASSET_STATUS_TRANSITIONS.get(current, frozenset())


def change_asset_status(asset: Asset, *, to: str, user_id: int | None = None) -> Asset:
    """Move the asset to status `to`, refusing transitions the map does not allow.
    Re-reads the row under a lock so two operators cannot both move it from a stale status."""
    if to not in AssetStatus.values:
        raise ValueError(f"Unknown asset status {to!r}")
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk)
        if locked.status == to:
            return locked
        if not can_transition(locked.status, to):
            raise LifecycleTransitionError(locked, locked.status, to)
        previous = locked.status
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
    logger.info(
        "asset status changed",
        extra={"asset_id": locked.pk, "from_status": previous, "to_status": to, "user_id": user_id},
    )
    asset.status = locked.status
    return locked
