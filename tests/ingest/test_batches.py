"""Parsing bundles in batches (ingest.services.parsing): a batch records exactly the history
that parsing the same bundles one by one records, defers what must wait for another bundle
of the batch, fails only the bundle at fault, and never gives one bundle to two workers."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import ingest.services.parsing as parsing
from ingest.models import LogBundle, Observation
from ingest.services.intake import receive_bundle
from ingest.services.parsing import claim_bundles, parse_bundle, parse_bundles, release_claim
from ingest.tasks import parse_bundle_task
from reanimator.db import update_rows
from registry.models import Asset, Component, Installation
from tests.ingest.bundles import inventory, part
from tests.timeline.history import events
from timeline.models import ManualEvent, TimelineEvent
from timeline.services.derivation import _set_times
from timeline.services.rederive import rederive_all

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def at(day: int, hour: int = 0) -> datetime:
    return T0 + timedelta(days=day, hours=hour)


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Callable[[bytes], LogBundle]:
    """Receive bundles as the upload does, without parsing them: the parse task that the
    upload enqueues on commit is not sent (in transaction tests too)."""
    monkeypatch.setattr("ingest.services.intake._enqueue_parse", lambda bundle_id: None)

    def _store(raw: bytes) -> LogBundle:
        receipt = receive_bundle(raw, content_type="application/json")
        assert not receipt.duplicate
        assert receipt.bundle.status == "received"
        return receipt.bundle

    return _store


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The bundle ids of each derive_new_snapshots call, that is of each batch transaction
    that recorded first parses."""
    calls: list[list[int]] = []
    original = parsing.derive_new_snapshots

    def spy(snapshots: list[Any]) -> Any:
        calls.append([snapshot.bundle_id for snapshot in snapshots])
        return original(snapshots)

    monkeypatch.setattr(parsing, "derive_new_snapshots", spy)
    return calls


def history() -> tuple[object, ...]:
    """The derived history in terms of serials (no database ids), to compare databases
    states built separately: events with their payloads, installations with their slots,
    first-seen times, and the number of events (events() is a set)."""
    return (
        events(),
        set(
            Installation.objects.values_list(
                "component__serial", "asset__vendor_serial", "slot", "installed_at", "last_seen_at", "removed_at"
            )
        ),
        set(Component.objects.values_list("component_class", "serial", "first_seen_at")),
        TimelineEvent.objects.count(),
    )


def derived_rows() -> tuple[object, ...]:
    """The derived rows as stored, ids and natural keys included: for comparing with a
    rederive from scratch in the same database."""
    return (
        history(),
        set(
            TimelineEvent.objects.values_list(
                "natural_key", "event_type", "subject_type", "subject_id", "timestamp", "origin", "source_ref"
            )
        ),
        dict(TimelineEvent.objects.values_list("natural_key", "payload")),
        set(
            Installation.objects.values_list(
                "component_id", "asset_id", "slot", "installed_at", "last_seen_at", "removed_at"
            )
        ),
        set(Component.objects.values_list("pk", "first_seen_at")),
    )


def rederived_from_scratch() -> tuple[object, ...]:
    TimelineEvent.objects.all().delete()
    Installation.objects.all().delete()
    Component.objects.update(first_seen_at=None)
    list(rederive_all())
    return derived_rows()


def clear() -> None:
    for model in (TimelineEvent, ManualEvent, Installation, Observation, LogBundle, Component, Asset):
        model.objects.all().delete()


def statuses(bundles: list[LogBundle]) -> list[str]:
    by_id = dict(LogBundle.objects.filter(pk__in=[b.pk for b in bundles]).values_list("pk", "status"))
    return [by_id[b.pk] for b in bundles]


def one_by_one(store: Callable[[bytes], LogBundle], raws: list[bytes]) -> None:
    for raw in raws:
        parsed = parse_bundle(store(raw).pk)
        assert parsed is not None
        assert parsed.status == "parsed", parsed.error_message


# --- a small fleet's history ----------------------------------------------------------------
# Three servers over four days. DRV-MOVE leaves SRV-A and turns up in SRV-B; DRV-OLD is
# replaced by DRV-NEW in SRV-B's slot D1; DRV-MOVE's firmware, SRV-A's BIOS and SRV-B's BMC
# change; SRV-C has an anonymous DIMM and a drive whose SMART verdict turns to failed.


