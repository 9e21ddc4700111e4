"""Signing in and out, every page behind a login, and the dashboard."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from reanimator.dashboard import FLEET_COUNTS_KEY, latest_events
from tests.factories import UserFactory
from timeline.choices import EventType, SubjectType
from timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/assets/",
    "/components/",
    "/ingest/",
    "/ingest/bundles/",
    "/tickets/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitor_is_sent_to_the_login_page(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_login_page_signs_in_and_lands_on_the_dashboard() -> None:
    UserFactory(username="erin")
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="username"' in page.content
    response = client.post("/accounts/login/", {"username": "erin", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_shows_an_error() -> None:
    UserFactory(username="erin")
    response = Client().post("/accounts/login/", {"username": "erin", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_sign_out_is_a_post_and_ends_the_session(engineer_web) -> None:
    response = engineer_web.post("/accounts/logout/")
    assert response.status_code == 302
    assert engineer_web.get("/").status_code == 302


def test_operators_get_links_into_admin_engineers_do_not(operator_web, engineer_web) -> None:
    assert reverse("admin:index").encode() in operator_web.get("/").content
    assert b'class="admin-link"' not in engineer_web.get("/").content


@pytest.mark.parametrize("servers", [1, 3])
def test_dashboard_shows_the_fleet_in_a_fixed_number_of_queries(
    fleet, engineer_web, django_assert_num_queries, servers: int
) -> None:
    fleet(servers=servers)
    with django_assert_num_queries(13):
        response = engineer_web.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{servers} servers" in html
    assert "Recent movements" in html
    assert "Recent firmware changes" in html
    assert "BIOS" in html  # 1.0 -> 1.1 on every server
    assert "OPS-0" in html  # open tickets
    assert "PFW1" in html
    assert "PFW2" in html


def test_dashboard_lists_recent_failed_bundles(ingest, engineer_web) -> None:
    bundle = ingest(b'{"format": "reanimator-inventory", "version": 1, "components": []}', filename="bad.json")
    assert bundle.status == "failed"
    html = engineer_web.get("/").content.decode()
    assert "bad.json" in html
    assert bundle.error_code in html


def test_times_are_time_elements_in_utc_with_utc_on_hover(fleet, engineer_web) -> None:
    fleet(servers=1)
    html = engineer_web.get("/").content.decode()
    assert '<time datetime="2026-03-16T10:00:00Z" title="2026-03-16 10:00:00 UTC"' in html


def test_dashboard_caches_its_fleet_counts_for_a_minute(fleet, engineer_web, django_assert_num_queries) -> None:
    fleet(servers=1)
    engineer_web.get("/")
    # the three GROUP BY counts come from the cache now; the rest of the page is read again
    with django_assert_num_queries(10):
        html = engineer_web.get("/").content.decode()
    assert "1 servers" in html
    fleet(servers=3)
    assert "1 servers" in engineer_web.get("/").content.decode()  # at most FLEET_COUNTS_SECONDS behind
    cache.delete(FLEET_COUNTS_KEY)
    assert "3 servers" in engineer_web.get("/").content.decode()


def test_dashboard_recent_movements_merge_moves_and_removals_newest_first(db) -> None:
    from datetime import UTC, datetime, timedelta

    from timeline.choices import EVENT_TYPE_ORDER

    start = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = [EventType.MOVED, EventType.REMOVED, EventType.REMOVED, EventType.MOVED, EventType.REMOVED]
    for n, kind in enumerate(kinds):
        for subject_type in (SubjectType.COMPONENT, SubjectType.ASSET):
            TimelineEvent.objects.create(
                subject_type=subject_type,
                subject_id=n + 1,
                timestamp=start + timedelta(days=n),
                event_type=kind,
                type_order=EVENT_TYPE_ORDER[kind],
                source="bundle",
                natural_key=f"k{n}{subject_type}",
                origin="test",
            )
    TimelineEvent.objects.create(
        subject_type=SubjectType.COMPONENT,
        subject_id=99,
        timestamp=start + timedelta(days=9),
        event_type=EventType.INSTALLED,
        type_order=EVENT_TYPE_ORDER[EventType.INSTALLED],
        source="bundle",
        natural_key="installed",
        origin="test",
    )
    rows = latest_events([EventType.MOVED, EventType.REMOVED], limit=3, subject_type=SubjectType.COMPONENT)
    assert [(e.subject_id, e.event_type) for e in rows] == [
        (5, EventType.REMOVED),
        (4, EventType.MOVED),
        (3, EventType.REMOVED),
    ]
