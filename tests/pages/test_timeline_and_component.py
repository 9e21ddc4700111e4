"""The timeline panel (type filters, infinite scroll over keyset pages) and the component page."""

from __future__ import annotations

import re

import pytest

from tests.pages.conftest import htmx
from timeline import views as timeline_views

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    return re.findall(r'<span class="ev ev-([A-Z_]+)">', html)


@pytest.mark.parametrize("servers", [1, 3])
def test_timeline_partial_budget(fleet, engineer_web, django_assert_num_queries, servers) -> None:
    asset = fleet(servers=servers, parts=4 if servers == 1 else 8).first
    with django_assert_num_queries(6):
        response = engineer_web.get(f"/assets/{asset.pk}/timeline", **htmx())
    assert "<html" not in response.content.decode()
    assert _rows(response.content.decode())


def test_timeline_type_filter_keeps_only_those_types(fleet, engineer_web) -> None:
    asset = fleet(servers=3).first
    html = engineer_web.get(f"/assets/{asset.pk}/timeline", {"type": ["REMOVED", "FIRMWARE_CHANGED"]}, **htmx())
    types = set(_rows(html.content.decode()))
    assert types == {"REMOVED", "FIRMWARE_CHANGED"}


def test_timeline_infinite_scroll_walks_every_event_once(fleet, engineer_web, monkeypatch) -> None:
    monkeypatch.setattr(timeline_views, "PAGE_SIZE", 3)
    asset = fleet(servers=1, parts=6).first
    first = engineer_web.get(f"/assets/{asset.pk}/").content.decode()
    panel = first[first.index('id="timeline-rows"') :]
    seen = _rows(panel[: panel.index("</tbody>")])
    assert len(seen) == 3
    sentinel = re.search(r'<tr class="sentinel" hx-get="([^"]+)" hx-trigger="revealed"', panel)
    pages = 1
    while sentinel:
        html = engineer_web.get(sentinel.group(1).replace("&amp;", "&"), **htmx()).content.decode()
        seen += _rows(html)
        sentinel = re.search(r'<tr class="sentinel" hx-get="([^"]+)" hx-trigger="revealed"', html)
        pages += 1
    from timeline.models import TimelineEvent

    total = TimelineEvent.objects.filter(subject_type="asset", subject_id=asset.pk).count()
    assert len(seen) == total
    assert pages == -(-total // 3)


def test_timeline_next_page_keeps_the_type_filter(fleet, engineer_web, monkeypatch) -> None:
    monkeypatch.setattr(timeline_views, "PAGE_SIZE", 2)
    asset = fleet(servers=1, parts=6).first
    html = engineer_web.get(f"/assets/{asset.pk}/timeline", {"type": "INSTALLED"}, **htmx()).content.decode()
    assert "type=INSTALLED" in html
    assert "cursor=" in html


def test_timeline_without_javascript_is_a_page_with_an_older_link(fleet, engineer_web, monkeypatch) -> None:
    monkeypatch.setattr(timeline_views, "PAGE_SIZE", 2)
    asset = fleet(servers=1).first
    html = engineer_web.get(f"/assets/{asset.pk}/timeline").content.decode()
    assert "<html" in html
    assert "Older events" in html
    assert engineer_web.get(f"/assets/{asset.pk}/timeline", {"cursor": "garbage"}).status_code == 200


@pytest.mark.parametrize("servers", [1, 3])
def test_component_page_budget(fleet, engineer_web, django_assert_num_queries, servers) -> None:
    component = fleet(servers=servers).component("NV-0-0")
    with django_assert_num_queries(9):
        response = engineer_web.get(f"/components/{component.pk}/")
    assert response.status_code == 200


def test_component_page_shows_every_server_with_windows_firmware_health_and_tickets(fleet, engineer_web) -> None:
    f = fleet(servers=3)
    component = f.component("NV-1-0")  # node-01, then moved to node-00
    html = engineer_web.get(f"/components/{component.pk}/").content.decode()
    stays = html[html.index('id="installations"') : html.index('id="firmware"')]
    assert "node-01.dc1.example.com" in stays
    assert "node-00.dc1.example.com" in stays
    assert "installed now" in stays
    assert 'datetime="2026-03-02T10:01:00Z"' in stays  # still in node-01 then
    assert 'datetime="2026-03-09T10:00:00Z"' in stays  # in node-00 by then
    firmware = html[html.index('id="firmware"') : html.index('id="tickets"')]
    assert "FW1" in firmware
    assert "FW2" in firmware
    health = html[html.index('id="health"') : html.index('id="installations"')]
    assert "3 observations" in health
    assert "<polyline" in health  # temperature trend
    tickets = html[html.index('id="tickets"') : html.index('id="timeline"')]
    assert "OPS-1" in tickets
    timeline = html[html.index('id="timeline"') :]
    assert "MOVED" in timeline
    assert "FIRST_SEEN" in timeline


def test_component_timeline_partial(fleet, engineer_web) -> None:
    component = fleet(servers=3).component("NV-1-0")
    html = engineer_web.get(f"/components/{component.pk}/timeline", {"type": "MOVED"}, **htmx()).content.decode()
    assert set(_rows(html)) == {"MOVED"}
    assert "node-01.dc1.example.com" in html
    assert "node-00.dc1.example.com" in html
