"""Derived events are read-only; manual events are recorded through timeline.services.manual,
here and as inlines on the asset and component pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from timeline.models import ManualEvent, TimelineEvent
from timeline.services.manual import delete_manual_event, save_manual_event
from timeline.services.rederive import rederive_assets


def event_summary(event: TimelineEvent) -> str:
    """One line from the payload: the part, the versions, the note (no queries)."""
    payload = event.payload or {}
    parts = []
    if payload.get("serial"):
        parts.append(f"{payload.get('component_class', '')} {payload['serial']}".strip())
    if payload.get("slot"):
        parts.append(f"slot {payload['slot']}")
    if payload.get("to_version"):
        name = f"{payload['firmware']} " if payload.get("firmware") else ""
        parts.append(f"{name}{payload.get('from_version', '?')} → {payload['to_version']}")
    for key, label in (("reason", "reason"), ("reference", "ref"), ("note", "")):
        if payload.get(key):
            parts.append(f"{label} {payload[key]}".strip())
    return ", ".join(parts)


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "event_type", "subject_type", "subject_id", "summary", "source"]
    list_select_related = ()
    list_filter = ["event_type", "subject_type", "source"]
    search_fields = ["=subject_id", "=source_ref", "=natural_key"]
    show_full_result_count = False
    date_hierarchy = "timestamp"
    readonly_fields = [f.name for f in TimelineEvent._meta.fields]

    @admin.display(description="what")
    def summary(self, event: TimelineEvent) -> str:
        return event_summary(event)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # derived: rederive instead


@admin.register(ManualEvent)
class ManualEventAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "event_type", "asset", "component", "reference", "recorded_by", "recorded_at"]
    list_select_related = ["asset", "component", "recorded_by"]
    list_filter = ["event_type"]
    search_fields = ["reference", "note", "=asset__vendor_serial", "=component__serial"]
    autocomplete_fields = ["asset", "component", "location"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request: HttpRequest, obj: ManualEvent, form: forms.ModelForm, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]
        previous = ManualEvent.objects.get(pk=obj.pk) if change else None
        save_manual_event(obj, previous=previous)

    def delete_model(self, request: HttpRequest, obj: ManualEvent) -> None:
        delete_manual_event(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ManualEvent]) -> None:
        for event in queryset:
            delete_manual_event(event)


class ManualEventInline(admin.TabularInline):
    """Record RMAs, retirements and notes on the asset or component page."""

    model = ManualEvent
    extra = 1
    fields = ["event_type", "timestamp", "reference", "note", "location", "recorded_by"]
    readonly_fields = ["recorded_by"]
    autocomplete_fields = ["location"]
    ordering = ["-timestamp"]


def save_manual_event_formset(request: HttpRequest, formset: forms.BaseModelFormSet) -> None:
    """save_formset for ManualEventInline: every new, edited or deleted event goes through the
    service. Sets what formset.save() would, for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.deleted_forms:
        if form.instance.pk:
            delete_manual_event(form.instance)
            formset.deleted_objects.append(form.instance)
    for form in formset.forms:
        if not form.has_changed() or form in formset.deleted_forms:
            continue
        event = form.save(commit=False)
        is_new = event.pk is None
        if is_new:
            event.recorded_by = request.user
        previous = None if is_new else ManualEvent.objects.get(pk=event.pk)
        try:
            save_manual_event(event, previous=previous)
        except ValidationError as exc:
            messages.error(request, f"{event.event_type} not recorded: {'; '.join(exc.messages)}")
            continue
        if is_new:
            formset.new_objects.append(event)
        else:
            formset.changed_objects.append((event, form.changed_data))


def rederive_selected_assets(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    results = list(rederive_assets(list(queryset.values_list("pk", flat=True))))
    written = sum(r.events_written for r in results)
    modeladmin.message_user(
        request, f"Rederived {queryset.count()} asset(s): {written} event row(s) changed.", messages.SUCCESS
    )
