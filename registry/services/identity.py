"""Identity of assets and components: DESIGN.md's rules applied to registry rows.

Callers that handle many rows (ingest, bulk admin actions) load the placeholder list and the
vendor aliases once with `identity_rules()` and pass them down, so normalisation costs no
query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

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


@dataclass(frozen=True)
class IdentityRules:
    placeholders: PlaceholderMatcher
    vendor_aliases: dict[str, str]

    def serial(self, raw: str | None) -> str:
        return normalise_serial(raw, self.placeholders)

    def vendor(self, raw: str | None) -> str:
        return normalise_vendor(raw, self.vendor_aliases)

    def part_vendor(self, raw: str | None, model: str | None, component_class: str) -> str:
        """The vendor of a part; for drives without one, the maker their model names."""
        vendor = self.vendor(raw)
        if not vendor and component_class in DRIVE_CLASSES:
            return vendor_from_model(model)
        return vendor


def identity_rules() -> IdentityRules:
    """The placeholder list and vendor aliases as they are in the database now (two queries)."""
    placeholders = PlaceholderMatcher.from_rows(PlaceholderSerial.objects.values_list("value", "kind"))
    aliases = {normalise_text(alias): vendor for alias, vendor in VendorAlias.objects.values_list("alias", "vendor")}
    return IdentityRules(placeholders=placeholders, vendor_aliases=aliases)


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
