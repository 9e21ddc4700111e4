"""Bundles are immutable raw uploads: the admin shows them and re-parses them, nothing more."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ingest.models import LogBundle, Observation
from ingest.services.reparse import reparse


class ObservationInline(admin.TabularInline):
    model = Observation
    extra = 0
    can_delete = False
    show_change_link = False
    fields = readonly_fields = ("kind", "component_class", "slot", "vendor", "model", "serial", "firmware", "component")
    max_num = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Observation]:
        return super().get_queryset(request).select_related("component")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LogBundle)
class LogBundleAdmin(admin.ModelAdmin):
    list_display = ["id", "sha_short", "status", "asset", "hostname", "collected_at", "received_at", "error_code"]
    list_select_related = ["asset"]
    list_filter = ["status", "error_code", "container", "parser_version"]
    search_fields = ["=sha256", "hostname", "=asset__vendor_serial", "original_filename"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    readonly_fields = [field.name for field in LogBundle._meta.fields]
    inlines = [ObservationInline]
    actions = ["reparse_selected"]

    @admin.display(description="sha256", ordering="sha256")
    def sha_short(self, bundle: LogBundle) -> str:
        return bundle.sha256[:12]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # uploads go through the API or the ingest console, which keep the bytes

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Re-parse the selected bundles with the current parsers", permissions=["view"])
    def reparse_selected(self, request: HttpRequest, queryset: QuerySet[LogBundle]) -> None:
        if not request.user.has_perm("ingest.add_logbundle"):
            self.message_user(request, "Re-parsing needs the permission to add log bundles.", messages.ERROR)
            return
        results = list(reparse(queryset))
        failed = [bundle for bundle in results if bundle.error_code]
        self.message_user(request, f"Re-parsed {len(results)} bundle(s); {len(failed)} failed.", messages.SUCCESS)
        for bundle in failed[:10]:
            self.message_user(
                request, f"Bundle {bundle.pk}: {bundle.error_code}: {bundle.error_message}", messages.ERROR
            )


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "component_class", "slot", "vendor", "model", "serial", "asset", "collected_at"]
    list_select_related = ["asset"]
    list_filter = ["kind", "component_class"]
    search_fields = ["=serial", "=bundle__sha256"]
    show_full_result_count = False
    readonly_fields = [field.name for field in Observation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
