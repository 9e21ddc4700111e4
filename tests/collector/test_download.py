"""The collector downloads from the running app as one file, for signed-in users and token
holders only (everything in this product is behind authentication)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tests.collector.fakes import COLLECTOR

pytestmark = pytest.mark.django_db

URL = "/api/ingest/collector"


def test_anonymous_visitor_cannot_download(anonymous_client: APIClient) -> None:
    response = anonymous_client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("persona", ["integrator_client", "engineer_client"])
def test_token_holder_and_signed_in_user_download_the_file(
    persona: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    client: APIClient = request.getfixturevalue(persona)

    response = client.get(URL, HTTP_ACCEPT="*/*")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reanimator-collect"'
    assert response["Content-Type"].startswith("text/x-python")
    assert response.content == COLLECTOR.read_bytes()
    downloaded = tmp_path / "reanimator-collect"
    downloaded.write_bytes(response.content)
    run = subprocess.run(
        [sys.executable, "-I", "-S", str(downloaded), "--version"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0
    assert run.stdout.startswith("reanimator-collect ")


def test_download_ignores_the_accept_header(integrator_client: APIClient) -> None:
    response = integrator_client.get(URL, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.content == COLLECTOR.read_bytes()
