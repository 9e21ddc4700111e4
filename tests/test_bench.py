"""`manage.py bench`: a tiny fleet goes through the real ingest path (and a tiny timeline
through the timeline benchmark), the figure lines are printed, and nothing of the fleet is
left behind. No timing is asserted."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from ingest.models import LogBundle, Observation
from registry.models import Asset, Component, Installation
from timeline.models import TimelineEvent


def _bench(**options: object) -> str:
    out = io.StringIO()
    call_command("bench", only=["ingest"], servers=3, snapshots=2, components=10, workers=1, stdout=out, **options)
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
    assert not TimelineEvent.objects.exists()


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
    call_command("bench", only=["ingest"], servers=25, snapshots=2, components=10, workers=2, stdout=out)
    output = out.getvalue()

    assert "bundles=50 parsed=50 " in output  # two racks, one per worker
    assert "observations=550 " in output
    assert not Asset.objects.exists()
    assert not Component.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_timeline_bench_prints_page_late_bundle_and_plan_figures_and_cleans_up() -> None:
    out = io.StringIO()
    call_command(
        "bench",
        only=["timeline"],
        fleet_events=2000,
        fleet_assets=50,
        asset_events=200,
        late_history=(2, 3),
        late_repeats=2,
        samples=5,
        components=10,
        stdout=out,
    )
    output = out.getvalue()

    figure = r"p50_ms=[\d.]+ p95_ms=[\d.]+ max_ms=[\d.]+ n=5"
    for level in ("service", "api"):
        for kind in ("first", "deep", "type", "desc"):
            assert re.search(rf"page\[alone asset=200 {level} {kind}\] {figure}", output), (level, kind)
            for asset in ("interleaved", "contiguous"):
                assert re.search(
                    rf"page\[fleet=\d+ asset={asset} {level} {kind}\] {figure}.* target_p95_ms<=25 (met|NOT met)",
                    output,
                ), (asset, level, kind)
    assert "page[alone asset=200 service first] " in output
    assert re.search(r"service first\] .* rows=50", output)
    assert "page problems" not in output  # every API page answered 200 and matched the service's page
    assert re.search(r"timeline_page_p95_ms_worst=[\d.]+ at \d+ events target<=25 (met|NOT met)", output)

    # 2000 filler events plus the 200 of the asset measured inside the fleet
    assert re.search(r"fleet: wrote 2200 events .* in [\d.]+s .* table rows=\d+", output)
    for kind in ("first", "deep", "type", "desc"):
        assert re.search(rf"explain\[{kind}\] key=\S+ expected=event_subject_time (met|NOT met)", output), kind

    for history in (2, 3):
        for side in ("a", "b"):
            assert f"history N={history} server {side}: {history} snapshots ingested" in output
            assert re.search(rf"history N={history} server {side}: .* parsed={history}$", output, re.M)
        assert re.search(rf"late_bundle\[N={history} server a, no fleet\] median_ms=[\d.]+ .* n=2 parsed=2", output)
        assert re.search(
            rf"late_bundle\[N={history} server b, fleet of \d+ events\] median_ms=[\d.]+ .* parsed=2", output
        )
        assert re.search(rf"late_bundle_ms N={history}: no_fleet=[\d.]+ with_fleet=[\d.]+ ratio=[\d.]+", output)
    assert "error:" not in output
    assert "late_bundle_ms by history (no fleet): N=2:" in output

    assert "TimelineEvent (synthetic)=2400 " in output  # 200 + 200 measured, 2000 filler
    assert "timeline benchmark total: " in output
    assert not TimelineEvent.objects.exists()
    assert not LogBundle.objects.exists()
    assert not Observation.objects.exists()
    assert not Installation.objects.exists()
    assert not Component.objects.exists()
    assert not Asset.objects.exists()
    assert not get_user_model().objects.exists()
    assert not Token.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_timeline_bench_refuses_a_database_with_assets() -> None:
    Asset.objects.create(vendor_serial="SOMEONE-ELSES")

    with pytest.raises(CommandError, match="already holds 1 assets"):
        call_command("bench", only=["timeline"], fleet_events=10, asset_events=10, stdout=io.StringIO())
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_pages_bench_requests_every_page_prints_plans_and_cleans_up() -> None:
    from tickets.models import Ticket

    out = io.StringIO()
    call_command("bench", only=["pages"], page_assets=4, page_parts=5, page_events=300, page_samples=2, stdout=out)
    output = out.getvalue()

    for page in ("dashboard", "assets", "components", "server card", "component page", "ingest console", "tickets"):
        assert re.search(
            rf"page\[{page}\] \S+ p50_ms=[\d.]+ p95_ms=[\d.]+ .* queries=\d+ db_ms=\d+ target_p95_ms<=100", output
        )
    assert "HTTP " not in output  # every page answered 200
    assert "    explain " in output
    assert re.search(r"pages_p95_ms_worst=[\d.]+ \(.+\) target<=100 (met|NOT met)", output)
    assert "cleanup: deleted" in output
    assert not Asset.objects.exists()
    assert not Component.objects.exists()
    assert not TimelineEvent.objects.exists()
    assert not LogBundle.objects.exists()
    assert not Ticket.objects.exists()
    assert not get_user_model().objects.exists()
