"""Deriving history: installation intervals and timeline events, from observations and
manual events (DESIGN.md, Time and Events). This is the one place history is derived.

Installations. For a component C, the points of its history are the snapshots (parsed
bundles) of every asset C was ever observed in, in (collected_at, bundle sha256) order, plus
the manual events that take C out (RMA sent, retired). A run of consecutive presence of C in
asset A is an installation: installed_at is the first observation of the run, last_seen_at the
last, and removed_at the first later snapshot of A without C (when that snapshot could see C's
class), the first observation of C in another asset, or a manual removal, whichever comes
first.

Events. Each derivation unit (one component, or one asset's own history) recomputes all its
events; each event has a deterministic natural key, and the stored rows are brought to the
computed set by difference, so deriving twice writes nothing and unchanged events keep their
ids (keyset cursors stay valid). The result depends only on the set of observations and manual
events, never on the order in which bundles arrived.

Callers pass the components and assets whose inputs changed. A component passed in without
any observation left loses its derived history; components registered by hand and never
observed are not passed in, and keep what they have.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models.fields.json import KT
from django.utils import timezone

from ingest.choices import BundleStatus, ObservationKind
from ingest.models import LogBundle, Observation
from reanimator.db import (
    EncodedJSON,
    execute,
    fast_insert,
    fetch,
    for_update,
    force_index,
    from_db_datetime,
    from_db_json,
    placeholders,
    table,
    to_db_datetime,
)
from registry.models import Component, Installation
from timeline.choices import EVENT_TYPE_ORDER, REMOVING_EVENT_TYPES, EventSource, EventType, SubjectType
from timeline.models import ManualEvent, TimelineEvent


@dataclass(frozen=True, order=True)
class Snapshot:
    collected_at: datetime
    sha256: str
    bundle_id: int
    asset_id: int


@dataclass
class Run:
    asset_id: int
    slot: str
    installed_at: datetime
    last_seen_at: datetime
    removed_at: datetime | None = None
    ended_by: str = ""  # "absent", "moved" or a manual event type
    ended_ref: str = ""  # the manual event id, when a manual event ended it


@dataclass(frozen=True)
class Sighting:
    bundle_id: int
    slot: str
    firmware: str
    smart_passed: bool | None


@dataclass(frozen=True)
class DerivationResult:
    components: int
    installations: int
    events_written: int = 0


# json.dumps(payload, sort_keys=True, default=str), without building an encoder per event.
_KEY_ENCODER = json.JSONEncoder(sort_keys=True, default=str)


@dataclass
class EventSet:
    """The events one derivation unit should have, by identity (type, subject, time, discriminator)."""

    origin: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # TimelineEvent rows, for fast_insert

    def add(
        self,
        event_type: str,
        subject_type: str,
        subject_id: int,
        timestamp: datetime,
        *,
        source: str,
        source_ref: str = "",
        discriminator: str = "",
        **payload: Any,
    ) -> None:
        identity = f"{self.origin}|{event_type}|{subject_type}:{subject_id}|{timestamp.isoformat()}|{discriminator}"
        # The stored key covers the payload too: an event whose details changed (a removal
        # window narrowed by a late bundle) is replaced, and the diff needs no payload reads.
        content = _KEY_ENCODER.encode(payload)
        key = hashlib.sha256(f"{identity}|{source}|{source_ref}|{content}".encode()).hexdigest()
        self.events[identity] = {
            "subject_type": subject_type,
            "subject_id": subject_id,
            "timestamp": timestamp,
            "event_type": event_type,
            "type_order": EVENT_TYPE_ORDER[event_type],
            "payload": EncodedJSON(content),  # the key's encoding, sorted: stored as it is
            "source": source,
            "source_ref": source_ref[:64],
            "natural_key": key,
            "origin": self.origin,
            "created_at": None,  # set when written
        }


def derive_history(component_ids: Iterable[int] = (), asset_ids: Iterable[int] = ()) -> DerivationResult:
    """Recompute the installations and events of these components and the own events of
    these assets. Call inside a transaction: the components are locked in id order, so
    concurrent derivations of overlapping sets cannot deadlock on them."""
    component_result = _derive_components(sorted(set(component_ids)))
    asset_events = [_asset_events(asset_id) for asset_id in sorted(set(asset_ids))]
    written = _write_events(asset_events)
    return DerivationResult(
        component_result.components, component_result.installations, component_result.events_written + written
    )


# --- components ---------------------------------------------------------------------------


def _derive_components(ids: list[int]) -> DerivationResult:
    if not ids:
        return DerivationResult(0, 0)
    components = _lock_components(ids)
    sightings: dict[int, dict[int, Sighting]] = defaultdict(dict)
    # The database extracts the one health flag needed; decoding every observation's health
    # JSON in Python was most of a long history's derivation.
    for component_id, bundle_id, slot, firmware, smart in (
        Observation.objects.filter(component_id__in=ids)
        .order_by()
        .values_list("component_id", "bundle_id", "slot", "firmware", KT("health__smart_passed"))
    ):
        sightings[component_id][bundle_id] = Sighting(bundle_id, slot, firmware, _json_bool(smart))
    removals: dict[int, list[ManualEvent]] = defaultdict(list)
    manual: dict[int, list[ManualEvent]] = defaultdict(list)
    for event in ManualEvent.objects.filter(component_id__in=ids).order_by("timestamp", "id"):
        manual[event.component_id].append(event)  # type: ignore[index]
        if event.event_type in REMOVING_EVENT_TYPES:
            removals[event.component_id].append(event)  # type: ignore[index]

    observed = [pk for pk in ids if sightings[pk]]
    forgotten = [pk for pk in ids if not sightings[pk]]
    if forgotten:
        Installation.objects.filter(component_id__in=forgotten).delete()
        Component.objects.filter(pk__in=forgotten).update(first_seen_at=None)

    snapshots = _snapshots_of_assets({bundle_id for pk in observed for bundle_id in sightings[pk]})
    by_asset: dict[int, list[tuple[Snapshot, frozenset[str]]]] = defaultdict(list)
    for snapshot, coverage in snapshots.values():
        by_asset[snapshot.asset_id].append((snapshot, coverage))

    new_rows: list[Installation] = []
    first_seen: dict[int, datetime] = {}
    event_sets = []
    for component_id in observed:
        seen_in = sightings[component_id]
        component_class = components.get(component_id, ("", "", ""))[0]
        assets = {snapshots[b][0].asset_id for b in seen_in if b in snapshots}
        points = sorted(
            (snapshot, snapshot.bundle_id in seen_in)
            for asset_id in assets
            for snapshot, coverage in by_asset[asset_id]
            if snapshot.bundle_id in seen_in or component_class in coverage
        )
        runs = _runs(points, seen_in, removals[component_id])
        if runs:
            first_seen[component_id] = runs[0].installed_at
        new_rows.extend(
            Installation(
                component_id=component_id,
                asset_id=run.asset_id,
                slot=run.slot[:100],
                installed_at=run.installed_at,
                last_seen_at=run.last_seen_at,
                removed_at=run.removed_at,
            )
            for run in runs
        )
        ordered = [(snapshot, seen_in[snapshot.bundle_id]) for snapshot, present in points if present]
        event_sets.append(
            _component_events(
                component_id, components.get(component_id, ("", "", "")), runs, ordered, manual[component_id]
            )
        )
    for component_id in forgotten:
        event_sets.append(EventSet(origin=f"component:{component_id}"))

    _write_installations(observed, new_rows)
    _update_first_seen(first_seen)
    written = _write_events(event_sets)
    return DerivationResult(components=len(observed), installations=len(new_rows), events_written=written)


def _lock_components(ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """Lock the components in id order; their (class, serial, model)."""
    if not ids:
        return {}
    rows = fetch(
        f"SELECT id, component_class, serial, model FROM {table(Component)} "  # noqa: S608
        f"WHERE id IN ({placeholders(ids)}) ORDER BY id{for_update()}",
        ids,
    )
    return {pk: (component_class, serial, model) for pk, component_class, serial, model in rows}


def _smart_passed_sql() -> str:
    """health->>'smart_passed' as the ORM's KT("health__smart_passed") writes it on this backend."""
    if connection.vendor == "mysql":
        return "JSON_UNQUOTE(JSON_EXTRACT(health, '$.\"smart_passed\"'))"
    return "JSON_EXTRACT(health, '$.\"smart_passed\"')"


