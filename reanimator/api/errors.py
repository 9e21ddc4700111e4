"""One JSON error shape for the whole API:

    {"code": "validation_error", "message": "...", "errors": {"field": ["..."]}, "request_id": "..."}

`errors` is present for field errors only. Unique-key conflicts answer 409 with code
"conflict", whether caught by a validator or by the database in a race.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from reanimator import request_context

_CODES = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_body(code: str, message: str, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    body["request_id"] = request_context.get_request_id()
    return body


def _has_unique_code(codes: Any) -> bool:
    if isinstance(codes, dict):
        return any(_has_unique_code(v) for v in codes.values())
    if isinstance(codes, list):
        return any(_has_unique_code(v) for v in codes)
    return codes == "unique"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, IntegrityError):
        # A race between two writers that both passed validation: the database decided.
        return Response(error_body("conflict", "The object conflicts with an existing one."), status=409)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if _has_unique_code(exc.get_codes()):
            response.status_code = status.HTTP_409_CONFLICT
            code, message = "conflict", "An object with the same unique key already exists."
        else:
            code, message = "validation_error", "The request has invalid fields."
        if isinstance(detail, dict):
            errors = detail
        else:
            errors = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        response.data = error_body(code, message, errors)
        return response

    code = getattr(exc, "error_code", None) or _CODES.get(response.status_code, exc.default_code)
    response.data = error_body(code, str(exc.detail))
    return response


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler404 for /api/ paths: the same JSON shape instead of an HTML page."""
    return JsonResponse(error_body("not_found", "No such API endpoint or object."), status=404)


class ConflictError(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class DomainError(exceptions.APIException):
    """A domain rule refused the operation (for example a lifecycle transition)."""

    status_code = 409
    default_code = "domain_rule"

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(detail=message, code=code)
        self.error_code = code
