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
