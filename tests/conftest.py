"""Personas (DESIGN.md "Who uses it") and clients, shared by every test module."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reanimator.roles import ENGINEERS, INTEGRATORS, OPERATORS, ensure_roles
from tests.factories import UserFactory


@pytest.fixture
def roles(db: None) -> None:
    ensure_roles()


def _member(role: str, **extra: object):
    user = UserFactory(username=f"{role}-persona", **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def operator(roles: None):
    """Operations staff: staff status, every registry permission, works in admin."""
    return _member(OPERATORS, is_staff=True)


@pytest.fixture
def engineer(roles: None):
    """Reads pages and the API; writes nothing."""
    return _member(ENGINEERS)


@pytest.fixture
def integrator(roles: None):
    """An API client with a token: creates and updates assets and components."""
    return _member(INTEGRATORS)


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def operator_client(operator) -> APIClient:
    client = APIClient()
    client.force_login(operator)
    return client


@pytest.fixture
def engineer_client(engineer) -> APIClient:
    client = APIClient()
    client.force_login(engineer)
    return client


@pytest.fixture
def integrator_client(integrator) -> APIClient:
    """Token authentication, as a collector or ticket connector would use it."""
    client = APIClient()
    token = Token.objects.create(user=integrator)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
