"""The assets and components lists: search, the API's filters, sort, paging, htmx partials
that push their URL, and a query budget that does not grow with the rows."""

from __future__ import annotations

import pytest

from registry.choices import AssetStatus
from registry.models import Asset, Installation
from tests.factories import AssetFactory, LocationFactory, ProjectFactory
from tests.pages.conftest import htmx

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("servers", [1, 3])
def test_asset_list_page_budget(fleet, engineer_web, django_assert_num_queries, servers: int) -> None:
    fleet(servers=servers)
    with django_assert_num_queries(7):
        response = engineer_web.get("/assets/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('href="/assets/') >= servers
    assert "node-00.dc1.example.com" in html
    assert f"{servers} assets" in html


@pytest.mark.parametrize("servers", [1, 3])
def test_asset_list_partial_is_only_the_table(fleet, engineer_web, django_assert_num_queries, servers: int) -> None:
    fleet(servers=servers)
    with django_assert_num_queries(4):
        response = engineer_web.get("/assets/?q=node", **htmx("asset-table"))
    html = response.content.decode()
    assert "<html" not in html
    assert "<table>" in html
    assert "HX-Request" in response["Vary"]


def test_asset_list_search_finds_serial_hostname_tag_and_model(engineer_web) -> None:
    AssetFactory(vendor_serial_raw="abc123", vendor_serial="ABC123", hostname="web-7.example.com")
    AssetFactory(asset_tag="RN-77", model="ProLiant DL360")
    AssetFactory(hostname="db-1")
    for query, expected in [("abc1", "web-7"), ("web-7", "web-7"), ("rn-77", "RN-77"), ("proliant", "RN-77")]:
        html = engineer_web.get("/assets/", {"q": query}, **htmx("asset-table")).content.decode()
        assert expected in html, query
        assert "db-1" not in html, query


def test_asset_list_filters_by_status_project_location_vendor(engineer_web) -> None:
    project, location = ProjectFactory(), LocationFactory()
    AssetFactory(hostname="keep", status=AssetStatus.STOCK, project=project, location=location, vendor="HPE")
    AssetFactory(hostname="other-status", status=AssetStatus.DEPLOYED, project=project, location=location, vendor="HPE")
    AssetFactory(hostname="other-vendor", status=AssetStatus.STOCK, project=project, location=location, vendor="Dell")
    params = {"status": "stock", "project": project.pk, "location": location.pk, "vendor": "hpe"}
    html = engineer_web.get("/assets/", params).content.decode()
    assert ">keep<" in html
    assert "other-status" not in html
    assert "other-vendor" not in html
    assert "1 assets" in html


def test_asset_list_sorts_and_pages(engineer_web) -> None:
    for n in range(55):
        AssetFactory(hostname=f"host-{n:02d}")
    first = engineer_web.get("/assets/", {"sort": "-hostname"}).content.decode()
    assert first.index("host-54") < first.index("host-53")
    assert "page 1 of 2" in first
    second = engineer_web.get("/assets/", {"sort": "-hostname", "page": 2}, **htmx("asset-table")).content.decode()
    assert "host-04" in second
    assert "host-54" not in second
    # pager links keep the filter and sort
    assert "sort=-hostname" in first
    assert "page=2" in first


def test_asset_list_bad_filter_value_shows_the_error(engineer_web) -> None:
    response = engineer_web.get("/assets/", {"status": "lost"})
    assert response.status_code == 200
    assert "No assets match" in response.content.decode()
    assert "status" in response.content.decode()


@pytest.mark.parametrize("servers", [1, 3])
def test_component_list_budget(fleet, engineer_web, django_assert_num_queries, servers: int) -> None:
    fleet(servers=servers)
    with django_assert_num_queries(7):
        response = engineer_web.get("/components/")
    html = response.content.decode()
    assert "NV-0-0" in html
    assert "node-00.dc1.example.com" in html or "not installed" in html


def test_component_list_filters_class_vendor_lot_and_search(fleet, engineer_web) -> None:
    fleet(servers=2)
    html = engineer_web.get("/components/", {"component_class": "NVME"}, **htmx("component-table")).content.decode()
    assert "NV-0-0" in html
    assert "DM-0-0" not in html
    html = engineer_web.get("/components/", {"q": "dm-1"}, **htmx("component-table")).content.decode()
    assert "DM-1-0" in html
    assert "NV-0-0" not in html
    html = engineer_web.get("/components/", {"vendor": "acme", "component_class": "PSU"}).content.decode()
    assert "PS-0-0" in html
    assert "DM-0-0" not in html
    html = engineer_web.get("/components/", {"lot": "NO_SUCH_LOT"}).content.decode()
    assert "No components match" in html


def test_filtered_list_form_pushes_its_url(engineer_web) -> None:
    html = engineer_web.get("/assets/").content.decode()
    assert 'hx-push-url="true"' in html
    assert 'hx-target="#asset-table"' in html


def test_search_matches_the_start_of_a_field_not_its_middle(engineer_web) -> None:
    # Prefix matches are index ranges; a substring match would read every row (README, Pages).
    AssetFactory(vendor_serial_raw="abc123", vendor_serial="ABC123", hostname="web-7.example.com", model="R740")
    assert "web-7" in engineer_web.get("/assets/", {"q": "ABC"}, **htmx("asset-table")).content.decode()
    assert "web-7" not in engineer_web.get("/assets/", {"q": "bc12"}, **htmx("asset-table")).content.decode()
    assert "web-7" not in engineer_web.get("/assets/", {"q": "example"}, **htmx("asset-table")).content.decode()
    assert "web-7" in engineer_web.get("/assets/", {"q": "r74"}, **htmx("asset-table")).content.decode()


def test_search_treats_like_wildcards_as_text(engineer_web) -> None:
    AssetFactory(hostname="db-1")
    assert "db-1" not in engineer_web.get("/assets/", {"q": "%"}, **htmx("asset-table")).content.decode()
    assert "db-1" not in engineer_web.get("/assets/", {"q": "_b"}, **htmx("asset-table")).content.decode()


def test_long_lists_count_to_the_cap_and_refuse_unindexed_sorts(engineer_web, monkeypatch) -> None:
    monkeypatch.setattr("reanimator.pages.COUNT_CAP", 2)
    location_a, location_z = LocationFactory(name="A-hall"), LocationFactory(name="Z-hall")
    AssetFactory(hostname="h-1", location=location_z, status=AssetStatus.STOCK)
    AssetFactory(hostname="h-2", location=location_a, status=AssetStatus.STOCK)
    AssetFactory(hostname="h-3", location=location_a, status=AssetStatus.DEPLOYED)

    html = engineer_web.get("/assets/", {"sort": "location"}, **htmx("asset-table")).content.decode()
    assert "2+ assets" in html
    assert "sorting by location needs a list of at most 2 rows" in html
    assert html.index("h-1") < html.index("h-2")  # the default order (hostname) stayed

    html = engineer_web.get("/assets/", {"sort": "location", "status": "stock"}, **htmx("asset-table")).content.decode()
    assert "2 assets" in html
    assert "sorting by" not in html
    assert html.index("h-2") < html.index("h-1")  # A-hall before Z-hall

    html = engineer_web.get("/assets/", {"sort": "-updated"}, **htmx("asset-table")).content.decode()
    assert "sorting by" not in html  # an indexed sort applies to any length


def test_asset_list_parts_column_counts_active_installations(fleet, engineer_web) -> None:
    fleet(servers=1)
    html = engineer_web.get("/assets/", {"sort": "-parts"}, **htmx("asset-table")).content.decode()
    asset = Asset.objects.get()
    parts = Installation.objects.filter(asset=asset, removed_at__isnull=True).count()
    assert parts > 0
    assert f'<td class="num">{parts}</td>' in html
