"""Helpers for the htmx pages: one URL serves the full page and, to htmx, its partial."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_partial(request: HttpRequest, target: str | None = None) -> bool:
    """An htmx swap (not a boosted navigation, not a history restore), optionally aimed at
    one element id."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return target is None or htmx.target == target


def render_page(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any], *, target: str | None = None
) -> HttpResponse:
    response = render(request, partial if wants_partial(request, target) else template, context)
    # The same URL answers with two bodies: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# Lists count at most this many rows: beyond it the count reads "10000+" and paging stops
# there, so that neither the count nor a deep OFFSET reads the whole table (a page costs
# the same at 1,000 rows as at 1,000,000).
COUNT_CAP = 10_000


def capped_count(queryset: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """(rows, capped): the number of rows up to `cap` (COUNT_CAP), and whether there are
    more. One query, reading at most cap + 1 index entries."""
    cap = COUNT_CAP if cap is None else cap
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


class CappedPaginator(Paginator):
    """A Paginator over at most COUNT_CAP rows whose count is known (capped_count)."""

    def __init__(self, object_list: Any, per_page: int, *, count: tuple[int, bool]) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count[0]  # the cached_property, already computed
        self.capped = count[1]


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50, *, count: tuple[int, bool] | None = None) -> Page:
    """One page of a list; the count is capped (capped_count) unless given."""
    if count is None:
        count = capped_count(queryset)
    return CappedPaginator(queryset, per_page, count=count).get_page(request.GET.get("page"))
