"""Tickets come from their sources: the admin shows them, lets operators add and remove links
(through tickets.services.links, so the timeline follows), configures connectors and shows
sync runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from tickets.choices import SyncTrigger
from tickets.models import SyncRun, Ticket, TicketConnector, TicketLink
from tickets.services.links import delete_ticket, link_ticket, relink_ticket, unlink_ticket
from tickets.services.runs import request_pull
from tickets.services.sync import stored_references


class TicketLinkInline(admin.TabularInline):
    model = TicketLink
    extra = 1
    fields = ["asset", "component", "project", "origin", "matched_text", "created_by", "created_at"]
    readonly_fields = ["origin", "matched_text", "created_by", "created_at"]
    autocomplete_fields = ["asset", "component", "project"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketLink]:
        return super().get_queryset(request).select_related("asset", "component", "project__customer", "created_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a link is added or removed, never re-pointed


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["external_id", "title", "source", "status", "priority", "category", "updated_at"]
    list_select_related = ()
    list_filter = ["source", "status", "category"]
    search_fields = ["=external_id", "title"]
    date_hierarchy = "updated_at"
    show_full_result_count = False
    readonly_fields = [
        field.name for field in Ticket._meta.fields if field.name not in {"dismissed_targets", "link_candidates"}
    ] + ["link_candidates", "dismissed_targets"]
    inlines = [TicketLinkInline]
    actions = ["match_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tickets come from a push or a pull

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not TicketLink:
            super().save_formset(request, form, formset, change)
            return
        ticket: Ticket = form.instance
        # The admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for deleted in formset.deleted_forms:
            if deleted.instance.pk:
                unlink_ticket(deleted.instance)
                formset.deleted_objects.append(deleted.instance)
        for added in formset.extra_forms:
            if added.has_changed() and added not in formset.deleted_forms:
                data = added.cleaned_data
                link = link_ticket(
                    ticket,
                    asset=data.get("asset"),
                    component=data.get("component"),
                    project=data.get("project"),
                    user_id=request.user.pk,
                )
                formset.new_objects.append(link)

    def save_model(self, request: HttpRequest, obj: Ticket, form: forms.ModelForm, change: bool) -> None:
        pass  # every ticket field belongs to its source; only the links are edited here

    def delete_model(self, request: HttpRequest, obj: Ticket) -> None:
        delete_ticket(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        for ticket in queryset:
            delete_ticket(ticket)

    @admin.action(description="Match the selected tickets against the registry again", permissions=["change"])
    def match_again(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        added = sum(relink_ticket(ticket, stored_references(ticket)) for ticket in queryset)
        self.message_user(
            request, f"Matched {queryset.count()} ticket(s) again; {added} new link(s).", messages.SUCCESS
        )


class TicketConnectorForm(forms.ModelForm):
    base_url = forms.URLField(
        max_length=500, assume_scheme="https", help_text="Jira: the site root. JSON feed: the feed URL."
    )
    secret = forms.CharField(
        label="Token",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only: leave empty to keep the stored token.",
    )
    clear_secret = forms.BooleanField(label="Remove the stored token", required=False)

    class Meta:
        model = TicketConnector
        fields = [
            "name",
            "kind",
            "enabled",
            "source",
            "interval_seconds",
            "base_url",
            "username",
            "secret",
            "time_zone",
            "query",
            "field_mapping",
            "page_size",
            "cursor",
        ]

    def save(self, commit: bool = True) -> TicketConnector:
        connector: TicketConnector = super().save(commit=False)
        if self.cleaned_data.get("clear_secret"):
            connector.secret = ""
        elif not self.cleaned_data.get("secret") and connector.pk:
            connector.secret = TicketConnector.objects.values_list("secret", flat=True).get(pk=connector.pk)
        if commit:
            connector.save()
        return connector


@admin.register(TicketConnector)
class TicketConnectorAdmin(admin.ModelAdmin):
    form = TicketConnectorForm
    list_display = ["name", "kind", "enabled", "base_url", "interval_seconds", "cursor", "next_run_at", "has_token"]
    list_select_related = ()
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "base_url"]
    readonly_fields = ["next_run_at", "locked_until", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "enabled", "source", "interval_seconds"]}),
        ("Where", {"fields": ["base_url", "username", "secret", "clear_secret", "time_zone"]}),
        ("What", {"fields": ["query", "field_mapping", "page_size"]}),
        ("State", {"fields": ["cursor", "next_run_at", "locked_until", "created_at", "updated_at"]}),
    ]

    actions = ["run_now"]

    @admin.action(description="Pull from the selected connectors now", permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[TicketConnector]) -> None:
        runs = [request_pull(connector, trigger=SyncTrigger.ADMIN) for connector in queryset.filter(enabled=True)]
        self.message_user(
            request, f"Queued {len(runs)} run(s): " + ", ".join(str(run.pk) for run in runs), messages.SUCCESS
        )

    @admin.display(boolean=True, description="token set")
    def has_token(self, connector: TicketConnector) -> bool:
        return bool(connector.secret)


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "connector", "trigger", "status", "started_at", "finished_at", "created", "updated"]
    list_display += ["unchanged", "rejected"]
    list_select_related = ["connector"]
    list_filter = ["status", "trigger", "source"]
    show_full_result_count = False
    readonly_fields = [field.name for field in SyncRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
