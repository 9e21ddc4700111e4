"""Registry pages: the assets and components lists (filtered by the API's FilterSets), the
server card and the component page."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import django_filters as filters
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from reanimator import pages
from reanimator.pages import capped_count, paginate, render_page, wants_partial
from registry.choices import AssetStatus, ComponentClass
from registry.filtersets import AssetFilterSet, ComponentFilterSet
from registry.models import Asset, Component, Installation, Location, Lot, Project
from registry.normalisation import normalise_text
from registry.services.cards import component_card, health_series, parts_in, server_card, sparkline
from tickets.services.panels import tickets_for_asset, tickets_for_component
from timeline.choices import SubjectType
from timeline.views import timeline_context

# Every sort key is served by an index (the column's, with the primary key as tiebreak)...
ASSET_SORTS = {
    "hostname": ["hostname", "id"],
    "serial": ["vendor_serial", "id"],
    "asset_tag": ["asset_tag", "id"],
    "model": ["vendor", "model", "id"],
    "status": ["status", "id"],
    "location": ["location__name", "id"],
    "project": ["project__customer__name", "project__name", "id"],
    "parts": ["parts", "id"],
    "updated": ["updated_at", "id"],
}
COMPONENT_SORTS = {
    "class": ["component_class", "id"],
    "vendor": ["vendor", "model", "id"],
    "model": ["model", "id"],
    "serial": ["serial", "id"],
    "lot": ["lot__code", "id"],
    "first_seen": ["first_seen_at", "id"],
}
# ...except these: they sort by another table's column or a per-row count, which no index
# serves. They apply while the filtered list has at most COUNT_CAP rows (a bounded sort);
# on a longer list the default order stays and the pager says why.
UNINDEXED_SORTS = frozenset({"project", "location", "parts", "lot"})


class AssetPageFilterSet(AssetFilterSet):
    """The API's asset filters plus one search box over the identity fields. The search box
    matches the start of a serial, asset tag, hostname, model or system UUID (normalised as
    stored, case-insensitive): each is a range of its column's index, where a substring
    match would read the whole table."""

    q = filters.CharFilter(method="search", label="Search")

    def search(self, qs: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        value = value.strip()
        if not value:
            return qs
        normalised = normalise_text(value)
        return qs.filter(
            Q(vendor_serial__istartswith=normalised)
            | Q(asset_tag__istartswith=normalised)
            | Q(hostname__istartswith=value.lower())
            | Q(model__istartswith=value)
            | Q(system_uuid__istartswith=value.lower())
        )


class ComponentPageFilterSet(ComponentFilterSet):
    """The API's component filters plus a search box: the start of a serial (normalised) or
    of a model, each an index range."""

    q = filters.CharFilter(method="search", label="Search")

    def search(self, qs: QuerySet[Component], name: str, value: str) -> QuerySet[Component]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(serial__istartswith=normalise_text(value)) | Q(model__istartswith=value))


def _sorted(
    queryset: QuerySet[Any], sorts: dict[str, list[str]], key: str, default: str, *, capped: bool = False
) -> tuple[QuerySet[Any], str, str]:
    """The list in the requested order (or the default), the key applied, and a note when an
    unindexed sort was refused because the list is too long to sort it cheaply."""
    name = key.lstrip("-")
    note = ""
    if name not in sorts:
        key, name = default, default.lstrip("-")
    elif name in UNINDEXED_SORTS and capped:
        note = f"sorting by {name} needs a list of at most {pages.COUNT_CAP} rows: narrow the filter"
        key, name = default, default.lstrip("-")
    fields = sorts[name]
    if key.startswith("-"):
        fields = [f"-{field}" for field in fields]
    return queryset.order_by(*fields), key, note


@login_required
def asset_list(request: HttpRequest) -> HttpResponse:
    # The parts count is a correlated subquery (the (asset, removed_at) index), computed for
    # the rows of the page only, not a GROUP BY over every asset's installations.
    active_parts = (
        Installation.objects.filter(asset_id=OuterRef("pk"), removed_at__isnull=True)
        .order_by()
        .values("asset_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    queryset = Asset.objects.select_related("project__customer", "location").annotate(
        parts=Coalesce(Subquery(active_parts, output_field=IntegerField()), 0)
    )
    filterset = AssetPageFilterSet(request.GET, queryset=queryset)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    count = capped_count(rows)
    rows, sort, sort_note = _sorted(rows, ASSET_SORTS, request.GET.get("sort", ""), "hostname", capped=count[1])
    context = {
        "filterset": filterset,
        "page_obj": paginate(request, rows, count=count),
        "sort": sort,
        "sort_note": sort_note,
        "statuses": AssetStatus.choices,
        "selected_statuses": request.GET.getlist("status"),
        "projects": Project.objects.select_related("customer").order_by("customer__name", "name"),
        "locations": Location.objects.order_by("name"),
        "vendors": Asset.objects.exclude(vendor="").order_by("vendor").values_list("vendor", flat=True).distinct(),
    }
    return render_page(request, "registry/asset_list.html", "registry/partials/asset_table.html", context)


@login_required
def component_list(request: HttpRequest) -> HttpResponse:
    active = Installation.objects.filter(removed_at__isnull=True).select_related("asset")
    queryset = Component.objects.select_related("lot").prefetch_related(
        Prefetch("installations", queryset=active, to_attr="active_installations")
    )
    filterset = ComponentPageFilterSet(request.GET, queryset=queryset)
    # No DISTINCT (which made MariaDB sort every matching row): the only filter that joins a
    # to-many relation, current_asset, matches one active installation per part at most
    # (the installation_one_active_per_component unique index).
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    count = capped_count(rows)
    rows, sort, sort_note = _sorted(rows, COMPONENT_SORTS, request.GET.get("sort", ""), "class", capped=count[1])
    context = {
        "filterset": filterset,
        "page_obj": paginate(request, rows, count=count),
        "sort": sort,
        "sort_note": sort_note,
        "classes": ComponentClass.choices,
        "selected_classes": request.GET.getlist("component_class"),
        "lots": Lot.objects.order_by("code").values_list("code", flat=True),
        "vendors": Component.objects.exclude(vendor="").order_by("vendor").values_list("vendor", flat=True).distinct(),
    }
    return render_page(request, "registry/component_list.html", "registry/partials/component_table.html", context)


def _as_of(request: HttpRequest) -> tuple[date | None, datetime | None, str]:
    """?as_of=YYYY-MM-DD: the end of that day in UTC (the server as it was on that day)."""
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None, None, ""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None, None, f"{raw!r} is not a date (YYYY-MM-DD)."
    return day, datetime.combine(day, time.max, tzinfo=UTC), ""


@login_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    asset = get_object_or_404(Asset.objects.select_related("project__customer", "location__parent"), pk=pk)
    day, moment, as_of_error = _as_of(request)
    context: dict[str, Any] = {"asset": asset, "as_of": day, "as_of_error": as_of_error}
    if wants_partial(request, "parts-panel"):
        context["groups"] = parts_in(asset, moment=moment)
        context["part_count"] = sum(len(g.parts) for g in context["groups"])
        return render_page(
            request, "registry/asset_detail.html", "registry/partials/asset_parts.html", context, target="parts-panel"
        )
    card = server_card(asset, moment=moment)
    context.update(card=card, groups=card.groups, part_count=card.part_count)
    context.update(timeline_context(request, SubjectType.ASSET, asset.pk))
    context["tickets"] = tickets_for_asset(asset)
    return render_page(
        request, "registry/asset_detail.html", "registry/partials/asset_parts.html", context, target="parts-panel"
    )


@login_required
def component_detail(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component.objects.select_related("lot"), pk=pk)
    card = component_card(component)
    temperature = health_series(card.health, "temperature_c")
    hours = health_series(card.health, "power_on_hours")
    context: dict[str, Any] = {
        "component": component,
        "card": card,
        "temperature": temperature,
        "temperature_line": sparkline(temperature),
        "hours_line": sparkline(hours),
        "admin_url": reverse("admin:registry_component_change", args=[component.pk]),
    }
    context.update(timeline_context(request, SubjectType.COMPONENT, component.pk))
    context["tickets"] = tickets_for_component(component)
    return render_page(request, "registry/component_detail.html", "registry/component_detail.html", context)
