"""Parsing a stored bundle into observations, registry components and installations.

One bundle is parsed in one transaction: a worker killed half-way leaves no observation, no
component and no installation of it behind, only the claim, which expires and is taken again.
Re-parsing replaces the bundle's observations and re-derives what they touch, so a re-parse
of unchanged bytes by unchanged parsers changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
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
from registry.services.lots import load_lot_rules, match_lot
from timeline.services.derivation import NewSnapshot, derive_history, derive_new_snapshots

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
    "parse_attempts",
)

# The error code of a bundle whose parse kept failing for a reason other than its input.
INTERNAL_ERROR = "internal_error"

# Faults of the database connection (deadlocks, lock timeouts, a lost server): a parse that
# meets one is tried again without counting against the bundle.
PASSING_FAULTS = (OperationalError, InterfaceError)


def archive_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_members=settings.REANIMATOR_MAX_ARCHIVE_MEMBERS,
        max_expanded_bytes=settings.REANIMATOR_MAX_EXPANDED_BYTES,
        max_member_bytes=settings.REANIMATOR_MAX_BUNDLE_BYTES,
    )


@dataclass(frozen=True)
class Claim:
    """Bundles taken for parsing by this worker, and when: the time tells its claims apart
    from a later one that took them over after they expired."""

    bundle_ids: list[int]
    at: datetime


def claim_bundles(bundle_ids: list[int], *, reparse: bool = False) -> Claim:
    """Take these bundles for parsing; the claim lists those taken, in the order given. A bundle
    is claimable when received (or, with `reparse`, parsed or failed), or when its claim is
    older than REANIMATOR_PARSE_CLAIM_SECONDS: it belongs to a dead worker. Several are taken
    with one locking read and one UPDATE, skipping rows another worker is claiming then. Each
    claim counts as a parse attempt of its bundles."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REANIMATOR_PARSE_CLAIM_SECONDS)
    statuses = [BundleStatus.RECEIVED.value]
    if reparse:
        statuses += [BundleStatus.PARSED.value, BundleStatus.FAILED.value]
    claimable = f"(status IN ({placeholders(statuses)}) OR (status = %s AND parse_started_at < %s))"
    claimable_params = [*statuses, BundleStatus.PARSING.value, db.to_db_datetime(stale)]
    ids = list(dict.fromkeys(bundle_ids))
    # Rows are looked up by id only: a scan (MariaDB's plan while the table is small) would
    # lock, however briefly, bundles other workers are claiming, and they would skip them.
    by_id = db.force_index("PRIMARY")

    def take(subset: list[int], condition: str, params: list[Any]) -> int:
        return db.execute(
            f"UPDATE {table(LogBundle)}{by_id} SET status = %s, parse_started_at = %s, "  # noqa: S608
            f"parse_attempts = parse_attempts + 1 WHERE id IN ({placeholders(subset)}) AND {condition}",
            [BundleStatus.PARSING.value, db.to_db_datetime(now), *subset, *params],
        )

    if len(ids) <= 1 or not connection.features.has_select_for_update_skip_locked:
        # One conditional UPDATE per bundle: its row count says whether it was taken.
        return Claim([pk for pk in ids if take([pk], claimable, claimable_params) == 1], now)
    with transaction.atomic():
        free = {
            pk
            for (pk,) in fetch(
                f"SELECT id FROM {table(LogBundle)}{by_id} WHERE id IN ({placeholders(ids)}) "  # noqa: S608
                f"AND {claimable} FOR UPDATE SKIP LOCKED",
                [*ids, *claimable_params],
            )
        }
        if free:
            take(sorted(free), "1 = 1", [])
    return Claim([pk for pk in ids if pk in free], now)


def release_claim(claim: Claim, *, counted: bool = True) -> None:
    """Give the bundles of a claim that are still being parsed back (status received), so
    that a retry or the periodic sweep parses them now rather than when the claim expires.
    A claim that expired and was taken over is left to its new owner. Unless `counted`, the
    attempt does not count against the bundles (the database failed, not their parse)."""
    if not claim.bundle_ids:
        return
    attempts = "" if counted else ", parse_attempts = CASE WHEN parse_attempts > 0 THEN parse_attempts - 1 ELSE 0 END"
    db.execute(
        f"UPDATE {table(LogBundle)}{db.force_index('PRIMARY')} SET status = %s, "  # noqa: S608
        f"parse_started_at = NULL{attempts} "
        f"WHERE id IN ({placeholders(claim.bundle_ids)}) AND status = %s AND parse_started_at = %s",
        [BundleStatus.RECEIVED.value, *claim.bundle_ids, BundleStatus.PARSING.value, db.to_db_datetime(claim.at)],
    )


