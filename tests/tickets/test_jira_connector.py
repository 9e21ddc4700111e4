"""The Jira connector against a local server speaking Jira's search API: paging, the cursor,
429 with Retry-After, a 500 in the middle of a run and the resume from the cursor, network
errors, and credentials that never reach the logs."""

from __future__ import annotations

import base64
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import AssetFactory, ComponentFactory
from tests.log_capture import json_log
from tests.tickets.conftest import SECRET
from tests.tickets.factories import TicketConnectorFactory
from tests.tickets.fake_jira import FakeJira, issue
from tickets.connectors.http import safe_url
from tickets.models import SyncRun, Ticket, TicketLink
from tickets.services.runs import run_connector
from timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db
T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def connector(fake_jira: FakeJira, **extra: Any) -> Any:
    values = {
        "name": "jira-ops",
        "base_url": fake_jira.url,
        "username": "ops-bot@example.com",
        "secret": SECRET,
        "query": "project = OPS",
        "page_size": 2,
    }
    return TicketConnectorFactory(**{**values, **extra})


def five_issues() -> list[dict]:
    return [
        issue("OPS-1", T, summary="Server MXQ2390RHW no POST", description="MXQ2390RHW black screen after update."),
        issue("OPS-2", T + timedelta(minutes=1), summary="Drive errors", description="nvme S4EXNA0M000001 fails."),
        issue("OPS-3", T + timedelta(minutes=2), summary="Coffee machine", description="out of beans"),
        issue("OPS-4", T + timedelta(minutes=3), summary="Fan noise on node-17.dc1.example.com"),
        issue("OPS-5", T + timedelta(minutes=4, seconds=30), summary="Rack A3 power"),
    ]


def _since(jql: str) -> str | None:
    match = re.search(r'updated >= "([^"]+)"', jql)
    return match.group(1) if match else None


def test_pull_pages_through_the_search_and_links_what_the_tickets_name(fake_jira: FakeJira, waits) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    drive = ComponentFactory(serial_raw="S4EXNA0M000001", serial="S4EXNA0M000001")
    node = AssetFactory(hostname="node-17")
    fake_jira.issues = five_issues()
    config = connector(fake_jira)

    run = run_connector(config.pk)

    assert (run.status, run.created, run.updated, run.unchanged, run.rejected) == ("succeeded", 5, 0, 0, 0)
    # Each page is asked for from the newest minute read, past the issues of that minute read.
    assert [(r.params["startAt"], _since(r.params["jql"])) for r in fake_jira.requests] == [
        ("0", None),
        ("1", "2026-03-02 08:01"),
        ("1", "2026-03-02 08:03"),
    ]
    first = fake_jira.requests[0]
    assert first.params["jql"] == "(project = OPS) ORDER BY updated ASC, key ASC"
    assert first.params["maxResults"] == "2"
    expected = base64.b64encode(f"ops-bot@example.com:{SECRET}".encode()).decode()
    assert first.headers["Authorization"] == f"Basic {expected}"
    assert run.cursor_before is None
    assert run.cursor_after == T + timedelta(minutes=4, seconds=30)
    config.refresh_from_db()
    assert config.cursor == run.cursor_after
    assert config.locked_until is None  # released
    ops1 = Ticket.objects.get(external_id="OPS-1")
    assert (ops1.source, ops1.status, ops1.priority, ops1.category, ops1.reporter) == (
        "jira-ops",
        "open",
        "Major",
        "Incident",
        "Dana Ops",
    )
    assert ops1.url == f"{fake_jira.url}/browse/OPS-1"
    assert ops1.raw["key"] == "OPS-1"
    assert {link.target_key for link in TicketLink.objects.all()} == {
        f"asset:{server.pk}",
        f"component:{drive.pk}",
        f"asset:{node.pk}",
    }
    assert TimelineEvent.objects.filter(subject_type="asset", subject_id=server.pk).count() == 1
    assert waits == []


