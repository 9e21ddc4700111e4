"""reanimator.db's hand-written writes store what the ORM would, JSON and times included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from ingest.models import LogBundle, Observation
from reanimator.db import fast_insert, insert_instance
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_fast_insert_stores_rows_like_bulk_create() -> None:
    asset = AssetFactory()
    bundle = LogBundle.objects.create(sha256="a" * 64, raw="bundles/aa/x", size=1)
    when = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    rows = [
        Observation(
            bundle=bundle,
            asset=asset,
            kind="anonymous",
            component_class="DIMM",
            slot=f"A{i}",
            specs={"capacity_bytes": 2**35, "name": "ü"},
            health={"smart_passed": True},
            sources=["dmidecode", "lshw"],
            collected_at=when,
        )
        for i in range(3)
    ]
    fast_insert(Observation, rows, batch_size=2)
    stored = list(Observation.objects.order_by("slot"))
    assert [o.slot for o in stored] == ["A0", "A1", "A2"]
    assert stored[0].specs == {"capacity_bytes": 2**35, "name": "ü"}
    assert stored[0].health == {"smart_passed": True}
    assert stored[0].sources == ["dmidecode", "lshw"]
    assert stored[0].collected_at == when
    assert stored[0].component_id is None


def test_fast_insert_of_nothing_is_a_no_op() -> None:
    fast_insert(Observation, [])
    assert not Observation.objects.exists()


def test_fast_insert_takes_rows_as_mappings_of_attnames() -> None:
    asset = AssetFactory()
    bundle = LogBundle.objects.create(sha256="b" * 64, raw="bundles/bb/x", size=1)
    when = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    row = {
        "bundle_id": bundle.pk,
        "asset_id": asset.pk,
        "component_id": None,
        "kind": "anonymous",
        "component_class": "DIMM",
        "slot": "A0",
        "vendor_raw": "",
        "vendor": "",
        "model": "",
        "serial_raw": "",
        "serial": "",
        "firmware": "",
        "specs": {"name": "ü"},
        "health": {},
        "sources": ["dmidecode"],
        "collected_at": when,
    }
    fast_insert(Observation, [row, {**row, "slot": "A1"}])
    stored = list(Observation.objects.order_by("slot"))
    assert [(o.slot, o.specs, o.sources, o.collected_at) for o in stored] == [
        ("A0", {"name": "ü"}, ["dmidecode"], when),
        ("A1", {"name": "ü"}, ["dmidecode"], when),
    ]


def test_insert_instance_stores_the_row_save_would_and_gives_it_its_key() -> None:
    saved = LogBundle(sha256="c" * 64, raw="bundles/cc/saved", size=3, counts={"parts": 2}, warnings=["ü"])
    inserted = LogBundle(sha256="d" * 64, raw="bundles/dd/inserted", size=3, counts={"parts": 2}, warnings=["ü"])
    with time_machine.travel(datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC), tick=False):
        saved.save()
        insert_instance(inserted)
    assert inserted.pk is not None
    assert not inserted._state.adding
    assert inserted.received_at == saved.received_at  # auto_now_add, set on the instance
    columns = [f.attname for f in LogBundle._meta.concrete_fields if f.attname not in ("id", "sha256", "raw")]
    stored = {row["id"]: row for row in LogBundle.objects.values("id", *columns)}
    assert {k: v for k, v in stored[inserted.pk].items() if k != "id"} == {
        k: v for k, v in stored[saved.pk].items() if k != "id"
    }
    assert LogBundle.objects.get(pk=inserted.pk).raw.name == "bundles/dd/inserted"


def test_insert_instance_refuses_a_duplicate_unique_key_like_save() -> None:
    LogBundle.objects.create(sha256="e" * 64, raw="bundles/ee/first", size=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_instance(LogBundle(sha256="e" * 64, raw="bundles/ee/second", size=1))
    assert LogBundle.objects.count() == 1
