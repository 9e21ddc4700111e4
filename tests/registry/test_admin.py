"""Every admin changelist, add and change page renders for an operator, with a bounded
number of queries; admin actions call the services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.choices import AssetStatus, ComponentClass
from registry.models import Asset
from tests.factories import (
    AssetFactory,
    ComponentFactory,
    CustomerFactory,
    InstallationFactory,
    LocationFactory,
    LotFactory,
    LotRuleFactory,
    PlaceholderSerialFactory,
    ProjectFactory,
    UserFactory,
    VendorAliasFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {
    "customer": CustomerFactory,
    "project": ProjectFactory,
    "location": LocationFactory,
    "asset": AssetFactory,
    "component": ComponentFactory,
    "lot": LotFactory,
    "lotrule": LotRuleFactory,
    "installation": InstallationFactory,
    "placeholderserial": PlaceholderSerialFactory,
    "vendoralias": VendorAliasFactory,
}
REGISTRY_MODELS = sorted(m._meta.model_name for m in admin.site._registry if m._meta.app_label == "registry")


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def operator_web(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def test_every_registry_model_has_a_factory_here() -> None:
    assert set(REGISTRY_MODELS) == set(FACTORIES)


@pytest.mark.parametrize("model_name", REGISTRY_MODELS)
def test_changelist_renders_with_bounded_queries(operator_web: Client, model_name: str) -> None:
    url = reverse(f"admin:registry_{model_name}_changelist")
    FACTORIES[model_name]()
    operator_web.get(url)
    with CaptureQueriesContext(connection) as few:
        assert operator_web.get(url).status_code == 200
    for _ in range(8):
        FACTORIES[model_name]()
    with CaptureQueriesContext(connection) as many:
        response = operator_web.get(url)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.mark.parametrize("model_name", REGISTRY_MODELS)
def test_change_page_renders(operator_web: Client, model_name: str) -> None:
    obj = FACTORIES[model_name]()
    response = operator_web.get(reverse(f"admin:registry_{model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    assert str(obj.pk) in response.content.decode()


@pytest.mark.parametrize("model_name", [m for m in REGISTRY_MODELS if m != "installation"])
def test_add_page_renders(operator_web: Client, model_name: str) -> None:
    assert operator_web.get(reverse(f"admin:registry_{model_name}_add")).status_code == 200


def test_installations_are_read_only_in_admin(superuser_client: Client) -> None:
    installation = InstallationFactory()
    assert superuser_client.get(reverse("admin:registry_installation_add")).status_code == 403
    response = superuser_client.post(
        reverse("admin:registry_installation_change", args=[installation.pk]), {"slot": "moved by hand"}
    )
    assert response.status_code == 403
    installation.refresh_from_db()
    assert installation.slot != "moved by hand"


def test_asset_search_finds_serial_hostname_and_tag(operator_web: Client) -> None:
    asset = AssetFactory(
        vendor_serial_raw="ZX81", vendor_serial="ZX81", hostname="spectrum.example.com", asset_tag="RN-48"
    )
    AssetFactory()
    url = reverse("admin:registry_asset_changelist")
    for term in ("ZX81", "spectrum", "RN-48"):
        response = operator_web.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [asset], term


def test_asset_added_in_admin_is_normalised(operator_web: Client) -> None:
    response = operator_web.post(
        reverse("admin:registry_asset_add"),
        {
            "vendor": "HPE",
            "model": "DL360",
            "vendor_serial_raw": " mxq 2390rhw ",
            "system_uuid": "",
            "asset_tag": "",
            "hostname": "",
            "status": AssetStatus.INTAKE,
            "notes": "",
            "installations-TOTAL_FORMS": "0",
            "installations-INITIAL_FORMS": "0",
            "manual_events-TOTAL_FORMS": "0",
            "manual_events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    asset = Asset.objects.get()
    assert asset.vendor_serial == "MXQ 2390RHW"
    assert asset.system_uuid is None


def test_admin_refuses_placeholder_only_identity(operator_web: Client) -> None:
    response = operator_web.post(
        reverse("admin:registry_asset_add"),
        {
            "vendor_serial_raw": "Default string",
            "status": AssetStatus.INTAKE,
            "installations-TOTAL_FORMS": "0",
            "installations-INITIAL_FORMS": "0",
            "manual_events-TOTAL_FORMS": "0",
            "manual_events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "no usable identity" in response.content.decode()
    assert not Asset.objects.exists()


def test_admin_refuses_status_change_outside_transitions(operator_web: Client) -> None:
    asset = AssetFactory(status=AssetStatus.RETIRED)
    response = operator_web.post(
        reverse("admin:registry_asset_change", args=[asset.pk]),
        {
            "vendor_serial_raw": asset.vendor_serial_raw,
            "status": AssetStatus.DEPLOYED,
            "installations-TOTAL_FORMS": "0",
            "installations-INITIAL_FORMS": "0",
            "manual_events-TOTAL_FORMS": "0",
            "manual_events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Cannot go from retired to deployed" in response.content.decode()
    asset.refresh_from_db()
    assert asset.status == AssetStatus.RETIRED


def test_status_action_moves_allowed_assets_and_reports_refused_ones(operator_web: Client) -> None:
    deployed = AssetFactory(status=AssetStatus.DEPLOYED)
    retired = AssetFactory(status=AssetStatus.RETIRED)
    response = operator_web.post(
        reverse("admin:registry_asset_changelist"),
        {"action": "mark_repair", "_selected_action": [deployed.pk, retired.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    deployed.refresh_from_db()
    retired.refresh_from_db()
    assert deployed.status == AssetStatus.REPAIR
    assert retired.status == AssetStatus.RETIRED
    assert any("1 asset(s) now repair" in m for m in messages)
    assert any("cannot go from 'retired' to 'repair'" in m for m in messages)


def test_reapply_lot_rules_action_assigns_lots(operator_web: Client) -> None:
    component = ComponentFactory(component_class=ComponentClass.PSU, model="PWS-801-1R 800W", lot=None)
    rule = LotRuleFactory(lot=LotFactory(code="PSU_0800W", component_class=ComponentClass.PSU), model_pattern="800W")
    operator_web.post(
        reverse("admin:registry_component_changelist"),
        {"action": "reapply_lots", "_selected_action": [component.pk]},
    )
    component.refresh_from_db()
    assert component.lot == rule.lot


def test_component_installations_inline_shows_history(operator_web: Client) -> None:
    installation = InstallationFactory()
    response = operator_web.get(reverse("admin:registry_component_change", args=[installation.component_id]))
    assert response.status_code == 200
    assert str(installation.asset) in response.content.decode()
