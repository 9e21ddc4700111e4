"""Reading history: keyset pages of a subject's timeline, and an asset's parts at a moment.
The API and the pages both read through here."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from registry.models import Installation
from timeline.choices import EVENT_TYPE_ORDER
from timeline.models import TimelineEvent

MAX_PAGE_SIZE = 500


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    """The position after the last event of a page: (timestamp, type_order, id)."""

    timestamp: datetime
    type_order: int
    event_id: int

    def encode(self) -> str:
        raw = json.dumps([self.timestamp.isoformat(), self.type_order, self.event_id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            stamp, type_order, event_id = json.loads(raw)
            timestamp = parse_datetime(stamp)
            if timestamp is None or timestamp.tzinfo is None:
                raise ValueError(stamp)
            return cls(timestamp, int(type_order), int(event_id))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidCursor("The cursor is not one this server handed out.") from exc


@dataclass(frozen=True)
class TimelinePage:
    events: list[TimelineEvent]
    next_cursor: Cursor | None


def timeline_page(
    subject_type: str,
    subject_id: int,
    *,
    event_types: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: Cursor | None = None,
    limit: int = 50,
    descending: bool = False,
) -> TimelinePage:
    """One page of a subject's events in (timestamp, type_order, id) order (or its reverse).
    Keyset paging over the (subject, timestamp, type_order, id) index: every page costs one
    index range read however deep it is, and events added meanwhile never shift a page, so a
    client paging through sees each event once."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    queryset: QuerySet[TimelineEvent] = TimelineEvent.objects.filter(subject_type=subject_type, subject_id=subject_id)
    if event_types:
        # type_order is in the subject index and maps one-to-one to the type: filtering on it
        # lets MariaDB skip other types inside the index instead of reading their rows.
        orders = sorted({EVENT_TYPE_ORDER[t] for t in event_types if t in EVENT_TYPE_ORDER})
        queryset = queryset.filter(type_order__in=orders, event_type__in=event_types)
    if since is not None:
        queryset = queryset.filter(timestamp__gte=since)
    if until is not None:
        queryset = queryset.filter(timestamp__lt=until)
    if after is not None:
        queryset = queryset.filter(_beyond(after, descending))
    order = ["-timestamp", "-type_order", "-id"] if descending else ["timestamp", "type_order", "id"]
    rows = list(queryset.order_by(*order)[: limit + 1])
    events = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = events[-1]
        next_cursor = Cursor(last.timestamp, last.type_order, last.pk)
    return TimelinePage(events, next_cursor)


def _beyond(cursor: Cursor, descending: bool) -> Q:
    # Spelled out rather than a row comparison, which MariaDB does not turn into an index range;
    # the leading bound on timestamp alone lets it range-scan the index.
    t, o, i = cursor.timestamp, cursor.type_order, cursor.event_id
    if descending:
        return Q(timestamp__lte=t) & (
            Q(timestamp__lt=t) | Q(timestamp=t, type_order__lt=o) | Q(timestamp=t, type_order=o, id__lt=i)
        )
    return Q(timestamp__gte=t) & (
        Q(timestamp__gt=t) | Q(timestamp=t, type_order__gt=o) | Q(timestamp=t, type_order=o, id__gt=i)
    )


def installations_at(asset_id: int, moment: datetime) -> QuerySet[Installation]:
    """The parts in an asset at `moment`: installed by then and not yet removed. A part whose
    removal window (last_seen_at, removed_at] contains the moment may already have been
    taken out; callers show that as uncertain (moment > last_seen_at)."""
    return (
        Installation.objects.filter(asset_id=asset_id, installed_at__lte=moment)
        .filter(Q(removed_at__isnull=True) | Q(removed_at__gt=moment))
        .select_related("component__lot")
        .order_by("component__component_class", "slot", "id")
    )


def newest_of(querysets: list[QuerySet[TimelineEvent]], order: list[str], limit: int) -> list[TimelineEvent]:
    """The first `limit` events, in `order`, of the union of these querysets, in one query.
    On MariaDB a UNION ALL of one LIMITed, ordered branch per queryset: each branch is a short
    index range, and the database merges at most len(querysets) x limit rows. (One WHERE with
    an OR or an IN across the branches would sort every matching row of the table.) SQLite,
    the embedded default, does not take LIMIT inside a compound: there the branches are ORed."""
    if len(querysets) == 1:
        return list(querysets[0].order_by(*order)[:limit])
    if connection.features.supports_slicing_ordering_in_compound:
        branches = [queryset.order_by(*order)[:limit] for queryset in querysets]
        return list(branches[0].union(*branches[1:], all=True).order_by(*order)[:limit])
    combined = querysets[0]
    for queryset in querysets[1:]:
        combined = combined | queryset
    return list(combined.order_by(*order)[:limit])