def test_the_next_run_asks_from_the_cursor_and_changes_nothing(fake_jira: FakeJira, waits) -> None:
    AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    fake_jira.issues = five_issues()
    config = connector(fake_jira)
    run_connector(config.pk)
    events = list(TimelineEvent.objects.values_list("pk", "natural_key"))
    fake_jira.requests.clear()

    again = run_connector(config.pk)

    assert '(project = OPS) AND updated >= "2026-03-02 08:04" ORDER BY' in fake_jira.requests[0].params["jql"]
    # Jira compares to the minute: the cursor's minute comes again, and is left unchanged.
    assert (again.status, again.created, again.updated, again.unchanged) == ("succeeded", 0, 0, 1)
    assert again.cursor_before == again.cursor_after == T + timedelta(minutes=4, seconds=30)
    assert list(TimelineEvent.objects.values_list("pk", "natural_key")) == events


def test_a_changed_issue_moves_forward_on_the_next_run(fake_jira: FakeJira, waits) -> None:
    fake_jira.issues = five_issues()
    config = connector(fake_jira)
    run_connector(config.pk)
    fake_jira.issues[2] = issue("OPS-3", T + timedelta(minutes=9), summary="Coffee machine fixed")
    fake_jira.issues[2]["fields"]["status"] = {"name": "Done", "statusCategory": {"key": "done"}}

    run = run_connector(config.pk)

    assert (run.created, run.updated, run.unchanged) == (0, 1, 1)
    ticket = Ticket.objects.get(external_id="OPS-3")
    assert (ticket.title, ticket.status) == ("Coffee machine fixed", "closed")


def test_429_waits_as_long_as_retry_after_says(fake_jira: FakeJira, waits) -> None:
    fake_jira.issues = five_issues()
    fake_jira.fail = {2: (429, {"Retry-After": "7"})}
    run = run_connector(connector(fake_jira).pk)
    assert run.status == "succeeded"
    assert run.created == 5
    assert waits == [7.0]
    assert [r.params["startAt"] for r in fake_jira.requests] == ["0", "1", "1", "1"]


def test_a_transient_500_is_retried_with_backoff(fake_jira: FakeJira, waits, settings) -> None:
    settings.REANIMATOR_TICKET_SYNC_BACKOFF_SECONDS = 3
    fake_jira.issues = five_issues()
    fake_jira.fail = {1: (500, {}), 2: (503, {})}
    run = run_connector(connector(fake_jira).pk)
    assert (run.status, run.created) == ("succeeded", 5)
    assert waits == [3.0, 6.0]  # exponential


def test_a_500_mid_run_keeps_what_was_stored_and_the_next_run_resumes_from_the_cursor(
    fake_jira: FakeJira, waits, settings
) -> None:
    settings.REANIMATOR_TICKET_SYNC_ATTEMPTS = 3
    fake_jira.issues = five_issues()
    fake_jira.fail_from = 2  # Jira goes down after the first page
    config = connector(fake_jira)

    failed = run_connector(config.pk)

    assert failed.status == "failed"
    assert "answered 500" in failed.error
    assert "gave up after 3 attempts" in failed.error
    assert (failed.created, failed.cursor_after) == (2, T + timedelta(minutes=1))
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["OPS-1", "OPS-2"]
    config.refresh_from_db()
    assert config.cursor == T + timedelta(minutes=1)
    assert config.locked_until is None
    assert len(waits) == 2

    fake_jira.fail_from = None
    fake_jira.requests.clear()
    resumed = run_connector(config.pk)

    assert 'updated >= "2026-03-02 08:01"' in fake_jira.requests[0].params["jql"]
    assert (resumed.status, resumed.created, resumed.unchanged) == ("succeeded", 3, 1)
    assert resumed.cursor_before == T + timedelta(minutes=1)
    assert resumed.cursor_after == T + timedelta(minutes=4, seconds=30)
    assert Ticket.objects.count() == 5


def test_network_errors_are_retried_then_the_run_fails_without_moving_the_cursor(waits, settings) -> None:
    settings.REANIMATOR_TICKET_SYNC_ATTEMPTS = 2
    cursor = T - timedelta(days=1)
    config = TicketConnectorFactory(base_url="http://127.0.0.1:9/", secret=SECRET, cursor=cursor)
    run = run_connector(config.pk)
    assert run.status == "failed"
    assert "failed: URLError" in run.error
    assert run.cursor_after == cursor
    config.refresh_from_db()
    assert config.cursor == cursor
    assert len(waits) == 1


def test_a_4xx_other_than_429_fails_at_once(fake_jira: FakeJira, waits) -> None:
    fake_jira.fail = {1: (401, {})}
    run = run_connector(connector(fake_jira).pk)
    assert run.status == "failed"
    assert "answered 401; not retried" in run.error
    assert waits == []


