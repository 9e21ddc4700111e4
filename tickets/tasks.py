from __future__ import annotations

import logging

from celery import shared_task

from tickets.services.runs import dispatch_due_connectors, run_connector

logger = logging.getLogger(__name__)


@shared_task(name="tickets.run_connector")
def run_connector_task(connector_id: int, run_id: int | None = None) -> str:
    """One pull run. Safe to deliver twice: a run that is no longer queued is not run again,
    and the connector's lock keeps two runs apart."""
    return run_connector(connector_id, run_id=run_id).status


@shared_task(name="tickets.dispatch_due_connectors")
def dispatch_due_connectors_task() -> int:
    """Beat job: queue the runs of connectors whose interval has passed."""
    queued = dispatch_due_connectors()
    if queued:
        logger.info("ticket sync runs queued", extra={"run_ids": queued})
    return len(queued)
