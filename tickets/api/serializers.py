from __future__ import annotations

from rest_framework import serializers

from tickets.models import SyncRun, Ticket, TicketLink


class TicketLinkSerializer(serializers.ModelSerializer):
    target_type = serializers.CharField(read_only=True)
    target_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = TicketLink
        fields = ["id", "target_type", "target_id", "asset", "component", "project", "origin", "matched_text"]
        fields += ["created_at"]
        read_only_fields = fields


class TicketCandidateSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The words of the ticket that named them.")
    kind = serializers.CharField(help_text="serial, asset_tag, hostname or project")
    origin = serializers.CharField(help_text="explicit (a field of the source) or matched (the text)")
    targets = serializers.ListField(child=serializers.CharField(), help_text='"asset:3", "component:7", ...')


class TicketSerializer(serializers.ModelSerializer):
    links = TicketLinkSerializer(many=True, read_only=True)
    link_candidates = TicketCandidateSerializer(many=True, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "source",
            "external_id",
            "title",
            "description",
            "status",
            "priority",
            "category",
            "opened_at",
            "updated_at",
            "closed_at",
            "url",
            "reporter",
            "references",
            "links",
            "link_candidates",
            "synced_at",
        ]
        read_only_fields = fields


class SyncRunSerializer(serializers.ModelSerializer):
    connector: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connector",
            "source",
            "trigger",
            "status",
            "queued_at",
            "started_at",
            "finished_at",
            "cursor_before",
            "cursor_after",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "item_errors",
            "error",
        ]
        read_only_fields = fields


class ItemErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in `tickets`.")
    external_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(help_text="Field errors, as in the API's error shape.")  # type: ignore[assignment]


class SyncAnswerSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    errors = ItemErrorSerializer(many=True)  # type: ignore[assignment]


class PullTriggeredSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    connector = serializers.CharField()
    status = serializers.CharField()
    url = serializers.URLField(help_text="The run: poll it until its status is succeeded, failed or skipped.")
