"""The timeline panel of the server card and the component page: type filters and infinite
scroll over keyset pages (timeline.services.queries.timeline_page), newest first."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode

from reanimator.pages import render_page
from registry.models import Asset, Component
from timeline.choices import EventType, SubjectType
from timeline.services.display import describe
from timeline.services.queries import Cursor, InvalidCursor, timeline_page

PAGE_SIZE = 25
MANUAL = [EventType.RMA_SENT, EventType.RMA_RETURNED, EventType.RETIRED, EventType.LOCATION_CHANGED, EventType.NOTE]
TYPES_BY_SUBJECT: dict[str, list[str]] = {
    SubjectType.ASSET: [
        EventType.LOG_COLLECTED,
        EventType.INSTALLED,
        EventType.REMOVED,
        EventType.FIRMWARE_CHANGED,
        EventType.TICKET_LINKED,
        *MANUAL,
    ],
    SubjectType.COMPONENT: [
        EventType.FIRST_SEEN,
        EventType.INSTALLED,
        EventType.REMOVED,
        EventType.MOVED,
        EventType.FIRMWARE_CHANGED,
        EventType.FAILED,
        EventType.TICKET_LINKED,
        *MANUAL,
    ],
}
URL_NAMES: dict[str, str] = {
    SubjectType.ASSET: "registry:asset-timeline",
    SubjectType.COMPONENT: "registry:component-timeline",
}


def timeline_context(request: HttpRequest, subject_type: str, subject_id: int) -> dict[str, Any]:
    """One keyset page of the subject's events (described in bulk) and the link to the next."""
    allowed = TYPES_BY_SUBJECT[subject_type]
    selected = [t for t in request.GET.getlist("type") if t in allowed]
    try:
        after = Cursor.decode(request.GET["cursor"]) if request.GET.get("cursor") else None
    except InvalidCursor:
        after = None
    page = timeline_page(
        subject_type, subject_id, event_types=selected or None, after=after, limit=PAGE_SIZE, descending=True
    )
    base = reverse(URL_NAMES[subject_type], args=[subject_id])
    next_url = None
    if page.next_cursor is not None:
        next_url = f"{base}?{urlencode([('type', t) for t in selected] + [('cursor', page.next_cursor.encode())])}"
    labels = dict(EventType.choices)
    return {
        "timeline_rows": describe(page.events),
        "timeline_next": next_url,
        "timeline_url": base,
        "timeline_subject": subject_type,
        "timeline_types": [(t, labels[t]) for t in allowed],
        "timeline_selected": selected,
        "timeline_continued": after is not None,
    }


def _timeline(request: HttpRequest, subject_type: str, subject: Asset | Component) -> HttpResponse:
    context = {"subject": subject, "subject_type": subject_type}
    context.update(timeline_context(request, subject_type, subject.pk))
    return render_page(request, "timeline/timeline.html", "timeline/partials/timeline_rows.html", context)


@login_required
def asset_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    return _timeline(request, SubjectType.ASSET, get_object_or_404(Asset, pk=pk))


@login_required
def component_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    return _timeline(request, SubjectType.COMPONENT, get_object_or_404(Component, pk=pk))
