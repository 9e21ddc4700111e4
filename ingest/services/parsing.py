"""Parsing a stored bundle into observations, registry components and installations.

One bundle is parsed in one transaction: a worker killed half-way leaves no observation, no
component and no installation of it behind, only the claim, which expires and is taken again.
Re-parsing replaces the bundle's observations and re-derives what they touch, so a re-parse
of unchanged bytes by unchanged parsers changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ingest.archive import ArchiveLimits
from ingest.choices import BundleStatus, ObservationKind
from ingest.models import LogBundle, Observation
from ingest.parsers import BundleInventory, inspect_bundle
from ingest.parsers.base import AssetRecord, ComponentRecord, ParserError
from reanimator import db
from reanimator.db import fast_insert, fetch, placeholders, table
from registry.choices import ComponentClass
from registry.models import Asset, Component, Installation
from registry.normalisation import normalise_uuid
from registry.services.identity import IdentityRules, identity_rules
from registry.services.lots import assign_lot, load_lot_rules
from timeline.services.derivation import derive_history, derive_new_snapshot

logger = logging.getLogger(__name__)

# Bump when a parser change alters what bundles yield, so `manage.py reparse --outdated`
# finds the bundles parsed by older code.
PARSER_VERSION = 1

# SSD, HDD and NVMe are one family for identity: tools disagree on which of them a drive is.
DRIVE_FAMILY = frozenset({ComponentClass.SSD, ComponentClass.HDD, ComponentClass.NVME})


class IdentityConflict(ParserError):
    pass


_PARSE_FIELDS = (
    "asset",
    "status",
    "collected_at",
    "hostname",
    "container",
    "coverage",
    "counts",
    "warnings",
    "error_code",
    "error_message",
    "parser_version",
    "parsed_at",
)


def archive_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_members=settings.REANIMATOR_MAX_ARCHIVE_MEMBERS,
        max_expanded_bytes=settings.REANIMATOR_MAX_EXPANDED_BYTES,
        max_member_bytes=settings.REANIMATOR_MAX_BUNDLE_BYTES,
    )


def claim_bundle(bundle_id: int, *, reparse: bool = False) -> bool:
    """Take the bundle for parsing with one conditional UPDATE; False means someone else has it
    (or, without `reparse`, that it is already parsed). A claim older than
    REANIMATOR_PARSE_CLAIM_SECONDS belongs to a dead worker and may be taken over."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REANIMATOR_PARSE_CLAIM_SECONDS)
    claimable = Q(status=BundleStatus.RECEIVED) | Q(status=BundleStatus.PARSING, parse_started_at__lt=stale)
    if reparse:
        claimable |= Q(status__in=[BundleStatus.PARSED, BundleStatus.FAILED])
    updated = LogBundle.objects.filter(claimable, pk=bundle_id).update(
        status=BundleStatus.PARSING, parse_started_at=now
    )
    return updated == 1


def bundles_waiting_for_a_parse(*, received_before: datetime, limit: int = 1000) -> list[int]:
    """Bundles whose parse was never enqueued (broker down at upload) or whose worker died:
    received before `received_before` and still not parsed, or holding an expired claim."""
    stale = timezone.now() - timedelta(seconds=settings.REANIMATOR_PARSE_CLAIM_SECONDS)
    waiting = Q(status=BundleStatus.RECEIVED, received_at__lt=received_before) | Q(
        status=BundleStatus.PARSING, parse_started_at__lt=stale
    )
    return list(LogBundle.objects.filter(waiting).order_by("id").values_list("id", flat=True)[:limit])


def parse_bundle(bundle_id: int, *, reparse: bool = False) -> LogBundle | None:
    """Parse (or re-parse) one stored bundle. Returns the bundle, or None when it was not
    claimable (already parsed, or being parsed by another worker)."""
    if not claim_bundle(bundle_id, reparse=reparse):
        return None
    bundle = LogBundle.objects.get(pk=bundle_id)
    with bundle.raw.open("rb") as handle:
        raw = handle.read()
    rules = identity_rules()
    try:
        inventory = inspect_bundle(
            raw,
            limits=archive_limits(),
            now=timezone.now(),
            placeholders=rules.placeholders,
            vendor_aliases=rules.vendor_aliases,
        )
        with transaction.atomic():
            _record(bundle, inventory, rules)
    except ParserError as exc:
        _fail(bundle, exc.code, exc.message)
    logger.info(
        "bundle parsed",
        extra={"bundle_id": bundle.pk, "status": bundle.status, "error_code": bundle.error_code or None},
    )
    return bundle


