"""History endpoints: timelines with keyset paging, parts at a moment, installations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from registry.models import Asset, Component
from timeline.api.serializers import (
    ComponentAtMomentSerializer,
    InstallationSerializer,
    TimelineEventSerializer,
    TimelinePageSerializer,
)
from timeline.choices import EventType, SubjectType
from timeline.services.queries import MAX_PAGE_SIZE, Cursor, InvalidCursor, installations_at, timeline_page

TIMELINE_PARAMETERS = [
    OpenApiParameter("type", str, many=True, enum=EventType.values, description="Event types (repeatable)."),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Events at or after this time."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Events before this time."),
    OpenApiParameter("order", str, enum=["asc", "desc"], description="asc (oldest first, default) or desc."),
    OpenApiParameter("cursor", str, description="From the previous page's `next`."),
    OpenApiParameter("page_size", int, description=f"1 to {MAX_PAGE_SIZE}, default 50."),
]


class InvalidQuery(exceptions.ValidationError):
    pass


def _datetime_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None:
        raise InvalidQuery({name: [f"{raw!r} is not an ISO 8601 date and time."]})
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class TimelineView(APIView):
    subject_type: str = ""
    model: Any = None

    def get(self, request: Request, pk: int) -> Response:
        subject = get_object_or_404(self.model, pk=pk)
        params = request.query_params
        event_types = params.getlist("type")
        unknown = sorted(set(event_types) - set(EventType.values))
        if unknown:
            raise InvalidQuery({"type": [f"Unknown event type(s): {', '.join(unknown)}."]})
        order = params.get("order", "asc")
        if order not in {"asc", "desc"}:
            raise InvalidQuery({"order": ["Use asc or desc."]})
        try:
            page_size = int(params.get("page_size", 50))
        except ValueError:
            raise InvalidQuery({"page_size": ["Not a whole number."]}) from None
        try:
            after = Cursor.decode(params["cursor"]) if params.get("cursor") else None
        except InvalidCursor as exc:
            raise InvalidQuery({"cursor": [str(exc)]}) from exc
        page = timeline_page(
            self.subject_type,
            subject.pk,
            event_types=event_types or None,
            since=_datetime_param(request, "since"),
            until=_datetime_param(request, "until"),
            after=after,
            limit=page_size,
            descending=order == "desc",
        )
        next_url = None
        if page.next_cursor is not None:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor.encode())
        return Response({"next": next_url, "results": TimelineEventSerializer(page.events, many=True).data})


class AssetTimelineView(TimelineView):
    subject_type = SubjectType.ASSET
    model = Asset

    @extend_schema(operation_id="asset_timeline", parameters=TIMELINE_PARAMETERS, responses=TimelinePageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class ComponentTimelineView(TimelineView):
    subject_type = SubjectType.COMPONENT
    model = Component

    @extend_schema(operation_id="component_timeline", parameters=TIMELINE_PARAMETERS, responses=TimelinePageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class AssetComponentsView(APIView):
    @extend_schema(
        operation_id="asset_components_as_of",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATETIME, description="The moment; default now.")],
        responses=inline_serializer(
            "AssetComponentsAsOf",
            {
                "asset": serializers.IntegerField(),
                "as_of": serializers.DateTimeField(),
                "results": ComponentAtMomentSerializer(many=True),
            },
        ),
        description="What was in this server at a moment: every part installed by then and not yet removed.",
    )
    def get(self, request: Request, pk: int) -> Response:
        asset = get_object_or_404(Asset, pk=pk)
        moment = _datetime_param(request, "as_of") or timezone.now()
        rows = installations_at(asset.pk, moment)
        return Response(
            {
                "asset": asset.pk,
                "as_of": moment,
                "results": ComponentAtMomentSerializer(rows, many=True, context={"as_of": moment}).data,
            }
        )


class ComponentInstallationsView(APIView):
    @extend_schema(
        operation_id="component_installations",
        responses=inline_serializer(
            "ComponentInstallations",
            {"component": serializers.IntegerField(), "results": InstallationSerializer(many=True)},
        ),
        description="Every asset this part has been in, oldest first, with the removal window of each stay.",
    )
    def get(self, request: Request, pk: int) -> Response:
        component = get_object_or_404(Component, pk=pk)
        rows = component.installations.select_related("asset").order_by("installed_at", "id")
        return Response({"component": component.pk, "results": InstallationSerializer(rows, many=True).data})