def waiting_bundles(limit: int, *, exclude: int | None = None) -> list[int]:
    """Up to `limit` bundles received and not yet claimed, oldest first: what a worker takes
    along with the bundle it was asked to parse."""
    if limit <= 0:
        return []
    return [
        pk
        for (pk,) in fetch(
            f"SELECT id FROM {table(LogBundle)} WHERE status = %s AND id <> %s "  # noqa: S608
            f"ORDER BY received_at, id LIMIT {int(limit)}",
            [BundleStatus.RECEIVED.value, exclude or 0],
        )
    ]


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
    bundles = parse_claimed(claim_bundles([bundle_id], reparse=reparse), requested=bundle_id)
    return bundles[0] if bundles else None


def parse_bundles(bundle_ids: list[int]) -> list[LogBundle]:
    """Parse these stored bundles, REANIMATOR_PARSE_BATCH_SIZE at a time; those already
    parsed, or being parsed by another worker, are left alone. Returns the bundles parsed.
    A bundle whose parse fails for another reason than its input does not stop the others;
    the first such error is raised once they are done."""
    size = settings.REANIMATOR_PARSE_BATCH_SIZE
    parsed: list[LogBundle] = []
    first_error: Exception | None = None
    for start in range(0, len(bundle_ids), size):
        try:
            parsed.extend(parse_claimed(claim_bundles(bundle_ids[start : start + size])))
        except Exception as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return parsed


def parse_with_waiting(bundle_id: int) -> LogBundle | None:
    """The parse task's work: this bundle, together with bundles received and not yet taken
    (up to REANIMATOR_PARSE_BATCH_SIZE in all, oldest first). A backlog, such as collectors
    uploading what they gathered while offline, is parsed in batches; the tasks queued for
    the bundles taken along find them parsed and return. Returns this bundle, or None when
    it was not claimable. Only this bundle's own failure fails the task."""
    size = settings.REANIMATOR_PARSE_BATCH_SIZE
    claim = claim_bundles([bundle_id, *waiting_bundles(size - 1, exclude=bundle_id)])
    parsed = parse_claimed(claim, requested=bundle_id)
    return next((bundle for bundle in parsed if bundle.pk == bundle_id), None)