def _fail(bundle: LogBundle, code: str, message: str) -> None:
    """Mark the bundle failed and drop what an earlier parse derived from it."""
    with transaction.atomic():
        touched = set(bundle.observations.exclude(component=None).values_list("component_id", flat=True))
        bundle.observations.all().delete()
        bundle.status = BundleStatus.FAILED
        bundle.error_code = code
        bundle.error_message = message[:2000]
        bundle.parser_version = PARSER_VERSION
        bundle.parsed_at = timezone.now()
        bundle.counts = {}
        bundle.save(update_fields=["status", "error_code", "error_message", "parser_version", "parsed_at", "counts"])
        if touched or bundle.asset_id:
            derive_history(touched, asset_ids=[bundle.asset_id] if bundle.asset_id else [])


# --- recording one inventory -------------------------------------------------------------


@dataclass
class _Recorded:
    observations: list[dict[str, Any]] = field(default_factory=list)  # Observation rows
    component_ids: set[int] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


def _record(bundle: LogBundle, inventory: BundleInventory, rules: IdentityRules) -> None:
    previous: set[int] = set()
    previous_asset = bundle.asset_id if bundle.asset_id else None
    first_parse = bundle.parser_version is None
    if not first_parse:  # parsed before: replace what that parse recorded
        previous = set(bundle.observations.exclude(component=None).values_list("component_id", flat=True))
        bundle.observations.all().delete()

    asset = resolve_asset(inventory.asset, hostname=inventory.hostname, rules=rules)
    # One asset's bundles are recorded one at a time: derivation reads the asset's history.
    Asset.objects.select_for_update().filter(pk=asset.pk).values_list("pk").get()

    recorded = _Recorded(warnings=list(inventory.warnings))
    collected_at = inventory.collected_at
    recorded.observations.append(_asset_observation(bundle, asset, inventory, rules))
    components = resolve_components(inventory.components, rules=rules)
    used: set[int] = set()
    for record, component in components:
        if component is not None and component.pk in used:
            recorded.warnings.append(
                f"{record.component_class} serial {record.serial!r} reported twice; the second is kept as anonymous"
            )
            component = None
        recorded.observations.append(_component_observation(bundle, asset, record, component, rules, collected_at))
        if component is not None:
            used.add(component.pk)
            recorded.counts["components"] += 1
        else:
            recorded.counts["anonymous"] += 1
        recorded.counts[f"class:{record.component_class}"] += 1
    fast_insert(Observation, recorded.observations)

    bundle.asset = asset
    bundle.status = BundleStatus.PARSED
    bundle.collected_at = collected_at
    bundle.hostname = inventory.hostname or ""
    bundle.container = inventory.container
    bundle.coverage = sorted({record.component_class for record, _ in components})
    bundle.counts = {"observations": len(recorded.observations), **recorded.counts}
    bundle.warnings = recorded.warnings[:200]
    bundle.error_code = ""
    bundle.error_message = ""
    bundle.parser_version = PARSER_VERSION
    bundle.parsed_at = timezone.now()
    bundle.save(update_fields=[*_PARSE_FIELDS])

    # Re-derive every component this bundle can affect: those it saw, those an earlier parse
    # of it saw, and those observed ever installed in its asset (its absence from this
    # snapshot may end or split their installations).
    in_asset = {
        component_id
        for (component_id,) in fetch(
            f"SELECT DISTINCT i.component_id FROM {table(Installation)} i WHERE i.asset_id = %s "  # noqa: S608
            f"AND EXISTS (SELECT 1 FROM {table(Observation)} o WHERE o.component_id = i.component_id)",
            [asset.pk],
        )
    }
    if first_parse and previous_asset in (None, asset.pk):
        # A first parse adds one snapshot: derivation can append it where it is the latest.
        derive_new_snapshot(bundle.pk, used | in_asset, asset_id=asset.pk)
    else:
        derive_history(used | previous | in_asset, asset_ids={asset.pk, *([previous_asset] if previous_asset else [])})


