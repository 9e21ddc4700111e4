"""The server card: the hardware in it now, movements with removal windows, firmware
history, linked tickets, bundles, the as-of picker and the timeline with type filters and
keyset pages. Fleet of three: at the second snapshot each server has its neighbour's NVMe
drive: node-00 gains NV-1-0 (moved from node-01) and loses NV-0-0 (a removal: node-02 has it
only later)."""

from __future__ import annotations

import re

import pytest

from tests.pages.conftest import htmx

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("servers", [1, 3])
def test_server_card_budget(fleet, engineer_web, django_assert_num_queries, servers: int) -> None:
    asset = fleet(servers=servers, parts=4 if servers == 1 else 9).first
    # 17: the tickets panel reads the parts' ids before the links (an index merge, not a scan)
    with django_assert_num_queries(17):
        response = engineer_web.get(f"/assets/{asset.pk}/")
    assert response.status_code == 200


def test_server_card_shows_current_hardware_grouped_with_firmware_lot_and_health(fleet, engineer_web) -> None:
    asset = fleet(servers=3, parts=5).first
    html = engineer_web.get(f"/assets/{asset.pk}/").content.decode()
    assert "Hardware now" in html
    assert "NVMe drive" in html
    assert "Memory module" in html
    assert "NV-1-0" in html  # the drive it has now
    parts = html[html.index('id="parts-panel"') : html.index('id="movements"')]
    assert "NV-0-0" not in parts  # the one it lost
    assert "FW2" in parts
    assert "PFW2" in parts
    assert "badge-bad" in parts  # NV-1-0's last SMART verdict failed
    assert "300 h" in parts  # its power-on hours
    assert "5 parts" in parts


def _movements(html: str) -> str:
    return html[html.index('id="movements"') : html.index('id="firmware"')]


def test_server_card_movements_show_moves_and_the_removal_window(fleet, engineer_web) -> None:
    f = fleet(servers=3)
    movements = _movements(engineer_web.get(f"/assets/{f.assets[0].pk}/").content.decode())
    assert "MOVED IN" in movements
    assert "node-01.dc1.example.com" in movements  # NV-1-0 came from there
    assert "REMOVED" in movements  # NV-0-0
    # the removal is a window: last seen at T1, gone by T2
    assert 'datetime="2026-03-02T10:00:00Z"' in movements
    assert 'datetime="2026-03-09T10:00:00Z"' in movements
    assert "parts were present at the first log collection" in movements
    # node-01 lost NV-1-0 to node-00 and took NV-2-0 from node-02
    movements = _movements(engineer_web.get(f"/assets/{f.assets[1].pk}/").content.decode())
    assert "MOVED OUT" in movements
    assert "MOVED IN" in movements
    assert "node-00.dc1.example.com" in movements
    assert "node-02.dc1.example.com" in movements


def test_server_card_firmware_history_has_bios_and_part_firmware(fleet, engineer_web) -> None:
    asset = fleet(servers=1).first
    html = engineer_web.get(f"/assets/{asset.pk}/").content.decode()
    firmware = html[html.index('id="firmware"') : html.index('id="tickets"')]
    assert "BIOS" in firmware
    assert "1.0" in firmware
    assert "1.1" in firmware
    assert "PFW1" in firmware
    assert "PFW2" in firmware


def test_server_card_lists_linked_tickets_and_bundles(fleet, engineer_web) -> None:
    f = fleet(servers=3)
    html = engineer_web.get(f"/assets/{f.first.pk}/").content.decode()
    tickets = html[html.index('id="tickets"') : html.index('id="bundles"')]
    assert "OPS-0" in tickets
    assert "Drive trouble in node-00" in tickets
    assert "this server" in tickets
    assert "NV-0-0" in tickets  # also linked through the part that was in it
    bundles = html[html.index('id="bundles"') : html.index('id="timeline"')]
    assert bundles.count("badge-ok") == 3


def test_server_card_for_an_operator_links_to_admin(fleet, operator_web, engineer_web) -> None:
    asset = fleet(servers=1).first
    assert f"/admin/registry/asset/{asset.pk}/change/" in operator_web.get(f"/assets/{asset.pk}/").content.decode()
    assert f"/admin/registry/asset/{asset.pk}/change/" not in engineer_web.get(f"/assets/{asset.pk}/").content.decode()


def test_unknown_asset_is_404(engineer_web) -> None:
    assert engineer_web.get("/assets/999999/").status_code == 404


@pytest.mark.parametrize("servers", [1, 3])
def test_as_of_partial_shows_the_server_on_that_day(fleet, engineer_web, django_assert_num_queries, servers) -> None:
    asset = fleet(servers=servers).first
    with django_assert_num_queries(4):
        response = engineer_web.get(f"/assets/{asset.pk}/", {"as_of": "2026-03-05"}, **htmx("parts-panel"))
    html = response.content.decode()
    assert "<html" not in html
    assert "Hardware on 2026-03-05" in html
    assert "NV-0-0" in html  # still there, as far as anyone knows
    assert "FW1" in html  # with the firmware it had then
    if servers == 3:
        # inside its removal window (last seen 03-02, gone by 03-09): maybe already out
        row = re.search(r"<tr class=\"uncertain\">.*?</tr>", html, re.S)
        assert row is not None
        assert "NV-0-0" in row.group(0)
        assert "maybe" in row.group(0)


def test_as_of_after_the_swap_and_before_the_first_log(fleet, engineer_web) -> None:
    asset = fleet(servers=3).first
    later = engineer_web.get(f"/assets/{asset.pk}/", {"as_of": "2026-03-20"}, **htmx("parts-panel")).content.decode()
    assert "NV-1-0" in later
    assert "NV-0-0" not in later
    assert 'class="uncertain"' not in later  # installed now: certain
    before = engineer_web.get(f"/assets/{asset.pk}/", {"as_of": "2026-01-01"}, **htmx("parts-panel")).content.decode()
    assert "Nothing was known to be in this server then" in before


def test_as_of_without_javascript_renders_the_whole_card(fleet, engineer_web) -> None:
    asset = fleet(servers=1).first
    response = engineer_web.get(f"/assets/{asset.pk}/", {"as_of": "2026-03-05"})
    html = response.content.decode()
    assert "<html" in html
    assert "Hardware on 2026-03-05" in html
    assert 'id="timeline"' in html


def test_as_of_bad_date_says_so(fleet, engineer_web) -> None:
    asset = fleet(servers=1).first
    html = engineer_web.get(f"/assets/{asset.pk}/", {"as_of": "yesterday"}, **htmx("parts-panel")).content.decode()
    assert "is not a date" in html
    assert "Hardware now" in html


@pytest.mark.parametrize("servers", [1, 3])
def test_server_card_as_of_page_has_the_same_budget(fleet, engineer_web, django_assert_num_queries, servers) -> None:
    asset = fleet(servers=servers).first
    with django_assert_num_queries(17):
        response = engineer_web.get(f"/assets/{asset.pk}/", {"as_of": "2026-03-05"})
    assert "Hardware on 2026-03-05" in response.content.decode()
