from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from rest_framework import mixins, viewsets

from registry import filtersets
from registry.api import serializers
from registry.models import Asset, Component, Customer, Installation, Location, Lot, LotRule, Project


class RegistryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create, update. No delete through the API: hardware history is kept;
    operators delete mistaken rows in admin."""


class CustomerViewSet(RegistryViewSet):
    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerSerializer
    filterset_class = filtersets.CustomerFilterSet


class ProjectViewSet(RegistryViewSet):
    queryset = Project.objects.select_related("customer")
    serializer_class = serializers.ProjectSerializer
    filterset_class = filtersets.ProjectFilterSet


class LocationViewSet(RegistryViewSet):
    queryset = Location.objects.all()
    serializer_class = serializers.LocationSerializer
    filterset_class = filtersets.LocationFilterSet


class AssetViewSet(RegistryViewSet):
    queryset = Asset.objects.select_related("project", "location")
    serializer_class = serializers.AssetSerializer
    filterset_class = filtersets.AssetFilterSet


class ComponentViewSet(RegistryViewSet):
    serializer_class = serializers.ComponentSerializer
    filterset_class = filtersets.ComponentFilterSet

    def get_queryset(self) -> QuerySet[Component]:
        active = Installation.objects.filter(removed_at__isnull=True).select_related("asset")
        return Component.objects.select_related("lot").prefetch_related(
            Prefetch("installations", queryset=active, to_attr="active_installations")
        )


class LotViewSet(RegistryViewSet):
    queryset = Lot.objects.prefetch_related(Prefetch("rules", queryset=LotRule.objects.order_by("priority", "id")))
    serializer_class = serializers.LotSerializer
    filterset_class = filtersets.LotFilterSet
