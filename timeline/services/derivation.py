"""Deriving installation intervals from observations (DESIGN.md, Time).

For a component C, the points of its history are the snapshots (parsed bundles) of every
asset C was ever observed in, in (collected_at, bundle sha256) order. A run of consecutive
presence of C in asset A is an installation: installed_at is the first observation of the
run, last_seen_at the last, and removed_at the first later snapshot of A without C (when that
snapshot could see C's class) or the first observation of C in another asset, whichever comes
first. The result depends only on the set of observations, never on the order bundles came in.

Callers pass the components whose observations changed; one passed in without any observation
left loses its installations. Components registered by hand and never observed are not passed
in, and keep what they have.
The timeline issue extends this module with events; it stays the one place history is derived.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ingest.choices import BundleStatus
from ingest.models import LogBundle, Observation
from registry.models import Component, Installation


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


@dataclass(frozen=True)
class DerivationResult:
    components: int
    installations: int


def derive_installations(component_ids: Iterable[int]) -> DerivationResult:
    """Recompute installations and first_seen_at of these components. Call inside a
    transaction: the components are locked (in id order, so concurrent derivations of
    overlapping sets cannot deadlock on them) and their installations replaced."""
    ids = sorted(set(component_ids))
    if not ids:
        return DerivationResult(0, 0)
    list(Component.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))

    sightings: dict[int, dict[int, str]] = defaultdict(dict)  # component -> {bundle id: slot}
    classes: dict[int, str] = {}
    for component_id, bundle_id, slot, component_class in Observation.objects.filter(component_id__in=ids).values_list(
        "component_id", "bundle_id", "slot", "component_class"
    ):
        sightings[component_id][bundle_id] = slot
        classes[component_id] = component_class
    observed = [component_id for component_id in ids if sightings[component_id]]
    # A component passed in without any observation left (its only bundle was re-parsed to a
    # failure, or no longer sees it) has no derived history: its installations go.
    forgotten = [component_id for component_id in ids if not sightings[component_id]]
    if forgotten:
        Installation.objects.filter(component_id__in=forgotten).delete()
        Component.objects.filter(pk__in=forgotten).update(first_seen_at=None)
    if not observed:
        return DerivationResult(len(forgotten), 0)

    snapshots = _snapshots_of_assets({bundle_id for component_id in observed for bundle_id in sightings[component_id]})
    by_asset: dict[int, list[tuple[Snapshot, frozenset[str]]]] = defaultdict(list)
    for snapshot, coverage in snapshots.values():
        by_asset[snapshot.asset_id].append((snapshot, coverage))

    new_rows: list[Installation] = []
    first_seen: dict[int, datetime] = {}
    for component_id in observed:
        seen_in = sightings[component_id]
        assets = {snapshots[bundle_id][0].asset_id for bundle_id in seen_in if bundle_id in snapshots}
        points = sorted(
            (snapshot, snapshot.bundle_id in seen_in)
            for asset_id in assets
            for snapshot, coverage in by_asset[asset_id]
            if snapshot.bundle_id in seen_in or classes[component_id] in coverage
        )
        runs = _runs(points, seen_in)
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

    _write_installations(observed, new_rows)
    _update_first_seen(first_seen)
    return DerivationResult(components=len(observed), installations=len(new_rows))


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


def _runs(points: list[tuple[Snapshot, bool]], seen_in: dict[int, str]) -> list[Run]:
    runs: list[Run] = []
    current: Run | None = None
    for snapshot, present in points:
        if present:
            slot = seen_in[snapshot.bundle_id]
            if current is not None and current.asset_id == snapshot.asset_id:
                current.last_seen_at = snapshot.collected_at
                current.slot = slot or current.slot
                continue
            if current is not None:
                current.removed_at = snapshot.collected_at  # it turned up in another asset
            current = Run(snapshot.asset_id, slot, snapshot.collected_at, snapshot.collected_at)
            runs.append(current)
        elif current is not None and current.asset_id == snapshot.asset_id:
            current.removed_at = snapshot.collected_at  # its asset was seen without it
            current = None
    return runs


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
