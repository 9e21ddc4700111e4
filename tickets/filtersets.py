"""One FilterSet per model, for the API and the pages."""

from __future__ import annotations

import django_filters as filters

from tickets.choices import SyncRunStatus, TicketStatus
from tickets.models import SyncRun, Ticket


class TicketFilterSet(filters.FilterSet):
    # distinct=False: filtering on the ticket's own column never repeats a row (no DISTINCT sort)
    status = filters.MultipleChoiceFilter(choices=TicketStatus.choices, distinct=False)
    source = filters.CharFilter()
    external_id = filters.CharFilter()
    # A ticket has at most one link per target (unique), so these joins never repeat a row.
    asset = filters.NumberFilter(field_name="links__asset", label="Linked to asset (id)")
    component = filters.NumberFilter(field_name="links__component", label="Linked to component (id)")
    project = filters.NumberFilter(field_name="links__project", label="Linked to project (id)")
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Ticket
        fields = ["status", "source", "external_id", "asset", "component", "project", "updated_since"]


class SyncRunFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=SyncRunStatus.choices)
    connector = filters.CharFilter(field_name="connector__name")
    source = filters.CharFilter()

    class Meta:
        model = SyncRun
        fields = ["status", "connector", "source"]
