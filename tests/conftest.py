"""Personas (DESIGN.md "Who uses it") and clients, shared by every test module."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reanimator.roles import ENGINEERS, INTEGRATORS, OPERATORS, ensure_roles
from tests.celery_support import over_redis
from tests.factories import UserFactory

# The suite shares two cores with MariaDB, Redis and Chromium: how fast Hypothesis can draw
# examples there says nothing about the code under test, so its speed health checks and
# per-example deadlines are off for every property test.
settings.register_profile("reanimator", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("reanimator")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (the dashboard caches its fleet counts)."""
    from django.core.cache import cache

    cache.clear()


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


@pytest.fixture
def celery_over_redis(settings):
    """The app sends tasks to the real Redis broker for this test instead of running them eagerly."""
    with over_redis(settings) as url:
        yield url
