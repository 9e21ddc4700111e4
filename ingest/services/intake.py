"""Receiving a bundle: store the raw bytes (content-addressed, immutable) and answer.
Parsing runs later, in Celery (ingest.tasks.parse_bundle), enqueued on commit."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from ingest.models import LogBundle
from reanimator.db import fetch, insert_instance, table

logger = logging.getLogger(__name__)

ACCEPTED_CONTENT_TYPES = {
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/zip",
    "application/x-zip-compressed",
    "application/json",
    "application/octet-stream",
}


class IntakeError(Exception):
    """A bundle refused at the door: nothing stored. `status` is the HTTP status to answer."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Receipt:
    bundle: LogBundle
    duplicate: bool


def check_size(size: int) -> None:
    limit = settings.REANIMATOR_MAX_BUNDLE_BYTES
    if size == 0:
        raise IntakeError("empty_bundle", "The upload is empty.")
    if size > limit:
        raise IntakeError("bundle_too_large", f"The bundle is {size} bytes; the limit is {limit} bytes.", status=413)


def receive_bundle(
    raw: bytes,
    *,
    content_type: str = "",
    filename: str = "",
    uploaded_by_id: int | None = None,
) -> Receipt:
    """Store `raw` once. The same bytes again, also concurrently, return the existing bundle
    and change nothing. Parsing is enqueued after the transaction commits."""
    check_size(len(raw))
    sha256 = hashlib.sha256(raw).hexdigest()
    existing = _stored(sha256)
    if existing is not None:
        return Receipt(existing, duplicate=True)

    bundle = LogBundle(
        sha256=sha256,
        size=len(raw),
        content_type=content_type[:100],
        original_filename=filename[:255],
        uploaded_by_id=uploaded_by_id,
    )
    # The file is written before the row: a row never points at missing bytes. A racing
    # duplicate writes the same content under another name, which it removes when it loses.
    bundle.raw.save(sha256, ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            insert_instance(bundle)
            transaction.on_commit(lambda: _enqueue_parse(bundle.pk))
    except IntegrityError:
        winner = LogBundle.objects.get(sha256=sha256)
        if winner.raw.name != bundle.raw.name:
            bundle.raw.storage.delete(bundle.raw.name)
        return Receipt(winner, duplicate=True)
    logger.info("bundle received", extra={"bundle_id": bundle.pk, "sha256": sha256, "size": len(raw)})
    return Receipt(bundle, duplicate=False)


def _stored(sha256: str) -> LogBundle | None:
    """The bundle already stored with these bytes. Most uploads are new: one indexed read of
    the unique key says so without compiling a QuerySet, and only a duplicate loads its row
    (None if it was deleted in between: then the upload stores it again, as it would have)."""
    if not fetch(f"SELECT 1 FROM {table(LogBundle)} WHERE sha256 = %s", [sha256]):  # noqa: S608
        return None
    try:
        return LogBundle.objects.get(sha256=sha256)  # unique: no ORDER BY, unlike first()
    except LogBundle.DoesNotExist:
        return None


def _enqueue_parse(bundle_id: int) -> None:
    """The bytes are committed already: a broker outage must not turn the upload into an
    error. The bundle stays "received" and the periodic sweep (ingest.requeue_stale_bundles)
    enqueues it again."""
    from ingest.tasks import parse_bundle_task

    try:
        parse_bundle_task.delay(bundle_id)
    except Exception:
        logger.exception("could not enqueue the parse; the periodic sweep will retry", extra={"bundle_id": bundle_id})