def _json_bool(value: object) -> bool | None:
    """A JSON boolean as the backend's key transform returns it: "true"/"false" on MariaDB,
    1/0 on SQLite; anything else is no verdict."""
    if value in (True, 1, "true"):
        return True
    if value in (False, 0, "false"):
        return False
    return None


def _snapshots_of_assets(bundle_ids: set[int]) -> dict[int, tuple[Snapshot, frozenset[str]]]:
    """Every parsed bundle of every asset that any of these bundles is about."""
    asset_ids = set(LogBundle.objects.filter(pk__in=bundle_ids).order_by().values_list("asset_id", flat=True)) - {None}
    rows = (
        LogBundle.objects.filter(asset_id__in=asset_ids, status=BundleStatus.PARSED)
        .order_by()
        .values_list("pk", "asset_id", "collected_at", "sha256", "coverage")
    )
    return {
        pk: (Snapshot(collected_at, sha256, pk, asset_id), frozenset(coverage or ()))
        for pk, asset_id, collected_at, sha256, coverage in rows
        if collected_at is not None  # a parsed bundle always has one; the column allows NULL before
    }


def _runs(points: list[tuple[Snapshot, bool]], seen_in: dict[int, Sighting], removals: list[ManualEvent]) -> list[Run]:
    runs: list[Run] = []
    current: Run | None = None
    pending = list(removals)
    for snapshot, present in points:
        # A manual removal between the last sighting and this snapshot ends the run first.
        while pending and pending[0].timestamp < snapshot.collected_at:
            current = _end_by_manual(current, pending.pop(0))
        if present:
            slot = seen_in[snapshot.bundle_id].slot
            if current is not None and current.asset_id == snapshot.asset_id:
                current.last_seen_at = snapshot.collected_at
                current.slot = slot or current.slot
                continue
            if current is not None:
                current.removed_at, current.ended_by = snapshot.collected_at, "moved"
            current = Run(snapshot.asset_id, slot, snapshot.collected_at, snapshot.collected_at)
            runs.append(current)
        elif current is not None and current.asset_id == snapshot.asset_id:
            current.removed_at, current.ended_by = snapshot.collected_at, "absent"
            current = None
    for event in pending:
        current = _end_by_manual(current, event)
    return runs


