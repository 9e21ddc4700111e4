"""The Celery app. Tasks carry the request id of the request that enqueued them, so one
upload can be followed through the web log and the worker log by a single id."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

from reanimator import request_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reanimator.settings")

app = Celery("reanimator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_to_start_without_a_broker(**_: Any) -> None:
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        # SystemExit: Celery logs and ignores other exceptions of signal handlers.
        raise SystemExit(
            "CELERY_BROKER_URL is not set: without a broker tasks run in the web process, and a "
            "worker or beat would have nothing to talk to"
        )


REQUEST_ID_HEADER = "reanimator_request_id"


@signals.before_task_publish.connect
def _attach_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = request_context.get_request_id()
    if headers is not None and request_id:
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect
def _restore_request_id(task: Any = None, **_: Any) -> None:
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) if task is not None else None
    if request_id is None and task is not None:
        request_id = (task.request.headers or {}).get(REQUEST_ID_HEADER) if task.request.headers else None
    request_context.set_request_id(request_id)


@signals.task_postrun.connect
def _clear_request_id(**_: Any) -> None:
    request_context.set_request_id(None)
