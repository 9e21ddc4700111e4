"""History endpoints: timeline paging, filters, as-of, installations."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ingest.models import LogBundle
from registry.models import Asset, Component
from tests.api_base import assert_error_shape
from tests.factories import AssetFactory
from tests.ingest.bundles import inventory, part
from timeline.choices import EVENT_TYPE_ORDER
from timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db
Ingest = Callable[..., LogBundle]
T1, T2, T3 = (datetime(2026, 3, day, 10, 0, tzinfo=UTC) for day in (1, 2, 3))


def add_note(asset: Asset, when: datetime, n: int) -> TimelineEvent:
    return TimelineEvent.objects.create(
        subject_type="asset",
        subject_id=asset.pk,
        timestamp=when,
        event_type="NOTE",
        type_order=EVENT_TYPE_ORDER["NOTE"],
        payload={"note": f"n{n}"},
        source="user",
        natural_key=hashlib.sha256(f"test-{asset.pk}-{n}".encode()).hexdigest(),
        origin="test",
    )


def page_through(client: APIClient, url: str, on_page: Callable[[int], None] | None = None) -> list[int]:
    seen: list[int] = []
    page = 0
    while url:
        body = client.get(url).json()
        seen.extend(row["id"] for row in body["results"])
        url = body["next"]
        if on_page:
            on_page(page)
        page += 1
    return seen


def test_timeline_lists_events_in_order(engineer_client: APIClient, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1")]))
    ingest(inventory("SRV-A", T2, [part("DIMM", "D-1")]))
    asset = Asset.objects.get()
    body = engineer_client.get(f"/api/assets/{asset.pk}/timeline").json()
    keys = [(row["timestamp"], EVENT_TYPE_ORDER[row["event_type"]], row["id"]) for row in body["results"]]
    assert keys == sorted(keys)
    assert [row["event_type"] for row in body["results"]][:2] == ["LOG_COLLECTED", "INSTALLED"]
    assert body["next"] is None


def test_component_timeline_and_type_filter(engineer_client: APIClient, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1", firmware="A")]))
    ingest(inventory("SRV-B", T2, [part("SSD", "SSD-1", firmware="B")]))
    component = Component.objects.get()
    body = engineer_client.get(
        f"/api/components/{component.pk}/timeline", {"type": ["MOVED", "FIRMWARE_CHANGED"]}
    ).json()
    assert sorted(row["event_type"] for row in body["results"]) == ["FIRMWARE_CHANGED", "MOVED"]


def test_time_range_and_descending_order(engineer_client: APIClient) -> None:
    asset = AssetFactory()
    for n in range(6):
        add_note(asset, T1 + timedelta(hours=n), n)
    body = engineer_client.get(
        f"/api/assets/{asset.pk}/timeline",
        {
            "since": (T1 + timedelta(hours=1)).isoformat(),
            "until": (T1 + timedelta(hours=4)).isoformat(),
            "order": "desc",
        },
    ).json()
    assert [row["payload"]["note"] for row in body["results"]] == ["n3", "n2", "n1"]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_paging_while_events_arrive_sees_each_event_once(engineer_client: APIClient, order: str) -> None:
    asset = AssetFactory()
    for n in range(25):
        add_note(asset, T1 + timedelta(minutes=n % 7), n)  # many share a timestamp
    existing = set(TimelineEvent.objects.values_list("pk", flat=True))

    def insert_more(page: int) -> None:
        add_note(asset, T1 + timedelta(minutes=page % 7), 1000 + page)

    seen = page_through(engineer_client, f"/api/assets/{asset.pk}/timeline?page_size=4&order={order}", insert_more)
    assert len(seen) == len(set(seen)), "an event was repeated"
    assert existing <= set(seen), "an event that existed before paging started was skipped"


def test_bad_inputs_are_400(engineer_client: APIClient) -> None:
    asset = AssetFactory()
    url = f"/api/assets/{asset.pk}/timeline"
    assert "cursor" in assert_error_shape(engineer_client.get(url, {"cursor": "garbage!"}), 400)["errors"]
    assert "type" in assert_error_shape(engineer_client.get(url, {"type": "EXPLODED"}), 400)["errors"]
    assert "since" in assert_error_shape(engineer_client.get(url, {"since": "yesterday"}), 400)["errors"]
    assert "order" in assert_error_shape(engineer_client.get(url, {"order": "sideways"}), 400)["errors"]


def test_unknown_subject_is_404_and_anonymous_401(engineer_client: APIClient, anonymous_client: APIClient) -> None:
    assert_error_shape(engineer_client.get("/api/assets/999999/timeline"), 404, "not_found")
    assert_error_shape(engineer_client.get("/api/components/999999/installations"), 404, "not_found")
    asset = AssetFactory()
    assert_error_shape(anonymous_client.get(f"/api/assets/{asset.pk}/timeline"), 401)


def test_timeline_query_count_does_not_grow_with_events(engineer_client: APIClient) -> None:
    asset = AssetFactory()
    add_note(asset, T1, 0)
    url = f"/api/assets/{asset.pk}/timeline"
    engineer_client.get(url)
    with CaptureQueriesContext(connection) as few:
        engineer_client.get(url)
    for n in range(1, 40):
        add_note(asset, T1, n)
    with CaptureQueriesContext(connection) as many:
        engineer_client.get(url)
    assert len(many) == len(few)


def test_as_of_answers_what_was_in_the_server_that_day(engineer_client: APIClient, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1"), part("SSD", "SSD-2")]))
    ingest(inventory("SRV-A", T3, [part("SSD", "SSD-1")]))
    asset = Asset.objects.get()
    url = f"/api/assets/{asset.pk}/components"

    def serials(moment: datetime) -> dict[str, bool]:
        body = engineer_client.get(url, {"as_of": moment.isoformat()}).json()
        return {row["serial"]: row["certain"] for row in body["results"]}

    assert serials(T1 - timedelta(days=1)) == {}
    assert serials(T1) == {"SSD-1": True, "SSD-2": True}
    assert serials(T2) == {"SSD-1": True, "SSD-2": False}  # inside SSD-2's removal window (T1, T3]
    assert serials(T3) == {"SSD-1": True}
    now = engineer_client.get(url).json()
    assert [row["serial"] for row in now["results"]] == ["SSD-1"]


def test_component_installations_with_windows(engineer_client: APIClient, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1")]))
    ingest(inventory("SRV-B", T3, [part("SSD", "SSD-1")]))
    component = Component.objects.get()
    rows = engineer_client.get(f"/api/components/{component.pk}/installations").json()["results"]
    assert [(row["asset_serial"], row["active"]) for row in rows] == [("SRV-A", False), ("SRV-B", True)]
    assert rows[0]["removal_window"] == {"after": "2026-03-01T10:00:00Z", "by": "2026-03-03T10:00:00Z"}
    assert rows[1]["removal_window"] is None