def _end_by_manual(current: Run | None, event: ManualEvent) -> Run | None:
    """The run still open after this manual removal: none, when it ended the open run."""
    if current is None or event.timestamp < current.last_seen_at:
        return current  # nothing open, or recorded before the part was last seen: no effect
    current.removed_at, current.ended_by, current.ended_ref = event.timestamp, event.event_type, str(event.pk)
    return None


def _component_events(
    component_id: int,
    identity: tuple[str, str, str],
    runs: list[Run],
    sightings: list[tuple[Snapshot, Sighting]],
    manual: list[ManualEvent],
) -> EventSet:
    part = _part(component_id, identity)
    events = EventSet(origin=f"component:{component_id}")
    if runs:
        _first_seen_event(events, component_id, runs[0])
    previous: Run | None = None
    for run in runs:
        _arrival_events(events, component_id, part, run, previous)
        _departure_events(events, component_id, part, run)
        previous = run

    last_firmware, last_smart = "", None
    for snapshot, sighting in sightings:
        last_firmware, last_smart = _sighting_events(
            events, component_id, snapshot, sighting, last_firmware, last_smart
        )
    for event in manual:
        _add_manual(events, SubjectType.COMPONENT, component_id, event)
    return events


# The events of one run and of one sighting, shared by the full derivation and by the
# appending one (derive_new_snapshots), so that both write the very same rows.


def _part(component_id: int, identity: tuple[str, str, str]) -> dict[str, Any]:
    component_class, serial, model = identity
    return {"component_id": component_id, "component_class": component_class, "serial": serial, "model": model}


def _first_seen_event(events: EventSet, component_id: int, first: Run) -> None:
    events.add(
        EventType.FIRST_SEEN,
        SubjectType.COMPONENT,
        component_id,
        first.installed_at,
        source=EventSource.BUNDLE,
        asset_id=first.asset_id,
        slot=first.slot,
    )


def _arrival_events(events: EventSet, component_id: int, part: dict[str, Any], run: Run, previous: Run | None) -> None:
    """The part arriving in run.asset_id: moved from the previous run's asset, or installed."""
    bundle = EventSource.BUNDLE
    moved_in = previous is not None and previous.ended_by == "moved" and previous.removed_at == run.installed_at
    if moved_in and previous is not None:
        events.add(
            EventType.MOVED,
            SubjectType.COMPONENT,
            component_id,
            run.installed_at,
            source=bundle,
            from_asset_id=previous.asset_id,
            to_asset_id=run.asset_id,
            slot=run.slot,
            last_seen_at=previous.last_seen_at.isoformat(),
        )
        events.add(
            EventType.REMOVED,
            SubjectType.ASSET,
            previous.asset_id,
            run.installed_at,
            source=bundle,
            discriminator=str(component_id),
            moved_to_asset_id=run.asset_id,
            last_seen_at=previous.last_seen_at.isoformat(),
            slot=previous.slot,
            **part,
        )
        events.add(
            EventType.INSTALLED,
            SubjectType.ASSET,
            run.asset_id,
            run.installed_at,
            source=bundle,
            discriminator=str(component_id),
            moved_from_asset_id=previous.asset_id,
            slot=run.slot,
            **part,
        )
    else:
        events.add(
            EventType.INSTALLED,
            SubjectType.COMPONENT,
            component_id,
            run.installed_at,
            source=bundle,
            asset_id=run.asset_id,
            slot=run.slot,
        )
        events.add(
            EventType.INSTALLED,
            SubjectType.ASSET,
            run.asset_id,
            run.installed_at,
            source=bundle,
            discriminator=str(component_id),
            slot=run.slot,
            **part,
        )


def _departure_events(events: EventSet, component_id: int, part: dict[str, Any], run: Run) -> None:
    """The run's end, unless it ended by a move (the next run's arrival tells that)."""
    if run.removed_at is None or run.ended_by == "moved":
        return
    source = EventSource.USER if run.ended_ref else EventSource.BUNDLE
    why: dict[str, Any] = {
        "reason": run.ended_by,
        "last_seen_at": run.last_seen_at.isoformat(),
        "slot": run.slot,
    }
    events.add(
        EventType.REMOVED,
        SubjectType.COMPONENT,
        component_id,
        run.removed_at,
        source=source,
        source_ref=run.ended_ref,
        asset_id=run.asset_id,
        **why,
    )
    events.add(
        EventType.REMOVED,
        SubjectType.ASSET,
        run.asset_id,
        run.removed_at,
        source=source,
        source_ref=run.ended_ref,
        discriminator=str(component_id),
        **why,
        **part,
    )