def _asset_observation(
    bundle: LogBundle, asset: Asset, inventory: BundleInventory, rules: IdentityRules
) -> dict[str, Any]:
    """The asset's own observation, as an Observation row for fast_insert."""
    record = inventory.asset
    return {
        "bundle_id": bundle.pk,
        "asset_id": asset.pk,
        "component_id": None,
        "kind": ObservationKind.ASSET,
        "component_class": "",
        "slot": "",
        "vendor_raw": record.vendor[:200],
        "vendor": rules.vendor(record.vendor)[:100],
        "model": record.model[:200],
        "serial_raw": record.serial[:200],
        "serial": asset.vendor_serial or "",
        "firmware": "",
        "specs": {"firmware": dict(record.firmware), "hostname": inventory.hostname or "", "uuid": record.uuid},
        "health": {},
        "sources": sorted({result.parser for result in inventory.results}),
        "collected_at": inventory.collected_at,
    }


def _component_observation(
    bundle: LogBundle,
    asset: Asset,
    record: ComponentRecord,
    component: KnownComponent | None,
    rules: IdentityRules,
    collected_at: datetime,
) -> dict[str, Any]:
    """One part's observation, as an Observation row for fast_insert."""
    return {
        "bundle_id": bundle.pk,
        "asset_id": asset.pk,
        "component_id": component.pk if component is not None else None,
        "kind": ObservationKind.COMPONENT if component is not None else ObservationKind.ANONYMOUS,
        "component_class": record.component_class,
        "slot": record.slot[:100],
        "vendor_raw": record.vendor[:200],
        "vendor": rules.part_vendor(record.vendor, record.model, record.component_class)[:100],
        "model": record.model.strip()[:200],
        "serial_raw": record.serial[:200],
        "serial": component.serial if component is not None else "",
        "firmware": record.firmware.strip()[:200],
        "specs": record.specs,
        "health": record.health,
        "sources": record.source.split("+"),
        "collected_at": collected_at,
    }


# --- identity ---------------------------------------------------------------------------


def resolve_asset(record: AssetRecord, *, hostname: str | None, rules: IdentityRules) -> Asset:
    """Find the asset the bundle is about (asset tag, then serial, then system UUID), or
    register it. Keys that point at two different assets are a conflict, not a guess."""
    tag = rules.serial(record.asset_tag) or None
    serial = rules.serial(record.serial) or None
    uuid = normalise_uuid(record.uuid) or None
    keys = {
        name: value for name, value in (("asset_tag", tag), ("vendor_serial", serial), ("system_uuid", uuid)) if value
    }
    matches: dict[str, Asset] = {}
    if keys:
        any_key = Q()
        for name, value in keys.items():
            any_key |= Q(**{name: value})
        for found in Asset.objects.filter(any_key):  # at most three rows: each key is unique
            for name, value in keys.items():
                if getattr(found, name) == value:
                    matches[name] = found
    distinct = {asset.pk for asset in matches.values()}
    if len(distinct) > 1:
        described = ", ".join(f"{name} matches asset {asset.pk}" for name, asset in matches.items())
        raise IdentityConflict(
            "asset_identity_conflict", f"The bundle's identity points at several assets: {described}."
        )
    if matches:
        asset = next(iter(matches.values()))
        return _fill_asset_blanks(asset, record, tag=tag, serial=serial, uuid=uuid, hostname=hostname)
    asset = Asset(
        vendor=record.vendor.strip()[:100],
        model=record.model.strip()[:200],
        vendor_serial_raw=record.serial[:200],
        vendor_serial=serial,
        system_uuid=uuid,
        asset_tag=tag,
        hostname=(hostname or record.hostname or "").strip().lower()[:253],
    )
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError:
        # Another bundle of the same new server registered it a moment ago.
        return resolve_asset(record, hostname=hostname, rules=rules)
    return asset