def parse_claimed(claim: Claim, *, requested: int | None = None) -> list[LogBundle]:
    """Parse the bundles of a claim: first parses together (see _record_first_parses), re-parses
    one by one, and return those parsed (or failed on bad input, which marks them failed with
    the reason). A bundle that fails otherwise (its bytes unreadable, a deadlock, a bug) does
    not hold the others back: its claim is given back, so that a retry or the periodic sweep
    parses it again, and its error is raised once the others are recorded, when it is the
    `requested` bundle, or without `requested`, the first such error. Once such failures (or
    workers that died on it) reach REANIMATOR_PARSE_MAX_ATTEMPTS, a bundle is marked failed
    (internal_error) and returned with the others: it waits for a fix and a re-parse."""
    if not claim.bundle_ids:
        return []
    by_id = LogBundle.objects.in_bulk(claim.bundle_ids)
    bundles = [by_id[pk] for pk in claim.bundle_ids if pk in by_id]
    most = settings.REANIMATOR_PARSE_MAX_ATTEMPTS
    attempts = {bundle.pk: bundle.parse_attempts for bundle in bundles}  # this claim's included
    errors: dict[int, Exception] = {}
    try:
        rules = identity_rules()
        limits = archive_limits()
        now = timezone.now()
        first: list[tuple[LogBundle, BundleInventory]] = []
        for bundle in bundles:
            if bundle.parse_attempts > most:
                # This claim is one more than the limit: the earlier ones never ended.
                _fail(
                    bundle,
                    INTERNAL_ERROR,
                    f"parsing was started {bundle.parse_attempts - 1} times and never finished (the worker "
                    "stopped or timed out while parsing this bundle); re-parse it once the cause is fixed",
                )
                logger.error("bundle parse never finished; marked failed", extra={"bundle_id": bundle.pk})
                continue
            try:
                with bundle.raw.open("rb") as handle:
                    raw = handle.read()
                inventory = inspect_bundle(
                    raw,
                    limits=limits,
                    now=now,
                    placeholders=rules.placeholders,
                    vendor_aliases=rules.vendor_aliases,
                )
            except ParserError as exc:
                _fail(bundle, exc.code, exc.message)
                continue
            except Exception as exc:  # the bytes unreadable, a parser bug: not the bundle's fault
                errors[bundle.pk] = exc
                continue
            if bundle.parser_version is None and bundle.asset_id is None:
                first.append((bundle, inventory))
            else:
                try:
                    _record_again(bundle, inventory, rules)
                except Exception as exc:
                    errors[bundle.pk] = exc
        errors.update(_record_first_parses(first, rules))
    except BaseException:
        _give_back(claim, counted=False)  # the database or the worker went away, not this parse
        raise
    for bundle_id, error in list(errors.items()):
        last = not isinstance(error, PASSING_FAULTS) and attempts[bundle_id] >= most
        if last and _fail_for_good(by_id[bundle_id], error, attempts[bundle_id]):
            del errors[bundle_id]
    if errors:
        for counted in (True, False):
            _give_back(
                Claim(sorted(pk for pk, e in errors.items() if isinstance(e, PASSING_FAULTS) != counted), claim.at),
                counted=counted,
            )
        for bundle_id, error in errors.items():
            logger.error(
                "bundle parse failed; given back for a later parse",
                extra={"bundle_id": bundle_id, "attempts": attempts[bundle_id]},
                exc_info=(type(error), error, error.__traceback__),
            )
    done = [bundle for bundle in bundles if bundle.pk not in errors]
    for bundle in done:
        logger.info(
            "bundle parsed",
            extra={"bundle_id": bundle.pk, "status": bundle.status, "error_code": bundle.error_code or None},
        )
    raised = errors.get(requested) if requested is not None else next(iter(errors.values()), None)
    if raised is not None:
        raise raised
    return done


def _fail_for_good(bundle: LogBundle, error: Exception, attempts: int) -> bool:
    """Mark a bundle failed (internal_error) after its last allowed attempt; False when that
    could not be recorded (the claim is then given back)."""
    try:
        bundle.refresh_from_db()  # a rolled-back recording left its outcome on the instance
        _fail(
            bundle,
            INTERNAL_ERROR,
            f"parsing failed {attempts} times with {type(error).__name__}: {error}; "
            "re-parse this bundle once the cause is fixed",
        )
    except Exception:
        logger.warning("could not mark the bundle failed", extra={"bundle_id": bundle.pk}, exc_info=True)
        return False
    logger.error(
        "bundle parse failed again; marked failed",
        extra={"bundle_id": bundle.pk, "attempts": attempts},
        exc_info=(type(error), error, error.__traceback__),
    )
    return True


def _give_back(claim: Claim, *, counted: bool) -> None:
    try:
        release_claim(claim, counted=counted)
    except Exception:  # the connection that failed the parse may fail this too: the claim then expires
        logger.warning("could not give the claim back", extra={"bundle_ids": claim.bundle_ids}, exc_info=True)


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
        bundle.parse_attempts = 0
        bundle.save(
            update_fields=[
                "status",
                "error_code",
                "error_message",
                "parser_version",
                "parsed_at",
                "counts",
                "parse_attempts",
            ]
        )
        if touched or bundle.asset_id:
            derive_history(touched, asset_ids=[bundle.asset_id] if bundle.asset_id else [])


# --- recording inventories -----------------------------------------------------------------


@dataclass
class _Recorded:
    """What one inventory records: its observation rows and what they count."""

    bundle: LogBundle
    inventory: BundleInventory
    asset: Asset
    observations: list[dict[str, Any]] = field(default_factory=list)  # Observation rows
    used: set[int] = field(default_factory=set)  # the components it saw
    coverage: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


