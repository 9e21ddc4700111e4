from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reanimator import request_context

# A client-supplied id is echoed into logs, so only a short token of safe characters is kept.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Takes X-Request-ID from the client (or makes one), exposes it to logs and Celery
    tasks, and returns it in the response header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Not reset on the way out: Django logs the response (django.request) after the
        # middleware chain returns, and that line must carry the id too. The next request
        # on this thread overwrites it.
        request_context.set_request_id(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
