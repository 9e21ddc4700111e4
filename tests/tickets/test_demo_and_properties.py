"""The order independence of pushed versions, and concurrent pushes."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import AssetFactory
from tickets.models import Ticket, TicketLink
from tickets.services.sync import sync_tickets
from timeline.models import TimelineEvent

T = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(5)))
def test_whatever_order_versions_arrive_in_the_newest_wins(order: list[int]) -> None:
    external_id = f"OPS-{uuid.uuid4().hex[:10]}"
    versions = [
        {"external_id": external_id, "title": f"version {n}", "updated_at": (T + timedelta(minutes=n)).isoformat()}
        for n in range(5)
    ]
    for index in order:
        sync_tickets([versions[index]], source="prop")
    ticket = Ticket.objects.get(source="prop", external_id=external_id)
    assert (ticket.title, ticket.updated_at) == ("version 4", T + timedelta(minutes=4))


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_pushes_of_one_batch_store_each_ticket_once() -> None:
    if connection.vendor != "mysql":
        pytest.fail("needs MariaDB: run the suite with `make test`")
    server = AssetFactory(vendor_serial_raw="MXQ2390RHW", vendor_serial="MXQ2390RHW")
    batch = [{"external_id": f"OPS-{n}", "title": "MXQ2390RHW down", "updated_at": T.isoformat()} for n in range(20)]
    barrier = threading.Barrier(2)
    results = []
    errors: list[BaseException] = []

    def push() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(sync_tickets(batch, source="race"))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(r.created for r in results) == 20
    assert sum(r.unchanged for r in results) == 20
    assert Ticket.objects.filter(source="race").count() == 20
    assert TicketLink.objects.filter(asset=server).count() == 20
    assert TimelineEvent.objects.filter(subject_id=server.pk, event_type="TICKET_LINKED").count() == 20
