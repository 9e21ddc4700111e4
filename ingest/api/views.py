"""Bundle upload and bundle/observation reads. Upload stores the raw bytes and answers; the
parse runs in Celery (ingest.services.intake)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingest.api.serializers import BundleReceiptSerializer, LogBundleSerializer, ObservationSerializer
from ingest.filtersets import LogBundleFilterSet
from ingest.models import LogBundle, Observation
from ingest.services.intake import ACCEPTED_CONTENT_TYPES, IntakeError, check_size, receive_bundle
from reanimator.api.errors import error_body

COLLECTOR_FILE = settings.BASE_DIR / "collector" / "reanimator_collect.py"

# Multipart framing (boundaries, headers) on top of the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


class UploadPermission(DjangoModelPermissions):
    """Uploading needs ingest.add_logbundle (operators and integrators hold it)."""

    perms_map = {**DjangoModelPermissions.perms_map, "POST": ["%(app_label)s.add_%(model_name)s"]}


class BundleUploadView(APIView):
    parser_classes = [MultiPartParser]
    permission_classes = [UploadPermission]
    queryset = LogBundle.objects.none()  # tells DjangoModelPermissions the model

    @extend_schema(
        operation_id="ingest_logbundle_upload",
        summary="Upload a log bundle",
        description=(
            "A .tar.gz, .tar, .zip or single JSON document, as multipart field `file` or as the raw body "
            "(Content-Type application/gzip, application/x-tar, application/zip, application/json). "
            "New bytes answer 201; the same bytes again answer 200 with `duplicate: true` and change nothing. "
            "Parsing runs in the background: poll `url` until status is parsed or failed."
        ),
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
            "application/gzip": OpenApiTypes.BINARY,
            "application/x-tar": OpenApiTypes.BINARY,
            "application/zip": OpenApiTypes.BINARY,
            "application/json": OpenApiTypes.BINARY,
        },
        responses={
            201: BundleReceiptSerializer,
            200: BundleReceiptSerializer,
            400: OpenApiResponse(description="empty_bundle or missing file"),
            413: OpenApiResponse(description="bundle_too_large"),
            415: OpenApiResponse(description="unsupported_media_type"),
        },
    )
    def post(self, request: Request) -> Response:
        try:
            raw, filename = self._read_upload(request)
            receipt = receive_bundle(
                raw,
                content_type=request.content_type or "",
                filename=filename,
                uploaded_by_id=request.user.pk,
            )
        except IntakeError as exc:
            return Response(error_body(exc.code, exc.message), status=exc.status)
        bundle = receipt.bundle
        body = {
            "id": bundle.pk,
            "sha256": bundle.sha256,
            "status": bundle.status,
            "duplicate": receipt.duplicate,
            "url": request.build_absolute_uri(reverse("logbundle-detail", args=[bundle.pk])),
        }
        return Response(body, status=status.HTTP_200_OK if receipt.duplicate else status.HTTP_201_CREATED)

    def _read_upload(self, request: Request) -> tuple[bytes, str]:
        limit = settings.REANIMATOR_MAX_BUNDLE_BYTES
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        if media_type == "multipart/form-data":
            if declared > limit + _MULTIPART_OVERHEAD:
                raise IntakeError("bundle_too_large", f"The upload exceeds the limit of {limit} bytes.", status=413)
            upload = request.FILES.get("file")
            if upload is None:
                raise IntakeError("missing_file", "Send the bundle in the multipart field `file`.")
            check_size(upload.size or 0)
            return upload.read(), upload.name or ""
        if media_type not in ACCEPTED_CONTENT_TYPES:
            raise IntakeError(
                "unsupported_media_type",
                f"Content-Type {media_type or '(none)'} is not a bundle type; use multipart/form-data or one of "
                + ", ".join(sorted(ACCEPTED_CONTENT_TYPES)),
                status=415,
            )
        if declared > limit:
            raise IntakeError("bundle_too_large", f"The bundle exceeds the limit of {limit} bytes.", status=413)
        # Read the body ourselves, bounded: request.body is capped at DATA_UPLOAD_MAX_MEMORY_SIZE.
        raw = request._request.read(limit + 1)
        check_size(len(raw))
        return raw, ""


class LogBundleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = LogBundle.objects.all()
    serializer_class = LogBundleSerializer
    filterset_class = LogBundleFilterSet

    @extend_schema(responses=ObservationSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def observations(self, request: Request, pk: str | None = None) -> Response:
        bundle = self.get_object()
        queryset: QuerySet[Observation] = Observation.objects.filter(bundle=bundle)
        page = self.paginate_queryset(queryset)
        if page is None:
            raise exceptions.NotFound()
        return self.get_paginated_response(ObservationSerializer(page, many=True).data)


class CollectorDownloadView(APIView):
    """The collector as one file, for servers that cannot `pip install` it (docs/collector.md)."""

    permission_classes = [IsAuthenticated]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        # The file is the answer whatever Accept says; errors (401) still come out as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="ingest_collector_download",
        summary="Download the collector",
        description="`reanimator-collect`: one Python 3.6+ file, standard library only. See docs/collector.md.",
        responses={(200, "text/x-python"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(COLLECTOR_FILE.read_bytes(), content_type="text/x-python; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="reanimator-collect"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
