from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from ingest.services.parsing import parse_bundle

logger = logging.getLogger(__name__)


@shared_task(
    name="ingest.parse_bundle",
    autoretry_for=(OperationalError,),  # deadlocks and lost connections: the parse is one transaction
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def parse_bundle_task(bundle_id: int, reparse: bool = False) -> str | None:
    bundle = parse_bundle(bundle_id, reparse=reparse)
    if bundle is None:
        logger.info("bundle not claimable, skipped", extra={"bundle_id": bundle_id})
        return None
    return bundle.status
