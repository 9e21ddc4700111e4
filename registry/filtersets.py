"""One FilterSet per model, used by the API now and by the list pages later (NetBox's habit).
Identity filters normalise their input the way stored values were normalised, so a client can
paste a serial as the tool printed it."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet

from registry.choices import AssetStatus, ComponentClass, LocationKind
from registry.models import Asset, Component, Customer, Location, Lot, Project
from registry.normalisation import normalise_text, normalise_uuid


class NormalisedCharFilter(filters.CharFilter):
    """Exact match on a normalised column, normalising the query value first."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return super().filter(qs, normalise_text(value) if value else value)


class CustomerFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Customer
        fields = ["name"]


class ProjectFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    customer = filters.ModelChoiceFilter(queryset=Customer.objects.all())
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Project
        fields = ["name", "customer"]


class LocationFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    kind = filters.ChoiceFilter(choices=LocationKind.choices)
    parent = filters.ModelChoiceFilter(queryset=Location.objects.all())
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Location
        fields = ["name", "kind", "parent"]


class AssetFilterSet(filters.FilterSet):
    serial = NormalisedCharFilter(field_name="vendor_serial")
    asset_tag = NormalisedCharFilter(field_name="asset_tag")
    system_uuid = filters.CharFilter(method="filter_system_uuid")
    hostname = filters.CharFilter(method="filter_hostname")
    vendor = filters.CharFilter(lookup_expr="iexact")
    model = filters.CharFilter(lookup_expr="icontains")
    # distinct=False: a column of the row itself never repeats a row, and DISTINCT would make
    # MariaDB sort every matching row before it can stop at a page
    status = filters.MultipleChoiceFilter(choices=AssetStatus.choices, distinct=False)
    project = filters.ModelChoiceFilter(queryset=Project.objects.all())
    customer = filters.ModelChoiceFilter(field_name="project__customer", queryset=Customer.objects.all())
    location = filters.ModelChoiceFilter(queryset=Location.objects.all())
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Asset
        fields = ["serial", "asset_tag", "hostname", "vendor", "model", "status", "project", "location"]

    def filter_system_uuid(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(system_uuid=normalise_uuid(value) or value)

    def filter_hostname(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # A short name finds the FQDN too: "node-17" matches "node-17.dc1.example.com".
        value = value.strip().lower()
        return qs.filter(hostname=value) | qs.filter(hostname__startswith=f"{value}.")


class ComponentFilterSet(filters.FilterSet):
    serial = NormalisedCharFilter(field_name="serial")
    vendor = NormalisedCharFilter(field_name="vendor")
    model = filters.CharFilter(lookup_expr="icontains")
    component_class = filters.MultipleChoiceFilter(choices=ComponentClass.choices, distinct=False)
    lot = filters.CharFilter(field_name="lot__code", lookup_expr="iexact")
    current_asset = filters.ModelChoiceFilter(
        queryset=Asset.objects.all(), method="filter_current_asset", label="Installed now in asset"
    )
    updated_since = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    first_seen_since = filters.IsoDateTimeFilter(field_name="first_seen_at", lookup_expr="gte")

    class Meta:
        model = Component
        fields = ["serial", "vendor", "model", "component_class", "lot"]

    def filter_current_asset(self, qs: QuerySet, name: str, value: Asset | None) -> QuerySet:
        if value is None:
            return qs
        # Served by the (asset, removed_at) index on installations.
        return qs.filter(installations__asset=value, installations__removed_at__isnull=True)


class LotFilterSet(filters.FilterSet):
    code = filters.CharFilter(lookup_expr="icontains")
    component_class = filters.ChoiceFilter(choices=ComponentClass.choices)

    class Meta:
        model = Lot
        fields = ["code", "component_class"]
