"""Pull runs: the per-connector lock (also when a worker dies holding it), the beat
dispatcher and its schedule, triggering a pull through the API, and the JSON feed connector."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from reanimator.celery import app as celery_app
from tests.api_base import assert_error_shape
from tests.factories import AssetFactory
from tests.tickets.conftest import SECRET
from tests.tickets.factories import TicketConnectorFactory
from tests.tickets.fake_jira import FakeJira, issue, serve
from tickets.choices import ConnectorKind
from tickets.models import SyncRun, Ticket, TicketConnector
from tickets.services import runs
from tickets.services.runs import acquire_lock, dispatch_due_connectors, release_lock, run_connector
from tickets.services.sync import sync_tickets
from timeline.models import TimelineEvent

ROOT = Path(__file__).resolve().parents[2]
T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_second_run_while_the_lock_is_held_is_skipped(fake_jira: FakeJira, waits) -> None:
    fake_jira.issues = [issue("OPS-1", T)]
    config = TicketConnectorFactory(base_url=fake_jira.url)
    token = acquire_lock(config.pk)
    assert token is not None
    assert acquire_lock(config.pk) is None

    skipped = run_connector(config.pk)
    assert skipped.status == "skipped"
    assert fake_jira.requests == []

    release_lock(config.pk, token)
    assert run_connector(config.pk).status == "succeeded"


@pytest.mark.django_db
def test_a_run_that_lost_its_lease_stops_before_fetching_more(
    fake_jira: FakeJira, waits, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_jira.issues = [issue(f"OPS-{n}", T + timedelta(minutes=n)) for n in range(4)]
    config = TicketConnectorFactory(base_url=fake_jira.url, page_size=2)

    def store_then_lose_the_lock(items, *, source):
        result = sync_tickets(items, source=source)
        # Meanwhile the lease ran out and another worker took the connector.
        TicketConnector.objects.filter(pk=config.pk).update(lock_token="someone-else")
        return result

    monkeypatch.setattr(runs, "sync_tickets", store_then_lose_the_lock)
    run = run_connector(config.pk)
    assert run.status == "failed"
    assert "lock expired" in run.error
    assert len(fake_jira.requests) == 1
    config.refresh_from_db()
    assert config.cursor is None  # the page's cursor is saved only with the lock
    assert config.lock_token == "someone-else"  # and the other run's lock is not released


KILLABLE_RUN = """
import sys
import django
django.setup()
from tickets.services.runs import run_connector
run_connector(int(sys.argv[1]))
"""


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_the_lock_of_a_worker_killed_mid_run_expires_and_the_next_run_takes_over(waits) -> None:
    if connection.vendor != "mysql":
        pytest.fail("needs MariaDB: run the suite with `make test`")
    state = FakeJira(issues=[issue("OPS-1", T, summary="MXQ2390RHW dead")], hold=threading.Event())
    with serve(state) as fake:
        config = TicketConnectorFactory(base_url=fake.url, secret=SECRET)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": "",
        }
        worker = subprocess.Popen([sys.executable, "-c", KILLABLE_RUN, str(config.pk)], cwd=ROOT, env=env)
        try:
            assert fake.arrived.wait(timeout=60), "the run never reached Jira"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        assert worker.returncode == -signal.SIGKILL
        fake.hold = None
        fake.requests.clear()

        config.refresh_from_db()
        assert config.locked_until is not None
        assert config.locked_until > timezone.now()
        dead_run = SyncRun.objects.get(connector=config)
        assert dead_run.status == "running"
        assert run_connector(config.pk).status == "skipped"  # a live lease is respected
        assert fake.requests == []

        lease = timedelta(seconds=django_settings.REANIMATOR_TICKET_SYNC_LOCK_SECONDS)
        with time_machine.travel(timezone.now() + lease + timedelta(seconds=1), tick=True):
            taken_over = run_connector(config.pk)
        assert taken_over.status == "succeeded"
        assert taken_over.created == 1
        dead_run.refresh_from_db()
        assert (dead_run.status, dead_run.error) == ("failed", "The worker running it was lost.")
        config.refresh_from_db()
        assert config.locked_until is None


@pytest.mark.django_db
def test_beat_runs_the_dispatcher_and_it_queues_each_enabled_connector_once_per_interval(
    django_capture_on_commit_callbacks,
) -> None:
    entry = next(
        e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "tickets.dispatch_due_connectors"
    )
    celery_app.loader.import_default_modules()  # what a worker and beat do at start-up
    assert entry["task"] in celery_app.tasks
    assert float(entry["schedule"]) <= 60.0  # fine enough for the default 5-minute interval
    assert "tickets.run_connector" in celery_app.tasks

    every_five = TicketConnectorFactory(name="jira-a")
    assert every_five.interval_seconds == 300
    hourly = TicketConnectorFactory(name="feed-b", kind=ConnectorKind.JSON_FEED, interval_seconds=3600)
    TicketConnectorFactory(name="jira-off", enabled=False)

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        first = dispatch_due_connectors(now=T)
    assert {SyncRun.objects.get(pk=pk).connector.name for pk in first} == {"feed-b", "jira-a"}
    assert len(enqueued) == 2
    assert all(SyncRun.objects.get(pk=pk).trigger == "schedule" for pk in first)
    assert dispatch_due_connectors(now=T + timedelta(minutes=1)) == []
    later = dispatch_due_connectors(now=T + timedelta(minutes=5))
    assert [SyncRun.objects.get(pk=pk).connector_id for pk in later] == [every_five.pk]
    every_five.refresh_from_db()
    hourly.refresh_from_db()
    assert every_five.next_run_at == T + timedelta(minutes=10)
    assert hourly.next_run_at == T + timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_sync_without_a_body_and_with_a_connector_name_runs_a_pull(
    fake_jira: FakeJira, waits, integrator_client: APIClient
) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    fake_jira.issues = [issue("OPS-1", T, description="Server MXQ2390RHW keeps rebooting.")]
    TicketConnectorFactory(name="jira-ops", base_url=fake_jira.url)

    response = integrator_client.post("/api/connectors/tickets/sync?connector=jira-ops")

    assert response.status_code == 202, response.content
    body = response.json()
    run = integrator_client.get(body["url"]).json()
    assert run["id"] == body["run_id"]
    # Without a broker the task ran in-process once the request's transaction committed.
    assert (run["status"], run["connector"], run["created"], run["trigger"]) == ("succeeded", "jira-ops", 1, "api")
    assert TimelineEvent.objects.filter(subject_id=server.pk, event_type="TICKET_LINKED").count() == 1


@pytest.mark.django_db
def test_triggering_an_unknown_or_disabled_connector(integrator_client: APIClient) -> None:
    assert_error_shape(integrator_client.post("/api/connectors/tickets/sync?connector=nope"), 404, "not_found")
    TicketConnectorFactory(name="off", enabled=False)
    assert_error_shape(integrator_client.post("/api/connectors/tickets/sync?connector=off"), 409, "connector_disabled")
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_json_feed_connector_pulls_the_push_shape_page_after_page(waits) -> None:
    seen: list[str] = []

    class Feed(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path.startswith("/feed?"):
                body = {
                    "tickets": [
                        {"external_id": "INC-1", "title": "node-17 down", "updated_at": "2026-03-02T08:00:00Z"}
                    ],
                    "next": "/feed/page2",
                }
            else:
                body = {"tickets": [{"external_id": "INC-2", "title": "ok", "updated_at": "2026-03-02T09:30:00Z"}]}
            raw = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(raw)

    node = AssetFactory(hostname="node-17.dc1.example.com")
    with serve(handler=Feed) as feed:
        config = TicketConnectorFactory(
            name="desk-feed", kind=ConnectorKind.JSON_FEED, base_url=f"{feed.url}/feed", cursor=T - timedelta(days=1)
        )
        run = run_connector(config.pk)
    assert (run.status, run.created) == ("succeeded", 2)
    assert seen == ["/feed?updated_since=2026-03-01T08%3A00%3A00%2B00%3A00", "/feed/page2"]
    assert run.cursor_after == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert Ticket.objects.get(external_id="INC-1").links.get().asset_id == node.pk
    assert set(Ticket.objects.values_list("source", flat=True)) == {"desk-feed"}