def _sighting_events(
    events: EventSet,
    component_id: int,
    snapshot: Snapshot,
    sighting: Sighting,
    last_firmware: str,
    last_smart: bool | None,
) -> tuple[str, bool | None]:
    """Firmware change and SMART failure at one sighting, given the last non-empty firmware
    and the last verdict before it; returns them as they are after it."""
    if sighting.firmware and last_firmware and sighting.firmware != last_firmware:
        events.add(
            EventType.FIRMWARE_CHANGED,
            SubjectType.COMPONENT,
            component_id,
            snapshot.collected_at,
            source=EventSource.BUNDLE,
            source_ref=snapshot.sha256,
            discriminator=sighting.firmware,
            from_version=last_firmware,
            to_version=sighting.firmware,
            asset_id=snapshot.asset_id,
        )
    if sighting.smart_passed is False and last_smart is not False:
        events.add(
            EventType.FAILED,
            SubjectType.COMPONENT,
            component_id,
            snapshot.collected_at,
            source=EventSource.BUNDLE,
            source_ref=snapshot.sha256,
            verdict="SMART overall-health failed",
            asset_id=snapshot.asset_id,
        )
    return (
        sighting.firmware or last_firmware,
        sighting.smart_passed if sighting.smart_passed is not None else last_smart,
    )


# --- assets -------------------------------------------------------------------------------


def _asset_events(asset_id: int) -> EventSet:
    """An asset's own events: its log collections, asset-level firmware, manual events. The
    parts moving in and out are written by the components' units."""
    events = EventSet(origin=f"asset:{asset_id}")
    rows = (
        Observation.objects.filter(asset_id=asset_id, kind=ObservationKind.ASSET, bundle__status=BundleStatus.PARSED)
        .order_by("collected_at", "bundle__sha256")
        .values_list("bundle_id", "bundle__sha256", "collected_at", "specs", "bundle__hostname")
    )
    last: dict[str, str] = {}
    for bundle_id, sha256, collected_at, specs, hostname in rows:
        _log_events(events, asset_id, bundle_id, sha256, collected_at, specs, hostname, last)
    for event in ManualEvent.objects.filter(asset_id=asset_id).order_by("timestamp", "id"):
        _add_manual(events, SubjectType.ASSET, asset_id, event)
    return events


def _log_events(
    events: EventSet,
    asset_id: int,
    bundle_id: int,
    sha256: str,
    collected_at: datetime,
    specs: dict[str, Any] | None,
    hostname: str,
    last: dict[str, str],
) -> None:
    """One snapshot's events on its asset: the log collection and asset-level firmware
    changes against `last` (the latest version of each firmware before it), which it updates."""
    events.add(
        EventType.LOG_COLLECTED,
        SubjectType.ASSET,
        asset_id,
        collected_at,
        source=EventSource.BUNDLE,
        source_ref=sha256,
        discriminator=sha256,
        bundle_id=bundle_id,
        hostname=hostname,
    )
    for name, version in sorted(((specs or {}).get("firmware") or {}).items()):
        if version and last.get(name) and last[name] != version:
            events.add(
                EventType.FIRMWARE_CHANGED,
                SubjectType.ASSET,
                asset_id,
                collected_at,
                source=EventSource.BUNDLE,
                source_ref=sha256,
                discriminator=f"{name}={version}",
                firmware=name,
                from_version=last[name],
                to_version=version,
            )
        if version:
            last[name] = version


def _add_manual(events: EventSet, subject_type: str, subject_id: int, event: ManualEvent) -> None:
    payload: dict[str, Any] = {"manual_event_id": event.pk, "note": event.note, "reference": event.reference}
    if event.location_id:
        payload["location_id"] = event.location_id
    events.add(
        event.event_type,
        subject_type,
        subject_id,
        event.timestamp,
        source=EventSource.USER,
        source_ref=str(event.recorded_by_id or ""),
        discriminator=f"manual:{event.pk}",
        **payload,
    )


# --- appending one snapshot ---------------------------------------------------------------


@dataclass(frozen=True)
class _StoredRun:
    pk: int
    component_id: int
    asset_id: int
    slot: str
    installed_at: datetime
    last_seen_at: datetime
    removed_at: datetime | None


@dataclass
class _Append:
    """What the new snapshot does to one component's history, when it is its last point."""

    component_id: int
    sighting: Sighting | None  # the part in the new snapshot; None when absent from it
    open: _StoredRun | None = None  # the run open before it
    extend: bool = False  # the open run goes on (same asset)
    close: str = ""  # the open run ends here: "absent" or "moved"
    start: bool = False  # a run starts here
    first: bool = False  # the part's first sighting ever
    last_seen_before: datetime | None = None  # the sighting before, when its firmware or verdict matters


@dataclass(frozen=True)
class NewSnapshot:
    """A bundle just parsed for the first time, and the components its derivation covers:
    those it saw and those ever installed in its asset."""

    bundle_id: int
    asset_id: int
    component_ids: frozenset[int]


