"""Identity of assets and components: DESIGN.md's rules applied to registry rows.

Callers that handle many rows (ingest, bulk admin actions) load the placeholder list and the
vendor aliases once with `identity_rules()` and pass them down, so normalisation costs no
query per row.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection

from registry.models import Asset, Component, PlaceholderSerial, VendorAlias
from registry.normalisation import (
    PlaceholderMatcher,
    normalise_serial,
    normalise_text,
    normalise_uuid,
    normalise_vendor,
    vendor_from_model,
)

DRIVE_CLASSES = frozenset({"SSD", "HDD", "NVME"})


_MEMO_SIZE = 10_000


@dataclass(frozen=True)
class IdentityRules:
    placeholders: PlaceholderMatcher
    vendor_aliases: dict[str, str]
    # Vendor spellings repeat on every part of every bundle, and ingest asks for one part's
    # serial at several steps: each answer is kept per rules version (the rules are rebuilt,
    # with empty memos, when the tables change).
    _vendors: dict[str | None, str] = field(default_factory=dict, compare=False, repr=False)
    _serials: dict[str | None, str] = field(default_factory=dict, compare=False, repr=False)

    def serial(self, raw: str | None) -> str:
        try:
            return self._serials[raw]
        except KeyError:
            return _remember(self._serials, raw, normalise_serial(raw, self.placeholders))

    def vendor(self, raw: str | None) -> str:
        try:
            return self._vendors[raw]
        except KeyError:
            return _remember(self._vendors, raw, normalise_vendor(raw, self.vendor_aliases))

    def part_vendor(self, raw: str | None, model: str | None, component_class: str) -> str:
        """The vendor of a part; for drives without one, the maker their model names."""
        vendor = self.vendor(raw)
        if not vendor and component_class in DRIVE_CLASSES:
            return vendor_from_model(model)
        return vendor


def _remember(memo: dict[str | None, str], raw: str | None, value: str) -> str:
    # emptied rather than evicted one by one: serials of a large fleet only pass through
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[raw] = value
    return value


_cache_lock = threading.Lock()
_cached: tuple[tuple[object, ...], IdentityRules] | None = None


def _rules_version() -> tuple[object, ...]:
    """Row counts and latest change of both tables, in one small query: any insert, edit or
    delete changes it."""
    placeholders, aliases = PlaceholderSerial._meta.db_table, VendorAlias._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {placeholders}), (SELECT MAX(updated_at) FROM {placeholders}), "  # noqa: S608
            f"(SELECT COUNT(*) FROM {aliases}), (SELECT MAX(updated_at) FROM {aliases})"
        )
        return tuple(cursor.fetchone() or ())


def identity_rules() -> IdentityRules:
    """The placeholder list and vendor aliases as they are in the database now. Compiled once
    per process and reused while the tables' version stamp stays the same (one query)."""
    global _cached
    version = _rules_version()
    with _cache_lock:
        if _cached is not None and _cached[0] == version:
            return _cached[1]
    placeholders = PlaceholderMatcher.from_rows(PlaceholderSerial.objects.values_list("value", "kind"))
    aliases = {normalise_text(alias): vendor for alias, vendor in VendorAlias.objects.values_list("alias", "vendor")}
    rules = IdentityRules(placeholders=placeholders, vendor_aliases=aliases)
    with _cache_lock:
        _cached = (version, rules)
    return rules


def apply_asset_identity(asset: Asset, *, rules: IdentityRules | None = None) -> Asset:
    """Fill the normalised identity fields from the raw ones. Does not save.

    Raises ValidationError when nothing identifies the asset: every asset needs a usable
    serial, a system UUID or an asset tag."""
    rules = rules or identity_rules()
    asset.vendor_serial = rules.serial(asset.vendor_serial_raw) or None
    asset.system_uuid = normalise_uuid(asset.system_uuid) or None
    asset.asset_tag = normalise_serial(asset.asset_tag, rules.placeholders) or None
    asset.hostname = asset.hostname.strip().lower()
    if not (asset.vendor_serial or asset.system_uuid or asset.asset_tag):
        raise ValidationError(
            "The asset has no usable identity: give a serial that is not a placeholder, a system UUID or an asset tag.",
            code="no_identity",
        )
    return asset


def apply_component_identity(component: Component, *, rules: IdentityRules | None = None) -> Component:
    """Fill the normalised vendor and serial from the raw ones. Does not save.

    Raises ValidationError for a placeholder serial: such parts are anonymous observations,
    not registry components."""
    rules = rules or identity_rules()
    component.vendor = rules.vendor(component.vendor_raw or component.vendor)
    component.serial = rules.serial(component.serial_raw)
    if not component.serial:
        raise ValidationError(
            {"serial_raw": f"{component.serial_raw!r} is not a usable serial (empty or a placeholder)."},
            code="placeholder_serial",
        )
    return component
