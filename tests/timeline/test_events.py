"""Timeline events derived from real ingestion (DESIGN.md, Events)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from ingest.models import LogBundle
from registry.models import Component, Installation
from tests.ingest.bundles import inventory, part
from tests.timeline.history import brief, events, installations
from timeline.models import TimelineEvent
from timeline.services.derivation import derive_history
from timeline.services.manual import record_manual_event

pytestmark = pytest.mark.django_db
Ingest = Callable[..., LogBundle]

T1, T2, T3, T4 = (datetime(2026, 3, day, 10, 0, tzinfo=UTC) for day in (1, 2, 3, 4))


def ssd(serial: str, firmware: str = "FW1", **extra) -> dict:
    return part("SSD", serial, slot=f"Bay {serial[-1]}", firmware=firmware, **extra)


def test_first_bundle_gives_log_collected_first_seen_and_installed(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1")]))
    assert brief() == {
        ("LOG_COLLECTED", "asset", "SRV-A", T1),
        ("FIRST_SEEN", "component", "SSD-1", T1),
        ("INSTALLED", "component", "SSD-1", T1),
        ("INSTALLED", "asset", "SRV-A", T1),
    }


def test_removal_is_an_event_on_both_timelines_with_its_window(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1"), ssd("SSD-2")]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1")]))
    removed = TimelineEvent.objects.filter(event_type="REMOVED")
    assert {(e.subject_type, e.timestamp) for e in removed} == {("component", T3), ("asset", T3)}
    on_asset = removed.get(subject_type="asset")
    assert on_asset.payload["serial"] == "SSD-2"
    assert on_asset.payload["last_seen_at"] == T1.isoformat()  # the window is (T1, T3]
    assert on_asset.payload["reason"] == "absent"


def test_move_between_servers(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1")]))
    ingest(inventory("SRV-B", T2, [ssd("SSD-1")]))
    assert brief("MOVED") == {("MOVED", "component", "SSD-1", T2)}
    assert brief("REMOVED") == {("REMOVED", "asset", "SRV-A", T2)}
    assert ("INSTALLED", "asset", "SRV-B", T2) in brief("INSTALLED")
    moved = TimelineEvent.objects.get(event_type="MOVED")
    assert moved.payload["last_seen_at"] == T1.isoformat()


def test_firmware_upgrade_and_downgrade(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1", "FW1")]))
    ingest(inventory("SRV-A", T2, [ssd("SSD-1", "FW2")]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1", "FW1")]))
    changes = TimelineEvent.objects.filter(event_type="FIRMWARE_CHANGED").order_by("timestamp")
    assert [(e.timestamp, e.payload["from_version"], e.payload["to_version"]) for e in changes] == [
        (T2, "FW1", "FW2"),
        (T3, "FW2", "FW1"),
    ]


def test_asset_firmware_changes(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1")], firmware={"BIOS": "1.0", "BMC": "5.1"}))
    ingest(inventory("SRV-A", T2, [ssd("SSD-1")], firmware={"BIOS": "1.2", "BMC": "5.1"}))
    change = TimelineEvent.objects.get(event_type="FIRMWARE_CHANGED", subject_type="asset")
    assert (
        change.timestamp,
        change.payload["firmware"],
        change.payload["from_version"],
        change.payload["to_version"],
    ) == (
        T2,
        "BIOS",
        "1.0",
        "1.2",
    )


def test_part_that_vanishes_and_comes_back(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1"), ssd("SSD-2")]))
    ingest(inventory("SRV-A", T2, [ssd("SSD-1")]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1"), ssd("SSD-2")]))
    component = {(t, ts) for t, s, subject, ts in brief() if subject == "SSD-2"}
    assert component == {("FIRST_SEEN", T1), ("INSTALLED", T1), ("REMOVED", T2), ("INSTALLED", T3)}


def test_two_bundles_with_the_same_collected_at(ingest: Ingest) -> None:
    in_a = ingest(inventory("SRV-A", T1, [ssd("SSD-1")]))
    in_b = ingest(inventory("SRV-B", T1, [ssd("SSD-1")]))
    first, second = sorted([(in_a.sha256, "SRV-A"), (in_b.sha256, "SRV-B")])
    moved = TimelineEvent.objects.get(event_type="MOVED")
    assert moved.timestamp == T1
    assert moved.payload["from_asset_id"] != moved.payload["to_asset_id"]
    assert ("REMOVED", "asset", first[1], T1) in brief()
    assert ("INSTALLED", "asset", second[1], T1) in brief()


def test_late_bundle_between_two_others(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1"), ssd("SSD-2")]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1"), ssd("SSD-2")]))
    ingest(inventory("SRV-A", T2, [ssd("SSD-1")]))
    assert {(t, ts) for t, s, subject, ts in brief() if subject == "SSD-2" and s == "component"} == {
        ("FIRST_SEEN", T1),
        ("INSTALLED", T1),
        ("REMOVED", T2),
        ("INSTALLED", T3),
    }
    assert {ts for t, s, subject, ts in brief("LOG_COLLECTED")} == {T1, T2, T3}


def test_smart_failure_is_a_failed_event_once(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1", health={"smart_passed": True})]))
    ingest(inventory("SRV-A", T2, [ssd("SSD-1", health={"smart_passed": False})]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1", health={"smart_passed": False})]))
    assert brief("FAILED") == {("FAILED", "component", "SSD-1", T2)}


def test_manual_rma_removes_until_observed_again(ingest: Ingest, operator) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1"), ssd("SSD-2")]))
    component = Component.objects.get(serial="SSD-2")
    record_manual_event(
        event_type="RMA_SENT",
        timestamp=T1 + timedelta(hours=5),
        component=component,
        reference="RMA-77",
        user_id=operator.pk,
    )
    assert ("SSD-2", "SRV-A", T1, T1, T1 + timedelta(hours=5)) in installations()
    removed = TimelineEvent.objects.get(event_type="REMOVED", subject_type="component")
    assert removed.payload["reason"] == "RMA_SENT"
    assert removed.source == "user"
    assert ("RMA_SENT", "component", "SSD-2", T1 + timedelta(hours=5)) in brief()
    # a snapshot without it changes nothing more; seeing it again starts a new installation
    ingest(inventory("SRV-A", T2, [ssd("SSD-1")]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1"), ssd("SSD-2")]))
    assert {row for row in installations() if row[0] == "SSD-2"} == {
        ("SSD-2", "SRV-A", T1, T1, T1 + timedelta(hours=5)),
        ("SSD-2", "SRV-A", T3, T3, None),
    }


def test_part_seen_after_its_rma_starts_a_new_stay(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1")]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1")]))
    record_manual_event(event_type="RMA_SENT", timestamp=T2, component=Component.objects.get(serial="SSD-1"))
    # It was seen at T3 after the RMA at T2: it came back, a new stay starts at T3.
    assert installations() == {
        ("SSD-1", "SRV-A", T1, T1, T2),
        ("SSD-1", "SRV-A", T3, T3, None),
    }


def test_rederive_twice_writes_nothing_and_keeps_ids(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1"), ssd("SSD-2")]))
    ingest(inventory("SRV-B", T2, [ssd("SSD-2")]))
    ids = set(TimelineEvent.objects.values_list("pk", "natural_key"))
    components = list(Component.objects.values_list("pk", flat=True))
    from registry.models import Asset

    result = derive_history(components, asset_ids=Asset.objects.values_list("pk", flat=True))
    assert result.events_written == 0
    assert set(TimelineEvent.objects.values_list("pk", "natural_key")) == ids


def test_rederive_command_equals_incremental_ingestion(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1"), ssd("SSD-2")], firmware={"BIOS": "1"}))
    ingest(inventory("SRV-B", T2, [ssd("SSD-2", "FW9")]))
    ingest(inventory("SRV-A", T3, [ssd("SSD-1")], firmware={"BIOS": "2"}))
    before = (events(), installations())
    TimelineEvent.objects.all().delete()
    Installation.objects.all().delete()
    out = StringIO()
    call_command("rederive", "--all", stdout=out)
    assert "rederived 2 component(s)" in out.getvalue()
    assert (events(), installations()) == before


def test_rederive_one_asset_rebuilds_its_history(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [ssd("SSD-1")], firmware={"BIOS": "1"}))
    ingest(inventory("SRV-A", T2, [ssd("SSD-1")], firmware={"BIOS": "2"}))
    before = (events(), installations())
    TimelineEvent.objects.all().delete()
    out = StringIO()
    from registry.models import Asset

    call_command("rederive", "--asset", str(Asset.objects.get().pk), stdout=out)
    assert "rederived 1 component(s)" in out.getvalue()
    assert (events(), installations()) == before


def test_rederive_needs_a_selection() -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Say what to rederive"):
        call_command("rederive")