def derive_new_snapshots(snapshots: list[NewSnapshot]) -> DerivationResult:
    """derive_history(component_ids, asset_ids=[asset_id]) after the first parse of each of
    these bundles, with the same result and less work when a bundle is the latest point of
    the histories it touches (the common case: servers report in order).

    For a unit whose every other snapshot (of every asset the part was ever in) is older than
    the bundle, and which has no manual removal, the new snapshot is the last point of its
    history, so the history only grows at its end: the open run is extended, or closed (the
    part is absent, or seen in another asset), a run starts, events are appended. No stored
    event depends on what comes after it, except through a run's slot, which must not change
    here. What the stored rows cannot show (the firmware or SMART verdict before the last
    sighting, a part that was observed but has no installation) sends the unit to the full
    derivation, as does any doubt about order (an equal or later snapshot): a late bundle
    re-derives, in full, only what it touches.

    Several bundles are derived together with one query per step instead of one per bundle
    and step. They must be of distinct assets and cover disjoint sets of components: then no
    unit is derived twice, and a unit that another bundle of the batch makes "not the last
    point" (a later snapshot of an asset it was in) takes the full path, which reads every
    observation of the batch. Call inside a transaction, like derive_history."""
    if len({s.asset_id for s in snapshots}) != len(snapshots) or sum(len(s.component_ids) for s in snapshots) != len(
        set().union(*(s.component_ids for s in snapshots))
    ):
        raise ValueError("a batch of new snapshots needs distinct assets and disjoint components")
    all_ids = sorted(set().union(*(s.component_ids for s in snapshots)))
    components = _lock_components(all_ids)
    stored: dict[int, list[_StoredRun]] = defaultdict(list)
    for pk, component_id, run_asset_id, slot, installed_at, last_seen_at, removed_at in (
        fetch(
            "SELECT id, component_id, asset_id, slot, installed_at, last_seen_at, removed_at "  # noqa: S608
            f"FROM {table(Installation)}{force_index('installation_component_active')} "
            f"WHERE component_id IN ({placeholders(all_ids)})",
            all_ids,
        )
        if all_ids
        else ()
    ):
        stored[component_id].append(
            _StoredRun(
                pk,
                component_id,
                run_asset_id,
                slot,
                from_db_datetime(installed_at),
                from_db_datetime(last_seen_at),
                from_db_datetime(removed_at),
            )
        )
    # The bundles' rows give the times as the full derivation reads them.
    bundle_ids = [s.bundle_id for s in snapshots]
    rows = {
        row[0]: row[1:]
        for row in fetch(
            f"SELECT id, asset_id, collected_at, sha256, coverage, status FROM {table(LogBundle)} "  # noqa: S608
            f"WHERE id IN ({placeholders(bundle_ids)})",
            bundle_ids,
        )
    }
    full_ids: set[int] = set()  # units for the full derivation
    full_assets: set[int] = set()  # assets whose own events are derived in full
    appending: list[tuple[NewSnapshot, Snapshot, frozenset[str], set[int]]] = []
    for new in snapshots:
        row_asset_id, db_collected_at, sha256, row_coverage, status = rows.get(new.bundle_id, (None,) * 5)
        collected_at = from_db_datetime(db_collected_at)
        if collected_at is None or row_asset_id != new.asset_id or status != BundleStatus.PARSED:
            full_ids |= new.component_ids
            full_assets.add(new.asset_id)
            continue
        assets = {new.asset_id} | {run.asset_id for pk in new.component_ids for run in stored[pk]}
        coverage = frozenset(from_db_json(row_coverage) or ())
        appending.append((new, Snapshot(collected_at, sha256, new.bundle_id, new.asset_id), coverage, assets))

    # Every other parsed snapshot, of the assets each bundle's parts were in, not older than
    # it. (The times go in as values, not a subquery, so that the optimizer reads the
    # (asset, collected_at) index, not a range over every later bundle of the fleet.)
    later_of: dict[int, set[int]] = defaultdict(set)
    if appending:
        conditions, params = [], []
        for _new, snapshot, _, assets in appending:
            conditions.append(f"(asset_id IN ({placeholders(sorted(assets))}) AND collected_at >= %s)")
            params.extend([*sorted(assets), to_db_datetime(snapshot.collected_at)])
        later_rows = [
            (pk, asset_id, from_db_datetime(collected_at))
            for pk, asset_id, collected_at in fetch(
                f"SELECT id, asset_id, collected_at FROM {table(LogBundle)} "  # noqa: S608
                f"WHERE status = %s AND ({' OR '.join(conditions)})",
                [BundleStatus.PARSED.value, *params],
            )
        ]
        for new, snapshot, _, assets in appending:
            later_of[new.bundle_id] = {
                asset_id
                for pk, asset_id, collected_at in later_rows
                if asset_id in assets and collected_at >= snapshot.collected_at and pk != new.bundle_id
            }
    plain = []
    for item in appending:
        new = item[0]
        if new.asset_id in later_of[new.bundle_id]:
            full_ids |= new.component_ids
            full_assets.add(new.asset_id)
        else:
            plain.append(item)
    append_ids = sorted(pk for new, *_ in plain for pk in new.component_ids)
    append_bundles = [new.bundle_id for new, *_ in plain]

    seen: dict[int, Sighting] = {}  # by component: the components of the batch are disjoint
    if append_ids:
        for bundle_id, component_id, slot, firmware, smart in fetch(
            f"SELECT bundle_id, component_id, slot, firmware, {_smart_passed_sql()} "  # noqa: S608
            f"FROM {table(Observation)} WHERE bundle_id IN ({placeholders(append_bundles)}) "
            f"AND component_id IN ({placeholders(append_ids)})",
            [*append_bundles, *append_ids],
        ):
            seen[component_id] = Sighting(bundle_id, slot, firmware, _json_bool(smart))
    # A manual removal takes part in the runs; the other manual events of a part are stored
    # with its events, unless it was never observed (then they are written with its first).
    manual: dict[int, set[str]] = defaultdict(set)
    for component_id, event_type in (
        fetch(
            f"SELECT component_id, event_type FROM {table(ManualEvent)} "  # noqa: S608
            f"WHERE component_id IN ({placeholders(append_ids)})",
            append_ids,
        )
        if append_ids
        else ()
    ):
        manual[component_id].add(event_type)

    plans: list[tuple[_Append, Snapshot]] = []
    for new, snapshot, coverage, _ in plain:
        later = later_of[new.bundle_id]
        for component_id in sorted(new.component_ids):
            component_class = components.get(component_id, ("", "", ""))[0]
            sighting = seen.get(component_id)
            if sighting is not None and sighting.bundle_id != new.bundle_id:
                sighting = None
            plan = _plan_append(
                component_id, sighting, stored[component_id], new.asset_id, snapshot.collected_at, later
            )
            if plan is not None and plan.close == "absent" and component_class not in coverage:
                plan.close = ""  # the snapshot could not have seen it: not a point of its history
            if (
                plan is None
                or component_id not in components
                or manual[component_id] & REMOVING_EVENT_TYPES
                or (plan.first and manual[component_id])
            ):
                full_ids.add(component_id)
            elif plan.sighting is not None or plan.close:
                plans.append((plan, snapshot))
            # else: a part once in this asset, elsewhere now or of a class this snapshot cannot see

    # What the stored rows do not tell: that a part with no installation was never observed
    # before, and the firmware and verdict of the sighting before this one.
    own_bundle = {plan.component_id: snapshot.bundle_id for plan, snapshot in plans}
    firsts = sorted(plan.component_id for plan, _ in plans if plan.first)
    if firsts:
        full_ids.update(
            component_id
            for component_id, bundle_id in fetch(
                f"SELECT component_id, bundle_id FROM {table(Observation)}"  # noqa: S608
                f"{force_index('observation_component_time')} WHERE component_id IN ({placeholders(firsts)})",
                firsts,
            )
            if bundle_id != own_bundle[component_id]
        )
    before: dict[int, list[tuple[str, bool | None]]] = defaultdict(list)
    wanted = {plan.component_id: plan.last_seen_before for plan, _ in plans if plan.last_seen_before is not None}
    if wanted:
        wanted_ids = sorted(wanted)
        for component_id, bundle_id, collected_at, firmware, smart in fetch(
            f"SELECT component_id, bundle_id, collected_at, firmware, {_smart_passed_sql()} "  # noqa: S608
            f"FROM {table(Observation)}{force_index('observation_component_time')} "
            f"WHERE component_id IN ({placeholders(wanted_ids)}) AND collected_at >= %s",
            [*wanted_ids, to_db_datetime(min(wanted.values()))],
        ):
            if bundle_id != own_bundle[component_id] and from_db_datetime(collected_at) == wanted[component_id]:
                before[component_id].append((firmware, _json_bool(smart)))

    event_sets: list[EventSet] = []
    fresh_sets: list[EventSet] = []  # of parts never observed before: nothing stored to collide with
    closes: dict[int, datetime] = {}  # installation id: removed_at
    extends: dict[int, datetime] = {}  # installation id: last_seen_at
    starts: list[dict[str, Any]] = []  # Installation rows
    first_seen: dict[int, datetime] = {}
    appended = 0
    for plan, snapshot in plans:
        component_id = plan.component_id
        if component_id in full_ids:
            continue
        when = snapshot.collected_at
        last_firmware, last_smart = "", None
        if plan.last_seen_before is not None:
            previous = before.get(component_id, [])
            if len(previous) != 1:
                full_ids.add(component_id)  # two sightings at one time, or none: not a plain tail
                continue
            last_firmware, last_smart = previous[0]
            sighting = plan.sighting
            assert sighting is not None
            if (sighting.firmware and not last_firmware) or (sighting.smart_passed is False and last_smart is None):
                full_ids.add(component_id)  # the state before lies further back
                continue
        appended += 1
        events = EventSet(origin=f"component:{component_id}")
        (fresh_sets if plan.first else event_sets).append(events)
        part = _part(component_id, components[component_id])
        ended: Run | None = None
        if plan.close:
            assert plan.open is not None
            closes[plan.open.pk] = when
            open_run = plan.open
            ended = Run(
                open_run.asset_id, open_run.slot, open_run.installed_at, open_run.last_seen_at, when, plan.close
            )
            _departure_events(events, component_id, part, ended)
        if plan.extend:
            assert plan.open is not None
            extends[plan.open.pk] = when
        if plan.start:
            assert plan.sighting is not None
            run = Run(snapshot.asset_id, plan.sighting.slot, when, when)
            starts.append(
                {
                    "component_id": component_id,
                    "asset_id": snapshot.asset_id,
                    "slot": run.slot[:100],
                    "installed_at": when,
                    "last_seen_at": when,
                    "removed_at": None,
                }
            )
            if plan.first:
                first_seen[component_id] = when
                _first_seen_event(events, component_id, run)
            # A run that ended earlier ended by absence: only a run ending here is a move.
            _arrival_events(events, component_id, part, run, ended)
        if plan.sighting is not None:
            _sighting_events(events, component_id, snapshot, plan.sighting, last_firmware, last_smart)

    # Close before opening: the database allows one active installation per component.
    _set_times(Installation, "removed_at", closes)
    _set_times(Installation, "last_seen_at", extends)
    fast_insert(Installation, starts)
    _set_times(Component, "first_seen_at", first_seen)
    log_events = _new_log_events([snapshot for _, snapshot, _, _ in plain])
    for _, snapshot, _, _ in plain:
        if snapshot.asset_id in log_events:
            event_sets.append(log_events[snapshot.asset_id])
        else:
            full_assets.add(snapshot.asset_id)
    written = _append_events(event_sets, fresh=fresh_sets)
    written += _write_events([_asset_events(asset_id) for asset_id in sorted(full_assets)])
    result = _derive_components(sorted(full_ids))
    return DerivationResult(
        components=appended + result.components,
        installations=len(starts) + result.installations,
        events_written=written + result.events_written,
    )


