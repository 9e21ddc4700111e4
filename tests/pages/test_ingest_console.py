"""The ingest console: upload through the intake service (same checks and errors as the API),
the recent-bundles list that polls while a bundle is received or parsing, per-bundle detail,
and re-parse for operators only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ingest.models import LogBundle
from tests.ingest.bundles import inventory, part
from tests.pages.conftest import htmx

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _bundle(serial: str = "SRV-UP") -> bytes:
    return inventory(
        serial, WHEN, [part("NVME", f"{serial}-D1", slot="nvme0")], hostname=f"{serial.lower()}.example.com"
    )


def _file(raw: bytes, name: str = "bundle.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, raw, content_type="application/json")


def test_console_page_has_the_upload_form_and_budget(operator_web, ingest, django_assert_num_queries) -> None:
    ingest(_bundle("SRV-A"))
    ingest(_bundle("SRV-B"))
    with django_assert_num_queries(7):
        response = operator_web.get("/ingest/")
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="files" multiple' in html
    assert "srv-a.example.com" in html


def test_upload_without_javascript_stores_the_bundle_and_redirects(
    operator_web, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_web.post("/ingest/", {"files": [_file(_bundle(), "node.json")]})
    assert response.status_code == 302
    bundle = LogBundle.objects.get()
    assert bundle.original_filename == "node.json"
    assert bundle.status == "parsed"
    follow = operator_web.get(response["Location"]).content.decode()
    assert f"received as bundle {bundle.pk}" in follow


def test_upload_of_several_files_by_htmx_answers_results_and_the_list(operator_web) -> None:
    files = [_file(_bundle("SRV-1"), "one.json"), _file(_bundle("SRV-2"), "two.json")]
    response = operator_web.post("/ingest/", {"files": files}, **htmx("upload-results"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("data-upload-result") == 2
    assert 'hx-swap-oob="true"' in html
    # not committed in a test transaction: the parse is still to come, so the list polls
    assert 'hx-trigger="every 2s"' in html
    assert LogBundle.objects.count() == 2


def test_duplicate_upload_says_so_and_changes_nothing(operator_web, ingest) -> None:
    existing = ingest(_bundle())
    html = operator_web.post("/ingest/", {"files": [_file(_bundle())]}, **htmx()).content.decode()
    assert f'already received as <a href="/ingest/bundles/{existing.pk}/">bundle {existing.pk}</a>' in html
    assert LogBundle.objects.count() == 1


def test_empty_file_gets_the_same_error_as_the_api(operator_web, operator_client) -> None:
    html = operator_web.post("/ingest/", {"files": [_file(b"", "empty.json")]}, **htmx()).content.decode()
    api = operator_client.post("/api/ingest/logbundle", {"file": _file(b"", "empty.json")}, format="multipart").json()
    assert api["code"] == "empty_bundle"
    assert api["message"] in html
    assert "empty_bundle" in html
    assert LogBundle.objects.count() == 0


def test_too_large_file_is_refused(operator_web, settings) -> None:
    settings.REANIMATOR_MAX_BUNDLE_BYTES = 10
    html = operator_web.post("/ingest/", {"files": [_file(_bundle())]}, **htmx()).content.decode()
    assert "bundle_too_large" in html
    assert LogBundle.objects.count() == 0


def test_engineers_cannot_upload(engineer_web) -> None:
    assert "can read bundles but not upload" in engineer_web.get("/ingest/").content.decode()
    assert engineer_web.post("/ingest/", {"files": [_file(_bundle())]}).status_code == 403
    assert LogBundle.objects.count() == 0


def test_bundle_list_polls_only_while_a_bundle_waits(operator_web, ingest, django_assert_num_queries) -> None:
    parsed = ingest(_bundle("SRV-P"))
    with django_assert_num_queries(5):
        html = operator_web.get("/ingest/bundles/", **htmx("bundle-list")).content.decode()
    assert "every 2s" not in html
    assert f'id="bundle-{parsed.pk}" data-status="parsed"' in html
    LogBundle.objects.filter(pk=parsed.pk).update(status="parsing")
    html = operator_web.get("/ingest/bundles/", **htmx("bundle-list")).content.decode()
    assert 'hx-trigger="every 2s"' in html


def test_bundle_list_without_javascript_is_a_page(engineer_web) -> None:
    assert "<html" in engineer_web.get("/ingest/bundles/").content.decode()


def test_failed_bundle_shows_its_reason_and_operators_can_reparse(
    operator_web, engineer_web, ingest, django_capture_on_commit_callbacks
) -> None:
    bad = ingest(b'{"format": "reanimator-inventory", "version": 1, "components": []}', filename="bad.json")
    assert bad.status == "failed"
    console = operator_web.get("/ingest/").content.decode()
    assert bad.error_code in console
    assert f"/ingest/bundles/{bad.pk}/reparse" in console
    assert f"/ingest/bundles/{bad.pk}/reparse" not in engineer_web.get("/ingest/").content.decode()
    assert engineer_web.post(f"/ingest/bundles/{bad.pk}/reparse").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_web.post(f"/ingest/bundles/{bad.pk}/reparse", {"next": "/ingest/"})
    assert response.status_code == 302
    assert response["Location"] == "/ingest/"
    bad.refresh_from_db()
    assert bad.status == "failed"  # the same bytes fail the same way again
    assert bad.parsed_at is not None


def test_reparse_refuses_an_offsite_next(operator_web, ingest) -> None:
    bad = ingest(b'{"format": "reanimator-inventory", "version": 1, "components": []}')
    response = operator_web.post(f"/ingest/bundles/{bad.pk}/reparse", {"next": "https://evil.example/"})
    assert response["Location"] == f"/ingest/bundles/{bad.pk}/"


def test_reparse_is_post_only(operator_web, ingest) -> None:
    bad = ingest(b'{"format": "reanimator-inventory", "version": 1, "components": []}')
    assert operator_web.get(f"/ingest/bundles/{bad.pk}/reparse").status_code == 405


@pytest.mark.parametrize("parts", [1, 6])
def test_bundle_detail_shows_what_was_found(engineer_web, ingest, django_assert_num_queries, parts) -> None:
    raw = inventory("SRV-D", WHEN, [part("DIMM", f"DM-D-{n}", slot=f"DIMM{n}") for n in range(parts)])
    bundle = ingest(raw)
    with django_assert_num_queries(6):
        html = engineer_web.get(f"/ingest/bundles/{bundle.pk}/").content.decode()
    assert f"{parts + 1} observation" in html  # the server itself and its parts
    assert "DM-D-0" in html
    assert bundle.sha256 in html


def test_bundle_status_partial_polls_while_parsing(engineer_web, ingest) -> None:
    bundle = ingest(_bundle())
    LogBundle.objects.filter(pk=bundle.pk).update(status="received")
    html = engineer_web.get(f"/ingest/bundles/{bundle.pk}/", **htmx("bundle-status")).content.decode()
    assert "<html" not in html
    assert 'hx-trigger="every 2s"' in html


def test_more_than_the_file_limit_is_refused(operator_web, monkeypatch) -> None:
    from ingest import views

    monkeypatch.setattr(views, "MAX_FILES", 1)
    files = [_file(_bundle("SRV-1"), "one.json"), _file(_bundle("SRV-2"), "two.json")]
    html = operator_web.post("/ingest/", {"files": files}, **htmx()).content.decode()
    assert "too_many_files" in html
    assert LogBundle.objects.count() == 0
