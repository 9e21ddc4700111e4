"""Reads shared by the API and the pages: tickets with their links, one query each."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from tickets.models import Ticket, TicketLink


def tickets_with_links() -> QuerySet[Ticket]:
    return Ticket.objects.prefetch_related(Prefetch("links", queryset=TicketLink.objects.order_by("id")))


def linked_tickets(*, asset_id: int | None = None, component_id: int | None = None) -> QuerySet[Ticket]:
    """Tickets linked to this asset or component (served by the unique (ticket, target)
    indexes), newest change first; the API pages them by id instead."""
    queryset = tickets_with_links()
    if asset_id is not None:
        queryset = queryset.filter(links__asset_id=asset_id)
    if component_id is not None:
        queryset = queryset.filter(links__component_id=component_id)
    return queryset.order_by("-updated_at", "-id")
