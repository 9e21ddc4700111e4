"""Shape and validation of registry resources. Domain work (normalisation, LOTs, lifecycle)
is done by registry.services, called from create/update."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reanimator.api.errors import DomainError
from registry.choices import AssetStatus
from registry.models import Asset, Component, Customer, Installation, Location, Lot, LotRule, Project
from registry.services.identity import apply_asset_identity, apply_component_identity
from registry.services.lifecycle import LifecycleTransitionError
from registry.services.records import component_conflict, identity_conflicts, save_asset, save_component


def _as_drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(
            {field: [e.message % (e.params or {}) for e in errors] for field, errors in exc.error_dict.items()},
            code=exc.error_list[0].code if hasattr(exc, "error_list") else "invalid",
        )
    return serializers.ValidationError({"non_field_errors": exc.messages}, code=exc.code or "invalid")


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "notes", "created_at", "updated_at"]


class ProjectSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "customer", "customer_name", "name", "description", "created_at", "updated_at"]


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "kind", "parent", "address", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = Location(**{**self._current(), **attrs})
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        return attrs

    def _current(self) -> dict[str, Any]:
        if self.instance is None:
            return {}
        return {"pk": self.instance.pk, "name": self.instance.name, "kind": self.instance.kind}


class ActiveInstallationSerializer(serializers.ModelSerializer):
    asset_hostname = serializers.CharField(source="asset.hostname", read_only=True)

    class Meta:
        model = Installation
        fields = ["id", "asset", "asset_hostname", "slot", "installed_at", "last_seen_at"]


class AssetSerializer(serializers.ModelSerializer):
    vendor_serial = serializers.CharField(read_only=True, allow_null=True, help_text="Normalised serial.")
    system_uuid = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    asset_tag = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=100)
    status = serializers.ChoiceField(
        choices=AssetStatus.choices,
        required=False,
        help_text="On update, changes follow the lifecycle transitions; a refused change answers 409.",
    )
    project_name = serializers.CharField(source="project.name", read_only=True, default=None)
    location_name = serializers.CharField(source="location.name", read_only=True, default=None)

    class Meta:
        model = Asset
        fields = [
            "id",
            "vendor",
            "model",
            "vendor_serial_raw",
            "vendor_serial",
            "system_uuid",
            "asset_tag",
            "hostname",
            "project",
            "project_name",
            "location",
            "location_name",
            "status",
            "notes",
            "created_at",
            "updated_at",
        ]
        # Raw values are kept exactly as the tool or person reported them.
        extra_kwargs = {"vendor_serial_raw": {"trim_whitespace": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Normalise on a scratch copy so the conflict check sees the keys that would be stored.
        scratch = Asset(pk=self.instance.pk if self.instance else None)
        for field in ("vendor_serial_raw", "system_uuid", "asset_tag", "hostname"):
            current = getattr(self.instance, field, "") if self.instance else ""
            value = attrs.get(field, current)
            setattr(scratch, field, value or ("" if field in {"vendor_serial_raw", "hostname"} else None))
        try:
            apply_asset_identity(scratch)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"non_field_errors": exc.messages}, code="no_identity") from exc
        conflicts = identity_conflicts(scratch)
        if conflicts:
            raise serializers.ValidationError(conflicts, code="unique")
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Asset:
        status = validated_data.pop("status", None)
        return save_asset(Asset(**self._blank_nones(validated_data)), status=status)

    def update(self, instance: Asset, validated_data: dict[str, Any]) -> Asset:
        status = validated_data.pop("status", None)
        for field, value in self._blank_nones(validated_data).items():
            setattr(instance, field, value)
        request = self.context.get("request")
        try:
            return save_asset(instance, status=status, user_id=getattr(getattr(request, "user", None), "pk", None))
        except LifecycleTransitionError as exc:
            raise DomainError(str(exc), code="invalid_transition") from exc

    @staticmethod
    def _blank_nones(data: dict[str, Any]) -> dict[str, Any]:
        for field in ("vendor_serial_raw", "hostname"):
            if field in data and data[field] is None:
                data[field] = ""
        return data


class ComponentSerializer(serializers.ModelSerializer):
    vendor = serializers.CharField(read_only=True, help_text="Normalised vendor.")
    serial = serializers.CharField(read_only=True, help_text="Normalised serial.")
    lot: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    current_installation = serializers.SerializerMethodField()

    class Meta:
        model = Component
        fields = [
            "id",
            "component_class",
            "vendor_raw",
            "vendor",
            "model",
            "serial_raw",
            "serial",
            "lot",
            "first_seen_at",
            "specs",
            "current_installation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["first_seen_at"]
        extra_kwargs = {"serial_raw": {"trim_whitespace": False}, "vendor_raw": {"trim_whitespace": False}}

    @extend_schema_field(ActiveInstallationSerializer(allow_null=True))
    def get_current_installation(self, component: Component) -> dict[str, Any] | None:
        # The view prefetches active installations into `active_installations` (one query a page).
        active = getattr(component, "active_installations", None)
        if active is None:
            active = list(component.installations.filter(removed_at__isnull=True).select_related("asset"))
        return ActiveInstallationSerializer(active[0]).data if active else None

    def validate_specs(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("specs must be a JSON object.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        scratch = Component(pk=self.instance.pk if self.instance else None)
        for field in ("component_class", "vendor_raw", "serial_raw"):
            setattr(scratch, field, attrs.get(field, getattr(self.instance, field, "") if self.instance else ""))
        try:
            apply_component_identity(scratch)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc
        if component_conflict(scratch):
            raise serializers.ValidationError(
                {"serial_raw": [f"This {scratch.component_class} serial already exists for vendor {scratch.vendor}."]},
                code="unique",
            )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Component:
        return self._save(Component(**validated_data))

    def update(self, instance: Component, validated_data: dict[str, Any]) -> Component:
        for field, value in validated_data.items():
            setattr(instance, field, value)
        return self._save(instance)

    def _save(self, component: Component) -> Component:
        try:
            return save_component(component)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from exc


class LotRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = LotRule
        fields = [
            "id",
            "component_class",
            "vendor",
            "model_pattern",
            "capacity_min_bytes",
            "capacity_max_bytes",
            "priority",
            "enabled",
        ]


class LotSerializer(serializers.ModelSerializer):
    rules = LotRuleSerializer(many=True, read_only=True)

    class Meta:
        model = Lot
        fields = ["id", "code", "component_class", "description", "rules", "created_at", "updated_at"]
