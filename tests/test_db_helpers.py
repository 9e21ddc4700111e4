"""reanimator.db's hand-written writes store what the ORM would, JSON and times included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from ingest.models import LogBundle, Observation
from reanimator import db
from reanimator.db import EncodedJSON, fast_insert, insert_instance, update_rows
from registry.models import LotRule
from tests.factories import AssetFactory, LotFactory

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


# Strings that an escaping mistake would mangle or fail on.
AWKWARD = [
    "it's",
    'say "hi"',
    "back\\slash \\' \\\"",
    "%s and %(name)s and 100% and %%",
    "line\nbreak\ttab\r",
    "Grüße, naïve, 東京, Ωμέγα",
    "emoji 🔥💾🧪",
    "`backtick`; DROP TABLE x; --",
    "\\x00 spelled out, \\u0000 too",
]


def test_update_rows_writes_each_row_its_own_values() -> None:
    assets = [AssetFactory(), AssetFactory()]
    bundles = [
        LogBundle.objects.create(sha256=f"{n:064x}", raw=f"bundles/{n}/x", size=1, counts={"old": n})
        for n in range(len(AWKWARD) + 1)
    ]
    untouched = bundles.pop()
    base = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    changes = {
        bundle.pk: {
            "status": "parsed" if n % 2 else "failed",
            "hostname": text[:253],
            "error_message": text * 3,
            "asset_id": assets[n % 2].pk if n % 3 else None,
            "parsed_at": base + timedelta(days=n, microseconds=n) if n % 4 else None,
            "counts": {"observations": n, "name": text},
            "warnings": [text, n],
            # already encoded: stored as it is
            "coverage": EncodedJSON(json.dumps([text, "SSD"], sort_keys=True)),
        }
        for n, (bundle, text) in enumerate(zip(bundles, AWKWARD, strict=True))
    }

    update_rows(LogBundle, changes)

    names = ["status", "hostname", "error_message", "asset_id", "parsed_at", "counts", "warnings", "coverage"]
    stored = {row["id"]: row for row in LogBundle.objects.values("id", *names)}
    for pk, values in changes.items():
        expected = {**values, "coverage": json.loads(values["coverage"])}
        assert {name: stored[pk][name] for name in names} == expected
    assert stored[untouched.pk]["status"] == "received"
    assert LogBundle.objects.get(pk=untouched.pk).counts == {"old": len(AWKWARD)}


def test_update_rows_of_one_row_sets_plain_values() -> None:
    bundle = LogBundle.objects.create(sha256="f" * 64, raw="bundles/ff/x", size=1)
    when = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    update_rows(LogBundle, {bundle.pk: {"counts": {"q": AWKWARD[3]}, "parsed_at": when, "hostname": AWKWARD[2]}})
    bundle.refresh_from_db()
    assert (bundle.counts, bundle.parsed_at, bundle.hostname) == ({"q": AWKWARD[3]}, when, AWKWARD[2])
    update_rows(LogBundle, {})  # nothing to do


def _observation_row(bundle_id: int, asset_id: int, text: str, n: int) -> dict[str, object]:
    return {
        "bundle_id": bundle_id,
        "asset_id": asset_id,
        "component_id": None,
        "kind": "anonymous",
        "component_class": "DIMM",
        "slot": f"{n:03d} {text}"[:100],
        "vendor_raw": text[:200],
        "vendor": text[:100],
        "model": text[:200],
        "serial_raw": text[::-1][:200],
        "serial": "",
        "firmware": text[:200],
        "specs": {"text": text, "long": text * (2000 if n % 3 == 0 else 1), "n": n},
        "health": {"note": text},
        "sources": [text],
        "collected_at": datetime(2026, 3, 1, 8, 30, 15, n, tzinfo=UTC),
    }


DEFAULT_STATEMENT_BYTES = db.MAX_STATEMENT_BYTES


@pytest.mark.parametrize("max_statement_bytes", [DEFAULT_STATEMENT_BYTES, 4096])
def test_fast_insert_round_trips_awkward_and_long_values(monkeypatch, max_statement_bytes: int) -> None:
    monkeypatch.setattr(db, "MAX_STATEMENT_BYTES", max_statement_bytes)
    asset = AssetFactory()
    bundle = LogBundle.objects.create(sha256="9" * 64, raw="bundles/99/x", size=1)
    rows = [_observation_row(bundle.pk, asset.pk, text, n) for n, text in enumerate(AWKWARD * 2)]
    rows.append(_observation_row(bundle.pk, asset.pk, "x" * 200, len(rows)) | {"specs": {"huge": "é" * 300_000}})

    with CaptureQueriesContext(connection) as queries:
        fast_insert(Observation, rows)

    inserts = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    if connection.vendor == "mysql":
        # A row past the limit is a statement of its own; the others share statements.
        too_long = sum(len(json.dumps(row["specs"])) > max_statement_bytes for row in rows)
        assert too_long >= 1
        assert len(inserts) > too_long
        assert len(inserts) < len(rows)
        if max_statement_bytes == DEFAULT_STATEMENT_BYTES:
            assert len(inserts) == 2
    columns = [name for name in rows[0] if name != "component_id"]
    stored = list(Observation.objects.order_by("slot").values(*columns, "component_id"))
    assert stored == sorted(rows, key=lambda row: str(row["slot"]))


def test_fast_insert_stores_booleans_big_integers_and_nulls_like_the_orm() -> None:
    lot = LotFactory()
    now = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)  # auto_now: fast_insert leaves it to the caller
    rows = [
        LotRule(lot=lot, component_class="SSD", vendor=AWKWARD[1], model_pattern=AWKWARD[2], enabled=False, priority=1),
        LotRule(lot=lot, component_class="HDD", capacity_min_bytes=2**62, capacity_max_bytes=None, priority=2),
    ]
    for rule in rows:
        rule.created_at = rule.updated_at = now
    fast_insert(LotRule, rows)
    stored = list(
        LotRule.objects.order_by("priority").values_list(
            "vendor", "model_pattern", "enabled", "capacity_min_bytes", "capacity_max_bytes", "created_at"
        )
    )
    assert stored == [(AWKWARD[1], AWKWARD[2], False, None, None, now), ("", "", True, 2**62, None, now)]
