"""The ticket panels of other pages: tickets linked to a server (directly or through any part
that has been in it), to a part, and the open ones for the dashboard. One query each, plus
one for the links of a list of tickets (two for a server's: its parts' ids first)."""

from __future__ import annotations

from django.db.models import Prefetch, Q

from registry.models import Asset, Component, Installation
from tickets.choices import TicketStatus
from tickets.models import Ticket, TicketLink

OPEN_STATUSES = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS]


def with_links() -> Prefetch:
    return Prefetch("links", queryset=TicketLink.objects.select_related("asset", "component", "project__customer"))


def tickets_for_asset(asset: Asset, *, limit: int = 50) -> list[TicketLink]:
    """Links to the server itself and to any part that has ever been in it. Two queries: the
    parts' ids first (the asset's installations), then the links by the asset_id and
    component_id indexes (an index merge). With the parts as a subquery inside the OR,
    MariaDB read every ticket link and ran the subquery for each."""
    parts = list(Installation.objects.filter(asset=asset).values_list("component_id", flat=True).distinct())
    return list(
        TicketLink.objects.filter(Q(asset=asset) | Q(component_id__in=parts))
        .select_related("ticket", "component")
        .order_by("-ticket__updated_at", "-id")[:limit]
    )


def tickets_for_component(component: Component, *, limit: int = 50) -> list[TicketLink]:
    return list(
        TicketLink.objects.filter(component=component)
        .select_related("ticket", "component")
        .order_by("-ticket__updated_at", "-id")[:limit]
    )


def open_tickets(*, limit: int = 10) -> list[Ticket]:
    return list(
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .prefetch_related(with_links())
        .order_by("-updated_at", "-id")[:limit]
    )
