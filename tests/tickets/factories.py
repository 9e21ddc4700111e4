"""Factories of the tickets app (lean, explicit times)."""

from __future__ import annotations

from datetime import UTC, datetime

import factory

from tickets.choices import ConnectorKind
from tickets.models import Ticket, TicketConnector

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    source = "servicedesk"
    external_id = factory.Sequence(lambda n: f"OPS-{n}")
    title = factory.Sequence(lambda n: f"Ticket {n}")
    updated_at = T0


class TicketConnectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketConnector

    name = factory.Sequence(lambda n: f"jira-{n}")
    kind = ConnectorKind.JIRA
    base_url = "http://127.0.0.1:9/"
    query = "project = OPS"
