"""Property: the derived history depends only on the set of bundles, never on arrival order,
and equals what `rederive` rebuilds from scratch (DESIGN.md, Time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.models import LogBundle, Observation
from registry.models import Asset, Component, Installation
from tests.ingest.bundles import inventory, part
from tests.timeline.history import events, installations
from timeline.models import ManualEvent, TimelineEvent
from timeline.services.rederive import rederive_all

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SERVERS = ["SRV-A", "SRV-B", "SRV-C"]
PARTS = [("SSD", "P-SSD-1"), ("SSD", "P-SSD-2"), ("DIMM", "P-DIMM-1"), ("DIMM", "P-DIMM-2"), ("NVME", "P-NVME-1")]

snapshot = st.tuples(
    st.sampled_from(SERVERS),
    st.integers(min_value=0, max_value=5),  # day: equal times happen on purpose
    st.sets(st.integers(min_value=0, max_value=len(PARTS) - 1), max_size=len(PARTS)),
    st.sampled_from(["FW1", "FW2"]),
)


def bundle(server: str, day: int, present: set[int], firmware: str) -> bytes:
    parts = [part(PARTS[i][0], PARTS[i][1], slot=f"S{i}", firmware=firmware) for i in sorted(present)]
    # every snapshot sees every class, so that absence means removal
    parts.append(part("PSU", f"PSU-{server}", slot="PSU1"))
    return inventory(server, T0 + timedelta(days=day), parts, firmware={"BIOS": firmware})


def clear() -> None:
    for model in (TimelineEvent, ManualEvent, Installation, Observation, LogBundle, Component, Asset):
        model.objects.all().delete()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(snapshot, min_size=1, max_size=6, unique_by=lambda s: (s[0], s[1])), data=st.data())
def test_any_arrival_order_gives_the_same_history_as_rederive(ingest, history, data) -> None:
    raws = [bundle(*snap) for snap in history]
    try:
        for raw in raws:
            ingest(raw)
        first = (events(), installations())
        clear()
        for raw in data.draw(st.permutations(raws), label="second order"):
            ingest(raw)
        assert (events(), installations()) == first
        TimelineEvent.objects.all().delete()
        Installation.objects.all().delete()
        list(rederive_all())
        assert (events(), installations()) == first
    finally:
        clear()


# --- in order: the appending derivation --------------------------------------------------
# Bundles that arrive in collection order are derived by appending to the stored history
# (derive_new_snapshots); late ones, equal times and manual removals take the full path. Either
# way the rows must be exactly those a rederive from scratch writes: the same natural keys
# (so the same payloads), installations with their slots, and first-seen times.

sighting = st.tuples(
    st.sampled_from(["", "FW1", "FW2"]),  # the part's firmware; empty says nothing
    st.sampled_from([None, True, False]),  # its SMART verdict
    st.booleans(),  # seen in its other slot
)
rich_snapshot = st.tuples(
    st.sampled_from(SERVERS),
    st.integers(min_value=0, max_value=7),
    st.dictionaries(st.integers(min_value=0, max_value=len(PARTS) - 1), sighting, max_size=len(PARTS)),
    st.sampled_from(["", "FW1", "FW2"]),  # BIOS
    st.booleans(),  # the snapshot reports the BMC firmware too
)


def rich_bundle(
    server: str, day: int, present: dict[int, tuple[str, bool | None, bool]], bios: str, bmc: bool
) -> bytes:
    parts = []
    for i, (firmware, smart, other_slot) in sorted(present.items()):
        extra: dict[str, object] = {"firmware": firmware} if firmware else {}
        if smart is not None:
            extra["health"] = {"smart_passed": smart}
        parts.append(part(PARTS[i][0], PARTS[i][1], slot=f"S{i}{'b' if other_slot else ''}", **extra))
    parts.append(part("PSU", f"PSU-{server}", slot="PSU1"))
    asset_firmware = {"BIOS": bios, **({"BMC": "1.0"} if bmc else {})}
    return inventory(server, T0 + timedelta(days=day, hours=SERVERS.index(server)), parts, firmware=asset_firmware)


def derived_rows() -> tuple[object, ...]:
    return (
        events(),
        installations(),
        set(TimelineEvent.objects.values_list("natural_key", flat=True)),
        set(
            Installation.objects.values_list(
                "component_id", "asset_id", "slot", "installed_at", "last_seen_at", "removed_at"
            )
        ),
        set(Component.objects.values_list("pk", "first_seen_at")),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    history=st.lists(rich_snapshot, min_size=1, max_size=8, unique_by=lambda s: (s[0], s[1])),
    late=st.integers(min_value=0, max_value=8),
    rma=st.one_of(
        st.none(), st.tuples(st.integers(min_value=0, max_value=8), st.integers(min_value=0, max_value=len(PARTS) - 1))
    ),
)
def test_bundles_in_collection_order_give_the_history_rederive_gives(ingest, history, late, rma) -> None:
    from timeline.services.manual import record_manual_event

    ordered = sorted(history, key=lambda s: (s[1], SERVERS.index(s[0])))
    if late < len(ordered) - 1:  # one bundle arrives last, out of order
        ordered.append(ordered.pop(late))
    try:
        for n, snap in enumerate(ordered):
            ingest(rich_bundle(*snap))
            if rma is not None and rma[0] == n:
                component = Component.objects.filter(serial=PARTS[rma[1]][1]).first()
                if component is not None:
                    when = T0 + timedelta(days=snap[1], hours=12)
                    record_manual_event(event_type="RMA_SENT", timestamp=when, component=component)
        appended = derived_rows()
        TimelineEvent.objects.all().delete()
        Installation.objects.all().delete()
        Component.objects.update(first_seen_at=None)
        list(rederive_all())
        assert derived_rows() == appended
    finally:
        clear()


def test_note_recorded_before_a_part_is_first_seen_is_written_with_its_first_sighting(ingest) -> None:
    from timeline.services.manual import record_manual_event

    component = Component.objects.create(component_class="SSD", vendor="ACME", serial="P-SSD-1", serial_raw="P-SSD-1")
    record_manual_event(event_type="NOTE", timestamp=T0, component=component, note="bought as spare")
    ingest(bundle("SRV-A", 1, {0}, "FW1"))
    appended = derived_rows()
    assert ("NOTE", "component", "P-SSD-1", T0) in {event[:4] for event in appended[0]}
    TimelineEvent.objects.all().delete()
    Installation.objects.all().delete()
    Component.objects.update(first_seen_at=None)
    list(rederive_all())
    assert derived_rows() == appended
