"""Django admin for operations staff: plain ModelAdmins whose actions call registry.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from registry.choices import ASSET_STATUS_TRANSITIONS, AssetStatus
from registry.models import (
    Asset,
    Component,
    Customer,
    Installation,
    Location,
    Lot,
    LotRule,
    PlaceholderSerial,
    Project,
    VendorAlias,
)
from registry.services.identity import apply_asset_identity, apply_component_identity
from registry.services.lifecycle import LifecycleTransitionError, can_transition, change_asset_status
from registry.services.lots import reapply_lot_rules
from registry.services.records import component_conflict, identity_conflicts, save_asset, save_component
from timeline.admin import ManualEventInline, rederive_selected_assets, save_manual_event_formset
from timeline.models import ManualEvent
from timeline.services.rederive import rederive_components


class ReadOnlyInstallationInline(admin.TabularInline):
    """Installations are derived from observations and events: shown, never edited by hand."""

    model = Installation
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-installed_at"]
    readonly_fields = ["installed_at", "last_seen_at", "removed_at", "slot"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InstallationOnAssetInline(ReadOnlyInstallationInline):
    fields = ["component", "slot", "installed_at", "last_seen_at", "removed_at"]
    readonly_fields = [*ReadOnlyInstallationInline.readonly_fields, "component"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Installation]:
        return super().get_queryset(request).select_related("component")


class InstallationOnComponentInline(ReadOnlyInstallationInline):
    fields = ["asset", "slot", "installed_at", "last_seen_at", "removed_at"]
    readonly_fields = [*ReadOnlyInstallationInline.readonly_fields, "asset"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Installation]:
        return super().get_queryset(request).select_related("asset")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "project_count", "updated_at"]
    list_select_related = ()
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return super().get_queryset(request).annotate(_project_count=Count("projects"))

    @admin.display(description="projects", ordering="_project_count")
    def project_count(self, obj: Customer) -> int:
        return obj._project_count  # type: ignore[attr-defined]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "updated_at"]
    list_select_related = ["customer"]
    list_filter = ["customer"]
    search_fields = ["name", "customer__name"]
    autocomplete_fields = ["customer"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "address"]
    list_select_related = ["parent"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["parent"]


class AssetAdminForm(forms.ModelForm):
    class Meta:
        model = Asset
        fields = [
            "vendor",
            "model",
            "vendor_serial_raw",
            "system_uuid",
            "asset_tag",
            "hostname",
            "project",
            "location",
            "status",
            "notes",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Normalise on a scratch copy, so an invalid form leaves the instance untouched.
        scratch = Asset(
            pk=self.instance.pk,
            vendor_serial_raw=cleaned.get("vendor_serial_raw") or "",
            system_uuid=cleaned.get("system_uuid"),
            asset_tag=cleaned.get("asset_tag"),
            hostname=cleaned.get("hostname") or "",
        )
        apply_asset_identity(scratch)
        for field, message in identity_conflicts(scratch).items():
            self.add_error("vendor_serial_raw" if field == "vendor_serial" else field, message)
        target = str(cleaned.get("status") or "")
        changing = bool(self.instance.pk and target and target != self.instance.status)
        if changing and not can_transition(self.instance.status, target):
            allowed = ", ".join(sorted(ASSET_STATUS_TRANSITIONS[self.instance.status])) or "none"
            self.add_error("status", f"Cannot go from {self.instance.status} to {target}; allowed: {allowed}.")
        return cleaned


def _status_action(target: str) -> Any:
    def action(modeladmin: AssetAdmin, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        moved, refused = 0, []
        for asset in queryset:
            try:
                change_asset_status(asset, to=target, user_id=request.user.pk)
                moved += 1
            except LifecycleTransitionError as exc:
                refused.append(str(exc))
        if moved:
            modeladmin.message_user(request, f"{moved} asset(s) now {target}.", messages.SUCCESS)
        for message in refused[:20]:
            modeladmin.message_user(request, message, messages.ERROR)
        if len(refused) > 20:
            modeladmin.message_user(request, f"... and {len(refused) - 20} more refused.", messages.ERROR)

    action.__name__ = f"mark_{target}"
    return admin.action(description=f"Change status to {AssetStatus(target).label}")(action)


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    form = AssetAdminForm
    list_display = ["__str__", "vendor_serial", "asset_tag", "hostname", "model", "status", "project", "location"]
    list_select_related = ["project__customer", "location"]
    list_filter = ["status", "vendor", "project__customer", "project", "location"]
    search_fields = ["=vendor_serial", "vendor_serial_raw", "hostname", "=asset_tag", "=system_uuid", "model"]
    autocomplete_fields = ["project", "location"]
    readonly_fields = ["vendor_serial", "created_at", "updated_at"]
    show_full_result_count = False
    inlines = [InstallationOnAssetInline, ManualEventInline]
    actions = [
        *(_status_action(status) for status in AssetStatus.values),
        admin.action(description="Rederive history (installations and events)")(rederive_selected_assets),
    ]
    fieldsets = [
        ("Identity", {"fields": ["vendor", "model", "vendor_serial_raw", "vendor_serial", "system_uuid", "asset_tag"]}),
        ("Placement", {"fields": ["hostname", "project", "location", "status"]}),
        ("Notes", {"fields": ["notes", "created_at", "updated_at"]}),
    ]

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is ManualEvent:
            save_manual_event_formset(request, formset)
        else:
            super().save_formset(request, form, formset, change)

    def save_model(self, request: HttpRequest, obj: Asset, form: forms.ModelForm, change: bool) -> None:
        target = form.cleaned_data.get("status")
        if change:
            obj.status = form.initial.get("status", obj.status)
        save_asset(obj, status=target, user_id=request.user.pk)


class ComponentAdminForm(forms.ModelForm):
    class Meta:
        model = Component
        fields = ["component_class", "vendor_raw", "model", "serial_raw", "lot", "specs"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scratch = Component(
            pk=self.instance.pk,
            component_class=cleaned.get("component_class") or "",
            vendor_raw=cleaned.get("vendor_raw") or "",
            serial_raw=cleaned.get("serial_raw") or "",
        )
        try:
            apply_component_identity(scratch)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
        if component_conflict(scratch):
            self.add_error("serial_raw", "A component of this class, vendor and serial already exists.")
        return cleaned


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    form = ComponentAdminForm
    list_display = ["__str__", "component_class", "vendor", "model", "serial", "lot", "first_seen_at"]
    list_select_related = ["lot"]
    list_filter = ["component_class", "lot", "vendor"]
    search_fields = ["=serial", "serial_raw", "model"]
    autocomplete_fields = ["lot"]
    readonly_fields = ["vendor", "serial", "first_seen_at", "created_at", "updated_at"]
    show_full_result_count = False
    inlines = [InstallationOnComponentInline, ManualEventInline]
    actions = ["reapply_lots", "rederive"]
    fields = [
        "component_class",
        "vendor_raw",
        "vendor",
        "model",
        "serial_raw",
        "serial",
        "lot",
        "specs",
        "first_seen_at",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request: HttpRequest, obj: Component, form: forms.ModelForm, change: bool) -> None:
        save_component(obj)

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is ManualEvent:
            save_manual_event_formset(request, formset)
        else:
            super().save_formset(request, form, formset, change)

    @admin.action(description="Rederive history (installations and events)")
    def rederive(self, request: HttpRequest, queryset: QuerySet[Component]) -> None:
        results = list(rederive_components(list(queryset.values_list("pk", flat=True))))
        written = sum(r.events_written for r in results)
        self.message_user(request, f"Rederived {len(queryset)} component(s): {written} event row(s) changed.")

    @admin.action(description="Re-apply LOT rules to the selected components")
    def reapply_lots(self, request: HttpRequest, queryset: QuerySet[Component]) -> None:
        changed = reapply_lot_rules(queryset)
        self.message_user(request, f"LOT rules re-applied: {changed} component(s) changed LOT.", messages.SUCCESS)


class LotRuleInline(admin.TabularInline):
    model = LotRule
    extra = 0
    fields = [
        "component_class",
        "vendor",
        "model_pattern",
        "capacity_min_bytes",
        "capacity_max_bytes",
        "priority",
        "enabled",
    ]


@admin.register(Lot)
class LotAdmin(admin.ModelAdmin):
    list_display = ["code", "component_class", "description"]
    list_select_related = ()
    list_filter = ["component_class"]
    search_fields = ["code", "description"]
    inlines = [LotRuleInline]
    actions = ["reapply_lots"]

    @admin.action(description="Re-apply LOT rules to all components of these LOTs' classes")
    def reapply_lots(self, request: HttpRequest, queryset: QuerySet[Lot]) -> None:
        classes = set(queryset.values_list("component_class", flat=True))
        changed = reapply_lot_rules(Component.objects.filter(component_class__in=classes))
        self.message_user(request, f"LOT rules re-applied: {changed} component(s) changed LOT.", messages.SUCCESS)


@admin.register(LotRule)
class LotRuleAdmin(admin.ModelAdmin):
    list_display = [
        "lot",
        "component_class",
        "vendor",
        "model_pattern",
        "capacity_min_bytes",
        "capacity_max_bytes",
        "priority",
        "enabled",
    ]
    list_select_related = ["lot"]
    list_filter = ["component_class", "enabled", "lot"]
    list_editable = ["priority", "enabled"]
    search_fields = ["lot__code", "vendor", "model_pattern"]
    autocomplete_fields = ["lot"]
    actions = ["reapply_lots"]

    @admin.action(description="Re-apply LOT rules to all components of these rules' classes")
    def reapply_lots(self, request: HttpRequest, queryset: QuerySet[LotRule]) -> None:
        classes = set(queryset.values_list("component_class", flat=True))
        changed = reapply_lot_rules(Component.objects.filter(component_class__in=classes))
        self.message_user(request, f"LOT rules re-applied: {changed} component(s) changed LOT.", messages.SUCCESS)


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    """Read-only: installations are a projection of the observation history."""

    list_display = ["component", "asset", "slot", "installed_at", "last_seen_at", "removed_at"]
    list_select_related = ["component", "asset"]
    list_filter = [("removed_at", admin.EmptyFieldListFilter), "component__component_class"]
    search_fields = ["=component__serial", "=asset__vendor_serial", "asset__hostname"]
    show_full_result_count = False
    date_hierarchy = "installed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PlaceholderSerial)
class PlaceholderSerialAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "note", "updated_at"]
    list_select_related = ()
    list_filter = ["kind"]
    search_fields = ["value", "note"]


@admin.register(VendorAlias)
class VendorAliasAdmin(admin.ModelAdmin):
    list_display = ["alias", "vendor"]
    list_select_related = ()
    search_fields = ["alias", "vendor"]