def _observe(
    bundle: LogBundle,
    inventory: BundleInventory,
    asset: Asset,
    components: list[tuple[ComponentRecord, KnownComponent | None]],
    rules: IdentityRules,
) -> _Recorded:
    """The observation rows of one inventory, its parts resolved to registry components."""
    recorded = _Recorded(bundle, inventory, asset, warnings=list(inventory.warnings))
    collected_at = inventory.collected_at
    recorded.observations.append(_asset_observation(bundle, asset, inventory, rules))
    for record, component in components:
        if component is not None and component.pk in recorded.used:
            recorded.warnings.append(
                f"{record.component_class} serial {record.serial!r} reported twice; the second is kept as anonymous"
            )
            component = None
        recorded.observations.append(_component_observation(bundle, asset, record, component, rules, collected_at))
        if component is not None:
            recorded.used.add(component.pk)
            recorded.counts["components"] += 1
        else:
            recorded.counts["anonymous"] += 1
        recorded.counts[f"class:{record.component_class}"] += 1
    recorded.coverage = sorted({record.component_class for record, _ in components})
    return recorded


def _mark_parsed(recorded: list[_Recorded]) -> None:
    """Store the parse's outcome on each bundle row (one UPDATE for all) and on the instances."""
    parsed_at = timezone.now()
    changes: dict[int, dict[str, Any]] = {}
    for item in recorded:
        bundle = item.bundle
        bundle.asset = item.asset
        bundle.status = BundleStatus.PARSED
        bundle.collected_at = item.inventory.collected_at
        bundle.hostname = item.inventory.hostname or ""
        bundle.container = item.inventory.container
        bundle.coverage = item.coverage
        bundle.counts = {"observations": len(item.observations), **item.counts}
        bundle.warnings = item.warnings[:200]
        bundle.error_code = ""
        bundle.error_message = ""
        bundle.parser_version = PARSER_VERSION
        bundle.parsed_at = parsed_at
        bundle.parse_attempts = 0
        changes[bundle.pk] = {
            ("asset_id" if name == "asset" else name): getattr(bundle, "asset_id" if name == "asset" else name)
            for name in _PARSE_FIELDS
        }
    db.update_rows(LogBundle, changes)


def _components_in_assets(asset_ids: list[int]) -> dict[int, set[int]]:
    """By asset, the observed components ever installed in it: a snapshot's absence of one of
    them may end or split their installations. Two index range reads; as one query with
    EXISTS the optimizer could pick a plan that reads far more rows as the tables grow."""
    installed = fetch(
        f"SELECT DISTINCT asset_id, component_id FROM {table(Installation)}"  # noqa: S608
        f"{db.force_index('installation_asset_active')} WHERE asset_id IN ({placeholders(asset_ids)})",
        asset_ids,
    )
    found: dict[int, set[int]] = defaultdict(set)
    component_ids = sorted({component_id for _, component_id in installed})
    if not component_ids:
        return found
    observed = {
        component_id
        for (component_id,) in fetch(
            f"SELECT component_id FROM {table(Observation)}{db.force_index('observation_component_time')} "  # noqa: S608
            f"WHERE component_id IN ({placeholders(component_ids)}) GROUP BY component_id",
            component_ids,
        )
    }
    for asset_id, component_id in installed:
        if component_id in observed:
            found[asset_id].add(component_id)
    return found


def _record_first_parses(items: list[tuple[LogBundle, BundleInventory]], rules: IdentityRules) -> dict[int, Exception]:
    """Record bundles parsed for the first time, as many per transaction as can be (see
    _record_batch); a bundle that must wait for another of the batch goes into the next
    transaction. When a batch fails for another reason than bad input (a deadlock, a bug
    that one bundle triggers), its bundles are recorded one by one, so that one bundle does
    not hold the others back. Returns the errors of the bundles that could not be recorded."""
    errors: dict[int, Exception] = {}
    while items:
        try:
            with transaction.atomic():
                deferred, conflicts = _record_batch(items, rules)
        except Exception as exc:
            if len(items) == 1:
                errors[items[0][0].pk] = exc
                return errors
            logger.warning("a batch of bundles failed; recording them one by one", exc_info=True)
            for item in items:
                errors.update(_record_first_parses([item], rules))
            return errors
        for bundle, error in conflicts:
            _fail(bundle, error.code, error.message)
        items = deferred
    return errors


