"""Ticket pages: the list (search, status and source filters) and one ticket with its links."""

from __future__ import annotations

import django_filters as filters
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from reanimator.pages import paginate, render_page
from tickets.choices import TicketStatus
from tickets.filtersets import TicketFilterSet
from tickets.models import Ticket
from tickets.services.panels import with_links


class TicketPageFilterSet(TicketFilterSet):
    """The API's ticket filters plus one search box over the key and the title."""

    q = filters.CharFilter(method="search", label="Search")

    def search(self, qs: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(external_id__icontains=value) | Q(title__icontains=value))


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    queryset = Ticket.objects.prefetch_related(with_links()).order_by("-updated_at", "-id")
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
    ticket = get_object_or_404(Ticket.objects.prefetch_related(with_links()), pk=pk)
    return render_page(request, "tickets/ticket_detail.html", "tickets/ticket_detail.html", {"ticket": ticket})
