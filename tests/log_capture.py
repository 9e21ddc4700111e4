"""Capturing log lines in a test as settings.LOGGING formats them (one JSON object a line)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from reanimator.logging import JsonFormatter, RequestIdFilter


@contextmanager
def json_log(level: int = logging.INFO) -> Iterator[io.StringIO]:
    """Log lines at `level` and above, formatted as in production. In a test that starts a
    Celery worker, enter it after the worker starts: the process's first worker start-up
    replaces the root logger's handlers and level (Celery sets logging up once per process,
    at its test worker's level), so the capture must come after it and set its own level."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.setLevel(level)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
