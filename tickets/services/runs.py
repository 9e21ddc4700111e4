"""Sync runs: pushes recorded, pulls run under a per-connector lock, connectors run on their
own schedule.

The lock is a conditional UPDATE on the connector row (healthchecks' habit): it takes the
lock only when nobody holds it or the holder's lease has run out, so it needs no Redis (the
embedded set-up has none) and a worker that dies mid-run blocks its connector only until the
lease expires. A run extends its lease after every page it stores and stops if it lost it.
The cursor is saved with every page, so a run that fails half-way loses nothing: the next run
resumes from the last page stored.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.choices import SyncRunStatus, SyncTrigger
from tickets.connectors import ConnectorError, build_connector
from tickets.connectors.http import HttpClient, redact
from tickets.models import SyncRun, TicketConnector
from tickets.services.sync import SyncResult, sync_tickets

logger = logging.getLogger(__name__)


class LockLost(ConnectorError):
    """The run's lease ran out and another run took the connector."""


def lock_lease() -> timedelta:
    return timedelta(seconds=settings.REANIMATOR_TICKET_SYNC_LOCK_SECONDS)


def acquire_lock(connector_id: int, *, now: datetime | None = None) -> str | None:
    """Take the connector's run lock; None when another run holds a live lease."""
    now = now or timezone.now()
    token = secrets.token_hex(16)
    taken = (
        TicketConnector.objects.filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now), pk=connector_id)
        .order_by()
        .update(lock_token=token, locked_until=now + lock_lease())
    )
    return token if taken else None


def extend_lock(connector_id: int, token: str, *, cursor: datetime | None = None) -> bool:
    """Renew the lease (and save the cursor) while the lock is still ours."""
    values: dict[str, object] = {"locked_until": timezone.now() + lock_lease()}
    if cursor is not None:
        values["cursor"] = cursor
    return bool(TicketConnector.objects.filter(pk=connector_id, lock_token=token).order_by().update(**values))


def release_lock(connector_id: int, token: str) -> None:
    TicketConnector.objects.filter(pk=connector_id, lock_token=token).order_by().update(
        lock_token="", locked_until=None
    )


def record_push(source: str, result: SyncResult) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        source=source,
        trigger=SyncTrigger.PUSH,
        status=SyncRunStatus.SUCCEEDED,
        started_at=now,
        finished_at=now,
        item_errors=result.errors,
        **result.as_counts(),
    )


def request_pull(connector: TicketConnector, *, trigger: str) -> SyncRun:
    """A queued run of this connector, enqueued once the caller's transaction commits."""
    from tickets.tasks import run_connector_task

    run = SyncRun.objects.create(connector=connector, source=connector.ticket_source, trigger=trigger)
    transaction.on_commit(lambda: run_connector_task.delay(connector.pk, run.pk))
    return run


def dispatch_due_connectors(*, now: datetime | None = None) -> list[int]:
    """Beat job: queue a run of every enabled connector whose time has come. The schedule is
    advanced with a conditional UPDATE, so a connector is queued once per interval."""
    now = now or timezone.now()
    queued = []
    due = TicketConnector.objects.filter(
        Q(next_run_at__isnull=True) | Q(next_run_at__lte=now),
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),  # a run still going needs no company
        enabled=True,
    )
    for connector in due.order_by("pk"):
        advanced = (
            TicketConnector.objects.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now), pk=connector.pk)
            .order_by()
            .update(next_run_at=now + timedelta(seconds=connector.interval_seconds))
        )
        if advanced:
            with transaction.atomic():
                queued.append(request_pull(connector, trigger=SyncTrigger.SCHEDULE).pk)
    return queued


def run_connector(connector_id: int, *, run_id: int | None = None, client: HttpClient | None = None) -> SyncRun:
    """Pull from one connector: take its lock, fetch pages from its cursor on, upsert each
    page and save the cursor after it, record the run. Call outside a transaction."""
    connector = TicketConnector.objects.get(pk=connector_id)
    run = (
        SyncRun.objects.get(pk=run_id)
        if run_id
        else SyncRun.objects.create(connector=connector, source=connector.ticket_source, trigger=SyncTrigger.API)
    )
    if run.status != SyncRunStatus.QUEUED:
        return run  # a retried task whose run already happened
    token = acquire_lock(connector_id)
    if token is None:
        run.status, run.finished_at = SyncRunStatus.SKIPPED, timezone.now()
        run.error = "Another run of this connector holds the lock."
        run.save(update_fields=["status", "finished_at", "error"])
        logger.info("ticket sync skipped: connector busy", extra={"connector": connector.name, "run_id": run.pk})
        return run
    # Runs still marked running hold no lock any more: their worker died with its lease.
    SyncRun.objects.filter(connector_id=connector_id, status=SyncRunStatus.RUNNING).exclude(pk=run.pk).update(
        status=SyncRunStatus.FAILED, finished_at=timezone.now(), error="The worker running it was lost."
    )
    result = SyncResult()
    connector.refresh_from_db()
    cursor = connector.cursor
    run.status, run.started_at, run.cursor_before = SyncRunStatus.RUNNING, timezone.now(), cursor
    run.save(update_fields=["status", "started_at", "cursor_before"])
    TicketConnector.objects.filter(pk=connector_id).order_by().update(
        next_run_at=run.started_at + timedelta(seconds=connector.interval_seconds)
    )
    try:
        for page in build_connector(connector, client=client).pages(cursor):
            result.add(sync_tickets(page.items, source=connector.ticket_source))
            if page.cursor is not None and (cursor is None or page.cursor > cursor):
                cursor = page.cursor
            if not extend_lock(connector_id, token, cursor=cursor):
                raise LockLost("The run's lock expired and another run took the connector; stopped.")
            _save_progress(run, result, cursor)
        run.status = SyncRunStatus.SUCCEEDED
    except ConnectorError as exc:
        run.status, run.error = SyncRunStatus.FAILED, redact(str(exc), connector.secret)
    except Exception as exc:
        run.status = SyncRunStatus.FAILED
        run.error = redact(f"{type(exc).__name__}: {exc}", connector.secret)
        raise
    finally:
        run.finished_at = timezone.now()
        _save_progress(run, result, cursor, final=True)
        release_lock(connector_id, token)
        log = logger.info if run.status == SyncRunStatus.SUCCEEDED else logger.warning
        log(
            "ticket sync run finished",
            extra={
                "connector": connector.name,
                "run_id": run.pk,
                "status": run.status,
                "cursor_before": cursor_iso(run.cursor_before),
                "cursor_after": cursor_iso(cursor),
                "error": run.error,
                # "created" is a LogRecord attribute: the counts go under their own key
                "counts": result.as_counts(),
            },
        )
    return run


def _save_progress(run: SyncRun, result: SyncResult, cursor: datetime | None, *, final: bool = False) -> None:
    run.cursor_after = cursor
    for name, value in result.as_counts().items():
        setattr(run, name, value)
    run.item_errors = result.errors
    fields = ["cursor_after", "created", "updated", "unchanged", "rejected", "item_errors"]
    if final:
        fields += ["status", "finished_at", "error"]
    run.save(update_fields=fields)


def cursor_iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
