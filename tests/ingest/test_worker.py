"""Parsing off the request path: a real Celery worker over real Redis, and a worker killed
in the middle of a parse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.base import ContentFile
from django.db import connection
from rest_framework.test import APIClient

from ingest.models import LogBundle, Observation
from ingest.services.parsing import parse_bundle
from reanimator.celery import app as celery_app
from registry.models import Asset, Component, Installation
from tests.celery_support import switch_broker, wait_for
from tests.ingest.bundles import inventory, part
from tests.log_capture import json_log

ROOT = Path(__file__).resolve().parents[2]
T1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
BUNDLE = inventory("SRV-WORKER", T1, [part("NVME", "NVME-W-1"), part("DIMM", "DIMM-W-1"), part("PSU", "PSU-W-1")])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_parses_an_uploaded_bundle_and_keeps_the_request_id(
    integrator_client: APIClient, celery_over_redis: None, tmp_path: Path, settings
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30), json_log() as log:
        response = integrator_client.generic(
            "POST", "/api/ingest/logbundle", BUNDLE, content_type="application/json", HTTP_X_REQUEST_ID="trace-worker-7"
        )
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "received"  # the request did not parse it
        bundle_id = response.json()["id"]
        assert wait_for(lambda: LogBundle.objects.get(pk=bundle_id).status == "parsed"), LogBundle.objects.get(
            pk=bundle_id
        ).status
    assert Component.objects.count() == 3
    assert Installation.objects.filter(removed_at=None).count() == 3
    parsed_lines = [line for line in log.getvalue().splitlines() if '"bundle parsed"' in line]
    assert parsed_lines, log.getvalue()[-2000:]
    assert '"request_id": "trace-worker-7"' in parsed_lines[-1]


KILLABLE_PARSE = """
import os, sys, time
import django
django.setup()
import ingest.services.parsing as parsing

def stall(*args, **kwargs):
    # Observations, components and the asset are written but not committed: die here.
    open(sys.argv[2], "w").close()
    time.sleep(120)

parsing.derive_history = parsing.derive_new_snapshots = stall
parsing.parse_bundle(int(sys.argv[1]))
"""


def _store_received_bundle(raw: bytes) -> LogBundle:
    import hashlib

    bundle = LogBundle(sha256=hashlib.sha256(raw).hexdigest(), size=len(raw), content_type="application/json")
    bundle.raw.save(bundle.sha256, ContentFile(raw), save=True)
    return bundle


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_parse_leaves_nothing_half_written(tmp_path: Path, settings) -> None:
    if connection.vendor != "mysql":
        pytest.fail("needs MariaDB: run the suite with `make test`")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    bundle = _store_received_bundle(BUNDLE)
    marker = tmp_path / "in-transaction"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": _test_database_url(),
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "CELERY_BROKER_URL": "",
    }
    worker = subprocess.Popen([sys.executable, "-c", KILLABLE_PARSE, str(bundle.pk), str(marker)], cwd=ROOT, env=env)
    try:
        assert wait_for(marker.exists, timeout=60), "the parse never reached its transaction"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    bundle.refresh_from_db()
    assert bundle.status == "parsing"  # the claim survived; nothing else did
    assert not Observation.objects.exists()
    assert not Component.objects.exists()
    assert not Asset.objects.exists()
    assert not Installation.objects.exists()

    assert parse_bundle(bundle.pk) is None  # a live claim is not taken over
    settings.REANIMATOR_PARSE_CLAIM_SECONDS = 0  # ... an expired one is
    assert parse_bundle(bundle.pk) is not None
    bundle.refresh_from_db()
    assert bundle.status == "parsed"
    assert Component.objects.count() == 3
    assert Installation.objects.filter(removed_at=None).count() == 3


@pytest.mark.django_db(transaction=True)
def test_upload_succeeds_while_the_broker_is_down_and_the_sweep_catches_up(
    integrator_client: APIClient, tmp_path: Path, settings
) -> None:
    from ingest.tasks import requeue_stale_bundles_task

    settings.MEDIA_ROOT = str(tmp_path)
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    switch_broker(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
    try:
        response = integrator_client.generic("POST", "/api/ingest/logbundle", BUNDLE, content_type="application/json")
    finally:
        switch_broker(**previous)
    assert response.status_code == 201, response.content
    bundle = LogBundle.objects.get(pk=response.json()["id"])
    assert bundle.status == "received"
    assert bundle.raw.read() == BUNDLE

    LogBundle.objects.filter(pk=bundle.pk).update(received_at=bundle.received_at - timedelta(minutes=5))
    assert requeue_stale_bundles_task.delay().get() == 1  # eager again: the sweep parses it
    bundle.refresh_from_db()
    assert bundle.status == "parsed"
