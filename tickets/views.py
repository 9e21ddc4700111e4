"""Ticket pages: the list (search, status and source filters) and one ticket with its links.
The linked-ticket panels of the server card, the component page and the dashboard read
through the functions here."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from reanimator.pages import paginate, render_page
from registry.models import Asset, Component, Installation
from tickets.choices import TicketStatus
from tickets.models import Ticket, TicketLink

OPEN_STATUSES = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS]


class TicketPageFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Search")
    status = filters.MultipleChoiceFilter(choices=TicketStatus.choices)
    source = filters.CharFilter()

    class Meta:
        model = Ticket
        fields = ["status", "source"]

    def search(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(external_id__icontains=value) | Q(title__icontains=value))


def _links() -> Prefetch:
    return Prefetch("links", queryset=TicketLink.objects.select_related("asset", "component", "project__customer"))


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    queryset = Ticket.objects.prefetch_related(_links()).order_by("-updated_at", "-id")
    filterset = TicketPageFilterSet(request.GET, queryset=queryset)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    context = {
        "filterset": filterset,
        "page_obj": paginate(request, rows),
        "statuses": TicketStatus.choices,
        "selected_statuses": request.GET.getlist("status"),
        "sources": Ticket.objects.order_by("source").values_list("source", flat=True).distinct(),
    }
    return render_page(request, "tickets/ticket_list.html", "tickets/partials/ticket_table.html", context)


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket.objects.prefetch_related(_links()), pk=pk)
    return render_page(request, "tickets/ticket_detail.html", "tickets/ticket_detail.html", {"ticket": ticket})


def tickets_for_asset(asset: Asset, *, limit: int = 50) -> list[TicketLink]:
    """Links to the server itself and to any part that has ever been in it. One query."""
    parts = Installation.objects.filter(asset=asset).values("component_id")
    return list(
        TicketLink.objects.filter(Q(asset=asset) | Q(component_id__in=Subquery(parts)))
        .select_related("ticket", "component")
        .order_by("-ticket__updated_at", "-id")[:limit]
    )


def tickets_for_component(component: Component, *, limit: int = 50) -> list[TicketLink]:
    return list(
        TicketLink.objects.filter(component=component)
        .select_related("ticket", "component")
        .order_by("-ticket__updated_at", "-id")[:limit]
    )


def open_tickets(*, limit: int = 10) -> list[Any]:
    return list(
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .prefetch_related(_links())
        .order_by("-updated_at", "-id")[:limit]
    )
