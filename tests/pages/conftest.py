"""Data for the page tests: a small fleet ingested through the real pipeline (bundles in the
inventory format, parsed eagerly), so pages show real observations, installations, events
and tickets. `fleet(servers=1)` and `fleet(servers=4)` have the same shape at different
sizes: a query budget that holds for both does not grow with the rows shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from ingest.models import LogBundle
from registry.models import Asset, Component
from tests.ingest.bundles import inventory, part
from tests.ingest.conftest import _private_media_root, ingest  # noqa: F401  (same fixtures here)
from tickets.services.sync import sync_tickets

T1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
T2 = T1 + timedelta(days=7)
T3 = T2 + timedelta(days=7)


@dataclass
class Fleet:
    assets: list[Asset]
    bundles: list[LogBundle]

    @property
    def first(self) -> Asset:
        return self.assets[0]

    def component(self, serial: str) -> Component:
        return Component.objects.get(serial=serial)


def _parts(n: int, parts: int, *, swapped: str | None = None, firmware: str = "FW1") -> list[dict]:
    rows = [
        part(
            "NVME",
            f"NV-{n}-0",
            slot="nvme0",
            firmware=firmware,
            health={"smart_passed": True, "power_on_hours": 100 + n, "temperature_c": 31},
        ),
        part("DIMM", f"DM-{n}-0", slot="DIMM_A1"),
        part("PSU", f"PS-{n}-0", slot="PSU1", firmware=f"P{firmware}"),
    ]
    rows += [part("DIMM", f"DM-{n}-{i}", slot=f"DIMM_B{i}") for i in range(1, parts - 2)]
    if swapped:
        rows[0] = part(
            "NVME",
            swapped,
            slot="nvme0",
            firmware=firmware,
            health={"smart_passed": False, "power_on_hours": 300, "temperature_c": 44},
        )
    return rows


@pytest.fixture
def fleet(ingest) -> Callable[..., Fleet]:  # noqa: F811
    """servers x parts, three snapshots a week apart (node-n n minutes after node-0): at the
    second each server has its neighbour's NVMe drive (node-0 takes node-1's: a move, as
    node-1's is taken by node-1 from node-2; node-0's own drive turns up in the last server
    only after node-0 was seen without it: a removal, then an install), the BIOS and the
    firmware are updated; the third sees it all again."""

    def build(servers: int = 1, parts: int = 4) -> Fleet:
        bundles = []
        for n in range(servers):
            host = f"node-{n:02d}.dc1.example.com"
            when = T1 + timedelta(minutes=n)
            bundles.append(
                ingest(inventory(f"SRV-{n}", when, _parts(n, parts), firmware={"BIOS": "1.0"}, hostname=host))
            )
        for snapshot in (T2, T3):
            for n in range(servers):
                # node-n is collected n minutes after node-0: node-0 sees its neighbour's drive
                # before node-1 is seen without it, which makes that a move
                when = snapshot + timedelta(minutes=n)
                host = f"node-{n:02d}.dc1.example.com"
                # each server gets its neighbour's drive (a lone server gets a new one)
                other = f"NV-{(n + 1) % servers}-0" if servers > 1 else "NV-NEW-0"
                raw = inventory(
                    f"SRV-{n}",
                    when,
                    _parts(n, parts, swapped=other, firmware="FW2"),
                    firmware={"BIOS": "1.1"},
                    hostname=host,
                )
                bundles.append(ingest(raw))
        assets = list(Asset.objects.order_by("id"))
        items = [
            {
                "external_id": f"OPS-{n}",
                "title": f"Drive trouble in node-{n:02d}",
                "description": f"Drive NV-{n}-0 in node-{n:02d}.dc1.example.com reports errors.",
                "status": "open",
                "updated_at": (T3 + timedelta(hours=n)).isoformat(),
                "opened_at": T3.isoformat(),
            }
            for n in range(servers)
        ]
        sync_tickets(items, source="desk")
        return Fleet(assets=assets, bundles=bundles)

    return build


@pytest.fixture
def engineer_web(engineer) -> Client:
    client = Client()
    client.force_login(engineer)
    return client


@pytest.fixture
def operator_web(operator) -> Client:
    client = Client()
    client.force_login(operator)
    return client


HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target: str | None = None) -> dict[str, str]:
    headers = dict(HTMX)
    if target:
        headers["HTTP_HX_TARGET"] = target
    return headers
