"""Re-parsing stored bundles (command and admin action), and the ingest console figures."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ingest.models import LogBundle, Observation
from ingest.services.console import console_summary
from ingest.services.parsing import PARSER_VERSION
from registry.models import Installation
from tests.ingest.bundles import gz, inventory, part

pytestmark = pytest.mark.django_db

T1, T2 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def two_servers(ingest) -> list[LogBundle]:
    return [
        ingest(inventory("SRV-R1", T1, [part("SSD", "SSD-R1"), part("DIMM", "DIMM-R1")])),
        ingest(inventory("SRV-R1", T2, [part("SSD", "SSD-R1")])),
        ingest(inventory("SRV-R2", T1, [part("SSD", "SSD-R2")])),
    ]


def snapshot() -> tuple[object, ...]:
    return (
        sorted(Observation.objects.values_list("bundle__sha256", "serial", "slot", "collected_at")),
        sorted(Installation.objects.values_list("component__serial", "installed_at", "last_seen_at", "removed_at")),
    )


def test_reparse_all_gives_the_same_history(two_servers: list[LogBundle]) -> None:
    before = snapshot()
    out = StringIO()
    call_command("reparse", "--all", stdout=out)
    assert "re-parsed 3 bundle(s): 3 parsed" in out.getvalue()
    assert snapshot() == before


def test_reparse_one_asset_touches_only_its_bundles(two_servers: list[LogBundle]) -> None:
    out = StringIO()
    call_command("reparse", "--asset", str(two_servers[0].asset_id), stdout=out)
    assert "re-parsed 2 bundle(s)" in out.getvalue()


def test_reparse_outdated_finds_bundles_of_older_parsers(two_servers: list[LogBundle]) -> None:
    LogBundle.objects.filter(pk=two_servers[2].pk).update(parser_version=PARSER_VERSION - 1)
    out = StringIO()
    call_command("reparse", "--outdated", stdout=out)
    assert "re-parsed 1 bundle(s)" in out.getvalue()
    assert LogBundle.objects.get(pk=two_servers[2].pk).parser_version == PARSER_VERSION


def test_reparse_needs_a_selection() -> None:
    with pytest.raises(CommandError, match="Say which bundles"):
        call_command("reparse")


def test_failed_bundle_can_be_reparsed_once_the_cause_is_gone(ingest, settings) -> None:
    settings.REANIMATOR_MAX_EXPANDED_BYTES = 10  # an operator set the limit far too low
    bundle = ingest(gz(inventory("SRV-LIMIT", T1, [part("SSD", "SSD-L")])))
    assert (bundle.status, bundle.error_code) == ("failed", "expanded_too_large")
    settings.REANIMATOR_MAX_EXPANDED_BYTES = 512 * 1024 * 1024
    call_command("reparse", "--bundle", str(bundle.pk), stdout=StringIO())
    bundle.refresh_from_db()
    assert (bundle.status, bundle.error_code) == ("parsed", "")
    assert bundle.observations.count() == 2


def test_admin_reparse_action(operator, two_servers: list[LogBundle]) -> None:
    client = Client()
    client.force_login(operator)
    before = snapshot()
    response = client.post(
        reverse("admin:ingest_logbundle_changelist"),
        {"action": "reparse_selected", "_selected_action": [b.pk for b in two_servers]},
        follow=True,
    )
    assert any("Re-parsed 3 bundle(s); 0 failed." in str(m) for m in response.context["messages"])
    assert snapshot() == before


def test_engineer_cannot_reparse_from_admin(engineer, two_servers: list[LogBundle]) -> None:
    client = Client()
    client.force_login(engineer)
    response = client.post(
        reverse("admin:ingest_logbundle_changelist"),
        {"action": "reparse_selected", "_selected_action": [two_servers[0].pk]},
    )
    assert response.status_code in {302, 403}  # engineers are not staff: admin sends them to login
    assert LogBundle.objects.get(pk=two_servers[0].pk).parsed_at == two_servers[0].parsed_at


@pytest.mark.parametrize("model_name", ["logbundle", "observation"])
def test_ingest_admin_pages_render(operator, two_servers: list[LogBundle], model_name: str) -> None:
    client = Client()
    client.force_login(operator)
    assert client.get(reverse(f"admin:ingest_{model_name}_changelist")).status_code == 200
    obj = two_servers[0] if model_name == "logbundle" else two_servers[0].observations.first()
    assert client.get(reverse(f"admin:ingest_{model_name}_change", args=[obj.pk])).status_code == 200


def test_console_summary_counts_by_status_and_lists_failures(ingest) -> None:
    ingest(inventory("SRV-C1", T1, [part("SSD", "SSD-C1")]))
    bad = ingest(b'{"format": "reanimator-inventory", "version": 1, "components": "nope"}')
    with CaptureQueriesContext(connection) as queries:
        summary = console_summary()
    assert len(queries) == 2
    assert summary.by_status == {"received": 0, "parsing": 0, "parsed": 1, "failed": 1}
    assert [b.pk for b in summary.recent_failures] == [bad.pk]
    assert summary.recent_failures[0].error_code == "invalid_inventory"
