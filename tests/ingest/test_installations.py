"""Installation intervals from observations (DESIGN.md, Time), through real ingestion."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from ingest.models import LogBundle, Observation
from ingest.services.parsing import parse_bundle
from registry.models import Asset, Component, Installation
from tests.ingest.bundles import inventory, part

pytestmark = pytest.mark.django_db

T1, T2, T3, T4 = (datetime(2026, 3, day, 10, 0, tzinfo=UTC) for day in (1, 2, 3, 4))
DIMM_A1 = part("DIMM", "DIMM-0001", slot="A1")
DIMM_A2 = part("DIMM", "DIMM-0002", slot="A2")
SSD_0 = part("SSD", "SSD-0001", slot="Bay 0")
SSD_1 = part("SSD", "SSD-0002", slot="Bay 1")

Ingest = Callable[..., LogBundle]


def history() -> set[tuple[str, str, datetime, datetime, datetime | None]]:
    return set(
        Installation.objects.values_list(
            "component__serial", "asset__vendor_serial", "installed_at", "last_seen_at", "removed_at"
        )
    )


def test_first_bundle_registers_asset_components_and_active_installations(ingest: Ingest) -> None:
    bundle = ingest(inventory("SRV-A", T1, [DIMM_A1, DIMM_A2, SSD_0], hostname="node-1.example.com"))
    assert bundle.status == "parsed", (bundle.error_code, bundle.error_message)
    asset = Asset.objects.get(vendor_serial="SRV-A")
    assert bundle.asset == asset
    assert asset.hostname == "node-1.example.com"
    assert bundle.collected_at == T1
    assert bundle.counts["components"] == 3
    assert history() == {
        ("DIMM-0001", "SRV-A", T1, T1, None),
        ("DIMM-0002", "SRV-A", T1, T1, None),
        ("SSD-0001", "SRV-A", T1, T1, None),
    }
    assert set(Component.objects.values_list("first_seen_at", flat=True)) == {T1}


def test_same_bytes_again_change_nothing(ingest: Ingest) -> None:
    raw = inventory("SRV-A", T1, [DIMM_A1, SSD_0])
    first = ingest(raw)
    before = (history(), Observation.objects.count(), Component.objects.count(), LogBundle.objects.count())
    again = ingest(raw)
    assert again.pk == first.pk
    assert (history(), Observation.objects.count(), Component.objects.count(), LogBundle.objects.count()) == before


def test_part_missing_from_a_later_snapshot_is_removed_with_a_window(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [DIMM_A1, DIMM_A2]))
    ingest(inventory("SRV-A", T2, [DIMM_A1, DIMM_A2]))
    ingest(inventory("SRV-A", T3, [DIMM_A1]))
    assert history() == {("DIMM-0001", "SRV-A", T1, T3, None), ("DIMM-0002", "SRV-A", T1, T2, T3)}


def test_part_seen_in_another_asset_moved_there(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [DIMM_A1, SSD_0]))
    ingest(inventory("SRV-B", T2, [SSD_0]))
    assert history() == {
        ("DIMM-0001", "SRV-A", T1, T1, None),
        ("SSD-0001", "SRV-A", T1, T1, T2),
        ("SSD-0001", "SRV-B", T2, T2, None),
    }
    assert Installation.objects.filter(component__serial="SSD-0001", removed_at=None).count() == 1


def test_part_that_vanishes_and_comes_back_has_two_installations(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [DIMM_A1, DIMM_A2]))
    ingest(inventory("SRV-A", T2, [DIMM_A1]))
    ingest(inventory("SRV-A", T3, [DIMM_A1, DIMM_A2]))
    assert {row for row in history() if row[0] == "DIMM-0002"} == {
        ("DIMM-0002", "SRV-A", T1, T1, T2),
        ("DIMM-0002", "SRV-A", T3, T3, None),
    }


def test_late_bundle_between_two_others_splits_the_installation(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [DIMM_A1, DIMM_A2]))
    ingest(inventory("SRV-A", T3, [DIMM_A1, DIMM_A2]))
    assert ("DIMM-0002", "SRV-A", T1, T3, None) in history()
    ingest(inventory("SRV-A", T2, [DIMM_A1]))  # collected before the last one, uploaded after
    assert {row for row in history() if row[0] == "DIMM-0002"} == {
        ("DIMM-0002", "SRV-A", T1, T1, T2),
        ("DIMM-0002", "SRV-A", T3, T3, None),
    }


def test_bundle_that_cannot_see_a_class_does_not_remove_it(ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [DIMM_A1, SSD_0]))
    ingest(inventory("SRV-A", T2, [SSD_0]))  # e.g. only smartctl output: says nothing of DIMMs
    assert ("DIMM-0001", "SRV-A", T1, T1, None) in history()


def test_two_bundles_with_the_same_collected_at_are_ordered_by_sha256(ingest: Ingest) -> None:
    in_a = ingest(inventory("SRV-A", T1, [SSD_0]))
    in_b = ingest(inventory("SRV-B", T1, [SSD_0]))
    first, second = sorted([(in_a.sha256, "SRV-A"), (in_b.sha256, "SRV-B")])
    assert history() == {
        ("SSD-0001", first[1], T1, T1, T1),
        ("SSD-0001", second[1], T1, T1, None),
    }


SCENARIO = [
    inventory("SRV-A", T1, [DIMM_A1, DIMM_A2, SSD_0]),
    inventory("SRV-A", T2, [DIMM_A1, SSD_0]),
    inventory("SRV-B", T3, [DIMM_A2, SSD_1]),
    inventory("SRV-A", T4, [DIMM_A1, SSD_1]),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_history_does_not_depend_on_arrival_order(ingest: Ingest, order: tuple[int, ...]) -> None:
    for index in order:
        ingest(SCENARIO[index])
    assert history() == {
        ("DIMM-0001", "SRV-A", T1, T4, None),
        ("DIMM-0002", "SRV-A", T1, T1, T2),
        ("DIMM-0002", "SRV-B", T3, T3, None),
        ("SSD-0001", "SRV-A", T1, T2, T4),
        ("SSD-0002", "SRV-B", T3, T3, T4),
        ("SSD-0002", "SRV-A", T4, T4, None),
    }


def test_reparse_of_unchanged_bytes_changes_nothing(ingest: Ingest) -> None:
    bundles = [ingest(raw) for raw in SCENARIO]
    before = (history(), sorted(Observation.objects.values_list("serial", "slot", "collected_at")))
    for bundle in bundles:
        assert parse_bundle(bundle.pk, reparse=True) is not None
    after = (history(), sorted(Observation.objects.values_list("serial", "slot", "collected_at")))
    assert after == before


def test_placeholder_serial_part_is_an_anonymous_observation(ingest: Ingest) -> None:
    bundle = ingest(
        inventory("SRV-A", T1, [part("DIMM", "Not Specified", slot="B1"), part("PSU", "0000000", slot="PSU1")])
    )
    assert bundle.counts["anonymous"] == 2
    assert not Component.objects.exists()
    anonymous = Observation.objects.filter(kind="anonymous")
    assert set(anonymous.values_list("slot", "component_id")) == {("B1", None), ("PSU1", None)}


def test_same_dimm_serial_from_two_vendors_is_two_components(ingest: Ingest) -> None:
    ingest(
        inventory(
            "SRV-A",
            T1,
            [
                part("DIMM", "12345678", slot="A1", vendor="Samsung"),
                part("DIMM", "12345678", slot="A2", vendor="Micron"),
            ],
        )
    )
    assert set(Component.objects.values_list("vendor", "serial")) == {("SAMSUNG", "12345678"), ("MICRON", "12345678")}
