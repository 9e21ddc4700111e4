"""One pull run through a real Celery worker over real Redis: the API queues it, the worker
pulls from the (local) Jira, the ticket appears linked on the server's timeline."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from celery.contrib.testing.worker import start_worker
from rest_framework.test import APIClient

from reanimator.celery import app as celery_app
from tests.celery_support import wait_for
from tests.factories import AssetFactory
from tests.tickets.conftest import SECRET
from tests.tickets.factories import TicketConnectorFactory
from tests.tickets.fake_jira import FakeJira, issue
from tickets.models import SyncRun
from timeline.models import TimelineEvent

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pull_triggered_through_the_api_runs_in_a_real_worker(
    integrator_client: APIClient, celery_over_redis: None, fake_jira: FakeJira, waits
) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    fake_jira.issues = [issue("OPS-77", T, summary="PSU alarm", description="Chassis MXQ2390RHW: PSU 2 failed.")]
    TicketConnectorFactory(name="jira-ops", base_url=fake_jira.url, secret=SECRET)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        response = integrator_client.post("/api/connectors/tickets/sync?connector=jira-ops")
        assert response.status_code == 202, response.content
        run_id = response.json()["run_id"]
        assert response.json()["status"] == "queued"  # the request did not pull
        assert wait_for(lambda: SyncRun.objects.get(pk=run_id).status not in {"queued", "running"})

    run = SyncRun.objects.get(pk=run_id)
    assert (run.status, run.created, run.error) == ("succeeded", 1, "")
    event = TimelineEvent.objects.get(subject_type="asset", subject_id=server.pk, event_type="TICKET_LINKED")
    assert event.payload["external_id"] == "OPS-77"
