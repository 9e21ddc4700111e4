"""POST /api/connectors/tickets/sync with a batch: idempotent upsert, moving forward only,
per-item errors, links and their timeline events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api_base import assert_error_shape
from tests.factories import AssetFactory, ComponentFactory
from tickets.models import SyncRun, Ticket, TicketLink
from tickets.services.queries import linked_tickets
from tickets.services.sync import sync_tickets
from timeline.choices import EventType
from timeline.models import TimelineEvent
from timeline.services.rederive import rederive_assets

pytestmark = pytest.mark.django_db
URL = "/api/connectors/tickets/sync"
T1 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def item(external_id: str = "OPS-1", *, updated_at: str = "2026-03-02T08:00:00Z", **extra: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "title": "Server MXQ2390RHW does not POST",
        "description": "After the BIOS update MXQ2390RHW stays at a black screen.",
        "status": "open",
        "priority": "P2",
        "category": "hardware",
        "opened_at": "2026-03-02T07:55:00Z",
        "updated_at": updated_at,
        "url": f"https://desk.example.com/{external_id}",
        "reporter": "Dana Ops",
        **extra,
    }


def push(client: APIClient, tickets: list[Any], source: str = "servicedesk") -> dict[str, Any]:
    response = client.post(URL, {"source": source, "tickets": tickets}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def counts(body: dict[str, Any]) -> tuple[int, int, int, int]:
    return body["created"], body["updated"], body["unchanged"], body["rejected"]


def test_pushed_ticket_naming_a_serial_appears_linked_on_the_server_timeline(integrator_client: APIClient) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    body = push(integrator_client, [item()])
    assert counts(body) == (1, 0, 0, 0)
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.external_id, ticket.priority) == ("servicedesk", "OPS-1", "P2")
    assert ticket.raw["reporter"] == "Dana Ops"
    timeline = integrator_client.get(f"/api/assets/{server.pk}/timeline").json()["results"]
    assert [(e["event_type"], e["payload"]["external_id"], e["source"]) for e in timeline] == [
        (EventType.TICKET_LINKED, "OPS-1", "ticket")
    ]
    assert timeline[0]["timestamp"] == "2026-03-02T07:55:00Z"
    assert SyncRun.objects.get(pk=body["run_id"]).created == 1


def test_the_same_batch_twice_changes_nothing(integrator_client: APIClient) -> None:
    AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    batch = [item("OPS-1"), item("OPS-2", title="Noise", description="nothing to see")]
    assert counts(push(integrator_client, batch)) == (2, 0, 0, 0)
    before = (
        list(Ticket.objects.values_list("pk", "synced_at")),
        list(TicketLink.objects.values_list("pk", flat=True)),
        list(TimelineEvent.objects.values_list("pk", "natural_key")),
    )
    assert counts(push(integrator_client, batch)) == (0, 0, 2, 0)
    after = (
        list(Ticket.objects.values_list("pk", "synced_at")),
        list(TicketLink.objects.values_list("pk", flat=True)),
        list(TimelineEvent.objects.values_list("pk", "natural_key")),
    )
    assert after == before


def test_an_older_update_changes_nothing_and_a_newer_one_moves_the_ticket_forward(
    integrator_client: APIClient,
) -> None:
    push(integrator_client, [item(updated_at="2026-03-02T10:00:00Z", status="in_progress")])
    stale = push(integrator_client, [item(updated_at="2026-03-02T09:00:00Z", status="closed", title="old")])
    assert counts(stale) == (0, 0, 1, 0)
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.title) == ("in_progress", "Server MXQ2390RHW does not POST")
    newer = push(integrator_client, [item(updated_at="2026-03-02T11:00:00Z", status="closed")])
    assert counts(newer) == (0, 1, 0, 0)
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.updated_at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def test_out_of_order_versions_in_one_batch_keep_the_newest() -> None:
    versions = [
        item(updated_at="2026-03-02T12:00:00Z", title="third"),
        item(updated_at="2026-03-02T10:00:00Z", title="first"),
        item(updated_at="2026-03-02T11:00:00Z", title="second"),
    ]
    result = sync_tickets(versions, source="servicedesk")
    assert (result.created, result.updated, result.unchanged) == (1, 0, 2)
    assert Ticket.objects.get().title == "third"


def test_bad_items_are_rejected_one_by_one_and_the_rest_is_stored(integrator_client: APIClient) -> None:
    body = push(
        integrator_client,
        [
            item("OPS-1"),
            {"external_id": "OPS-2", "title": "no time"},
            item("OPS-3", status="resolved-ish"),
            "not an object",
            item("OPS-5"),
        ],
    )
    assert counts(body) == (2, 0, 0, 3)
    assert [(e["index"], e["external_id"], sorted(e["errors"])) for e in body["errors"]] == [
        (1, "OPS-2", ["updated_at"]),
        (2, "OPS-3", ["status"]),
        (3, None, ["non_field_errors"]),
    ]
    assert set(Ticket.objects.values_list("external_id", flat=True)) == {"OPS-1", "OPS-5"}


def test_a_malformed_batch_is_a_400_in_the_error_shape(integrator_client: APIClient) -> None:
    response = integrator_client.post(URL, {"source": "bad source!", "tickets": "x"}, format="json")
    body = assert_error_shape(response, 400, "validation_error")
    assert set(body["errors"]) == {"source", "tickets"}
    assert not Ticket.objects.exists()


def test_engineers_cannot_push_and_anonymous_visitors_get_401(
    engineer_client: APIClient, anonymous_client: APIClient
) -> None:
    assert_error_shape(engineer_client.post(URL, {"source": "s", "tickets": []}, format="json"), 403)
    assert_error_shape(anonymous_client.post(URL, {"source": "s", "tickets": []}, format="json"), 401)


def test_explicit_references_link_with_origin_explicit(integrator_client: APIClient) -> None:
    drive = ComponentFactory(serial_raw="S4EXNA0M777", serial="S4EXNA0M777")
    push(
        integrator_client,
        [item(title="Disk failure", description="see fields", references={"serials": ["s4exna0m777"]})],
    )
    link = TicketLink.objects.get()
    assert (link.component_id, link.origin, link.matched_text) == (drive.pk, "explicit", "s4exna0m777")
    assert TimelineEvent.objects.filter(subject_type="component", subject_id=drive.pk).count() == 1


def test_an_update_that_no_longer_names_a_server_drops_the_matched_link_and_its_event(
    integrator_client: APIClient,
) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    other = AssetFactory(hostname="node-42.dc1.example.com")
    push(integrator_client, [item()])
    push(
        integrator_client,
        [item(updated_at="2026-03-02T09:00:00Z", title="Wrong box", description="It was node-42 after all.")],
    )
    assert [link.asset_id for link in TicketLink.objects.all()] == [other.pk]
    assert not TimelineEvent.objects.filter(subject_type="asset", subject_id=server.pk).exists()
    assert TimelineEvent.objects.filter(subject_type="asset", subject_id=other.pk).count() == 1


def test_rederiving_the_server_keeps_its_ticket_events(integrator_client: APIClient) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    push(integrator_client, [item()])
    list(rederive_assets([server.pk]))
    assert TimelineEvent.objects.filter(subject_id=server.pk, event_type=EventType.TICKET_LINKED).count() == 1


def test_tickets_api_lists_with_filters_and_per_subject_endpoints(engineer_client: APIClient) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    drive = ComponentFactory(serial_raw="S4EXNA0M555", serial="S4EXNA0M555")
    sync_tickets(
        [
            item("OPS-1"),
            item("OPS-2", title="Drive S4EXNA0M555 failed", description="", status="closed"),
            item("OPS-3", title="Printer jam", description="", updated_at="2026-03-05T00:00:00Z"),
        ],
        source="servicedesk",
    )
    sync_tickets([item("INC-9", title="other desk", description="")], source="otherdesk")

    def ids(params: dict[str, str]) -> list[str]:
        response = engineer_client.get(reverse("ticket-list"), params)
        assert response.status_code == 200, response.content
        return sorted(row["external_id"] for row in response.json()["results"])

    assert ids({}) == ["INC-9", "OPS-1", "OPS-2", "OPS-3"]
    assert ids({"status": "closed"}) == ["OPS-2"]
    assert ids({"source": "otherdesk"}) == ["INC-9"]
    assert ids({"asset": str(server.pk)}) == ["OPS-1"]
    assert ids({"component": str(drive.pk)}) == ["OPS-2"]
    assert ids({"updated_since": "2026-03-04T00:00:00Z"}) == ["OPS-3"]

    on_server = engineer_client.get(f"/api/assets/{server.pk}/tickets").json()["results"]
    assert [(t["external_id"], t["links"][0]["target_type"], t["links"][0]["origin"]) for t in on_server] == [
        ("OPS-1", "asset", "matched")
    ]
    on_drive = engineer_client.get(f"/api/components/{drive.pk}/tickets").json()["results"]
    assert [t["external_id"] for t in on_drive] == ["OPS-2"]
    assert_error_shape(engineer_client.get("/api/assets/987654/tickets"), 404, "not_found")


def test_ticket_list_query_count_does_not_grow_with_rows(engineer_client: APIClient) -> None:
    AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    sync_tickets([item(f"OPS-{n}") for n in range(2)], source="servicedesk")
    engineer_client.get(reverse("ticket-list"))
    with CaptureQueriesContext(connection) as few:
        engineer_client.get(reverse("ticket-list"))
    sync_tickets([item(f"OPS-{n}") for n in range(2, 12)], source="servicedesk")
    with CaptureQueriesContext(connection) as many:
        assert len(engineer_client.get(reverse("ticket-list")).json()["results"]) == 12
    assert len(many) == len(few)


def test_the_push_shape_is_in_the_openapi_schema(engineer_client: APIClient) -> None:
    response = engineer_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/connectors/tickets/sync/"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/TicketBatchRequest")
    item = schema["components"]["schemas"]["TicketItemRequest"]
    assert set(item["required"]) == {"external_id", "title", "updated_at"}
    assert {"200", "202"} <= set(operation["responses"])
    assert "/api/assets/{id}/tickets/" in schema["paths"]


def test_linked_tickets_for_a_server_card_newest_first_in_two_queries(django_assert_num_queries) -> None:
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    sync_tickets(
        [item("OPS-1", updated_at="2026-03-02T08:00:00Z"), item("OPS-2", updated_at="2026-03-03T08:00:00Z")],
        source="servicedesk",
    )
    with django_assert_num_queries(2):
        rows = [(t.external_id, [link.origin for link in t.links.all()]) for t in linked_tickets(asset_id=server.pk)]
    assert rows == [("OPS-2", ["matched"]), ("OPS-1", ["matched"])]
