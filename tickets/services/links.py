"""Links between tickets and the registry: kept in step with what matching finds, and
added or removed by operators. Every change brings the ticket's TICKET_LINKED events along."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from registry.models import Asset, Component, Project
from registry.services.identity import IdentityRules
from tickets.choices import LinkOrigin
from tickets.models import Ticket, TicketLink
from tickets.services.events import delete_ticket_linked_events, write_ticket_linked_events
from tickets.services.matching import Found, References, match_ticket

AUTOMATIC_ORIGINS = (LinkOrigin.EXPLICIT, LinkOrigin.MATCHED)


def _target_fields(kind: str, pk: int) -> dict[str, int]:
    return {f"{kind}_id": pk}


def relink_ticket(ticket: Ticket, references: References | None = None, *, rules: IdentityRules | None = None) -> int:
    """Bring the ticket's automatic links (explicit and matched) to what its references and
    text name now; operators' links stay, targets an operator unlinked are not linked again.
    Ambiguous matches become the ticket's candidates. Returns the number of links added."""
    result = match_ticket(ticket.title, ticket.description, references, rules=rules)
    dismissed = set(ticket.dismissed_targets or [])
    wanted: dict[str, Found] = {f.target.key: f for f in result.links if f.target.key not in dismissed}
    with transaction.atomic():
        existing = {link.target_key: link for link in ticket.links.all()}
        stale = [link.pk for key, link in existing.items() if link.origin in AUTOMATIC_ORIGINS and key not in wanted]
        if stale:
            TicketLink.objects.filter(pk__in=stale).delete()
        new = [
            TicketLink(
                ticket=ticket,
                origin=found.origin,
                matched_text=found.text[:255],
                **_target_fields(found.target.kind, found.target.pk),
            )
            for key, found in wanted.items()
            if key not in existing
        ]
        changed = [
            (existing[key], found)
            for key, found in wanted.items()
            if key in existing
            and existing[key].origin in AUTOMATIC_ORIGINS
            and (existing[key].origin, existing[key].matched_text) != (found.origin, found.text[:255])
        ]
        for link, found in changed:
            link.origin, link.matched_text = found.origin, found.text[:255]
            link.save(update_fields=["origin", "matched_text"])
        if new:
            TicketLink.objects.bulk_create(new)
        candidates = result.candidates
        if candidates != (ticket.link_candidates or []):
            ticket.link_candidates = candidates
            Ticket.objects.filter(pk=ticket.pk).update(link_candidates=candidates)
        if stale or new or changed:
            write_ticket_linked_events(ticket)
    return len(new)


def link_ticket(
    ticket: Ticket,
    *,
    asset: Asset | None = None,
    component: Component | None = None,
    project: Project | None = None,
    user_id: int | None = None,
    note: str = "",
) -> TicketLink:
    """An operator's link. Linking a target that matching already linked keeps that link."""
    targets = [(kind, obj) for kind, obj in (("asset", asset), ("component", component), ("project", project)) if obj]
    if len(targets) != 1:
        raise ValueError("Link a ticket to exactly one asset, component or project.")
    kind, obj = targets[0]
    key = f"{kind}:{obj.pk}"
    with transaction.atomic():
        link = TicketLink.objects.filter(ticket=ticket, **_target_fields(kind, obj.pk)).first()
        if link is None:
            try:
                with transaction.atomic():
                    link = TicketLink.objects.create(
                        ticket=ticket,
                        origin=LinkOrigin.MANUAL,
                        matched_text=note[:255],
                        created_by_id=user_id,
                        **_target_fields(kind, obj.pk),
                    )
            except IntegrityError:  # another operator linked it meanwhile
                link = TicketLink.objects.get(ticket=ticket, **_target_fields(kind, obj.pk))
        if key in (ticket.dismissed_targets or []):
            ticket.dismissed_targets = [t for t in ticket.dismissed_targets if t != key]
            Ticket.objects.filter(pk=ticket.pk).update(dismissed_targets=ticket.dismissed_targets)
        write_ticket_linked_events(ticket)
    return link


def unlink_ticket(link: TicketLink) -> None:
    """Remove a link and its event. The target is remembered as dismissed, so that matching
    the ticket again does not bring the link back; linking it by hand undoes that."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=link.ticket_id)
        stored = TicketLink.objects.filter(pk=link.pk).first()  # the row as stored, not as a form left it
        if stored is None:
            return
        key = stored.target_key
        stored.delete()
        if key not in (ticket.dismissed_targets or []):
            ticket.dismissed_targets = [*(ticket.dismissed_targets or []), key]
            Ticket.objects.filter(pk=ticket.pk).update(dismissed_targets=ticket.dismissed_targets)
        write_ticket_linked_events(ticket)


def delete_ticket(ticket: Ticket) -> None:
    """Delete a ticket, its links and their timeline events (events have no foreign key to
    cascade along). The next sync from its source brings it back, as a new ticket."""
    with transaction.atomic():
        delete_ticket_linked_events(ticket.pk)
        ticket.delete()
