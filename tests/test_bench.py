"""`manage.py bench`: a tiny fleet goes through the real ingest path, the figure lines are
printed, and nothing of the fleet is left behind. No timing is asserted."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from django.core.management import CommandError, call_command

from ingest.models import LogBundle, Observation
from registry.models import Asset, Component, Installation


def _bench(**options: object) -> str:
    out = io.StringIO()
    call_command("bench", servers=3, snapshots=2, components=10, workers=1, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_bench_ingests_a_small_fleet_prints_figures_and_cleans_up() -> None:
    output = _bench()

    assert "bundles=6 parsed=6 " in output
    assert "retries=0" in output
    # 3 servers x 2 snapshots x (1 asset + 10 parts)
    assert "observations=66 component_observations=60" in output
    for figure in (
        "wall_seconds=",
        "bundles_per_second=",
        "component_observations_per_second=",
        "phase receive (storage):",
        "phase   derivation:",
        "plain_insert_seconds=",
        "ingest_vs_plain_insert_ratio=",
    ):
        assert figure in output
    assert re.search(r"bundles_per_second=[\d.]+ target>=100 (met|NOT met)", output)
    assert re.search(r"ingest_vs_plain_insert_ratio=[\d.]+ target<=5 (met|NOT met)", output)
    assert "rows=66 " in output  # the plain insert wrote as many rows as the ingest did
    assert "cleanup: deleted" in output

    assert not LogBundle.objects.exists()
    assert not Observation.objects.exists()
    assert not Installation.objects.exists()
    assert not Component.objects.exists()
    assert not Asset.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bench_keeps_the_fleet_when_asked_and_then_refuses_a_database_with_assets() -> None:
    output = _bench(keep=True)

    kept = re.search(r"raw bundles under (\S+)", output)
    assert kept is not None
    shutil.rmtree(kept.group(1))
    assert Asset.objects.count() == 3
    assert LogBundle.objects.count() == 6
    # the fleet has history: installations were derived, and one drive swapped servers
    assert Installation.objects.exists()
    assert "drive_moves=2" in output

    with pytest.raises(CommandError, match="already holds 3 assets"):
        _bench()


@pytest.mark.django_db(transaction=True)
def test_bench_with_two_worker_processes() -> None:
    out = io.StringIO()
    call_command("bench", servers=25, snapshots=2, components=10, workers=2, stdout=out)
    output = out.getvalue()

    assert "bundles=50 parsed=50 " in output  # two racks, one per worker
    assert "observations=550 " in output
    assert not Asset.objects.exists()
    assert not Component.objects.exists()