def _record_batch(
    items: list[tuple[LogBundle, BundleInventory]], rules: IdentityRules
) -> tuple[list[tuple[LogBundle, BundleInventory]], list[tuple[LogBundle, ParserError]]]:
    """Record first parses in this transaction, with one query per step for all of them.
    Returns the bundles deferred to the next transaction, and those whose identity conflicts.

    Bundles of one asset are recorded one per transaction: derivation reads the asset's
    history. So are bundles whose derivations would cover a common component (a part that
    moved between two servers of the batch): each unit is derived once, after every
    snapshot before it is stored."""
    deferred: list[tuple[LogBundle, BundleInventory]] = []
    conflicts: list[tuple[LogBundle, ParserError]] = []
    resolved: list[tuple[LogBundle, BundleInventory, Asset]] = []
    assets = resolve_assets([(inventory.asset, inventory.hostname) for _, inventory in items], rules=rules)
    for (bundle, inventory), asset in zip(items, assets, strict=True):
        if isinstance(asset, IdentityConflict):
            conflicts.append((bundle, asset))
            continue
        if any(asset.pk == other.pk for _, _, other in resolved):
            deferred.append((bundle, inventory))
        else:
            resolved.append((bundle, inventory, asset))
    if not resolved:
        return deferred, conflicts
    asset_ids = sorted(asset.pk for _, _, asset in resolved)
    fetch(
        f"SELECT id FROM {table(Asset)} WHERE id IN ({placeholders(asset_ids)}) ORDER BY id{db.for_update()}",  # noqa: S608
        asset_ids,
    )
    components = resolve_components(
        [record for _, inventory, _ in resolved for record in inventory.components], rules=rules
    )
    in_assets = _components_in_assets(asset_ids)
    recorded: list[_Recorded] = []
    units: list[frozenset[int]] = []
    covered: set[int] = set()
    offset = 0
    for bundle, inventory, asset in resolved:
        mine = components[offset : offset + len(inventory.components)]
        offset += len(inventory.components)
        item = _observe(bundle, inventory, asset, mine, rules)
        unit = frozenset(item.used | in_assets[asset.pk])
        if unit & covered:
            deferred.append((bundle, inventory))
            continue
        covered |= unit
        recorded.append(item)
        units.append(unit)
    fast_insert(Observation, [row for item in recorded for row in item.observations])
    _mark_parsed(recorded)
    # A first parse adds one snapshot: derivation can append it where it is the latest.
    derive_new_snapshots(
        [NewSnapshot(item.bundle.pk, item.asset.pk, unit) for item, unit in zip(recorded, units, strict=True)]
    )
    return deferred, conflicts


def _record_again(bundle: LogBundle, inventory: BundleInventory, rules: IdentityRules) -> None:
    """Re-parse: replace what the earlier parse recorded and re-derive, in full, everything
    it or this one touches. A conflicting identity marks the bundle failed."""
    try:
        with transaction.atomic():
            previous = set(bundle.observations.exclude(component=None).values_list("component_id", flat=True))
            previous_asset = bundle.asset_id
            bundle.observations.all().delete()
            asset = resolve_asset(inventory.asset, hostname=inventory.hostname, rules=rules)
            fetch(f"SELECT id FROM {table(Asset)} WHERE id = %s{db.for_update()}", [asset.pk])  # noqa: S608
            item = _observe(bundle, inventory, asset, resolve_components(inventory.components, rules=rules), rules)
            fast_insert(Observation, item.observations)
            _mark_parsed([item])
            in_asset = _components_in_assets([asset.pk])[asset.pk]
            derive_history(
                item.used | previous | in_asset, asset_ids={asset.pk, *([previous_asset] if previous_asset else [])}
            )
    except IdentityConflict as exc:
        _fail(bundle, exc.code, exc.message)


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


_ASSET_KEYS = ("asset_tag", "vendor_serial", "system_uuid")
# In the model's field order, as Model.from_db wants a subset of the columns.
_ASSET_COLUMNS = tuple(
    field.attname
    for field in Asset._meta.concrete_fields
    if field.attname in {"id", *_ASSET_KEYS, "vendor_serial_raw", "vendor", "model", "hostname"}
)


def resolve_asset(record: AssetRecord, *, hostname: str | None, rules: IdentityRules) -> Asset:
    """Find the asset the bundle is about (asset tag, then serial, then system UUID), or
    register it. Keys that point at two different assets are a conflict, not a guess."""
    (found,) = resolve_assets([(record, hostname)], rules=rules)
    if isinstance(found, IdentityConflict):
        raise found
    return found


