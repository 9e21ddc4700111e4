"""API of customers, projects and locations, through the shared base class."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from registry.choices import LocationKind
from tests.api_base import RegistryAPITests, assert_error_shape
from tests.factories import CustomerFactory, LocationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


class TestCustomerAPI(RegistryAPITests):
    basename = "customer"
    factory = CustomerFactory

    def valid_payload(self) -> dict[str, Any]:
        return {"name": "Initech", "notes": "Signed 2026-01"}

    def invalid_payload(self) -> tuple[dict[str, Any], str]:
        return {"name": ""}, "name"

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"notes": "Renewed"}

    def filter_cases(self):
        return [({"name": "umbrella"}, lambda: [CustomerFactory(name="Umbrella Corp")])]

    def test_duplicate_name_is_a_409_conflict(self, operator_client: APIClient) -> None:
        CustomerFactory(name="Initech")
        body = assert_error_shape(
            operator_client.post(self.list_url(), {"name": "Initech"}, format="json"), 409, "conflict"
        )
        assert "name" in body["errors"]


class TestProjectAPI(RegistryAPITests):
    basename = "project"
    factory = ProjectFactory

    def valid_payload(self) -> dict[str, Any]:
        return {"customer": CustomerFactory().pk, "name": "Object storage"}

    def invalid_payload(self) -> tuple[dict[str, Any], str]:
        return {"customer": 987654, "name": "x"}, "customer"

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": "Ceph clusters"}

    def filter_cases(self):
        customer = CustomerFactory()
        return [({"customer": str(customer.pk)}, lambda: [ProjectFactory(customer=customer)])]

    def test_same_name_for_one_customer_is_a_409_conflict(self, operator_client: APIClient) -> None:
        project = ProjectFactory(name="Compute")
        response = operator_client.post(
            self.list_url(), {"customer": project.customer_id, "name": "Compute"}, format="json"
        )
        assert_error_shape(response, 409, "conflict")

    def test_same_name_for_another_customer_is_fine(self, operator_client: APIClient) -> None:
        ProjectFactory(name="Compute")
        response = operator_client.post(
            self.list_url(), {"customer": CustomerFactory().pk, "name": "Compute"}, format="json"
        )
        assert response.status_code == 201


class TestLocationAPI(RegistryAPITests):
    basename = "location"
    factory = LocationFactory

    def valid_payload(self) -> dict[str, Any]:
        return {"name": "DC3 Prague", "kind": LocationKind.DATACENTER}

    def invalid_payload(self) -> tuple[dict[str, Any], str]:
        return {"name": "Somewhere", "kind": "moon base"}, "kind"

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"address": "Na Příkopě 1, Praha"}

    def filter_cases(self):
        parent = LocationFactory(kind=LocationKind.DATACENTER)
        return [
            ({"kind": LocationKind.REPAIR_CENTRE}, lambda: [LocationFactory(kind=LocationKind.REPAIR_CENTRE)]),
            ({"parent": str(parent.pk)}, lambda: [LocationFactory(parent=parent, kind=LocationKind.RACK)]),
        ]

    def test_location_cannot_be_its_own_ancestor(self, operator_client: APIClient) -> None:
        hall = LocationFactory()
        rack = LocationFactory(parent=hall, kind=LocationKind.RACK)
        response = operator_client.patch(self.detail_url(hall.pk), {"parent": rack.pk}, format="json")
        body = assert_error_shape(response, 400, "validation_error")
        assert "parent" in body["errors"]
        hall.refresh_from_db()
        assert hall.parent_id is None
