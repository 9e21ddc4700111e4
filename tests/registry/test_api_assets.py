"""Assets through the API: identity normalisation, conflicts, lifecycle, filters."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from registry.choices import AssetStatus
from registry.models import Asset
from tests.api_base import RegistryAPITests, assert_error_shape
from tests.factories import AssetFactory, CustomerFactory, LocationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


class TestAssetAPI(RegistryAPITests):
    basename = "asset"
    factory = AssetFactory
    integrator_writes = True

    def valid_payload(self) -> dict[str, Any]:
        return {
            "vendor": "Supermicro",
            "model": "SYS-6029P",
            "vendor_serial_raw": "  s411 234x ",
            "system_uuid": "{4C4C4544-0037-4810-8044-B2C04F4B4E32}",
            "hostname": "Node-17.DC1.example.com",
        }

    def check_created(self, obj: Asset, body: dict[str, Any]) -> None:
        assert obj.vendor_serial == "S411 234X"
        assert obj.vendor_serial_raw == "  s411 234x "
        assert obj.system_uuid == "4c4c4544-0037-4810-8044-b2c04f4b4e32"
        assert obj.hostname == "node-17.dc1.example.com"
        assert obj.status == AssetStatus.INTAKE
        assert body["vendor_serial"] == "S411 234X"

    def invalid_payload(self) -> tuple[dict[str, Any], str]:
        return {"vendor_serial_raw": "ABC", "status": "lost"}, "status"

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"hostname": "node-99.dc2.example.com", "notes": "moved to DC2"}

    def filter_cases(self):
        project = ProjectFactory()
        location = LocationFactory()
        customer = CustomerFactory()
        return [
            ({"serial": " abc-123 "}, lambda: [AssetFactory(vendor_serial_raw="ABC-123", vendor_serial="ABC-123")]),
            (
                {"hostname": "web-1"},
                lambda: [AssetFactory(hostname="web-1.example.com"), AssetFactory(hostname="web-1")],
            ),
            ({"status": AssetStatus.REPAIR}, lambda: [AssetFactory(status=AssetStatus.REPAIR)]),
            ({"project": str(project.pk)}, lambda: [AssetFactory(project=project)]),
            ({"location": str(location.pk)}, lambda: [AssetFactory(location=location)]),
            ({"customer": str(customer.pk)}, lambda: [AssetFactory(project=ProjectFactory(customer=customer))]),
            ({"vendor": "hpe"}, lambda: [AssetFactory(vendor="HPE")]),
            ({"model": "dl360"}, lambda: [AssetFactory(model="ProLiant DL360 Gen10 Plus")]),
            ({"asset_tag": "rn-4711"}, lambda: [AssetFactory(asset_tag="RN-4711")]),
        ]

    def test_placeholder_serial_alone_is_no_identity(self, operator_client: APIClient) -> None:
        response = operator_client.post(self.list_url(), {"vendor_serial_raw": "To Be Filled By O.E.M."}, format="json")
        body = assert_error_shape(response, 400, "validation_error")
        assert "no usable identity" in body["errors"]["non_field_errors"][0]

    def test_placeholder_serial_with_asset_tag_stores_no_serial(self, operator_client: APIClient) -> None:
        response = operator_client.post(
            self.list_url(), {"vendor_serial_raw": "System Serial Number", "asset_tag": "RN-1"}, format="json"
        )
        assert response.status_code == 201, response.content
        asset = Asset.objects.get(pk=response.json()["id"])
        assert asset.vendor_serial is None
        assert asset.vendor_serial_raw == "System Serial Number"

    def test_serial_differing_only_in_case_and_spaces_is_a_409_conflict(self, operator_client: APIClient) -> None:
        AssetFactory(vendor_serial_raw="ABC 123", vendor_serial="ABC 123")
        body = assert_error_shape(
            operator_client.post(self.list_url(), {"vendor_serial_raw": " abc   123"}, format="json"), 409, "conflict"
        )
        assert "vendor_serial" in body["errors"]

    def test_allowed_status_change(self, operator_client: APIClient) -> None:
        asset = AssetFactory(status=AssetStatus.DEPLOYED)
        response = operator_client.patch(self.detail_url(asset.pk), {"status": AssetStatus.REPAIR}, format="json")
        assert response.status_code == 200
        asset.refresh_from_db()
        assert asset.status == AssetStatus.REPAIR

    def test_refused_status_change_is_409_and_changes_nothing(self, operator_client: APIClient) -> None:
        asset = AssetFactory(status=AssetStatus.RETIRED, hostname="old")
        response = operator_client.patch(
            self.detail_url(asset.pk), {"status": AssetStatus.DEPLOYED, "hostname": "new"}, format="json"
        )
        body = assert_error_shape(response, 409, "invalid_transition")
        assert "retired" in body["message"]
        asset.refresh_from_db()
        assert (asset.status, asset.hostname) == (AssetStatus.RETIRED, "old")

    def test_path_without_trailing_slash_answers(self, engineer_client: APIClient) -> None:
        AssetFactory()
        assert engineer_client.get("/api/assets").status_code == 200

    def test_unknown_api_path_is_json_404(self, engineer_client: APIClient) -> None:
        assert_error_shape(engineer_client.get("/api/no-such-thing/"), 404, "not_found")

    def test_malformed_json_body_is_400_not_500(self, operator_client: APIClient) -> None:
        response = operator_client.post(self.list_url(), data="{not json", content_type="application/json")
        assert_error_shape(response, 400)