def resolve_assets(
    requests: list[tuple[AssetRecord, str | None]], *, rules: IdentityRules
) -> list[Asset | IdentityConflict]:
    """resolve_asset for several bundles (their asset records and hostnames), with one read
    for all of them; an identity conflict is returned in its bundle's place."""
    keyed = [(record, hostname, _asset_keys(record, rules)) for record, hostname in requests]
    index = _assets_by_key({(name, value) for _, _, keys in keyed for name, value in keys.items()})
    results: list[Asset | IdentityConflict] = []
    for record, hostname, keys in keyed:
        matches = {name: index[(name, value)] for name, value in keys.items() if (name, value) in index}
        if len({asset.pk for asset in matches.values()}) > 1:
            described = ", ".join(f"{name} matches asset {asset.pk}" for name, asset in matches.items())
            results.append(
                IdentityConflict(
                    "asset_identity_conflict", f"The bundle's identity points at several assets: {described}."
                )
            )
            continue
        if matches:
            asset = _fill_asset_blanks(next(iter(matches.values())), record, hostname=hostname, **keys)
        else:
            asset = _register_asset(record, hostname=hostname, rules=rules, **keys)
        for name in _ASSET_KEYS:  # what a later bundle of the same batch finds
            if getattr(asset, name):
                index[(name, getattr(asset, name))] = asset
        results.append(asset)
    return results


def _asset_keys(record: AssetRecord, rules: IdentityRules) -> dict[str, str]:
    keys = {
        "asset_tag": rules.serial(record.asset_tag),
        "vendor_serial": rules.serial(record.serial),
        "system_uuid": normalise_uuid(record.uuid),
    }
    return {name: value for name, value in keys.items() if value}


def _assets_by_key(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Asset]:
    """The assets holding any of these (key, value) pairs; each key is unique."""
    if not keys:
        return {}
    conditions, params = [], []
    for name in _ASSET_KEYS:
        values = sorted(value for key, value in keys if key == name)
        if values:
            conditions.append(f"{name} IN ({placeholders(values)})")
            params.extend(values)
    index: dict[tuple[str, str], Asset] = {}
    for row in fetch(
        f"SELECT {', '.join(_ASSET_COLUMNS)} FROM {table(Asset)} WHERE {' OR '.join(conditions)}",  # noqa: S608
        params,
    ):
        asset = Asset.from_db(connection.alias, list(_ASSET_COLUMNS), row)
        for name in _ASSET_KEYS:
            value = getattr(asset, name)
            if value and (name, value) in keys:
                index[(name, value)] = asset
    return index


def _register_asset(
    record: AssetRecord,
    *,
    hostname: str | None,
    rules: IdentityRules,
    asset_tag: str | None = None,
    vendor_serial: str | None = None,
    system_uuid: str | None = None,
) -> Asset:
    asset = Asset(
        vendor=record.vendor.strip()[:100],
        model=record.model.strip()[:200],
        vendor_serial_raw=record.serial[:200],
        vendor_serial=vendor_serial,
        system_uuid=system_uuid,
        asset_tag=asset_tag,
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
    asset: Asset,
    record: AssetRecord,
    *,
    hostname: str | None,
    asset_tag: str | None = None,
    vendor_serial: str | None = None,
    system_uuid: str | None = None,
) -> Asset:
    changed = []
    for field_name, value in (
        ("asset_tag", asset_tag),
        ("vendor_serial", vendor_serial),
        ("system_uuid", system_uuid),
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
    missing: dict[tuple[str, str, str], dict[str, Any]] = {}  # Component rows, for fast_insert
    lot_rules = None
    now = timezone.now()
    for record, key in keyed:
        if key is None or _lookup(existing, key) is not None or key in missing:
            continue
        lot_rules = lot_rules if lot_rules is not None else load_lot_rules()
        model = record.model.strip()[:200]
        missing[key] = {
            "created_at": now,
            "updated_at": now,
            "component_class": key[0],
            "vendor": key[1][:100],
            "vendor_raw": record.vendor[:200],
            "model": model,
            "serial_raw": record.serial[:200],
            "serial": key[2][:200],
            "lot_id": match_lot(
                lot_rules, component_class=key[0], vendor=key[1][:100], model=model, specs=record.specs
            ),
            "first_seen_at": None,
            "specs": record.specs,
        }
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
        f"SELECT id, component_class, vendor, serial FROM {table(Component)}{db.force_index('component_serial')} "  # noqa: S608
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
