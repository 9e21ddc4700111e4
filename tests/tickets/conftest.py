from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tickets.fake_jira import FakeJira, serve
from tickets.connectors import http

SECRET = "jira-api-token-XYZZY-do-not-log-4711"


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    with serve() as state:
        yield state


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the HTTP client asks for (backoff, Retry-After), recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(http, "sleep", recorded.append)
    return recorded
