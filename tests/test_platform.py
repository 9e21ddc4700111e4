"""The platform around the apps: health, request ids in JSON logs, the OpenAPI schema,
production settings, migrations, and the project's own system checks."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings

from reanimator.celery import app as celery_app
from reanimator.checks import check_admin_list_select_related
from reanimator.logging import JsonFormatter, RequestIdFilter
from registry.models import Asset, Customer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_health_is_ok_with_database_and_real_redis_broker(client: Client) -> None:
    broker = os.environ.get("REANIMATOR_TEST_BROKER_URL")
    if not broker:
        pytest.fail("REANIMATOR_TEST_BROKER_URL is not set: run the suite with `make test`")
    with override_settings(CELERY_BROKER_URL=broker):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_health_is_503_when_broker_is_unreachable(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "error"}


@pytest.mark.django_db
def test_health_reports_eager_mode_without_broker(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL="memory://localhost/"):  # what settings put for no URL
        assert client.get("/health").json()["checks"]["broker"] == "eager"


@pytest.mark.django_db
def test_request_id_is_made_and_returned(client: Client) -> None:
    response = client.get("/health")
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_client_request_id_is_echoed_and_unsafe_ones_replaced(client: Client) -> None:
    assert client.get("/health", HTTP_X_REQUEST_ID="lb-7f3a.1").headers["X-Request-ID"] == "lb-7f3a.1"
    replaced = client.get("/health", HTTP_X_REQUEST_ID="bad id\n{json}").headers["X-Request-ID"]
    assert replaced != "bad id\n{json}"
    assert len(replaced) == 32


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The django.request and root log output, formatted as settings.LOGGING formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_log_lines_are_json_with_the_request_id(client: Client, json_log: io.StringIO) -> None:
    response = client.get("/api/assets", HTTP_X_REQUEST_ID="trace-42")
    assert response.status_code == 401
    assert response.json()["request_id"] == "trace-42"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    unauthorized = [line for line in lines if line.get("logger") == "django.request"]
    assert unauthorized, lines
    assert unauthorized[-1]["request_id"] == "trace-42"
    assert unauthorized[-1]["level"] == "WARNING"
    assert "Unauthorized" in unauthorized[-1]["message"]


def test_token_never_appears_in_logs(client: Client, json_log: io.StringIO, db: None) -> None:
    secret = "0123456789abcdef0123456789abcdef01234567"
    client.get("/api/assets", HTTP_AUTHORIZATION=f"Token {secret}")
    logged = json_log.getvalue()
    assert "Unauthorized" in logged
    assert secret not in logged


def test_openapi_schema_generates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/assets/", "/api/components/", "/api/lots/", "/api/customers/", "/api/projects/"):
        assert f"  {path}" in text, path


@pytest.mark.django_db
def test_schema_endpoint_needs_login(client: Client, engineer) -> None:
    assert client.get("/api/schema/").status_code in {401, 403}
    client.force_login(engineer)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "-production-like-secret-key-0123456789-abcdefgh",
        "ALLOWED_HOSTS": "reanimator.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REANIMATOR_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "reanimator.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings_refuse_a_malformed_boolean(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import reanimator.settings"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DEBUG": "maybe", "REANIMATOR_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.django_db
def test_no_model_changes_without_migrations() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_registry_migrations_apply_from_zero() -> None:
    call_command("migrate", "registry", "zero", verbosity=0)
    assert "registry_asset" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert Asset.objects.count() == 0
    assert connection.vendor in {"mysql", "sqlite"}


def test_system_check_flags_admin_without_list_select_related(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_admin_list_select_related() == []

    class CarelessAdmin(admin.ModelAdmin):
        pass

    monkeypatch.setitem(admin.site._registry, Customer, CarelessAdmin(Customer, admin.site))
    errors = check_admin_list_select_related()
    assert [error.id for error in errors] == ["reanimator.E001"]


def test_suite_runs_on_mariadb_under_make_test() -> None:
    """`make test` provides MariaDB; a plain run on SQLite is for quick local loops only."""
    if os.environ.get("CI") or os.environ.get("DATABASE_URL", "").startswith("mysql"):
        assert connection.vendor == "mysql"
    else:
        pytest.skip("not under make test: DATABASE_URL is not MariaDB")


@pytest.mark.django_db
def test_eager_tasks_without_a_broker_log_no_broker_warning(caplog) -> None:
    """The embedded default (no CELERY_BROKER_URL) runs tasks in-process; sending one must not
    log kombu's "No hostname was supplied" warning into `make run`'s output."""
    from ingest.tasks import requeue_stale_bundles_task
    from tests.celery_support import switch_broker

    assert celery_app.conf.task_always_eager
    switch_broker()  # a producer pool made afresh, as in a new process
    with caplog.at_level(logging.WARNING):
        assert requeue_stale_bundles_task.delay().get() == 0
    assert [record.getMessage() for record in caplog.records if record.name.startswith("kombu")] == []


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_a_worker_or_beat_without_a_broker_refuses_to_start(program: str, tmp_path: Path) -> None:
    env = {**os.environ, "CELERY_BROKER_URL": "", "DATABASE_URL": ""}
    celery = Path(sys.executable).with_name("celery")
    extra = ["--schedule", str(tmp_path / "beat-schedule")] if program == "beat" else []
    done = subprocess.run(
        [str(celery), "-A", "reanimator", program, "--loglevel=INFO", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "CELERY_BROKER_URL is not set" in done.stdout + done.stderr