def fleet() -> list[bytes]:
    def a(day: int) -> bytes:
        parts = [part("SSD", "DRV-A2", slot="D2"), part("DIMM", "DIMM-A1", slot="A1"), part("PSU", "PSU-A", slot="P1")]
        if day < 2:
            parts.append(part("SSD", "DRV-MOVE", slot="D1", firmware="F1" if day == 0 else "F2"))
        return inventory("SRV-A", at(day, 1), parts, firmware={"BIOS": "1.0" if day < 2 else "1.1"})

    def b(day: int) -> bytes:
        parts = [part("DIMM", "DIMM-B1", slot="A1"), part("PSU", "PSU-B", slot="P1")]
        if day < 2:
            parts.append(part("SSD", "DRV-OLD", slot="D1", firmware="X1"))
        else:
            parts.append(part("SSD", "DRV-NEW", slot="D1", firmware="X1"))
            parts.append(part("SSD", "DRV-MOVE", slot="D2", firmware="F2"))
        return inventory("SRV-B", at(day, 2), parts, firmware={"BIOS": "2.0", "BMC": "5.0" if day < 3 else "5.1"})

    def c(day: int) -> bytes:
        parts = [
            part("DIMM", "DIMM-C1", slot="A1"),
            part("DIMM", "Not Specified", slot="A2"),  # a placeholder: anonymous
            part("PSU", "PSU-C", slot="P1"),
            part("HDD", "DRV-C1", slot="D1", health={"smart_passed": day < 2}),
        ]
        return inventory("SRV-C", at(day, 3), parts, firmware={"BIOS": "3.0"})

    return [a(0), b(0), c(0), a(1), b(1), a(2), b(2), c(2), a(3), b(3), c(3)]


def assert_fleet_story() -> None:
    """What the fleet's history must say, whatever the way it was parsed."""
    a, b = Asset.objects.get(vendor_serial="SRV-A"), Asset.objects.get(vendor_serial="SRV-B")
    moved = Component.objects.get(serial="DRV-MOVE")
    runs = list(
        moved.installations.order_by("installed_at").values_list("asset_id", "slot", "installed_at", "removed_at")
    )
    assert runs == [(a.pk, "D1", at(0, 1), at(2, 1)), (b.pk, "D2", at(2, 2), None)]
    old = Installation.objects.get(component__serial="DRV-OLD")
    assert (old.asset_id, old.last_seen_at, old.removed_at) == (b.pk, at(1, 2), at(2, 2))
    new = Installation.objects.get(component__serial="DRV-NEW")
    assert (new.asset_id, new.slot, new.installed_at, new.removed_at) == (b.pk, "D1", at(2, 2), None)
    brief = {(e[0], e[2], e[3]) for e in events()}
    assert ("FIRMWARE_CHANGED", "DRV-MOVE", at(1, 1)) in brief
    assert ("FIRMWARE_CHANGED", "SRV-A", at(2, 1)) in brief
    assert ("FIRMWARE_CHANGED", "SRV-B", at(3, 2)) in brief
    assert ("FAILED", "DRV-C1", at(2, 3)) in brief
    assert Observation.objects.filter(kind="anonymous", component_class="DIMM").count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("arrival", ["collection order", "shuffled", "reversed"])
def test_a_batch_records_the_history_that_parsing_one_by_one_records(
    store, batches, settings, caplog, arrival: str
) -> None:
    settings.REANIMATOR_PARSE_BATCH_SIZE = 50
    raws = fleet()
    arrived = {
        "collection order": raws,
        "shuffled": random.Random(7).sample(raws, len(raws)),
        "reversed": raws[::-1],
    }[arrival]
    bundles = [store(raw) for raw in arrived]

    parsed = parse_bundles([bundle.pk for bundle in bundles])

    assert [bundle.pk for bundle in parsed] == [bundle.pk for bundle in bundles]
    assert statuses(bundles) == ["parsed"] * len(bundles)
    assert "a batch of bundles failed" not in caplog.text
    # Batched for real: one transaction took several bundles, and every bundle was recorded
    # once, by the batch path.
    assert max(len(call) for call in batches) > 1
    assert sorted(pk for call in batches for pk in call) == sorted(bundle.pk for bundle in bundles)
    assert_fleet_story()
    batched = history()
    assert rederived_from_scratch()[0] == batched

    clear()
    one_by_one(store, raws)
    assert history() == batched


@pytest.mark.django_db
def test_a_batch_stores_what_rederive_rebuilds_row_for_row(store, settings) -> None:
    """Same database, same ids: the natural keys, origins, payloads (as stored, sorted JSON
    text read back as dicts) and installations of a batch are those of a full rederive."""
    settings.REANIMATOR_PARSE_BATCH_SIZE = 50
    raws = fleet()
    bundles = [store(raw) for raw in random.Random(3).sample(raws, len(raws))]
    parse_bundles([bundle.pk for bundle in bundles])
    batched = derived_rows()
    assert all(isinstance(payload, dict) for payload in batched[2].values())
    assert rederived_from_scratch() == batched


# Any history, arriving in any order, parsed in batches of any size, is what rederive builds.