def _fill_asset_blanks(
    asset: Asset, record: AssetRecord, *, tag: str | None, serial: str | None, uuid: str | None, hostname: str | None
) -> Asset:
    changed = []
    for field_name, value in (
        ("asset_tag", tag),
        ("vendor_serial", serial),
        ("system_uuid", uuid),
        ("vendor", record.vendor.strip()[:100]),
        ("model", record.model.strip()[:200]),
        ("hostname", (hostname or "").strip().lower()[:253]),
    ):
        if value and not getattr(asset, field_name):
            setattr(asset, field_name, value)
            changed.append(field_name)
    if "vendor_serial" in changed:
        asset.vendor_serial_raw = record.serial[:200]
        changed.append("vendor_serial_raw")
    if changed:
        asset.save(update_fields=[*changed, "updated_at"])
    return asset


class KnownComponent(NamedTuple):
    """A registry component's identity, read without building a model instance."""

    pk: int
    component_class: str
    vendor: str
    serial: str


def resolve_components(
    records: list[ComponentRecord], *, rules: IdentityRules
) -> list[tuple[ComponentRecord, KnownComponent | None]]:
    """Registry components for the records with a usable serial (created when new, with
    their LOT); None for anonymous parts. Three queries whatever the number of parts."""
    keyed: list[tuple[ComponentRecord, tuple[str, str, str] | None]] = []
    for record in records:
        serial = rules.serial(record.serial)
        vendor = rules.part_vendor(record.vendor, record.model, record.component_class)
        keyed.append((record, (record.component_class, vendor, serial) if serial else None))
    serials = {key[2] for _, key in keyed if key}
    if not serials:
        return [(record, None) for record, _ in keyed]

    existing = _known(serials)
    missing: dict[tuple[str, str, str], Component] = {}
    lot_rules = None
    now = timezone.now()
    for record, key in keyed:
        if key is None or _lookup(existing, key) is not None or key in missing:
            continue
        lot_rules = lot_rules if lot_rules is not None else load_lot_rules()
        component = Component(
            created_at=now,
            updated_at=now,
            component_class=key[0],
            vendor=key[1][:100],
            vendor_raw=record.vendor[:200],
            model=record.model.strip()[:200],
            serial_raw=record.serial[:200],
            serial=key[2][:200],
            specs=record.specs,
        )
        assign_lot(component, rules=lot_rules)
        missing[key] = component
    if missing:
        # ignore_conflicts: a concurrent bundle may create the same part; both then read it back.
        db.fast_insert(Component, list(missing.values()), batch_size=500, ignore_conflicts=True)
        existing = _known(serials)
    return [(record, _lookup(existing, key) if key else None) for record, key in keyed]


def _known(serials: set[str]) -> dict[tuple[str, str], list[KnownComponent]]:
    """The registry components with these serials, indexed by (class family, serial)."""
    index: dict[tuple[str, str], list[KnownComponent]] = {}
    values = sorted(serials)
    rows = fetch(
        f"SELECT id, component_class, vendor, serial FROM {table(Component)} "  # noqa: S608
        f"WHERE serial IN ({placeholders(values)})",
        values,
    )
    for row in rows:
        component = KnownComponent(*row)
        family = "DRIVE" if component.component_class in DRIVE_FAMILY else component.component_class
        index.setdefault((family, component.serial), []).append(component)
    return index


def _lookup(index: dict[tuple[str, str], list[KnownComponent]], key: tuple[str, str, str]) -> KnownComponent | None:
    """The registry component for (class, vendor, serial). Drives match across SSD/HDD/NVMe;
    a record without a vendor matches the one component of that serial, if there is one."""
    component_class, vendor, serial = key
    family = "DRIVE" if component_class in DRIVE_FAMILY else component_class
    candidates = index.get((family, serial), [])
    exact = [c for c in candidates if c.vendor == vendor]
    if exact:
        return next((c for c in exact if c.component_class == component_class), exact[0])
    if not vendor and len(candidates) == 1:
        return candidates[0]
    no_vendor = [c for c in candidates if not c.vendor]
    return no_vendor[0] if len(no_vendor) == 1 else None
