from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from ingest.services.parsing import bundles_waiting_for_a_parse, parse_bundle, parse_with_waiting

logger = logging.getLogger(__name__)


@shared_task(
    name="ingest.parse_bundle",
    autoretry_for=(OperationalError,),  # deadlocks and lost connections: the parse is one transaction
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def parse_bundle_task(bundle_id: int, reparse: bool = False) -> str | None:
    bundle = parse_bundle(bundle_id, reparse=True) if reparse else parse_with_waiting(bundle_id)
    if bundle is None:
        logger.info("bundle not claimable, skipped", extra={"bundle_id": bundle_id})
        return None
    return bundle.status


@shared_task(name="ingest.requeue_stale_bundles")
def requeue_stale_bundles_task() -> int:
    """Beat job: enqueue again the bundles nobody is parsing (see bundles_waiting_for_a_parse)."""
    bundle_ids = bundles_waiting_for_a_parse(received_before=timezone.now() - timedelta(minutes=2))
    for bundle_id in bundle_ids:
        parse_bundle_task.delay(bundle_id)
    if bundle_ids:
        logger.info("re-enqueued waiting bundles", extra={"count": len(bundle_ids)})
    return len(bundle_ids)
