"""The push shape: one definition of a ticket batch, used to validate pushed batches and
JSON feeds, and to document both in the OpenAPI schema.

    {"source": "servicedesk",
     "tickets": [{"external_id": "OPS-1042", "title": "...", "updated_at": "2026-03-01T10:00:00Z",
                  "description": "...", "status": "open", "priority": "P2", "category": "hardware",
                  "opened_at": "...", "closed_at": null, "url": "https://...", "reporter": "...",
                  "references": {"serials": [], "asset_tags": [], "hostnames": [], "projects": []},
                  "raw": {...}}]}
"""

from __future__ import annotations

from rest_framework import serializers

from tickets.choices import TicketStatus

MAX_BATCH = 1000


def _references() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=100
    )


class ReferencesSerializer(serializers.Serializer):
    serials = _references()
    asset_tags = _references()
    hostnames = _references()
    projects = _references()


class TicketItemSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=128, help_text="The ticket's key in its source.")
    title = serializers.CharField(max_length=500)
    updated_at = serializers.DateTimeField(help_text="Last change in the source; older than the stored one: ignored.")
    description = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False, default=TicketStatus.OPEN)
    priority = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    opened_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    closed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    reporter = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    references = ReferencesSerializer(
        required=False, help_text="Fields of the source that name what the ticket is about: linked explicitly."
    )
    raw = serializers.JSONField(required=False, help_text="The item as the source has it; default: this item.")


class TicketBatchSerializer(serializers.Serializer):
    source = serializers.RegexField(  # type: ignore[assignment]
        r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", help_text="Which service desk these tickets come from."
    )
    tickets = TicketItemSerializer(many=True, help_text=f"Up to {MAX_BATCH} tickets; each is accepted or rejected.")
