"""Operators add and remove links in admin (the timeline follows, matching respects a
removal); connector tokens are write-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import AssetFactory, ProjectFactory
from tests.tickets.conftest import SECRET
from tests.tickets.factories import TicketConnectorFactory
from tickets.models import SyncRun, Ticket, TicketConnector, TicketLink
from tickets.services.sync import sync_tickets
from timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_web(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def item(updated_at: str, description: str = "Server MXQ2390RHW is down.") -> dict[str, str]:
    return {"external_id": "OPS-1", "title": "Outage", "description": description, "updated_at": updated_at}


def links_formset(ticket: Ticket, *, new: dict[str, str] | None = None, delete: int | None = None) -> dict[str, str]:
    existing = list(ticket.links.order_by("id"))
    data = {
        "links-TOTAL_FORMS": str(len(existing) + 1),
        "links-INITIAL_FORMS": str(len(existing)),
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
    }
    for index, link in enumerate(existing):
        data[f"links-{index}-id"] = str(link.pk)
        data[f"links-{index}-ticket"] = str(ticket.pk)
        if link.pk == delete:
            data[f"links-{index}-DELETE"] = "on"
    for name, value in (new or {}).items():
        data[f"links-{len(existing)}-{name}"] = value
    return data


def test_operator_adds_a_link_and_the_server_timeline_shows_it(operator_web: Client, operator) -> None:
    sync_tickets([item("2026-03-02T08:00:00Z", description="no serial here")], source="desk")
    ticket = Ticket.objects.get()
    server = AssetFactory(hostname="node-99")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    assert operator_web.get(url).status_code == 200

    response = operator_web.post(url, links_formset(ticket, new={"asset": str(server.pk)}))

    assert response.status_code == 302, response.content[:3000]
    link = TicketLink.objects.get()
    assert (link.asset_id, link.origin, link.created_by_id) == (server.pk, "manual", operator.pk)
    assert TimelineEvent.objects.filter(subject_id=server.pk, event_type="TICKET_LINKED").count() == 1


def test_a_link_with_two_targets_is_refused(operator_web: Client) -> None:
    sync_tickets([item("2026-03-02T08:00:00Z", description="")], source="desk")
    ticket = Ticket.objects.get()
    server, project = AssetFactory(), ProjectFactory()
    response = operator_web.post(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        links_formset(ticket, new={"asset": str(server.pk), "project": str(project.pk)}),
    )
    assert response.status_code == 200  # the page again, with the error
    assert b"exactly one project, asset or component" in response.content
    assert not TicketLink.objects.exists()


def test_operator_removes_a_matched_link_and_syncing_a_newer_version_does_not_bring_it_back(
    operator_web: Client,
) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    sync_tickets([item("2026-03-02T08:00:00Z")], source="desk")
    ticket = Ticket.objects.get()
    link = TicketLink.objects.get()
    assert link.origin == "matched"

    response = operator_web.post(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]), links_formset(ticket, delete=link.pk)
    )

    assert response.status_code == 302
    assert not TicketLink.objects.exists()
    assert not TimelineEvent.objects.filter(subject_id=server.pk, event_type="TICKET_LINKED").exists()
    ticket.refresh_from_db()
    assert ticket.dismissed_targets == [f"asset:{server.pk}"]

    result = sync_tickets([item("2026-03-02T09:00:00Z", description="MXQ2390RHW still down")], source="desk")
    assert result.updated == 1
    assert not TicketLink.objects.exists()


def test_connector_token_is_write_only_in_admin(operator_web: Client) -> None:
    connector = TicketConnectorFactory(name="jira-ops", secret=SECRET)
    url = reverse("admin:tickets_ticketconnector_change", args=[connector.pk])
    page = operator_web.get(url)
    assert page.status_code == 200
    assert SECRET.encode() not in page.content
    assert SECRET.encode() not in operator_web.get(reverse("admin:tickets_ticketconnector_changelist")).content

    form = {
        "name": "jira-ops",
        "kind": "jira",
        "enabled": "on",
        "source": "",
        "interval_seconds": "300",
        "base_url": "https://jira.example.com",
        "username": "bot@example.com",
        "secret": "",
        "time_zone": "UTC",
        "query": "project = OPS",
        "field_mapping": "{}",
        "page_size": "50",
    }
    assert operator_web.post(url, form).status_code == 302
    assert TicketConnector.objects.get().secret == SECRET  # empty keeps it
    assert operator_web.post(url, form | {"secret": "new-token"}).status_code == 302
    assert TicketConnector.objects.get().secret == "new-token"


def test_changelists_load(operator_web: Client) -> None:
    sync_tickets([item("2026-03-02T08:00:00Z")], source="desk")
    TicketConnectorFactory()
    for name in ("ticket", "ticketconnector", "syncrun"):
        assert operator_web.get(reverse(f"admin:tickets_{name}_changelist")).status_code == 200


def test_deleting_a_ticket_in_admin_removes_its_timeline_events(operator_web: Client) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    sync_tickets([item("2026-03-02T08:00:00Z")], source="desk")
    ticket = Ticket.objects.get()
    assert TimelineEvent.objects.filter(subject_id=server.pk, event_type="TICKET_LINKED").exists()
    response = operator_web.post(reverse("admin:tickets_ticket_delete", args=[ticket.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Ticket.objects.exists()
    assert not TimelineEvent.objects.filter(event_type="TICKET_LINKED").exists()


def test_run_now_action_queues_a_run_of_each_enabled_connector(
    operator_web: Client, django_capture_on_commit_callbacks
) -> None:
    on = TicketConnectorFactory(name="jira-on")
    off = TicketConnectorFactory(name="jira-off", enabled=False)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = operator_web.post(
            reverse("admin:tickets_ticketconnector_changelist"),
            {"action": "run_now", "_selected_action": [str(on.pk), str(off.pk)]},
        )
    assert response.status_code == 302
    assert [(run.connector_id, run.trigger, run.status) for run in SyncRun.objects.all()] == [
        (on.pk, "admin", "queued")
    ]
    assert len(enqueued) == 1
