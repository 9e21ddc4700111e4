"""Log bundles (raw uploads, immutable) and the observations parsed from them.

Observations are what the logs said at collection time, not facts (DESIGN.md principle 3):
installations and events are derived from them and can be re-derived at any time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ingest.choices import BundleStatus, ObservationKind
from registry.choices import ComponentClass


def bundle_upload_path(bundle: LogBundle, filename: str) -> str:
    # Content-addressed: the path says which bytes are there, and never collides.
    return f"bundles/{bundle.sha256[:2]}/{bundle.sha256}"


class LogBundle(models.Model):
    sha256 = models.CharField(max_length=64, unique=True)
    raw = models.FileField(upload_to=bundle_upload_path, max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True, help_text="As declared by the uploader.")
    original_filename = models.CharField(max_length=255, blank=True)
    container = models.CharField(max_length=10, blank=True, help_text="Detected: tar.gz, tar, zip or json.")
    received_at = models.DateTimeField(auto_now_add=True)
    collected_at = models.DateTimeField(null=True, blank=True)
    hostname = models.CharField(max_length=253, blank=True)
    status = models.CharField(max_length=10, choices=BundleStatus.choices, default=BundleStatus.RECEIVED)
    parser_version = models.PositiveIntegerField(null=True, blank=True)
    parse_started_at = models.DateTimeField(null=True, blank=True)
    # Parses started and not finished (no outcome recorded, not given back for a passing
    # fault of the database): a bundle that crashes its parser or its worker every time is
    # failed after REANIMATOR_PARSE_MAX_ATTEMPTS instead of being retried for ever.
    parse_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    parsed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    counts = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Component classes this bundle could see: a bundle with only smartctl output says
    # nothing about DIMMs, so it must not end a DIMM's installation.
    coverage = models.JSONField(default=list, blank=True)
    asset = models.ForeignKey("registry.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="bundles")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="bundle_status_received"),
            models.Index(fields=["asset", "collected_at"], name="bundle_asset_collected"),
            models.Index(fields=["collected_at"], name="bundle_collected"),
            models.Index(fields=["parser_version"], name="bundle_parser_version"),
            # The console's recent bundles, newest first (received_at, id): a backward range,
            # not a sort of every bundle.
            models.Index(fields=["received_at"], name="bundle_received"),
        ]

    def __str__(self) -> str:
        return f"bundle {self.sha256[:12]} ({self.status})"


class Observation(models.Model):
    bundle = models.ForeignKey(LogBundle, on_delete=models.CASCADE, related_name="observations")
    asset = models.ForeignKey("registry.Asset", on_delete=models.CASCADE, related_name="observations")
    component = models.ForeignKey(
        "registry.Component", on_delete=models.CASCADE, null=True, blank=True, related_name="observations"
    )
    kind = models.CharField(max_length=10, choices=ObservationKind.choices)
    component_class = models.CharField(max_length=20, choices=ComponentClass.choices, blank=True)
    slot = models.CharField(max_length=100, blank=True)
    vendor_raw = models.CharField(max_length=200, blank=True)
    vendor = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=200, blank=True)
    serial_raw = models.CharField(max_length=200, blank=True)
    serial = models.CharField(max_length=200, blank=True)
    firmware = models.CharField(max_length=200, blank=True)
    specs = models.JSONField(default=dict, blank=True)
    health = models.JSONField(default=dict, blank=True)
    sources = models.JSONField(default=list, blank=True, help_text="Parsers that reported this part.")
    collected_at = models.DateTimeField()

    class Meta:
        ordering = ["collected_at", "id"]
        indexes = [
            models.Index(fields=["component", "collected_at"], name="observation_component_time"),
            models.Index(fields=["asset", "collected_at"], name="observation_asset_time"),
        ]

    def __str__(self) -> str:
        what = self.serial or self.slot or self.kind
        return f"{self.component_class or 'asset'} {what} @ {self.collected_at:%Y-%m-%d %H:%M}"
