"""Components and LOTs through the API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from registry.choices import ComponentClass
from registry.models import Component
from tests.api_base import RegistryAPITests, assert_error_shape
from tests.factories import (
    T0,
    AssetFactory,
    ComponentFactory,
    InstallationFactory,
    LotFactory,
    LotRuleFactory,
)

pytestmark = pytest.mark.django_db


class TestComponentAPI(RegistryAPITests):
    basename = "component"
    factory = ComponentFactory
    integrator_writes = True

    def valid_payload(self) -> dict[str, Any]:
        return {
            "component_class": ComponentClass.DIMM,
            "vendor_raw": "Samsung Electronics",
            "model": "M393A4K40DB3-CWE",
            "serial_raw": " 1a2b3c4d ",
            "specs": {"capacity_bytes": 34359738368},
        }

    def check_created(self, obj: Component, body: dict[str, Any]) -> None:
        assert (obj.vendor, obj.serial, obj.serial_raw) == ("SAMSUNG", "1A2B3C4D", " 1a2b3c4d ")
        assert body["serial"] == "1A2B3C4D"

    def invalid_payload(self) -> tuple[dict[str, Any], str]:
        return {"component_class": "DIMM", "vendor_raw": "Micron", "serial_raw": "Not Specified"}, "serial_raw"

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"model": "MZQL23T8HCLS-00B7C"}

    def filter_cases(self):
        asset = AssetFactory()
        lot = LotFactory(code="SSD_NVME_07.68TB_GEN4")
        return [
            ({"serial": "zz-99 "}, lambda: [ComponentFactory(serial_raw="ZZ-99", serial="ZZ-99")]),
            ({"component_class": "PSU"}, lambda: [ComponentFactory(component_class=ComponentClass.PSU)]),
            ({"lot": "ssd_nvme_07.68tb_gen4"}, lambda: [ComponentFactory(lot=lot)]),
            ({"vendor": "micron"}, lambda: [ComponentFactory(vendor="MICRON")]),
            ({"model": "pm9a3"}, lambda: [ComponentFactory(model="SAMSUNG PM9A3 3.84TB")]),
            (
                {"current_asset": str(asset.pk)},
                lambda: [InstallationFactory(asset=asset).component],
            ),
        ]

    def test_same_serial_from_another_vendor_is_another_component(self, operator_client: APIClient) -> None:
        ComponentFactory(
            component_class=ComponentClass.DIMM, vendor="SAMSUNG", serial_raw="12345678", serial="12345678"
        )
        payload = {"component_class": "DIMM", "vendor_raw": "Micron", "serial_raw": "12345678"}
        assert operator_client.post(self.list_url(), payload, format="json").status_code == 201

    def test_same_class_vendor_and_serial_is_a_409_conflict(self, operator_client: APIClient) -> None:
        ComponentFactory(
            component_class=ComponentClass.DIMM, vendor="SAMSUNG", serial_raw="12345678", serial="12345678"
        )
        payload = {"component_class": "DIMM", "vendor_raw": "SAMSUNG ELECTRONICS", "serial_raw": "12345678 "}
        assert_error_shape(operator_client.post(self.list_url(), payload, format="json"), 409, "conflict")

    def test_new_component_gets_its_lot_from_rules(self, operator_client: APIClient) -> None:
        rule = LotRuleFactory(
            lot=LotFactory(code="DIMM_DDR4_32G", component_class=ComponentClass.DIMM),
            capacity_min_bytes=34359738368,
            capacity_max_bytes=34359738368,
        )
        body = operator_client.post(self.list_url(), self.valid_payload(), format="json").json()
        assert body["lot"] == rule.lot.code

    def test_current_installation_is_shown(self, engineer_client: APIClient) -> None:
        installation = InstallationFactory(slot="Bay 3")
        InstallationFactory(
            component=installation.component,
            installed_at=T0.replace(year=2025),
            last_seen_at=T0.replace(year=2025),
            removed_at=T0.replace(year=2025, month=6),
        )
        body = engineer_client.get(self.detail_url(installation.component_id)).json()
        assert body["current_installation"]["asset"] == installation.asset_id
        assert body["current_installation"]["slot"] == "Bay 3"

    def test_list_query_count_does_not_grow_with_installed_components(self, engineer_client: APIClient) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        InstallationFactory.create_batch(2)
        engineer_client.get(self.list_url())
        with CaptureQueriesContext(connection) as few:
            engineer_client.get(self.list_url())
        InstallationFactory.create_batch(10)
        with CaptureQueriesContext(connection) as many:
            engineer_client.get(self.list_url())
        assert len(many) == len(few)


class TestLotAPI(RegistryAPITests):
    basename = "lot"
    factory = LotFactory

    def valid_payload(self) -> dict[str, Any]:
        return {"code": "HDD_SAS_16TB_7K2", "component_class": "HDD", "description": "16 TB SAS"}

    def invalid_payload(self) -> tuple[dict[str, Any], str]:
        return {"code": "X", "component_class": "FLUX_CAPACITOR"}, "component_class"

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": "Gen4 U.2, 1 DWPD"}

    def make_many(self, count: int) -> list[Any]:
        lots = [LotFactory() for _ in range(count)]
        for lot in lots:
            LotRuleFactory(lot=lot)
        return lots

    def filter_cases(self):
        return [({"component_class": "PSU"}, lambda: [LotFactory(component_class=ComponentClass.PSU)])]

    def test_rules_are_listed_with_their_lot(self, engineer_client: APIClient) -> None:
        rule = LotRuleFactory(model_pattern="PM9A3", priority=5)
        body = engineer_client.get(self.detail_url(rule.lot_id)).json()
        assert body["rules"] == [
            {
                "id": rule.pk,
                "component_class": rule.component_class,
                "vendor": "",
                "model_pattern": "PM9A3",
                "capacity_min_bytes": None,
                "capacity_max_bytes": None,
                "priority": 5,
                "enabled": True,
            }
        ]