def _set_times(model: type[Installation] | type[Component], column: str, times: dict[int, datetime]) -> None:
    """Set one datetime column of these rows by id, in one UPDATE: the rows are grouped by
    their new time (a batch of snapshots brings one time per bundle), and a CASE picks the
    group, so each row is matched against a few sorted IN lists, not against every id."""
    if not times:
        return
    groups: dict[datetime, list[int]] = defaultdict(list)
    for pk, when in times.items():
        groups[when].append(pk)
    pks = sorted(times)
    by_id = force_index("PRIMARY")  # as db.update_rows: no scan locking rows of other workers
    if len(groups) == 1:
        execute(
            f"UPDATE {table(model)}{by_id} SET {column} = %s WHERE id IN ({placeholders(pks)})",  # noqa: S608
            [to_db_datetime(next(iter(groups))), *pks],
        )
        return
    cases, params = [], []
    for when, ids in groups.items():
        cases.append(f"WHEN id IN ({placeholders(ids)}) THEN %s")
        params.extend([*ids, to_db_datetime(when)])
    execute(
        f"UPDATE {table(model)}{by_id} SET {column} = CASE {' '.join(cases)} END WHERE id IN ({placeholders(pks)})",  # noqa: S608
        [*params, *pks],
    )


def _plan_append(
    component_id: int,
    sighting: Sighting | None,
    runs: list[_StoredRun],
    asset_id: int,
    when: datetime,
    later: set[int],
) -> _Append | None:
    """How the new snapshot (of `asset_id`, at `when`) extends this part's stored runs, or
    None when it might not be the last point of its history, or the rows look unusual."""
    if any(run.asset_id in later for run in runs):
        return None  # an asset the part was in has a snapshot as late as this one
    if any(run.last_seen_at >= when or (run.removed_at is not None and run.removed_at >= when) for run in runs):
        return None
    open_runs = [run for run in runs if run.removed_at is None]
    if len(open_runs) > 1:
        return None
    current = open_runs[0] if open_runs else None
    plan = _Append(component_id, sighting, open=current)
    if sighting is None:
        if not runs:
            return None  # not observed in any snapshot: the full derivation forgets it
        if current is not None and current.asset_id == asset_id:
            plan.close = "absent"  # if the snapshot could see its class: the caller checks
        return plan
    if not runs:
        plan.start = plan.first = True
        return plan
    if sighting.firmware or sighting.smart_passed is False:
        plan.last_seen_before = max(run.last_seen_at for run in runs)
    if current is not None and current.asset_id == asset_id:
        if sighting.slot and sighting.slot != current.slot:
            return None  # the run's slot changes, and with it its stored events
        plan.extend = True
    else:
        plan.start = True
        if current is not None:
            plan.close = "moved"
    return plan


