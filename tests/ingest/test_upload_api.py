"""POST /api/ingest/logbundle and the bundle read endpoints."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from ingest.models import LogBundle, Observation
from registry.models import Asset
from tests.api_base import assert_error_shape
from tests.ingest.bundles import gz, inventory, part, tar_gz

T1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
URL = "/api/ingest/logbundle"
BUNDLE = inventory("SRV-UP-1", T1, [part("SSD", "SSD-UP-1"), part("DIMM", "DIMM-UP-1")])


def post_raw(client: APIClient, raw: bytes, content_type: str = "application/json"):
    return client.generic("POST", URL, raw, content_type=content_type)


@pytest.mark.django_db
class TestUpload:
    def test_new_bytes_answer_201_and_parse(
        self, integrator_client: APIClient, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_raw(integrator_client, BUNDLE)
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {"id", "sha256", "status", "duplicate", "url"}
        assert body["duplicate"] is False
        assert body["url"].endswith(f"/api/ingest/logbundles/{body['id']}")
        bundle = LogBundle.objects.get(pk=body["id"])
        assert bundle.status == "parsed"
        assert bundle.raw.read() == BUNDLE  # kept byte for byte
        detail = integrator_client.get(body["url"]).json()
        assert detail["status"] == "parsed"
        assert detail["counts"]["components"] == 2

    def test_same_bytes_again_answer_200_with_the_same_id(
        self, integrator_client: APIClient, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            first = post_raw(integrator_client, BUNDLE).json()
        counts = (LogBundle.objects.count(), Observation.objects.count(), Asset.objects.count())
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = post_raw(integrator_client, BUNDLE)
        assert again.status_code == 200
        assert again.json()["id"] == first["id"]
        assert again.json()["duplicate"] is True
        assert callbacks == []  # no parse enqueued
        assert (LogBundle.objects.count(), Observation.objects.count(), Asset.objects.count()) == counts

    def test_multipart_upload(self, integrator_client: APIClient) -> None:
        raw = tar_gz({"inventory.json": BUNDLE})
        upload = SimpleUploadedFile("node.tar.gz", raw, content_type="application/gzip")
        response = integrator_client.post(URL, {"file": upload}, format="multipart")
        assert response.status_code == 201, response.content
        bundle = LogBundle.objects.get(pk=response.json()["id"])
        assert bundle.original_filename == "node.tar.gz"
        assert bundle.size == len(raw)

    def test_gzip_body(self, integrator_client: APIClient) -> None:
        assert post_raw(integrator_client, gz(BUNDLE), "application/gzip").status_code == 201

    def test_multipart_without_file_field(self, integrator_client: APIClient) -> None:
        response = integrator_client.post(URL, {"other": "x"}, format="multipart")
        assert_error_shape(response, 400, "missing_file")

    def test_empty_body_is_400(self, integrator_client: APIClient) -> None:
        assert_error_shape(post_raw(integrator_client, b""), 400, "empty_bundle")
        assert not LogBundle.objects.exists()

    def test_wrong_content_type_is_415(self, integrator_client: APIClient) -> None:
        body = assert_error_shape(post_raw(integrator_client, b"hello", "text/plain"), 415, "unsupported_media_type")
        assert "text/plain" in body["message"]
        assert not LogBundle.objects.exists()

    def test_over_the_size_limit_is_413(self, integrator_client: APIClient, settings) -> None:
        settings.REANIMATOR_MAX_BUNDLE_BYTES = 100
        assert_error_shape(post_raw(integrator_client, b"x" * 101, "application/gzip"), 413, "bundle_too_large")
        upload = SimpleUploadedFile("big.tar.gz", b"x" * 101)
        assert_error_shape(integrator_client.post(URL, {"file": upload}, format="multipart"), 413, "bundle_too_large")
        assert not LogBundle.objects.exists()

    def test_bad_bundle_is_stored_and_marked_failed_with_reason(
        self, integrator_client: APIClient, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_raw(integrator_client, b"\x1f\x8b\x08\x00truncated", "application/gzip")
        assert response.status_code == 201
        bundle = LogBundle.objects.get(pk=response.json()["id"])
        assert bundle.status == "failed"
        assert bundle.error_code == "truncated_archive"
        assert bundle.raw.read() == b"\x1f\x8b\x08\x00truncated"

    def test_anonymous_is_401(self, anonymous_client: APIClient) -> None:
        assert_error_shape(post_raw(anonymous_client, BUNDLE), 401, "not_authenticated")

    def test_engineer_may_not_upload(self, engineer_client: APIClient) -> None:
        assert_error_shape(post_raw(engineer_client, BUNDLE), 403, "permission_denied")

    def test_engineer_reads_bundles_and_observations(self, engineer_client: APIClient, ingest) -> None:
        bundle = ingest(BUNDLE)
        listing = engineer_client.get("/api/ingest/logbundles", {"status": "parsed"}).json()
        assert [row["id"] for row in listing["results"]] == [bundle.pk]
        observations = engineer_client.get(f"/api/ingest/logbundles/{bundle.pk}/observations").json()["results"]
        assert sorted(o["serial"] for o in observations if o["kind"] == "component") == ["DIMM-UP-1", "SSD-UP-1"]
        assert [o["kind"] for o in observations].count("asset") == 1

    def test_bundle_filters(self, engineer_client: APIClient, ingest) -> None:
        parsed = ingest(BUNDLE)
        failed = ingest(b'{"format": "reanimator-inventory"}')
        assert failed.status == "failed"
        by_status = engineer_client.get("/api/ingest/logbundles", {"status": "failed"}).json()["results"]
        assert [row["id"] for row in by_status] == [failed.pk]
        by_asset = engineer_client.get("/api/ingest/logbundles", {"asset": parsed.asset_id}).json()["results"]
        assert [row["id"] for row in by_asset] == [parsed.pk]
        collected = engineer_client.get(
            "/api/ingest/logbundles",
            {"collected_after": "2026-03-01T00:00:00Z", "collected_before": "2026-03-02T00:00:00Z"},
        ).json()["results"]
        assert [row["id"] for row in collected] == [parsed.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_uploads_leave_one_bundle(integrator, tmp_path: Path, settings) -> None:
    """Threads racing on MariaDB with the same bytes: one row, one file, the same id for all."""
    from rest_framework.authtoken.models import Token

    settings.MEDIA_ROOT = str(tmp_path)
    token = Token.objects.create(user=integrator).key
    raw = inventory("SRV-RACE", T1, [part("SSD", "SSD-RACE")])
    barrier = threading.Barrier(6)
    answers: list[tuple[int, int]] = []

    def upload() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait()
        try:
            response = post_raw(client, raw)
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 6
    assert {bundle_id for _, bundle_id in answers} == {LogBundle.objects.get().pk}
    assert sorted(status for status, _ in answers).count(201) == 1
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) == 1
    assert files[0].read_bytes() == raw
