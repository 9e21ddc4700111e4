"""The ingest console: upload bundles (the intake service, as the API uses it), watch their
status by htmx polling, read what a bundle yielded, and re-parse failed ones (operators)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ingest.choices import BundleStatus
from ingest.models import LogBundle, Observation
from ingest.services.console import console_summary
from ingest.services.intake import IntakeError, check_size, receive_bundle
from ingest.tasks import parse_bundle_task
from reanimator.pages import render_page, wants_partial

RECENT_BUNDLES = 25
MAX_FILES = 20  # per upload; each file has the bundle size limit
_MULTIPART_OVERHEAD = 64 * 1024
ACTIVE = (BundleStatus.RECEIVED, BundleStatus.PARSING)


@dataclass(frozen=True)
class UploadResult:
    filename: str
    bundle: LogBundle | None
    duplicate: bool = False
    error_code: str = ""
    error_message: str = ""


def _recent_bundles() -> dict[str, Any]:
    bundles = list(LogBundle.objects.select_related("asset").order_by("-received_at", "-id")[:RECENT_BUNDLES])
    return {"bundles": bundles, "polling": any(b.status in ACTIVE for b in bundles)}


def can_upload(user: Any) -> bool:
    return bool(user.has_perm("ingest.add_logbundle"))


def can_reparse(user: Any) -> bool:
    return bool(user.has_perm("ingest.change_logbundle"))


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """GET: the console. POST: upload one or more bundles (field `files`)."""
    results: list[UploadResult] = []
    if request.method == "POST":
        if not can_upload(request.user):
            raise PermissionDenied("Uploading bundles needs the ingest.add_logbundle permission.")
        results = _upload(request)
        if not wants_partial(request):
            for result in results:
                if result.error_code:
                    messages.error(request, f"{result.filename}: {result.error_message} ({result.error_code})")
                elif result.duplicate:
                    messages.info(request, f"{result.filename}: already received as bundle {result.bundle.pk}.")  # type: ignore[union-attr]
                else:
                    messages.success(request, f"{result.filename}: received as bundle {result.bundle.pk}.")  # type: ignore[union-attr]
            return redirect("ingest:console")
        context = {"results": results, **_recent_bundles(), "oob": True, "can_reparse": can_reparse(request.user)}
        return render(request, "ingest/partials/upload_results.html", context)
    summary = console_summary()
    context = {
        "summary": summary,
        "can_upload": can_upload(request.user),
        "can_reparse": can_reparse(request.user),
        "max_bytes": settings.REANIMATOR_MAX_BUNDLE_BYTES,
        **_recent_bundles(),
    }
    return render(request, "ingest/console.html", context)


def _upload(request: HttpRequest) -> list[UploadResult]:
    # Refuse an oversized body before Django spools it to disk (the API does the same).
    limit = settings.REANIMATOR_MAX_BUNDLE_BYTES * MAX_FILES + _MULTIPART_OVERHEAD
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        message = f"The upload exceeds {limit} bytes; send at most {MAX_FILES} bundles at a time."
        return [UploadResult("(upload)", None, error_code="bundle_too_large", error_message=message)]
    files = request.FILES.getlist("files")
    if len(files) > MAX_FILES:
        message = f"{len(files)} files at once; send at most {MAX_FILES} bundles at a time."
        return [UploadResult("(upload)", None, error_code="too_many_files", error_message=message)]
    if not files:
        return [UploadResult("(no file)", None, error_code="missing_file", error_message="Choose a bundle to upload.")]
    results = []
    for upload in files:
        name = upload.name or "upload"
        try:
            check_size(upload.size or 0)
            receipt = receive_bundle(
                upload.read(),
                content_type=upload.content_type or "",
                filename=name,
                uploaded_by_id=request.user.pk,
            )
        except IntakeError as exc:
            results.append(UploadResult(name, None, error_code=exc.code, error_message=exc.message))
            continue
        receipt.bundle.refresh_from_db()  # parsed already when Celery runs eagerly
        results.append(UploadResult(name, receipt.bundle, duplicate=receipt.duplicate))
    return results


@login_required
def bundle_list(request: HttpRequest) -> HttpResponse:
    """The recent bundles; htmx polls it every 2 s while one is received or parsing."""
    context = {**_recent_bundles(), "can_reparse": can_reparse(request.user)}
    return render_page(request, "ingest/bundle_list.html", "ingest/partials/bundle_list.html", context)


@login_required
def bundle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bundle = get_object_or_404(LogBundle.objects.select_related("asset", "uploaded_by"), pk=pk)
    observations = list(
        Observation.objects.filter(bundle=bundle)
        .select_related("component__lot")
        .order_by("kind", "component_class", "slot", "id")
    )
    context = {
        "bundle": bundle,
        "observations": observations,
        "can_reparse": can_reparse(request.user),
        "polling": bundle.status in ACTIVE,
    }
    return render_page(
        request, "ingest/bundle_detail.html", "ingest/partials/bundle_status.html", context, target="bundle-status"
    )


@login_required
@require_POST
def bundle_reparse(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_reparse(request.user):
        raise PermissionDenied("Re-parsing needs the ingest.change_logbundle permission.")
    bundle = get_object_or_404(LogBundle, pk=pk)
    transaction.on_commit(lambda: parse_bundle_task.delay(bundle.pk, reparse=True))
    messages.info(request, f"Bundle {bundle.pk} queued for a re-parse.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("ingest:bundle-detail", args=[bundle.pk])
    return redirect(target)
