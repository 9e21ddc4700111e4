"""The registry: who owns the hardware, where it stands, what it is made of.

Components are linked to assets only through Installation intervals (DESIGN.md principle 2):
there is deliberately no `Component.asset` foreign key. Normalised identity fields are NULL
(not "") when the raw value is empty or a placeholder, because MariaDB unique indexes admit
many NULLs but only one "".
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, When

from registry.choices import AssetStatus, ComponentClass, LocationKind, PlaceholderKind


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Customer(TimeStampedModel):
    name = models.CharField(max_length=200, unique=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Project(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["customer__name", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="project_unique_name_per_customer")]

    def __str__(self) -> str:
        return f"{self.customer.name} / {self.name}" if self.customer_id else self.name


class Location(TimeStampedModel):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=LocationKind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="location_unique_name_per_parent")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A location cannot contain itself, directly or through its ancestors.
        seen = {self.pk} if self.pk else set()
        node = self.parent
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": "A location cannot be inside itself."})
            seen.add(node.pk)
            node = node.parent


class Asset(TimeStampedModel):
    vendor = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=200, blank=True)
    vendor_serial_raw = models.CharField("serial as reported", max_length=200, blank=True)
    vendor_serial = models.CharField(
        "serial", max_length=200, null=True, blank=True, unique=True, help_text="Normalised; empty for placeholders."
    )
    system_uuid = models.CharField("system UUID", max_length=36, null=True, blank=True, unique=True)
    asset_tag = models.CharField(max_length=100, null=True, blank=True, unique=True)
    hostname = models.CharField(max_length=253, blank=True, db_index=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, null=True, blank=True, related_name="assets")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="assets")
    status = models.CharField(max_length=20, choices=AssetStatus.choices, default=AssetStatus.INTAKE, db_index=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # An asset must be identifiable by at least one key (DESIGN.md, Identity).
            models.CheckConstraint(
                condition=Q(vendor_serial__isnull=False) | Q(system_uuid__isnull=False) | Q(asset_tag__isnull=False),
                name="asset_has_identity",
            ),
        ]
        indexes = [
            # The list's model sort and its vendor choices (a loose index scan, not a table
            # scan); the search box's model prefix. 1,200 bytes in utf8mb4, under InnoDB's 3,072.
            models.Index(fields=["vendor", "model"], name="asset_vendor_model"),
            models.Index(fields=["model"], name="asset_model"),
        ]

    def __str__(self) -> str:
        label = self.hostname or self.asset_tag or self.vendor_serial or self.system_uuid or f"asset {self.pk}"
        return f"{label} ({self.model})" if self.model else label


class Lot(TimeStampedModel):
    """An internal part classification for reliability analytics, e.g. SSD_NVME_03.84TB_GEN4."""

    code = models.CharField(max_length=64, unique=True)
    component_class = models.CharField(max_length=20, choices=ComponentClass.choices)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "LOT"
        verbose_name_plural = "LOTs"

    def __str__(self) -> str:
        return self.code


class LotRule(TimeStampedModel):
    """Maps parts to a LOT: the first enabled rule (by priority, then id) that matches wins."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="rules")
    component_class = models.CharField(max_length=20, choices=ComponentClass.choices)
    vendor = models.CharField(max_length=100, blank=True, help_text="Normalised vendor; empty matches any vendor.")
    model_pattern = models.CharField(
        max_length=200, blank=True, help_text="Regular expression searched in the model, case-insensitive; empty = any."
    )
    capacity_min_bytes = models.BigIntegerField(null=True, blank=True)
    capacity_max_bytes = models.BigIntegerField(null=True, blank=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower numbers are tried first.")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["component_class", "enabled", "priority"], name="lotrule_lookup")]

    def __str__(self) -> str:
        return f"{self.lot.code} ← {self.component_class} {self.vendor or '*'} /{self.model_pattern or '.*'}/"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.model_pattern:
            try:
                re.compile(self.model_pattern)
            except re.error as exc:
                errors["model_pattern"] = f"Not a valid regular expression: {exc}"
        if (
            self.capacity_min_bytes is not None
            and self.capacity_max_bytes is not None
            and self.capacity_min_bytes > self.capacity_max_bytes
        ):
            errors["capacity_max_bytes"] = "The maximum capacity is below the minimum."
        if self.lot_id and self.component_class and self.lot.component_class != self.component_class:
            errors["component_class"] = f"LOT {self.lot.code} is for {self.lot.component_class} parts."
        if errors:
            raise ValidationError(errors)


class Component(TimeStampedModel):
    """A physical part with a usable serial. Parts without one are anonymous observations
    bound to (asset, slot) and have no row here (DESIGN.md, Identity)."""

    component_class = models.CharField("class", max_length=20, choices=ComponentClass.choices)
    vendor = models.CharField(max_length=100, blank=True, help_text="Normalised vendor name.")
    vendor_raw = models.CharField("vendor as reported", max_length=200, blank=True)
    model = models.CharField(max_length=200, blank=True)
    serial_raw = models.CharField("serial as reported", max_length=200)
    serial = models.CharField(max_length=200, help_text="Normalised serial.")
    lot = models.ForeignKey(Lot, on_delete=models.SET_NULL, null=True, blank=True, related_name="components")
    first_seen_at = models.DateTimeField(null=True, blank=True, db_index=True)
    specs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # DIMM serials collide across vendors: the key is the triple, not the serial.
            models.UniqueConstraint(fields=["component_class", "vendor", "serial"], name="component_identity"),
        ]
        indexes = [
            models.Index(fields=["lot", "component_class"], name="component_lot_class"),
            # Identity lookups by serial across vendors and drive classes; named, so that the
            # ingest's queries can force it (reanimator.db.force_index).
            models.Index(fields=["serial"], name="component_serial"),
            # The list pages at millions of parts: the default sort (class, id), the dashboard's
            # count by class (a narrow index, ~13 bytes an entry), the vendor and model sorts,
            # the vendor choices (loose index scan) and the search box's model prefix.
            models.Index(fields=["component_class", "id"], name="component_class_id"),
            models.Index(fields=["vendor", "model"], name="component_vendor_model"),
            models.Index(fields=["model"], name="component_model"),
        ]

    def __str__(self) -> str:
        return f"{self.component_class} {self.vendor} {self.serial}".strip()