PARTS = [("SSD", "P-SSD-1"), ("SSD", "P-SSD-2"), ("DIMM", "P-DIMM-1"), ("NVME", "P-NVME-1")]
SERVERS = ["SRV-A", "SRV-B", "SRV-C"]
snapshot = st.tuples(
    st.sampled_from(SERVERS),
    st.integers(min_value=0, max_value=4),  # day; servers report an hour apart, or at once
    st.booleans(),  # all servers at the same hour
    st.dictionaries(
        st.integers(min_value=0, max_value=len(PARTS) - 1),
        st.tuples(st.sampled_from(["", "FW1", "FW2"]), st.booleans()),  # firmware, other slot
        max_size=len(PARTS),
    ),
    st.sampled_from(["B1", "B2"]),
)


def snapshot_bundle(server: str, day: int, same_hour: bool, present: dict[int, tuple[str, bool]], bios: str) -> bytes:
    parts = [
        part(PARTS[i][0], PARTS[i][1], slot=f"S{i}{'b' if other else ''}", **({"firmware": fw} if fw else {}))
        for i, (fw, other) in sorted(present.items())
    ]
    parts.append(part("PSU", f"PSU-{server}", slot="PSU1"))
    hour = 0 if same_hour else SERVERS.index(server)
    return inventory(server, at(day, hour), parts, firmware={"BIOS": bios})


@pytest.mark.django_db
@hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    snapshots=st.lists(snapshot, min_size=2, max_size=7, unique_by=lambda s: (s[0], s[1])),
    data=st.data(),
)
def test_any_history_in_any_order_and_batch_size_is_what_rederive_builds(store, settings, snapshots, data) -> None:
    raws = list(dict.fromkeys(snapshot_bundle(*snap) for snap in snapshots))
    arrived = data.draw(st.permutations(raws), label="arrival order")
    settings.REANIMATOR_PARSE_BATCH_SIZE = data.draw(st.integers(min_value=2, max_value=len(raws)), label="batch size")
    try:
        bundles = [store(raw) for raw in arrived]
        parse_bundles([bundle.pk for bundle in bundles])
        assert statuses(bundles) == ["parsed"] * len(bundles)
        batched = derived_rows()
        assert rederived_from_scratch() == batched
    finally:
        clear()


# --- deferral -----------------------------------------------------------------------------


