"""`make run`'s demo: the fleet comes through the ingest pipeline, so servers have history;
seeding twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from ingest.models import LogBundle
from registry.demo import seed_demo_fleet
from registry.models import Asset
from tickets.models import TicketLink
from timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def test_demo_fleet_has_history_and_seeding_twice_changes_nothing(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    first = seed_demo_fleet(servers=3)
    assert first["assets"] == 3
    assert LogBundle.objects.filter(status="parsed").count() == 3 * 6
    assert LogBundle.objects.filter(status="failed", error_code="no_collected_at").count() == 1
    events = set(TimelineEvent.objects.values_list("event_type", flat=True))
    assert {"LOG_COLLECTED", "INSTALLED", "MOVED", "FAILED", "TICKET_LINKED"} <= events
    assert Asset.objects.filter(status="deployed", project__isnull=False, location__isnull=False).count() == 3
    assert TicketLink.objects.exists()
    counts = (LogBundle.objects.count(), TimelineEvent.objects.count(), TicketLink.objects.count())
    assert seed_demo_fleet(servers=3) == first
    assert (LogBundle.objects.count(), TimelineEvent.objects.count(), TicketLink.objects.count()) == counts


def test_seed_demo_prints_the_login(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("seed_demo", servers=2, stdout=out)
    assert "Admin login: admin / " in out.getvalue()


def test_a_registry_only_demo_from_before_is_replaced(settings, tmp_path) -> None:
    from tests.factories import AssetFactory, InstallationFactory

    settings.MEDIA_ROOT = str(tmp_path)
    old = AssetFactory(asset_tag="RN-10000", notes="demo fleet")
    InstallationFactory(asset=old)
    seed_demo_fleet(servers=2)
    assert not Asset.objects.filter(pk=old.pk).exists()
    assert LogBundle.objects.filter(asset__asset_tag="RN-10000", status="parsed").exists()
