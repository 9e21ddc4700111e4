"""String choices of the tickets app."""

from django.db import models


class TicketStatus(models.TextChoices):
    """Reanimator's coarse status; the source's own status name stays in `Ticket.raw`."""

    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class LinkOrigin(models.TextChoices):
    EXPLICIT = "explicit", "Named by the source"
    MATCHED = "matched", "Matched by Reanimator"
    MANUAL = "manual", "Added by an operator"


class LinkTarget(models.TextChoices):
    ASSET = "asset", "Asset"
    COMPONENT = "component", "Component"
    PROJECT = "project", "Project"


class ConnectorKind(models.TextChoices):
    JIRA = "jira", "Jira (REST search by JQL)"
    JSON_FEED = "json_feed", "JSON feed (the push shape)"


class SyncRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run holds the lock)"


class SyncTrigger(models.TextChoices):
    PUSH = "push", "Pushed batch"
    API = "api", "Triggered through the API"
    SCHEDULE = "schedule", "Beat schedule"
    ADMIN = "admin", "Admin action"