def _new_log_events(snapshots: list[Snapshot]) -> dict[int, EventSet]:
    """Each asset's own events as they are with its snapshot as its latest, by asset; an
    asset is missing when the snapshot before does not show the firmware versions they
    depend on."""
    if not snapshots:
        return {}
    # Each snapshot and the one before, by the bundles' index (the asset's observations are
    # every part of every snapshot): one LIMITed branch per asset. Then their asset
    # observations.
    branch = (
        f"SELECT * FROM (SELECT asset_id, id, hostname, collected_at, sha256 FROM {table(LogBundle)} "  # noqa: S608
        "WHERE asset_id = %s AND status = %s AND collected_at <= %s "
        "ORDER BY collected_at DESC, sha256 DESC LIMIT 2) AS recent"
    )
    params: list[Any] = []
    for snapshot in snapshots:
        params.extend([snapshot.asset_id, BundleStatus.PARSED.value, to_db_datetime(snapshot.collected_at)])
    ordered: dict[int, list[tuple[datetime, str, int, str]]] = defaultdict(list)
    for asset_id, pk, hostname, collected_at, sha256 in fetch(" UNION ALL ".join([branch] * len(snapshots)), params):
        ordered[asset_id].append((from_db_datetime(collected_at), sha256, pk, hostname))
    # The union does not keep each branch's order.
    recent = {
        asset_id: [(pk, hostname) for _, _, pk, hostname in sorted(rows, reverse=True)]
        for asset_id, rows in ordered.items()
    }
    recent_ids = sorted({pk for rows in recent.values() for pk, _ in rows})
    specs_of = {
        bundle_id: from_db_json(specs)
        for bundle_id, specs in (
            fetch(
                f"SELECT bundle_id, specs FROM {table(Observation)} "  # noqa: S608
                f"WHERE bundle_id IN ({placeholders(recent_ids)}) AND kind = %s",
                [*recent_ids, ObservationKind.ASSET.value],
            )
            if recent_ids
            else ()
        )
    }
    found: dict[int, EventSet] = {}
    for snapshot in snapshots:
        asset_id = snapshot.asset_id
        rows = recent.get(asset_id, [])
        if not rows or rows[0][0] != snapshot.bundle_id or any(pk not in specs_of for pk, _ in rows):
            continue  # not the asset's latest snapshot, or one without its asset observation
        specs = specs_of[snapshot.bundle_id]
        last: dict[str, str] = {}
        if len(rows) > 1:
            before = specs_of[rows[1][0]]
            last = {name: version for name, version in ((before or {}).get("firmware") or {}).items() if version}
            firmware = (specs or {}).get("firmware") or {}
            if any(version and name not in last for name, version in firmware.items()):
                continue  # a version that may have been reported before the last snapshot
        # The unit's stored events are its earlier snapshots' and its manual events: unchanged.
        events = EventSet(origin=f"asset:{asset_id}")
        _log_events(
            events, asset_id, snapshot.bundle_id, snapshot.sha256, snapshot.collected_at, specs, rows[0][1], last
        )
        found[asset_id] = events
    return found