def test_the_token_never_reaches_the_logs_or_the_run(fake_jira: FakeJira, waits, settings) -> None:
    settings.REANIMATOR_TICKET_SYNC_ATTEMPTS = 2
    fake_jira.issues = five_issues()
    fake_jira.fail = {1: (500, {})}
    fake_jira.fail_from = 3
    config = connector(fake_jira)
    with json_log(logging.DEBUG) as log:
        run = run_connector(config.pk)
    text = log.getvalue()
    assert '"ticket sync run finished"' in text
    assert '"ticket source request failed, retrying"' in text
    assert run.status == "failed"
    encoded = base64.b64encode(f"ops-bot@example.com:{SECRET}".encode()).decode()
    for secret in (SECRET, encoded):
        assert secret not in text
        assert secret not in run.error
        assert secret not in json.dumps(SyncRun.objects.filter(pk=run.pk).values().get(), default=str)
    assert SECRET not in repr(config)
    assert safe_url(f"https://bot:{SECRET}@jira.example.com/rest?jql=x") == "https://jira.example.com/rest"


def test_status_mapping_and_reference_fields_from_the_field_mapping(fake_jira: FakeJira, waits) -> None:
    server = AssetFactory(asset_tag="AT-000777")
    fake_jira.issues = [
        issue(
            "OPS-9",
            T,
            summary="Customer asks for a swap",
            status={"name": "Waiting for vendor", "statusCategory": {"key": "new"}},
            customfield_10071=[{"value": "AT-000777"}],
        )
    ]
    config = connector(
        fake_jira,
        field_mapping={"asset_tags": ["customfield_10071"], "status": {"Waiting for vendor": "in_progress"}},
    )
    run_connector(config.pk)
    ticket = Ticket.objects.get()
    assert ticket.status == "in_progress"
    assert ticket.references == {"asset_tags": ["AT-000777"]}
    link = TicketLink.objects.get()
    assert (link.asset_id, link.origin) == (server.pk, "explicit")
    assert "customfield_10071" in fake_jira.requests[0].params["fields"]


def test_an_issue_the_push_validation_refuses_is_rejected_and_the_cursor_passes_it(fake_jira: FakeJira, waits) -> None:
    broken = issue("OPS-2", T + timedelta(minutes=1))
    broken["fields"]["summary"] = ""
    fake_jira.issues = [issue("OPS-1", T), broken]
    run = run_connector(connector(fake_jira).pk)
    assert (run.status, run.created, run.rejected) == ("succeeded", 1, 1)
    assert run.item_errors[0]["external_id"] == "OPS-2"
    assert "title" in run.item_errors[0]["errors"]
    assert run.cursor_after == T + timedelta(minutes=1)


def test_jira_cloud_enhanced_search_pages_by_token(fake_jira: FakeJira, waits) -> None:
    fake_jira.issues = five_issues()
    config = connector(fake_jira, field_mapping={"search_path": "rest/api/3/search/jql"})
    run = run_connector(config.pk)
    assert (run.status, run.created) == ("succeeded", 5)
    assert [r.path for r in fake_jira.requests] == ["/rest/api/3/search/jql"] * 3
    assert [r.params.get("nextPageToken") for r in fake_jira.requests] == [None, "tok-2", "tok-4"]
    assert all("startAt" not in r.params for r in fake_jira.requests)


def test_an_issue_updated_while_the_run_pages_does_not_push_another_out_of_reach(fake_jira: FakeJira, waits) -> None:
    fake_jira.issues = five_issues()

    def update_ops1_after_the_first_page(number: int) -> None:
        if number == 2:  # OPS-1 changes in Jira: it moves to the end of the ordered result
            fake_jira.issues[0] = issue("OPS-1", T + timedelta(minutes=10), summary="Server MXQ2390RHW fixed")

    fake_jira.on_request = update_ops1_after_the_first_page
    run = run_connector(connector(fake_jira).pk)

    assert run.status == "succeeded"
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["OPS-1", "OPS-2", "OPS-3", "OPS-4", "OPS-5"]
    assert Ticket.objects.get(external_id="OPS-1").title == "Server MXQ2390RHW fixed"
    assert (run.created, run.updated) == (5, 1)
    assert run.cursor_after == T + timedelta(minutes=10)
