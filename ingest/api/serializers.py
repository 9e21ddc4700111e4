from __future__ import annotations

from rest_framework import serializers

from ingest.models import LogBundle, Observation


class BundleReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sha256 = serializers.CharField()
    status = serializers.CharField()
    duplicate = serializers.BooleanField()
    url = serializers.URLField()


class LogBundleSerializer(serializers.ModelSerializer):
    observations_url = serializers.SerializerMethodField()

    class Meta:
        model = LogBundle
        fields = [
            "id",
            "sha256",
            "size",
            "content_type",
            "original_filename",
            "container",
            "received_at",
            "collected_at",
            "hostname",
            "status",
            "parser_version",
            "parsed_at",
            "parse_attempts",
            "error_code",
            "error_message",
            "counts",
            "warnings",
            "coverage",
            "asset",
            "observations_url",
        ]
        read_only_fields = fields

    def get_observations_url(self, bundle: LogBundle) -> str:
        request = self.context.get("request")
        path = f"/api/ingest/logbundles/{bundle.pk}/observations"
        return request.build_absolute_uri(path) if request is not None else path


class ObservationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Observation
        fields = [
            "id",
            "bundle",
            "asset",
            "component",
            "kind",
            "component_class",
            "slot",
            "vendor_raw",
            "vendor",
            "model",
            "serial_raw",
            "serial",
            "firmware",
            "specs",
            "health",
            "sources",
            "collected_at",
        ]
        read_only_fields = fields