class Installation(models.Model):
    """A run of consecutive presence of a component in an asset (DESIGN.md, Time).
    The true removal time lies in (last_seen_at, removed_at]; removed_at NULL = still there."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="installations")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="installations")
    slot = models.CharField(max_length=100, blank=True)
    installed_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    # MariaDB has no partial unique index; a generated column that holds the component id only
    # while the installation is active, with a unique index, makes the database itself refuse a
    # second active installation of one component. removed_at may equal last_seen_at: two
    # bundles can carry the same collected_at (ordered by sha256 then).
    active_component_id = models.GeneratedField(
        expression=Case(When(removed_at__isnull=True, then=F("component_id")), default=None),
        output_field=models.BigIntegerField(null=True),
        db_persist=True,
        editable=False,
    )

    class Meta:
        ordering = ["installed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["active_component_id"], name="installation_one_active_per_component"),
            models.CheckConstraint(
                condition=Q(last_seen_at__gte=F("installed_at")), name="installation_seen_after_installed"
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(removed_at__gte=F("last_seen_at")),
                name="installation_removed_after_last_seen",
            ),
        ]
        indexes = [
            models.Index(fields=["component", "removed_at"], name="installation_component_active"),
            models.Index(fields=["asset", "removed_at"], name="installation_asset_active"),
        ]

    def __str__(self) -> str:
        return f"{self.component} in {self.asset} since {self.installed_at:%Y-%m-%d}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class PlaceholderSerial(TimeStampedModel):
    """Values that tools print where a serial should be ("Not Specified", all zeros, ...)."""

    value = models.CharField(max_length=200, unique=True, help_text="Normalised text, or a regular expression.")
    kind = models.CharField(max_length=10, choices=PlaceholderKind.choices, default=PlaceholderKind.EXACT)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["value"]

    def __str__(self) -> str:
        return self.value

    def clean(self) -> None:
        if self.kind == PlaceholderKind.REGEX:
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValidationError({"value": f"Not a valid regular expression: {exc}"}) from exc


class VendorAlias(TimeStampedModel):
    """Spellings of one vendor in tool outputs ("HITACHI" -> "HGST", JEDEC ids -> maker)."""

    alias = models.CharField(max_length=200, unique=True, help_text="Normalised spelling as tools print it.")
    vendor = models.CharField(max_length=100, help_text="Canonical vendor name.")

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = "vendor aliases"

    def __str__(self) -> str:
        return f"{self.alias} → {self.vendor}"