# --- writing ------------------------------------------------------------------------------


def _write_events(event_sets: list[EventSet]) -> int:
    """Bring the stored events of these units to the computed sets: delete the rows whose key
    is no longer wanted, insert the new keys. Unchanged events keep their rows and ids."""
    if not event_sets:
        return 0
    wanted = {event["natural_key"]: event for event_set in event_sets for event in event_set.events.values()}
    existing = dict(
        TimelineEvent.objects.filter(origin__in=[s.origin for s in event_sets])
        .order_by()
        .values_list("natural_key", "pk")
    )
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        TimelineEvent.objects.filter(pk__in=stale).delete()
    now = timezone.now()
    new = [event for key, event in wanted.items() if key not in existing]
    for event in new:
        event["created_at"] = now
    fast_insert(TimelineEvent, new)
    return len(stale) + len(new)


def _append_events(event_sets: list[EventSet], *, fresh: list[EventSet] | None = None) -> int:
    """Add these events to what is stored, without removing any: for units that only grew.
    The events of `fresh` units (none stored yet) are inserted without looking them up."""
    wanted = {event["natural_key"]: event for event_set in event_sets for event in event_set.events.values()}
    existing = set()
    if wanted:
        keys = list(wanted)
        existing = {
            key
            for (key,) in fetch(
                f"SELECT natural_key FROM {table(TimelineEvent)} WHERE natural_key IN ({placeholders(keys)})",  # noqa: S608
                keys,
            )
        }
    new = [event for key, event in wanted.items() if key not in existing]
    new.extend(event for event_set in fresh or () for event in event_set.events.values())
    now = timezone.now()
    for event in new:
        event["created_at"] = now
    fast_insert(TimelineEvent, new)
    return len(new)


def _write_installations(component_ids: list[int], desired: list[Installation]) -> None:
    """Bring the stored installations of these components to `desired`, writing only the
    difference: usually one UPDATE of last_seen_at. Unchanged rows keep their ids."""
    existing = {
        (row.component_id, row.asset_id, row.installed_at): row
        for row in Installation.objects.filter(component_id__in=component_ids)
        .order_by()
        .only("pk", "component_id", "asset_id", "slot", "installed_at", "last_seen_at", "removed_at")
    }
    # Grouped by the new times: one UPDATE sets last_seen_at on every part a snapshot saw.
    updates: dict[tuple[datetime, datetime | None], list[int]] = defaultdict(list)
    moved_slots: list[tuple[int, str]] = []
    inserts: list[Installation] = []
    for row in desired:
        current = existing.pop((row.component_id, row.asset_id, row.installed_at), None)
        if current is None:
            inserts.append(row)
            continue
        if (current.last_seen_at, current.removed_at) != (row.last_seen_at, row.removed_at):
            updates[(row.last_seen_at, row.removed_at)].append(current.pk)
        if current.slot != row.slot:
            moved_slots.append((current.pk, row.slot))
    if existing:
        Installation.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    # Close before opening: the database allows one active installation per component.
    for (last_seen_at, removed_at), pks in sorted(updates.items(), key=lambda item: item[0][1] is None):
        Installation.objects.filter(pk__in=pks).update(last_seen_at=last_seen_at, removed_at=removed_at)
    for pk, slot in moved_slots:  # a part moved between slots of one server: rare
        Installation.objects.filter(pk=pk).update(slot=slot)
    if inserts:
        Installation.objects.bulk_create(inserts, batch_size=1000)


def _update_first_seen(first_seen: dict[int, datetime]) -> None:
    """One UPDATE per distinct time (a bundle's new parts share one), skipping rows already right."""
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for pk, when in first_seen.items():
        by_time[when].append(pk)
    for when, pks in by_time.items():
        Component.objects.filter(pk__in=pks).exclude(first_seen_at=when).update(first_seen_at=when)
