"""TICKET_LINKED timeline events: the one function that writes them.

Every ticket's events carry their own origin ("ticket:<id>"), so re-deriving an asset or a
component (origins "asset:N", "component:N") never touches them, and they are brought to the
ticket's current links by difference: syncing an unchanged ticket again writes nothing, a
removed link loses its event, a renamed ticket gets its events replaced.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import Q

from tickets.models import Ticket, TicketLink
from timeline.choices import EVENT_TYPE_ORDER, EventSource, EventType, SubjectType
from timeline.models import TimelineEvent


def ticket_event_origin(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def write_ticket_linked_events(ticket: Ticket) -> int:
    """Bring the TICKET_LINKED events of this ticket to its asset and component links.
    Returns how many rows were deleted or inserted."""
    origin = ticket_event_origin(ticket.pk)
    wanted: dict[str, TimelineEvent] = {}
    links = ticket.links.filter(Q(asset__isnull=False) | Q(component__isnull=False)).order_by("id")
    for link in links:
        event = _event_for(ticket, link, origin)
        wanted[event.natural_key] = event
    existing = dict(TimelineEvent.objects.filter(origin=origin).order_by().values_list("natural_key", "pk"))
    stale = [pk for key, pk in existing.items() if key not in wanted]
    if stale:
        TimelineEvent.objects.filter(pk__in=stale).delete()
    new = [event for key, event in wanted.items() if key not in existing]
    if new:
        TimelineEvent.objects.bulk_create(new)
    return len(stale) + len(new)


def delete_ticket_linked_events(ticket_id: int) -> int:
    deleted, _ = TimelineEvent.objects.filter(origin=ticket_event_origin(ticket_id)).delete()
    return deleted


def _event_for(ticket: Ticket, link: TicketLink, origin: str) -> TimelineEvent:
    subject_type = SubjectType.ASSET if link.asset_id else SubjectType.COMPONENT
    subject_id = link.asset_id or link.component_id
    assert subject_id is not None
    # The ticket's opening time places it in the hardware's history; a source that sends none
    # gets the moment the link was made, which is stored and so stays the same.
    timestamp = ticket.opened_at or link.created_at
    payload: dict[str, Any] = {
        "ticket_id": ticket.pk,
        "source": ticket.source,
        "external_id": ticket.external_id,
        "title": ticket.title[:200],
        "url": ticket.url,
        "origin": link.origin,
        "matched_text": link.matched_text,
    }
    identity = f"{origin}|{EventType.TICKET_LINKED}|{subject_type}:{subject_id}|{timestamp.isoformat()}"
    content = json.dumps(payload, sort_keys=True, default=str)
    key = hashlib.sha256(f"{identity}|{EventSource.TICKET}|{ticket.pk}|{content}".encode()).hexdigest()
    return TimelineEvent(
        subject_type=subject_type,
        subject_id=subject_id,
        timestamp=timestamp,
        event_type=EventType.TICKET_LINKED,
        type_order=EVENT_TYPE_ORDER[EventType.TICKET_LINKED],
        payload=payload,
        source=EventSource.TICKET,
        source_ref=str(ticket.pk),
        natural_key=key,
        origin=origin,
    )
