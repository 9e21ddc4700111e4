"""Base test class that every registry model's API tests reuse (NetBox's habit).

A model's test file subclasses `RegistryAPITests`, names its endpoint and factory, and says
how to build valid, invalid and updated payloads and which filters to exercise; the base
class runs list, detail, create, update, filter, paging, query-budget and permission tests
for every persona.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "request_id"}


def assert_error_shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= ERROR_KEYS, body
    if code is not None:
        assert body["code"] == code, body
    return body


class RegistryAPITests:
    basename: ClassVar[str]
    factory: ClassVar[Callable[..., Any]]
    # Whether the integrator persona (token, integrators group) may write this model.
    integrator_writes: ClassVar[bool] = False

    # --- what each model's test file provides --------------------------------------------
    def valid_payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def invalid_payload(self) -> tuple[dict[str, Any], str]:
        """A payload with one bad field, and that field's name."""
        raise NotImplementedError

    def update_payload(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def filter_cases(self) -> list[tuple[dict[str, str], Callable[[], list[Any]]]]:
        """(query params, a function making the objects that must match, after making others)."""
        return []

    def make_many(self, count: int) -> list[Any]:
        return [self.factory() for _ in range(count)]

    # --- helpers ---------------------------------------------------------------------------
    def list_url(self) -> str:
        return reverse(f"{self.basename}-list")

    def detail_url(self, pk: int) -> str:
        return reverse(f"{self.basename}-detail", args=[pk])

    def model(self) -> Any:
        return self.factory._meta.model

    # --- authentication and permissions ----------------------------------------------------
    def test_anonymous_visitor_is_refused_with_401(self, anonymous_client: APIClient) -> None:
        self.factory()
        assert_error_shape(anonymous_client.get(self.list_url()), 401, "not_authenticated")

    def test_engineer_reads_list_and_detail(self, engineer_client: APIClient) -> None:
        obj = self.factory()
        listing = engineer_client.get(self.list_url())
        assert listing.status_code == 200
        assert obj.pk in [row["id"] for row in listing.json()["results"]]
        detail = engineer_client.get(self.detail_url(obj.pk))
        assert detail.status_code == 200
        assert detail.json()["id"] == obj.pk

    def test_engineer_cannot_create(self, engineer_client: APIClient) -> None:
        before = self.model().objects.count()
        response = engineer_client.post(self.list_url(), self.valid_payload(), format="json")
        assert_error_shape(response, 403, "permission_denied")
        assert self.model().objects.count() == before

    def test_engineer_cannot_update(self, engineer_client: APIClient) -> None:
        obj = self.factory()
        response = engineer_client.patch(self.detail_url(obj.pk), self.update_payload(obj), format="json")
        assert_error_shape(response, 403, "permission_denied")

    def test_integrator_token_write_follows_model_permission(self, integrator_client: APIClient) -> None:
        response = integrator_client.post(self.list_url(), self.valid_payload(), format="json")
        if self.integrator_writes:
            assert response.status_code == 201, response.content
        else:
            assert_error_shape(response, 403, "permission_denied")

    def test_integrator_token_reads(self, integrator_client: APIClient) -> None:
        obj = self.factory()
        assert integrator_client.get(self.detail_url(obj.pk)).status_code == 200

    def test_api_has_no_delete(self, operator_client: APIClient) -> None:
        obj = self.factory()
        assert_error_shape(operator_client.delete(self.detail_url(obj.pk)), 405, "method_not_allowed")
        assert self.model().objects.filter(pk=obj.pk).exists()

    # --- create / update -------------------------------------------------------------------
    def test_operator_creates(self, operator_client: APIClient) -> None:
        response = operator_client.post(self.list_url(), self.valid_payload(), format="json")
        assert response.status_code == 201, response.content
        created = self.model().objects.get(pk=response.json()["id"])
        self.check_created(created, response.json())

    def check_created(self, obj: Any, body: dict[str, Any]) -> None:
        """Per-model assertions on a freshly created object (normalisation, LOTs, ...)."""

    def test_invalid_payload_gives_400_with_field_errors(self, operator_client: APIClient) -> None:
        payload, field = self.invalid_payload()
        before = self.model().objects.count()
        body = assert_error_shape(
            operator_client.post(self.list_url(), payload, format="json"), 400, "validation_error"
        )
        assert field in body["errors"], body
        assert self.model().objects.count() == before

    def test_operator_updates(self, operator_client: APIClient) -> None:
        obj = self.factory()
        payload = self.update_payload(obj)
        response = operator_client.patch(self.detail_url(obj.pk), payload, format="json")
        assert response.status_code == 200, response.content
        obj.refresh_from_db()
        for field, value in payload.items():
            assert response.json()[field] == value
        self.check_updated(obj, payload)

    def check_updated(self, obj: Any, payload: dict[str, Any]) -> None:
        for field, value in payload.items():
            current = getattr(obj, f"{field}_id", None) if hasattr(obj, f"{field}_id") else getattr(obj, field)
            assert current == value, field

    def test_missing_object_gives_json_404(self, engineer_client: APIClient) -> None:
        assert_error_shape(engineer_client.get(self.detail_url(987654321)), 404, "not_found")

    # --- filters, paging, query budget -----------------------------------------------------
    def test_filters_select_the_matching_objects(self, engineer_client: APIClient) -> None:
        cases = self.filter_cases()
        for params, make_matching in cases:
            self.make_many(2)  # noise that must not match
            expected = {obj.pk for obj in make_matching()}
            response = engineer_client.get(self.list_url(), params)
            assert response.status_code == 200, (params, response.content)
            got = {row["id"] for row in response.json()["results"]}
            assert got == expected, params

    def test_list_pages_with_cursor_without_skips_or_repeats(self, engineer_client: APIClient) -> None:
        created = {obj.pk for obj in self.make_many(7)}
        seen: list[int] = []
        url: str | None = self.list_url() + "?page_size=3"
        while url:
            body = engineer_client.get(url).json()
            seen.extend(row["id"] for row in body["results"])
            url = body["next"]
        assert created <= set(seen)
        assert len(seen) == len(set(seen))

    def test_list_query_count_does_not_grow_with_rows(self, engineer_client: APIClient) -> None:
        self.make_many(2)
        engineer_client.get(self.list_url())  # warm up session and content-type caches
        with CaptureQueriesContext(connection) as few:
            assert engineer_client.get(self.list_url()).status_code == 200
        self.make_many(12)
        with CaptureQueriesContext(connection) as many:
            assert engineer_client.get(self.list_url()).status_code == 200
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
