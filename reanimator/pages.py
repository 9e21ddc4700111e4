"""Helpers for the htmx pages: one URL serves the full page and, to htmx, its partial."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
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


def paginate(request: HttpRequest, queryset: Any, per_page: int = 50) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