def runs(serial: str) -> list[tuple[str, str, datetime, datetime, datetime | None]]:
    return list(
        Installation.objects.filter(component__serial=serial)
        .order_by("installed_at")
        .values_list("asset__vendor_serial", "slot", "installed_at", "last_seen_at", "removed_at")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("later_first", [False, True])
def test_two_snapshots_of_one_server_in_a_batch_are_recorded_one_after_the_other(
    store, batches, later_first: bool
) -> None:
    first = store(inventory("SRV-A", at(1), [part("SSD", "DRV-X", slot="D1"), part("PSU", "PSU-A", slot="P1")]))
    second = store(inventory("SRV-A", at(2), [part("SSD", "DRV-Y", slot="D1"), part("PSU", "PSU-A", slot="P1")]))
    other = store(inventory("SRV-B", at(1), [part("SSD", "DRV-B", slot="D1")]))
    order = [second, first, other] if later_first else [first, second, other]

    parse_bundles([bundle.pk for bundle in order])

    assert statuses(order) == ["parsed"] * 3
    # The second snapshot of SRV-A waited for the next transaction; SRV-B did not.
    assert batches == [[order[0].pk, other.pk], [order[1].pk]]
    assert runs("DRV-X") == [("SRV-A", "D1", at(1), at(1), at(2))]
    assert runs("DRV-Y") == [("SRV-A", "D1", at(2), at(2), None)]
    assert runs("PSU-A") == [("SRV-A", "P1", at(1), at(2), None)]
    assert ("REMOVED", "asset", "SRV-A", at(2)) in {e[:4] for e in events()}
    assert rederived_from_scratch()[0] == history()


@pytest.mark.django_db
@pytest.mark.parametrize("destination_first", [False, True])
def test_a_part_moved_between_two_servers_of_a_batch_is_derived_after_both(
    store, batches, destination_first: bool
) -> None:
    source = store(inventory("SRV-A", at(1), [part("SSD", "DRV-X", slot="D1"), part("PSU", "PSU-A", slot="P1")]))
    destination = store(inventory("SRV-B", at(2), [part("SSD", "DRV-X", slot="D7"), part("PSU", "PSU-B", slot="P1")]))
    order = [destination, source] if destination_first else [source, destination]

    parse_bundles([bundle.pk for bundle in order])

    assert statuses(order) == ["parsed", "parsed"]
    assert batches == [[order[0].pk], [order[1].pk]]  # both derive DRV-X: one after the other
    assert runs("DRV-X") == [("SRV-A", "D1", at(1), at(1), at(2)), ("SRV-B", "D7", at(2), at(2), None)]
    moved = [e for e in events() if e[0] == "MOVED"]
    assert len(moved) == 1
    assert moved[0][2:4] == ("DRV-X", at(2))
    assert dict(moved[0][4])["from_asset_id"] == "SRV-A"
    assert dict(moved[0][4])["to_asset_id"] == "SRV-B"
    assert rederived_from_scratch()[0] == history()


@pytest.mark.django_db
def test_a_part_that_left_a_server_of_the_batch_defers_the_bundle_that_sees_it_elsewhere(store, batches) -> None:
    """The overlap is not in the parts seen: SRV-A's new snapshot no longer lists DRV-X,
    which it had before; the batch's SRV-B snapshot sees DRV-X."""
    one_by_one(store, [inventory("SRV-A", at(1), [part("SSD", "DRV-X", slot="D1"), part("PSU", "PSU-A", slot="P1")])])
    batches.clear()
    # Another drive, so that the snapshot could have seen DRV-X (DESIGN.md: coverage).
    gone = store(inventory("SRV-A", at(2), [part("SSD", "DRV-A9", slot="D2"), part("PSU", "PSU-A", slot="P1")]))
    elsewhere = store(inventory("SRV-B", at(3), [part("SSD", "DRV-X", slot="D4"), part("PSU", "PSU-B", slot="P1")]))

    parse_bundles([gone.pk, elsewhere.pk])

    assert statuses([gone, elsewhere]) == ["parsed", "parsed"]
    assert batches == [[gone.pk], [elsewhere.pk]]
    assert runs("DRV-X") == [("SRV-A", "D1", at(1), at(1), at(2)), ("SRV-B", "D4", at(3), at(3), None)]
    assert rederived_from_scratch()[0] == history()


# --- identity conflicts -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("assets_known_before", [False, True])
def test_an_identity_conflict_in_a_batch_fails_only_its_bundle(store, assets_known_before: bool) -> None:
    x = inventory("SRV-X", at(1), [part("SSD", "DRV-X", slot="D1")])
    y = inventory("SRV-Y", at(1), [part("SSD", "DRV-Y", slot="D1")], asset_tag="TAG-Y")
    # Its serial is SRV-X's, its asset tag SRV-Y's: two assets.
    conflicting = inventory("SRV-X", at(2), [part("SSD", "DRV-ONLY-HERE", slot="D1")], asset_tag="TAG-Y")
    z = inventory("SRV-Z", at(1), [part("SSD", "DRV-Z", slot="D1")])
    if assets_known_before:
        one_by_one(store, [x, y])
        bundles = [store(conflicting), store(z)]
    else:
        bundles = [store(x), store(y), store(conflicting), store(z)]

    parse_bundles([bundle.pk for bundle in bundles])

    failed = LogBundle.objects.get(pk=bundles[-2].pk)
    assert (failed.status, failed.error_code, failed.asset_id) == ("failed", "asset_identity_conflict", None)
    assert "several assets" in failed.error_message
    assert not failed.observations.exists()
    assert not Component.objects.filter(serial="DRV-ONLY-HERE").exists()
    assert statuses([b for b in bundles if b.pk != failed.pk]) == ["parsed"] * (len(bundles) - 1)
    assert Asset.objects.get(vendor_serial="SRV-X").asset_tag is None  # the conflict changed no asset
    assert Asset.objects.count() == 3
    assert {(serial, asset) for serial, asset, *_ in runs_of_all()} == {
        ("DRV-X", "SRV-X"),
        ("DRV-Y", "SRV-Y"),
        ("DRV-Z", "SRV-Z"),
    }


def runs_of_all() -> list[tuple[Any, ...]]:
    return list(Installation.objects.values_list("component__serial", "asset__vendor_serial", "removed_at"))


# --- the parse task takes waiting bundles along ------------------------------------------


def state() -> tuple[object, ...]:
    """Everything a parse writes, for checking that a call changed nothing."""
    return (
        list(LogBundle.objects.order_by("pk").values()),
        list(Observation.objects.order_by("pk").values()),
        list(Component.objects.order_by("pk").values()),
        list(Asset.objects.order_by("pk").values()),
        list(Installation.objects.order_by("pk").values()),
        list(TimelineEvent.objects.order_by("pk").values()),
    )


@pytest.mark.django_db
def test_the_parse_task_takes_waiting_bundles_along_up_to_the_batch_size(store, settings) -> None:
    settings.REANIMATOR_PARSE_BATCH_SIZE = 3
    bundles = [store(inventory(f"SRV-{n}", at(n), [part("SSD", f"DRV-{n}", slot="D1")])) for n in range(5)]

    assert parse_bundle_task.apply(args=[bundles[3].pk]).get() == "parsed"
    # The asked-for bundle and the two oldest others waiting.
    assert statuses(bundles) == ["parsed", "parsed", "received", "parsed", "received"]
    assert set(LogBundle.objects.filter(status="parsed").values_list("asset__vendor_serial", flat=True)) == {
        "SRV-0",
        "SRV-1",
        "SRV-3",
    }

    # The task queued for a bundle taken along finds it parsed; it takes the rest along.
    assert parse_bundle_task.apply(args=[bundles[0].pk]).get() is None
    assert statuses(bundles) == ["parsed"] * 5
    parsed_at = LogBundle.objects.get(pk=bundles[0].pk).parsed_at

    before = state()
    for bundle in bundles:
        assert parse_bundle_task.apply(args=[bundle.pk]).get() is None
    assert state() == before
    assert LogBundle.objects.get(pk=bundles[0].pk).parsed_at == parsed_at
    assert Installation.objects.filter(removed_at=None).count() == 5


@pytest.mark.django_db
def test_the_parse_task_leaves_bundles_another_worker_holds(store, settings) -> None:
    settings.REANIMATOR_PARSE_BATCH_SIZE = 5
    bundles = [store(inventory(f"SRV-{n}", at(n), [part("SSD", f"DRV-{n}", slot="D1")])) for n in range(3)]
    held = claim_bundles([bundles[0].pk])
    assert held.bundle_ids == [bundles[0].pk]

    assert parse_bundle_task.apply(args=[bundles[2].pk]).get() == "parsed"

    assert statuses(bundles) == ["parsing", "parsed", "parsed"]
    assert LogBundle.objects.get(pk=bundles[0].pk).parse_started_at == held.at


# --- claims -------------------------------------------------------------------------------


def received_rows(count: int) -> list[int]:
    """Bundle rows to claim (claiming reads no bytes)."""
    return [LogBundle.objects.create(sha256=f"{n:064x}", raw=f"bundles/{n:02x}/claim", size=1).pk for n in range(count)]


def claim_in_thread(claims: dict[str, list[tuple[list[int], datetime]]], name: str, orders: list[list[int]]) -> Any:
    """Claims, in a thread of its own (its own connection), each list of ids in turn."""

    def work(start: threading.Barrier) -> None:
        try:
            start.wait(timeout=30)
            for ids in orders:
                claim = claim_bundles(ids)
                claims[name].append((claim.bundle_ids, claim.at))
        finally:
            connections.close_all()

    return work


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second", ["batch, reversed", "batch, shuffled", "one id at a time"])
def test_two_workers_claiming_the_same_bundles_never_both_get_one(second: str) -> None:
    if connection.vendor != "mysql":
        pytest.fail("needs MariaDB: run the suite with `make test`")
    ids = received_rows(120)
    orders = {
        "batch, reversed": [ids[::-1]],
        "batch, shuffled": [random.Random(5).sample(ids, len(ids))],
        "one id at a time": [[pk] for pk in ids],
    }[second]
    for _ in range(3):
        LogBundle.objects.update(status="received", parse_started_at=None)
        claims: dict[str, list[tuple[list[int], datetime]]] = {"first": [], "second": []}
        start = threading.Barrier(2)
        threads = [
            threading.Thread(target=claim_in_thread(claims, "first", [ids]), args=(start,)),
            threading.Thread(target=claim_in_thread(claims, "second", orders), args=(start,)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert len(claims["first"]) == 1  # no thread raised
        assert len(claims["second"]) == len(orders)

        owner: dict[int, datetime] = {}
        for taken, when in claims["first"] + claims["second"]:
            for pk in taken:
                assert pk not in owner, f"bundle {pk} claimed twice"
                owner[pk] = when
        assert sorted(owner) == sorted(ids)  # what one skipped, the other took
        stored = dict(LogBundle.objects.values_list("pk", "parse_started_at"))
        assert stored == owner
        assert set(LogBundle.objects.values_list("status", flat=True)) == {"parsing"}


@pytest.mark.django_db
@pytest.mark.parametrize("several", [True, False])
def test_a_claim_is_not_taken_again_until_it_expires(settings, several: bool) -> None:
    ids = received_rows(3)
    with time_machine.travel(at(0), tick=False):
        first = claim_bundles(ids if several else ids[:1])
    with time_machine.travel(at(0) + timedelta(seconds=settings.REANIMATOR_PARSE_CLAIM_SECONDS - 1), tick=False):
        assert claim_bundles(ids).bundle_ids == ([] if several else ids[1:])
    with time_machine.travel(at(0) + timedelta(seconds=settings.REANIMATOR_PARSE_CLAIM_SECONDS + 1), tick=False):
        late = claim_bundles(ids[:1])
    assert first.at == at(0)
    assert late.bundle_ids == ids[:1]
    assert LogBundle.objects.get(pk=ids[0]).parse_started_at == late.at


@pytest.mark.django_db
def test_release_claim_gives_back_only_what_the_claim_still_holds(settings) -> None:
    held, parsed, taken_over, other = received_rows(4)
    with time_machine.travel(at(0), tick=False):
        claim = claim_bundles([held, parsed, taken_over])
        someone_else = claim_bundles([other])
    assert claim.bundle_ids == [held, parsed, taken_over]
    LogBundle.objects.filter(pk=parsed).update(status="parsed", parsed_at=at(0, 1))
    with time_machine.travel(at(0) + timedelta(seconds=settings.REANIMATOR_PARSE_CLAIM_SECONDS + 1), tick=False):
        later = claim_bundles([taken_over])  # the first claim expired: another worker took it over
    assert later.bundle_ids == [taken_over]

    release_claim(claim)

    rows = {row[0]: row[1:] for row in LogBundle.objects.values_list("pk", "status", "parse_started_at", "parsed_at")}
    assert rows[held] == ("received", None, None)
    assert rows[parsed] == ("parsed", at(0), at(0, 1))
    assert rows[taken_over] == ("parsing", later.at, None)
    assert rows[other] == ("parsing", someone_else.at, None)  # the same time, not in the claim
    release_claim(later)
    assert LogBundle.objects.get(pk=taken_over).status == "received"
    release_claim(parsing.Claim([], at(0)))  # nothing to give back


def plans(statements: list[dict[str, str]], table_name: str) -> list[tuple[str, str]]:
    """MariaDB's (access type, key) for each statement run on the table, by EXPLAIN of the SQL
    as it was sent."""
    found = []
    with connection.cursor() as cursor:
        for statement in statements:
            sql = statement["sql"]
            if table_name in sql and sql.lstrip().startswith(("SELECT", "UPDATE")):
                cursor.execute(f"EXPLAIN {sql}")
                row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
                found.append((row["type"], row["key"]))
    return found


@pytest.mark.django_db
def test_bundles_are_claimed_and_updated_by_id_while_the_table_is_small() -> None:
    """On a small table MariaDB prefers a scan, which locks every row it reads: a worker
    claiming at the same time skips those bundles (SKIP LOCKED), which then wait for the sweep."""
    if connection.vendor != "mysql":
        pytest.fail("needs MariaDB: run the suite with `make test`")
    ids = received_rows(12)
    with CaptureQueriesContext(connection) as queries:
        claim = claim_bundles(ids[:6])
        release_claim(claim)
        # what recording a batch updates by id: the bundles parsed, the parts' first sightings
        update_rows(LogBundle, {ids[0]: {"hostname": "a"}, ids[1]: {"hostname": "b"}})
        _set_times(LogBundle, "parsed_at", {ids[0]: at(0), ids[1]: at(0, 1)})
    assert claim.bundle_ids == ids[:6]
    found = plans(queries.captured_queries, LogBundle._meta.db_table)
    assert len(found) == 5  # the locking read, the claim, the release, the two updates
    assert found == [("range", "PRIMARY")] * 5


# --- a batch that fails for another reason than its input ---------------------------------


class Boom(RuntimeError):
    pass


@pytest.fixture
def fails_for(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[list[int]]]:
    """Derivation raises for every batch that holds this bundle (a bug that one bundle
    triggers); returns the bundle ids of each derive_new_snapshots call."""
    calls: list[list[int]] = []

    def arm(bundle_id: int) -> list[list[int]]:
        original = parsing.derive_new_snapshots

        def derive(snapshots: list[Any]) -> Any:
            calls.append([snapshot.bundle_id for snapshot in snapshots])
            if any(snapshot.bundle_id == bundle_id for snapshot in snapshots):
                raise Boom(f"derivation failed for bundle {bundle_id}")
            return original(snapshots)

        monkeypatch.setattr(parsing, "derive_new_snapshots", derive)
        return calls

    return arm


def four_servers(store: Callable[[bytes], LogBundle]) -> list[LogBundle]:
    return [
        store(inventory(f"SRV-{n}", at(1, n), [part("SSD", f"DRV-{n}", slot="D1"), part("PSU", f"PSU-{n}")]))
        for n in range(4)
    ]


def assert_failed_alone(bundles: list[LogBundle], bad: LogBundle) -> None:
    rows = {row[0]: row[1:] for row in LogBundle.objects.values_list("pk", "status", "parse_started_at", "asset_id")}
    assert rows[bad.pk] == ("received", None, None)  # the claim given back, not stuck in "parsing"
    assert not Observation.objects.filter(bundle_id=bad.pk).exists()
    assert not Asset.objects.filter(vendor_serial=f"SRV-{bundles.index(bad)}").exists()  # rolled back
    good = [bundle for bundle in bundles if bundle.pk != bad.pk]
    assert [rows[bundle.pk][0] for bundle in good] == ["parsed"] * len(good)
    assert Installation.objects.filter(removed_at=None).count() == 2 * len(good)


@pytest.mark.django_db
def test_a_batch_failing_on_its_last_bundle_records_the_others_one_by_one(store, fails_for, caplog) -> None:
    bundles = four_servers(store)
    bad = bundles[-1]
    calls = fails_for(bad.pk)

    with pytest.raises(Boom):
        parse_bundles([bundle.pk for bundle in bundles])

    assert calls[0] == [bundle.pk for bundle in bundles]  # the batch, rolled back
    assert calls[1:] == [[bundle.pk] for bundle in bundles]  # then one by one
    assert "a batch of bundles failed; recording them one by one" in caplog.text
    assert_failed_alone(bundles, bad)


@pytest.mark.django_db
@pytest.mark.parametrize("position", [0, 1])
def test_a_batch_failing_on_an_earlier_bundle_records_the_others_one_by_one(store, fails_for, position: int) -> None:
    bundles = four_servers(store)
    bad = bundles[position]
    fails_for(bad.pk)

    with pytest.raises(Boom):
        parse_bundles([bundle.pk for bundle in bundles])

    assert_failed_alone(bundles, bad)


@pytest.mark.django_db
def test_a_bundle_that_failed_its_parse_parses_once_the_fault_is_gone(store, fails_for, monkeypatch) -> None:
    original = parsing.derive_new_snapshots
    bundles = four_servers(store)
    bad = bundles[-1]
    fails_for(bad.pk)
    with pytest.raises(Boom):
        parse_bundles([bundle.pk for bundle in bundles])
    monkeypatch.setattr(parsing, "derive_new_snapshots", original)  # the fault is fixed

    assert parse_bundle_task.apply(args=[bad.pk]).get() == "parsed"

    assert statuses(bundles) == ["parsed"] * 4
    assert Installation.objects.filter(removed_at=None).count() == 8
    assert rederived_from_scratch()[0] == history()


@pytest.mark.django_db
def test_a_single_bundle_that_fails_gives_its_claim_back(store, fails_for) -> None:
    bundle = store(inventory("SRV-0", at(1), [part("SSD", "DRV-0", slot="D1")]))
    fails_for(bundle.pk)

    with pytest.raises(Boom):
        parse_bundle_task.apply(args=[bundle.pk]).get()

    bundle.refresh_from_db()
    assert (bundle.status, bundle.parse_started_at, bundle.asset_id) == ("received", None, None)
    assert not Observation.objects.exists()
    assert not Component.objects.exists()


# A bundle that fails before recording (its bytes unreadable, a parser bug that raises
# something else than ParserError) gives only its own claim back: the bundles claimed with
# it are parsed, and the task of a good bundle does not fail with the other bundle's error.


@pytest.mark.django_db
def test_a_bundle_whose_bytes_are_missing_does_not_hold_the_batch_back(store) -> None:
    bundles = four_servers(store)
    lost = bundles[1]
    lost.raw.storage.delete(lost.raw.name)

    with pytest.raises(FileNotFoundError):
        parse_bundles([bundle.pk for bundle in bundles])

    assert statuses(bundles) == ["parsed", "received", "parsed", "parsed"]


@pytest.mark.django_db
def test_the_task_of_a_good_bundle_is_not_failed_by_a_bundle_taken_along(store, monkeypatch, settings) -> None:
    settings.REANIMATOR_PARSE_BATCH_SIZE = 5
    poison = store(inventory("SRV-POISON", at(1), [part("SSD", "DRV-POISON", slot="D1")]))
    good = store(inventory("SRV-GOOD", at(1), [part("SSD", "DRV-GOOD", slot="D1")]))
    inspect = parsing.inspect_bundle

    def parser_bug(raw: bytes, **kwargs: Any) -> Any:
        if b"SRV-POISON" in raw:
            raise KeyError("a parser bug")
        return inspect(raw, **kwargs)

    monkeypatch.setattr(parsing, "inspect_bundle", parser_bug)

    outcome: object
    try:
        outcome = parse_bundle_task.apply(args=[good.pk]).get()
    except KeyError as exc:
        outcome = exc
    assert (outcome, statuses([poison, good])) == ("parsed", ["received", "parsed"])


# --- a bundle that keeps failing ----------------------------------------------------------
# Every claim counts as an attempt; a parse that ends (parsed, or failed on its input) clears
# the count, and so does giving a claim back for a fault of the database. A bundle whose
# parse fails REANIMATOR_PARSE_MAX_ATTEMPTS times otherwise is failed with internal_error
# instead of being taken along, and logged, by every later task for ever.


def attempts(bundle: LogBundle) -> tuple[str, int, str]:
    bundle.refresh_from_db()
    return bundle.status, bundle.parse_attempts, bundle.error_code


def poisoned(monkeypatch: pytest.MonkeyPatch, marker: bytes) -> None:
    """A parser bug that bundles holding `marker` trigger, every time."""
    inspect = parsing.inspect_bundle

    def parser_bug(raw: bytes, **kwargs: Any) -> Any:
        if marker in raw:
            raise KeyError("a parser bug")
        return inspect(raw, **kwargs)

    monkeypatch.setattr(parsing, "inspect_bundle", parser_bug)


@pytest.mark.django_db
def test_a_bundle_that_crashes_its_parser_is_failed_after_the_last_attempt(
    store, monkeypatch, settings, caplog, engineer_client
):
    settings.REANIMATOR_PARSE_MAX_ATTEMPTS = 3
    poison = store(inventory("SRV-POISON", at(1), [part("SSD", "DRV-POISON", slot="D1")]))
    poisoned(monkeypatch, b"SRV-POISON")

    for attempt in (1, 2):
        with pytest.raises(KeyError):
            parse_bundle_task.apply(args=[poison.pk]).get()
        assert attempts(poison) == ("received", attempt, "")
    shown = engineer_client.get(f"/api/ingest/logbundles/{poison.pk}").json()
    assert (shown["status"], shown["parse_attempts"]) == ("received", 2)
    assert parse_bundle_task.apply(args=[poison.pk]).get() == "failed"  # the task ends: nothing to retry

    assert attempts(poison) == ("failed", 0, "internal_error")
    assert poison.error_message == (
        "parsing failed 3 times with KeyError: 'a parser bug'; re-parse this bundle once the cause is fixed"
    )
    assert not Asset.objects.exists()
    assert "bundle parse failed again; marked failed" in caplog.text
    assert parse_bundle_task.apply(args=[poison.pk]).get() is None  # a later task leaves it alone

    monkeypatch.undo()  # the parser is fixed: a re-parse records the bundle
    assert parse_bundle_task.apply(args=[poison.pk], kwargs={"reparse": True}).get() == "parsed"
    assert attempts(poison) == ("parsed", 0, "")
    assert Component.objects.get().serial == "DRV-POISON"


@pytest.mark.django_db
def test_a_bundle_that_fails_its_batch_every_time_is_failed_alone(store, fails_for, settings) -> None:
    settings.REANIMATOR_PARSE_MAX_ATTEMPTS = 2
    bundles = four_servers(store)
    bad = bundles[1]
    fails_for(bad.pk)

    with pytest.raises(Boom):
        parse_bundles([bundle.pk for bundle in bundles])
    assert statuses(bundles) == ["parsed", "received", "parsed", "parsed"]
    assert parse_bundles([bad.pk]) == [bad]  # the second attempt, the last one

    assert attempts(bad) == ("failed", 0, "internal_error")
    assert "Boom: derivation failed for bundle" in bad.error_message
    assert bad.asset_id is None
    assert not Observation.objects.filter(bundle_id=bad.pk).exists()
    assert not Asset.objects.filter(vendor_serial="SRV-1").exists()  # the rolled-back asset stays gone
    assert [attempts(bundle) for bundle in bundles if bundle != bad] == [("parsed", 0, "")] * 3


@pytest.mark.django_db
def test_faults_of_the_database_do_not_count_against_the_bundle(store, monkeypatch, settings) -> None:
    settings.REANIMATOR_PARSE_MAX_ATTEMPTS = 2
    bundle = store(inventory("SRV-0", at(1), [part("SSD", "DRV-0", slot="D1")]))
    original = parsing.derive_new_snapshots

    def deadlock(snapshots: list[Any]) -> Any:
        raise OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")

    monkeypatch.setattr(parsing, "derive_new_snapshots", deadlock)
    for _ in range(4):
        with pytest.raises(OperationalError):
            parse_bundles([bundle.pk])
        assert attempts(bundle) == ("received", 0, "")

    monkeypatch.setattr(parsing, "derive_new_snapshots", original)
    assert parse_bundles([bundle.pk]) == [bundle]
    assert attempts(bundle) == ("parsed", 0, "")


@pytest.mark.django_db
def test_a_bundle_whose_worker_dies_every_time_is_failed_after_the_last_attempt(store, settings) -> None:
    settings.REANIMATOR_PARSE_MAX_ATTEMPTS = 2
    bundle = store(inventory("SRV-0", at(1), [part("SSD", "DRV-0", slot="D1")]))
    expiry = timedelta(seconds=settings.REANIMATOR_PARSE_CLAIM_SECONDS + 1)
    for attempt in (1, 2):  # claimed, then the worker is killed: the claim is never given back
        with time_machine.travel(at(2) + attempt * expiry, tick=False):
            assert claim_bundles([bundle.pk]).bundle_ids == [bundle.pk]
        assert attempts(bundle) == ("parsing", attempt, "")

    with time_machine.travel(at(2) + 3 * expiry, tick=False):
        assert parse_bundle(bundle.pk) == bundle  # the sweep's task, after the second claim expired

    assert attempts(bundle) == ("failed", 0, "internal_error")
    assert bundle.error_message.startswith("parsing was started 2 times and never finished")
    assert not Observation.objects.exists()
