"""Operators record manual events on the asset and component pages; derived events are read-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from ingest.models import LogBundle
from registry.models import Asset, Component, Installation
from tests.factories import AssetFactory, LocationFactory
from tests.ingest.bundles import inventory, part
from timeline.models import ManualEvent, TimelineEvent

pytestmark = pytest.mark.django_db
Ingest = Callable[..., LogBundle]
T1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def operator_web(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


def inline(prefix: str = "manual_events", **fields: str) -> dict[str, str]:
    data = {f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0"}
    data.update({f"{prefix}-0-{name}": value for name, value in fields.items()})
    return data


def test_rma_recorded_on_the_component_page_ends_the_installation(operator_web: Client, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1")]))
    component = Component.objects.get()
    response = operator_web.post(
        reverse("admin:registry_component_change", args=[component.pk]),
        {
            "component_class": component.component_class,
            "vendor_raw": component.vendor_raw,
            "model": component.model,
            "serial_raw": component.serial_raw,
            "specs": "{}",
            "installations-TOTAL_FORMS": "0",
            "installations-INITIAL_FORMS": "1",
            **inline(event_type="RMA_SENT", timestamp_0="2026-03-02", timestamp_1="09:00:00", reference="RMA-1"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = ManualEvent.objects.get()
    assert (event.reference, event.recorded_by_id is not None) == ("RMA-1", True)
    installation = Installation.objects.get()
    assert installation.removed_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert TimelineEvent.objects.filter(event_type="RMA_SENT", subject_id=component.pk).exists()


def test_retired_on_the_asset_page_changes_its_status(operator_web: Client) -> None:
    asset = AssetFactory(status="deployed")
    response = operator_web.post(
        reverse("admin:registry_asset_change", args=[asset.pk]),
        {
            "vendor_serial_raw": asset.vendor_serial_raw,
            "status": "deployed",
            "installations-TOTAL_FORMS": "0",
            "installations-INITIAL_FORMS": "0",
            **inline(event_type="RETIRED", timestamp_0="2026-03-02", timestamp_1="09:00:00", note="end of life"),
        },
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.status == "retired"
    assert TimelineEvent.objects.filter(event_type="RETIRED", subject_type="asset", subject_id=asset.pk).exists()


def test_location_change_moves_the_asset(operator) -> None:
    from timeline.services.manual import record_manual_event

    asset = AssetFactory()
    repair = LocationFactory(kind="repair_centre")
    record_manual_event(event_type="LOCATION_CHANGED", timestamp=T1, asset=asset, location=repair, user_id=operator.pk)
    assert Asset.objects.get(pk=asset.pk).location == repair


def test_deleting_a_manual_event_rederives(operator_web: Client, ingest: Ingest) -> None:
    from timeline.services.manual import record_manual_event

    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1")]))
    component = Component.objects.get()
    event = record_manual_event(event_type="RMA_SENT", timestamp=datetime(2026, 3, 2, tzinfo=UTC), component=component)
    assert Installation.objects.get().removed_at is not None
    response = operator_web.post(reverse("admin:timeline_manualevent_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert Installation.objects.get().removed_at is None
    assert not TimelineEvent.objects.filter(event_type="RMA_SENT").exists()


def test_derived_events_are_read_only(operator_web: Client, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1")]))
    event = TimelineEvent.objects.first()
    assert event is not None
    assert operator_web.get(reverse("admin:timeline_timelineevent_changelist")).status_code == 200
    assert operator_web.get(reverse("admin:timeline_timelineevent_change", args=[event.pk])).status_code == 200
    assert operator_web.get(reverse("admin:timeline_timelineevent_add")).status_code == 403
    assert operator_web.post(reverse("admin:timeline_timelineevent_delete", args=[event.pk])).status_code == 403
    assert operator_web.get(reverse("admin:timeline_manualevent_changelist")).status_code == 200
    assert operator_web.get(reverse("admin:timeline_manualevent_add")).status_code == 200


def test_rederive_action_on_assets(operator_web: Client, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1")]))
    asset = Asset.objects.get()
    TimelineEvent.objects.filter(subject_type="asset").delete()
    response = operator_web.post(
        reverse("admin:registry_asset_changelist"),
        {"action": "rederive_selected_assets", "_selected_action": [asset.pk]},
        follow=True,
    )
    assert any("Rederived 1 asset(s)" in str(m) for m in response.context["messages"])
    assert TimelineEvent.objects.filter(subject_type="asset", event_type="LOG_COLLECTED").exists()


def test_event_list_says_what_happened(operator_web: Client, ingest: Ingest) -> None:
    ingest(inventory("SRV-A", T1, [part("SSD", "SSD-1", slot="Bay 3")]))
    response = operator_web.get(reverse("admin:timeline_timelineevent_changelist"), {"subject_type__exact": "asset"})
    assert "SSD SSD-1, slot Bay 3" in response.content.decode()
