"""Running tasks over the real Redis broker in a test.

The suite runs Celery eagerly (tests.settings); a test that needs the production path switches
the app to the Redis that `make test` started (REANIMATOR_TEST_BROKER_URL) for its duration.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from reanimator.celery import app as celery_app


def broker_url_for_tests() -> str:
    url = os.environ.get("REANIMATOR_TEST_BROKER_URL")
    if not url:
        pytest.fail("REANIMATOR_TEST_BROKER_URL is not set: run the suite with `make test`")
    return url


def switch_broker(**conf: object) -> None:
    # The producer pool caches connections to the broker it first saw: drop it on a switch.
    celery_app.conf.update(conf)
    celery_app.amqp._producer_pool = None
    celery_app._pool = None


@contextmanager
def over_redis(settings) -> Iterator[str]:
    """The app sends tasks to the real Redis broker inside the block, eagerly again after it."""
    url = broker_url_for_tests()
    previous = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as a worker's settings have it
    switch_broker(broker_url=url, task_always_eager=False)
    try:
        yield url
    finally:
        switch_broker(**previous)


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
