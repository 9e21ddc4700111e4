"""Ticket sync (push or trigger a pull) and ticket reads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reanimator.api.errors import error_body
from registry.models import Asset, Component
from tickets.api.serializers import (
    PullTriggeredSerializer,
    SyncAnswerSerializer,
    SyncRunSerializer,
    TicketSerializer,
)
from tickets.choices import SyncTrigger
from tickets.filtersets import SyncRunFilterSet, TicketFilterSet
from tickets.models import SyncRun, Ticket, TicketConnector
from tickets.payload import MAX_BATCH, TicketBatchSerializer
from tickets.services.queries import linked_tickets, tickets_with_links
from tickets.services.runs import record_push, request_pull
from tickets.services.sync import sync_tickets


class SyncPermission(DjangoModelPermissions):
    """Pushing tickets or triggering a pull needs tickets.add_ticket (integrators, operators)."""

    perms_map = {**DjangoModelPermissions.perms_map, "POST": ["%(app_label)s.add_%(model_name)s"]}


class TicketSyncView(APIView):
    permission_classes = [SyncPermission]
    queryset = Ticket.objects.none()  # tells DjangoModelPermissions the model

    @extend_schema(
        operation_id="tickets_sync",
        summary="Push a batch of tickets, or trigger a pull run",
        description=(
            "With a body: the batch is upserted by (source, external_id). A ticket only moves forward: an item "
            "whose updated_at is not later than the stored one changes nothing, so the same batch twice changes "
            "nothing. Bad items are rejected one by one (`errors`), the others are stored. New and changed "
            "tickets are linked to the assets, components and projects they name.\n\n"
            "Without a body and with `?connector=<name>`: queues a pull run of that connector and answers 202 "
            "with the run's id."
        ),
        parameters=[OpenApiParameter("connector", str, description="Trigger a pull run of this connector.")],
        request=TicketBatchSerializer,
        responses={
            200: SyncAnswerSerializer,
            202: PullTriggeredSerializer,
            400: OpenApiResponse(description="validation_error: the batch itself is malformed"),
            404: OpenApiResponse(description="not_found: no such connector"),
            409: OpenApiResponse(description="connector_disabled"),
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        connector_name = request.query_params.get("connector") or (
            data.get("connector") if isinstance(data, dict) and set(data) == {"connector"} else None
        )
        if connector_name and (not data or set(data) == {"connector"}):
            return self._trigger(request, str(connector_name))
        return self._push(data)

    def _trigger(self, request: Request, name: str) -> Response:
        connector = get_object_or_404(TicketConnector, name=name)
        if not connector.enabled:
            return Response(
                error_body("connector_disabled", f"The connector {name} is disabled."), status=status.HTTP_409_CONFLICT
            )
        run = request_pull(connector, trigger=SyncTrigger.API)
        url = request.build_absolute_uri(reverse("syncrun-detail", args=[run.pk]))
        body = {"run_id": run.pk, "connector": connector.name, "status": run.status, "url": url}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    def _push(self, data: Any) -> Response:
        errors: dict[str, list[str]] = {}
        if not isinstance(data, dict):
            return Response(
                error_body("validation_error", "Send a JSON object: {source, tickets}, or ?connector= to pull."),
                status=status.HTTP_400_BAD_REQUEST,
            )
        source_field = TicketBatchSerializer().fields["source"]
        try:
            source = source_field.run_validation(data.get("source", ""))
        except Exception as exc:  # DRF's ValidationError, with its messages
            errors["source"] = list(getattr(exc, "detail", [str(exc)]))
        items = data.get("tickets")
        if not isinstance(items, list):
            errors["tickets"] = ["A list of tickets is required."]
        elif len(items) > MAX_BATCH:
            errors["tickets"] = [f"At most {MAX_BATCH} tickets per batch."]
        if errors or not isinstance(items, list):
            return Response(
                error_body("validation_error", "The request has invalid fields.", errors),
                status=status.HTTP_400_BAD_REQUEST,
            )
        result = sync_tickets(items, source=source)
        run = record_push(source, result)
        return Response({"run_id": run.pk, **result.as_counts(), "errors": result.errors})


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet

    def get_queryset(self) -> QuerySet[Ticket]:
        return tickets_with_links()


class SyncRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = SyncRun.objects.select_related("connector")
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilterSet


class SubjectTicketsView(generics.ListAPIView):
    """Tickets linked to one asset or component, oldest link first by ticket id."""

    serializer_class = TicketSerializer
    filterset_class = None
    subject_model: Any = None
    link_field = ""

    def get_queryset(self) -> QuerySet[Ticket]:
        subject = get_object_or_404(self.subject_model, pk=self.kwargs["pk"])
        return linked_tickets(**{f"{self.link_field}_id": subject.pk})


class AssetTicketsView(SubjectTicketsView):
    subject_model = Asset
    link_field = "asset"

    @extend_schema(operation_id="asset_tickets", filters=False)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ComponentTicketsView(SubjectTicketsView):
    subject_model = Component
    link_field = "component"

    @extend_schema(operation_id="component_tickets", filters=False)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
