from django.db import models


class SubjectType(models.TextChoices):
    ASSET = "asset", "Asset"
    COMPONENT = "component", "Component"


class EventType(models.TextChoices):
    LOG_COLLECTED = "LOG_COLLECTED", "Logs collected"
    FIRST_SEEN = "FIRST_SEEN", "First seen"
    REMOVED = "REMOVED", "Removed"
    MOVED = "MOVED", "Moved"
    INSTALLED = "INSTALLED", "Installed"
    FIRMWARE_CHANGED = "FIRMWARE_CHANGED", "Firmware changed"
    FAILED = "FAILED", "Failed"
    TICKET_LINKED = "TICKET_LINKED", "Ticket linked"
    RMA_SENT = "RMA_SENT", "RMA sent"
    RMA_RETURNED = "RMA_RETURNED", "RMA returned"
    RETIRED = "RETIRED", "Retired"
    LOCATION_CHANGED = "LOCATION_CHANGED", "Location changed"
    NOTE = "NOTE", "Note"


# Events at one timestamp read in this order: a part leaves before its successor arrives.
EVENT_TYPE_ORDER: dict[str, int] = {
    EventType.LOG_COLLECTED: 10,
    EventType.FIRST_SEEN: 20,
    EventType.RMA_SENT: 25,
    EventType.REMOVED: 30,
    EventType.MOVED: 35,
    EventType.INSTALLED: 40,
    EventType.RMA_RETURNED: 45,
    EventType.FIRMWARE_CHANGED: 50,
    EventType.FAILED: 60,
    EventType.TICKET_LINKED: 70,
    EventType.LOCATION_CHANGED: 80,
    EventType.RETIRED: 85,
    EventType.NOTE: 90,
}

MANUAL_EVENT_TYPES = (
    EventType.RMA_SENT,
    EventType.RMA_RETURNED,
    EventType.RETIRED,
    EventType.LOCATION_CHANGED,
    EventType.NOTE,
)
# Manual events that take a component out of its server until it is observed again.
REMOVING_EVENT_TYPES = frozenset({EventType.RMA_SENT, EventType.RETIRED})


class EventSource(models.TextChoices):
    BUNDLE = "bundle", "Log bundle"
    TICKET = "ticket", "Ticket"
    USER = "user", "Operator"
