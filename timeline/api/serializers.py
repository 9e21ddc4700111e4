from __future__ import annotations

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.models import Installation
from timeline.models import TimelineEvent


class TimelineEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEvent
        fields = ["id", "subject_type", "subject_id", "timestamp", "event_type", "payload", "source", "source_ref"]
        read_only_fields = fields


class TimelinePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = TimelineEventSerializer(many=True)


class RemovalWindowSerializer(serializers.Serializer):
    after = serializers.DateTimeField(help_text="Last seen in the asset: it was still there then.")
    by = serializers.DateTimeField(help_text="First seen without it (or elsewhere, or removed by hand).")


class InstallationSerializer(serializers.ModelSerializer):
    asset_hostname = serializers.CharField(source="asset.hostname", read_only=True)
    asset_serial = serializers.CharField(source="asset.vendor_serial", read_only=True, allow_null=True)
    removal_window = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Installation
        fields = [
            "id",
            "asset",
            "asset_hostname",
            "asset_serial",
            "slot",
            "installed_at",
            "last_seen_at",
            "removed_at",
            "removal_window",
            "active",
        ]
        read_only_fields = fields

    @extend_schema_field(RemovalWindowSerializer(allow_null=True))
    def get_removal_window(self, installation: Installation) -> dict[str, Any] | None:
        if installation.removed_at is None:
            return None
        window = {"after": installation.last_seen_at, "by": installation.removed_at}
        return dict(RemovalWindowSerializer(window).data)


class ComponentAtMomentSerializer(serializers.ModelSerializer):
    component = serializers.IntegerField(source="component_id", read_only=True)
    component_class = serializers.CharField(source="component.component_class", read_only=True)
    vendor = serializers.CharField(source="component.vendor", read_only=True)
    model = serializers.CharField(source="component.model", read_only=True)
    serial = serializers.CharField(source="component.serial", read_only=True)
    lot = serializers.CharField(source="component.lot.code", read_only=True, default=None)
    certain = serializers.SerializerMethodField(
        help_text="False when the moment falls inside the removal window: the part may already be gone."
    )

    class Meta:
        model = Installation
        fields = [
            "component",
            "component_class",
            "vendor",
            "model",
            "serial",
            "lot",
            "slot",
            "installed_at",
            "last_seen_at",
            "removed_at",
            "certain",
        ]
        read_only_fields = fields

    def get_certain(self, installation: Installation) -> bool:
        moment: datetime = self.context["as_of"]
        return installation.removed_at is None or moment <= installation.last_seen_at
