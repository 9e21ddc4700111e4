"""Ticket sync: the idempotent upsert of a batch (DESIGN.md, Tickets).

A ticket is identified by (source, external_id) and only moves forward: an item whose
updated_at is not later than the stored one changes nothing, so a batch applied twice, or
items arriving out of order, leave the newest version. New and changed tickets are matched
against the registry (tickets.services.links).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from registry.services.identity import IdentityRules, identity_rules
from tickets.models import Ticket
from tickets.payload import TicketItemSerializer
from tickets.services.links import relink_ticket
from tickets.services.matching import References

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
TICKET_FIELDS = (
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
)
MAX_REPORTED_ERRORS = 100


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    latest_updated_at: datetime | None = None  # the newest updated_at among accepted items

    def add(self, other: SyncResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.errors.extend(other.errors[: max(0, MAX_REPORTED_ERRORS - len(self.errors))])
        if other.latest_updated_at and (
            self.latest_updated_at is None or other.latest_updated_at > self.latest_updated_at
        ):
            self.latest_updated_at = other.latest_updated_at

    def as_counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def sync_tickets(items: Iterable[Mapping[str, Any]], *, source: str) -> SyncResult:
    """Validate and upsert each item of the push shape (tickets.payload); a bad item is
    rejected with its errors and does not stop the others."""
    result = SyncResult()
    rules = identity_rules()
    for index, item in enumerate(items):
        serializer = TicketItemSerializer(data=item)
        if not serializer.is_valid():
            result.rejected += 1
            if len(result.errors) < MAX_REPORTED_ERRORS:
                external_id = item.get("external_id") if isinstance(item, Mapping) else None
                result.errors.append({"index": index, "external_id": external_id, "errors": serializer.errors})
            continue
        data = dict(serializer.validated_data)
        data.setdefault("raw", dict(item))
        outcome = upsert_ticket(data, source=source, rules=rules)
        setattr(result, outcome, getattr(result, outcome) + 1)
        when = data["updated_at"]
        if result.latest_updated_at is None or when > result.latest_updated_at:
            result.latest_updated_at = when
    return result


def upsert_ticket(data: Mapping[str, Any], *, source: str, rules: IdentityRules | None = None) -> str:
    """Create the ticket, move it forward, or leave it: CREATED, UPDATED or UNCHANGED."""
    references = _references(data.get("references"))
    values = {name: data[name] for name in TICKET_FIELDS if name in data}
    values["raw"] = data.get("raw") or {}
    values["references"] = _references_json(references)
    key = {"source": source, "external_id": data["external_id"]}
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(**key).first()
        if ticket is None:
            try:
                with transaction.atomic():
                    ticket = Ticket.objects.create(**key, **values)
            except IntegrityError:  # a concurrent sync created it first: compare with that one
                ticket = Ticket.objects.select_for_update().get(**key)
            else:
                relink_ticket(ticket, references, rules=rules)
                return CREATED
        if values["updated_at"] <= ticket.updated_at:
            return UNCHANGED
        for name, value in values.items():
            setattr(ticket, name, value)
        ticket.save()
        relink_ticket(ticket, references, rules=rules)
        return UPDATED


def _references(raw: Any) -> References:
    raw = raw or {}
    return References(
        serials=tuple(raw.get("serials") or ()),
        asset_tags=tuple(raw.get("asset_tags") or ()),
        hostnames=tuple(raw.get("hostnames") or ()),
        projects=tuple(raw.get("projects") or ()),
    )


def _references_json(references: References) -> dict[str, list[str]]:
    return {
        name: list(values)
        for name, values in (
            ("serials", references.serials),
            ("asset_tags", references.asset_tags),
            ("hostnames", references.hostnames),
            ("projects", references.projects),
        )
        if values
    }


def stored_references(ticket: Ticket) -> References:
    """The explicit references a ticket came with, to match it again."""
    return _references(ticket.references)
