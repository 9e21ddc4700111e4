"""Figures for the ingest console: bundles by status and the latest failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from ingest.choices import BundleStatus
from ingest.models import LogBundle


@dataclass(frozen=True)
class ConsoleSummary:
    since: datetime
    by_status: dict[str, int]
    recent_failures: list[LogBundle]


def console_summary(*, window: timedelta = timedelta(hours=24), failures: int = 10) -> ConsoleSummary:
    """Two queries: counts by status received within the window (one range of the (status,
    received_at) index per status, read from the index alone), and the latest failed bundles
    with their reasons."""
    since = timezone.now() - window
    counts = dict(
        # Naming the statuses lets MariaDB range-scan the index under each; without them it
        # would read the whole index (received_at is its second column).
        LogBundle.objects.filter(status__in=BundleStatus.values, received_at__gte=since)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    by_status = {status: counts.get(status, 0) for status in BundleStatus.values}
    recent = list(
        LogBundle.objects.filter(status=BundleStatus.FAILED)
        .select_related("asset")
        .order_by("-received_at", "-id")[:failures]
    )
    return ConsoleSummary(since=since, by_status=by_status, recent_failures=recent)
