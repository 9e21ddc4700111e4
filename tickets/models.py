"""Service-desk tickets and what they are about (DESIGN.md, Tickets).

A Ticket is identified by (source, external_id) and only moves forward by its `updated_at`
(the source's time, not ours). A TicketLink ties a ticket to one project, asset or
component, with its origin: named by the source, matched by Reanimator in the ticket's text,
or added by an operator. Ambiguous matches are kept on the ticket as candidates, not links.

TicketConnector rows configure the pull connectors (tickets.connectors); every pull or push
records a SyncRun.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from tickets.choices import ConnectorKind, LinkOrigin, LinkTarget, SyncRunStatus, SyncTrigger, TicketStatus


class Ticket(models.Model):
    source = models.CharField(max_length=64, help_text="The service desk it came from, e.g. jira-ops.")
    external_id = models.CharField("external id", max_length=128, help_text="The ticket's key in its source.")
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.OPEN, db_index=True)
    priority = models.CharField(max_length=64, blank=True)
    category = models.CharField(max_length=128, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(help_text="Last change in the source; a sync only moves it forward.")
    closed_at = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    reporter = models.CharField(max_length=200, blank=True)
    raw = models.JSONField(default=dict, blank=True, help_text="The item as the source sent it.")
    # What the source named explicitly: {"serials": [...], "asset_tags": [...], "hostnames": [...],
    # "projects": [...]}; kept so that a ticket can be matched again when the registry grows.
    references = models.JSONField(default=dict, blank=True)
    # Matches that named more than one registry object: shown to operators, never linked.
    link_candidates = models.JSONField(default=list, blank=True)
    # Targets an operator unlinked ("asset:3"): matching never links them again.
    dismissed_targets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(auto_now=True, db_index=True, help_text="Last written by Reanimator.")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="ticket_source_external_id")]
        indexes = [models.Index(fields=["updated_at"], name="ticket_updated_at")]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.title}"[:120]


class TicketLink(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links")
    asset = models.ForeignKey(
        "registry.Asset", on_delete=models.CASCADE, null=True, blank=True, related_name="ticket_links"
    )
    component = models.ForeignKey(
        "registry.Component", on_delete=models.CASCADE, null=True, blank=True, related_name="ticket_links"
    )
    project = models.ForeignKey(
        "registry.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="ticket_links"
    )
    origin = models.CharField(max_length=10, choices=LinkOrigin.choices, default=LinkOrigin.MANUAL)
    matched_text = models.CharField(max_length=255, blank=True, help_text="The text that named the target.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(asset__isnull=False) & Q(component__isnull=True) & Q(project__isnull=True))
                | (Q(asset__isnull=True) & Q(component__isnull=False) & Q(project__isnull=True))
                | (Q(asset__isnull=True) & Q(component__isnull=True) & Q(project__isnull=False)),
                name="ticketlink_one_target",
            ),
            # MariaDB unique indexes admit many NULLs: each holds only for its own target kind.
            models.UniqueConstraint(fields=["ticket", "asset"], name="ticketlink_unique_asset"),
            models.UniqueConstraint(fields=["ticket", "component"], name="ticketlink_unique_component"),
            models.UniqueConstraint(fields=["ticket", "project"], name="ticketlink_unique_project"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.target_key}"

    @property
    def target_type(self) -> str:
        if self.asset_id:
            return LinkTarget.ASSET
        if self.component_id:
            return LinkTarget.COMPONENT
        return LinkTarget.PROJECT

    @property
    def target_id(self) -> int | None:
        return self.asset_id or self.component_id or self.project_id

    @property
    def target_key(self) -> str:
        """ "asset:3", "component:7", "project:2"."""
        return f"{self.target_type}:{self.target_id}"

    def clean(self) -> None:
        if sum(1 for pk in (self.asset_id, self.component_id, self.project_id) if pk) != 1:
            raise ValidationError("A link goes to exactly one project, asset or component.")


class TicketConnector(models.Model):
    """A pull connector (tickets.connectors): where to pull from, how to map, and its state."""

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=20, choices=ConnectorKind.choices)
    enabled = models.BooleanField(default=True)
    source = models.CharField(
        max_length=64, blank=True, help_text="Ticket.source of what it pulls; empty means the connector's name."
    )
    base_url = models.URLField(max_length=500, help_text="Jira: the site root. JSON feed: the feed URL.")
    username = models.CharField(max_length=200, blank=True, help_text="Jira: the account e-mail for an API token.")
    # Kept out of logs, admin pages and the API (write-only in admin).
    secret = models.CharField("token", max_length=500, blank=True, help_text="API token or bearer token.")
    query = models.TextField(blank=True, help_text="Jira: the JQL that selects tickets (the cursor is added).")
    field_mapping = models.JSONField(
        default=dict, blank=True, help_text="Overrides of the default field mapping (see README, Tickets)."
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="Jira: the zone JQL dates are read in (the account's zone)."
    )
    page_size = models.PositiveSmallIntegerField(default=50)
    interval_seconds = models.PositiveIntegerField(default=300, help_text="How often beat runs it.")
    cursor = models.DateTimeField(null=True, blank=True, help_text="Tickets updated since this time come next.")
    next_run_at = models.DateTimeField(null=True, blank=True)
    # The run lock: a conditional UPDATE takes it; a crashed worker's lock expires.
    lock_token = models.CharField(max_length=32, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never the secret
        return f"<TicketConnector {self.name} ({self.kind})>"

    @property
    def ticket_source(self) -> str:
        return self.source or self.name


class SyncRun(models.Model):
    connector = models.ForeignKey(TicketConnector, on_delete=models.CASCADE, null=True, blank=True, related_name="runs")
    source = models.CharField(max_length=64)
    trigger = models.CharField(max_length=10, choices=SyncTrigger.choices)
    status = models.CharField(max_length=10, choices=SyncRunStatus.choices, default=SyncRunStatus.QUEUED)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cursor_before = models.DateTimeField(null=True, blank=True)
    cursor_after = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    item_errors = models.JSONField(default=list, blank=True, help_text="Rejected items (the first 100).")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["connector", "-id"], name="syncrun_connector")]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.source} ({self.status})"
