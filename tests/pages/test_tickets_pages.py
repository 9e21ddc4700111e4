"""The tickets list and one ticket with its links."""

from __future__ import annotations

import pytest

from tests.pages.conftest import htmx
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("servers", [1, 3])
def test_ticket_list_budget_and_links(fleet, engineer_web, django_assert_num_queries, servers) -> None:
    fleet(servers=servers)
    with django_assert_num_queries(6):
        response = engineer_web.get("/tickets/")
    html = response.content.decode()
    assert html.count('href="/tickets/') >= servers
    assert "node-00.dc1.example.com" in html
    assert "NV-0-0" in html


def test_ticket_list_filters_by_status_and_search(fleet, engineer_web) -> None:
    fleet(servers=3)
    Ticket.objects.filter(external_id="OPS-1").update(status="closed")
    html = engineer_web.get("/tickets/", {"status": "open"}, **htmx("ticket-table")).content.decode()
    assert "OPS-0" in html
    assert "OPS-1" not in html
    html = engineer_web.get("/tickets/", {"q": "node-02"}, **htmx("ticket-table")).content.decode()
    assert "OPS-2" in html
    assert "OPS-0" not in html


@pytest.mark.parametrize("servers", [1, 3])
def test_ticket_detail_shows_its_links(fleet, engineer_web, django_assert_num_queries, servers) -> None:
    fleet(servers=servers)
    ticket = Ticket.objects.get(external_id="OPS-0")
    with django_assert_num_queries(4):
        html = engineer_web.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Drive trouble in node-00" in html
    assert "Matched by Reanimator" in html
    assert "node-00.dc1.example.com" in html
    assert "NV-0-0" in html


def test_ticket_linked_event_is_on_the_timeline(fleet, engineer_web) -> None:
    asset = fleet(servers=1).first
    html = engineer_web.get(f"/assets/{asset.pk}/timeline", {"type": "TICKET_LINKED"}, **htmx()).content.decode()
    assert "OPS-0" in html
