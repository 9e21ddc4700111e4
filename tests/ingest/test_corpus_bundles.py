"""End-to-end ingestion of real server data from the shared corpus.

Each bundle is built in the test the way a collector would build it (a tar.gz with
manifest.json and the tool outputs, a zip, or one JSON inventory document), received as the
API receives it and parsed. The expected figures below were read in the corpus files
themselves (lshw.json, smartctl/*.json, dmidecode text, Redfish resources), not copied from
what the parsers answer. Nothing from the corpus is copied into the repository.
"""

from __future__ import annotations

import copy
import json
import tarfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from ingest.models import LogBundle, Observation
from ingest.services.parsing import parse_bundle
from registry.models import Asset, Component, Installation
from tests.ingest.bundles import corpus_bundle, corpus_tree_bundle, manifest, tar_gz, zip_bytes

pytestmark = pytest.mark.django_db

Ingest = Callable[..., LogBundle]

# Collection times in the past, with a zone, as a collector writes them.
COLLECTED_AT = "2026-03-01T10:00:00+02:00"
T1 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
T2_TEXT, T3_TEXT = "2026-03-08T10:00:00+02:00", "2026-03-15T10:00:00+02:00"
T2, T3 = datetime(2026, 3, 8, 8, 0, tzinfo=UTC), datetime(2026, 3, 15, 8, 0, tzinfo=UTC)

R6515 = "ironlib-fixtures/dell/r6515"
X11DPH = "ironlib-fixtures/supermicro/x11dph-t"
HPE_MOCKUPS = "redfish-hpe-ilo-emulator/mockups"
HPE_ARCHIVES = "redfish-hpe-ilo-emulator/archives"
NETBOX_DMI = "dmidecode-netbox-agent/dmidecode"
LINUXHW_R750 = "dmidecode-linuxhw-DMI/files/Dell_PowerEdge_R750_D1750E589C22.dmidecode.txt"


# --- building bundles from the corpus ------------------------------------------------------


def r6515_members(corpus: Path) -> dict[str, bytes]:
    """Dell R6515 (service tag 11WLK93): lshw -json and smartctl --json -a of its four drives.
    scan.json (`smartctl --scan`) goes in too, as a collector would ship it; no parser claims it."""
    members = {"lshw.json": (corpus / R6515 / "lshw.json").read_bytes()}
    for name in ("sda", "sdb", "nvme0", "nvme1", "scan"):
        members[f"smartctl/{name}.json"] = (corpus / R6515 / "smartctl" / f"{name}.json").read_bytes()
    return members


def x11dph_members(corpus: Path) -> dict[str, bytes]:
    """Supermicro SSG-6029P-E1CR12L on an X11DPH-T board: lshw and all 17 smartctl files."""
    members = {"lshw.json": (corpus / X11DPH / "lshw.json").read_bytes()}
    for path in sorted((corpus / X11DPH / "smartctl").glob("*.json")):
        members[f"smartctl/{path.name}"] = path.read_bytes()
    return members


def with_manifest(members: dict[str, bytes], collected_at: str = COLLECTED_AT, **hints: Any) -> dict[str, bytes]:
    return {**members, "manifest.json": manifest(collected_at, **hints)}


def build_r6515(corpus: Path, tmp_path: Path) -> bytes:
    return tar_gz(with_manifest(r6515_members(corpus)))


def build_r6515_zip(corpus: Path, tmp_path: Path) -> bytes:
    return zip_bytes(with_manifest(r6515_members(corpus)))


def build_x11dph(corpus: Path, tmp_path: Path) -> bytes:
    return tar_gz(with_manifest(x11dph_members(corpus)))


def build_dl360(corpus: Path, tmp_path: Path) -> bytes:
    return corpus_tree_bundle(corpus / HPE_MOCKUPS / "DL360", prefix="redfish/v1", collected_at=COLLECTED_AT)


def build_dl340e_from_archive(corpus: Path, tmp_path: Path) -> bytes:
    """The Alletra 4220 Gen12 (DL340e) mockup is stored packed: unpack it, then dump it as a
    collector would, under redfish/."""
    with tarfile.open(corpus / HPE_ARCHIVES / "DL340e.tar.gz") as archive:
        archive.extractall(tmp_path / "DL340e", filter="data")
    return corpus_tree_bundle(tmp_path / "DL340e" / "DL340e", prefix="redfish", collected_at=COLLECTED_AT)


def build_netbox_ssg6028r(corpus: Path, tmp_path: Path) -> bytes:
    return corpus_bundle(corpus, {"dmidecode.txt": f"{NETBOX_DMI}/SM_SSG-6028R"}, collected_at=COLLECTED_AT)


def build_linuxhw_r750_with_asset_tag(corpus: Path, tmp_path: Path) -> bytes:
    return corpus_bundle(
        corpus, {"dmidecode.txt": LINUXHW_R750}, collected_at=COLLECTED_AT, asset={"asset_tag": "rz-000750"}
    )


def build_three_tools_one_r6515(corpus: Path, tmp_path: Path) -> bytes:
    """The issue's "done means": dmidecode + smartctl + Redfish of one server in one tar.gz.

    The corpus has no single machine captured by all three tools. It has three Dell PowerEdge
    R6515s: the Redfish ComputerSystem and iDRAC manager of service tag CNCMU0005400IJ
    (redfish-bmclib-fragments/dell), `dmidecode -t 39` (power supplies only, no system record)
    of an R6515 with DELTA PSUs, and smartctl of the drives of R6515 11WLK93 (ironlib). Each
    tool contributes a slice the others do not cover (Redfish: the server and its BIOS/BMC
    firmware; dmidecode: the PSUs; smartctl: the drives) and none carries a second system
    identity, so together they are a consistent picture of one R6515. The lshw output of
    11WLK93 is left out on purpose: its system serial would be a second, different server.
    """
    redfish = "redfish-bmclib-fragments/dell"
    files = {
        "dmidecode-t39.txt": f"{R6515}/dmidecode/psu",
        "redfish/v1/index.json": f"{redfish}/serviceroot.json",
        "redfish/v1/Systems/index.json": f"{redfish}/systems.json",
        "redfish/v1/Systems/System.Embedded.1/index.json": f"{redfish}/system.embedded.1.json",
        "redfish/v1/Managers/index.json": f"{redfish}/managers.json",
        "redfish/v1/Managers/iDRAC.Embedded.1/index.json": f"{redfish}/manager.idrac.embedded.1.json",
        **{f"smartctl/{name}.json": f"{R6515}/smartctl/{name}.json" for name in ("sda", "sdb", "nvme0", "nvme1")},
    }
    return corpus_bundle(corpus, files, collected_at=COLLECTED_AT, hostname="r6515-a.example.net")


def x11dph_inventory_document(corpus: Path, collected_at: str) -> dict[str, Any]:
    """The Supermicro server in the project's own inventory format, as an integrator's exporter
    would write it from the same tool outputs (lshw, smartctl, ipmicfg for the BMC firmware)."""
    lshw = json.loads((corpus / X11DPH / "lshw.json").read_text())
    nodes = list(_walk(lshw))
    board = next(n for n in nodes if n.get("id") == "core")
    bios = next(n for n in nodes if n.get("id") == "firmware")
    bmc = next(
        line.split(":", 1)[1].strip()
        for line in (corpus / X11DPH / "ipmicfg-summary").read_text().splitlines()
        if line.startswith("Firmware Revision")
    )
    components: list[dict[str, Any]] = [
        {"class": "DIMM", "slot": n["slot"], "vendor": n["vendor"], "model": n["product"], "serial": n["serial"]}
        for n in nodes
        if n.get("id", "").startswith("bank:") and n.get("serial") and n.get("serial") != "NO DIMM"
    ]
    components += [
        {"class": "PSU", "slot": f"PSU{index + 1}", "vendor": n["vendor"], "model": n["product"], "serial": n["serial"]}
        for index, n in enumerate(n for n in nodes if n.get("class") == "power")
    ]
    for path in sorted((corpus / X11DPH / "smartctl").glob("sd*.json")) + sorted(
        (corpus / X11DPH / "smartctl").glob("nvme*.json")
    ):
        smart = json.loads(path.read_text())
        nvme = smart["device"]["type"] == "nvme"
        components.append(
            {
                "class": "NVME" if nvme else ("HDD" if smart.get("rotation_rate") else "SSD"),
                "slot": smart["device"]["name"],
                "model": smart["model_name"],
                "serial": smart["serial_number"],
                "firmware": smart["firmware_version"],
                "health": {
                    "smart_passed": smart["smart_status"]["passed"],
                    "power_on_hours": smart["power_on_time"]["hours"],
                },
            }
        )
    return {
        "format": "reanimator-inventory",
        "version": 1,
        "collected_at": collected_at,
        "hostname": lshw["id"],
        "collector": {"name": "acme-cmdb-export", "version": "2.3"},
        "asset": {
            "vendor": lshw["vendor"],
            "model": lshw["product"].split(" (")[0],
            "serial": lshw["serial"],
            "uuid": lshw["configuration"]["uuid"],
            "firmware": {"BIOS": bios["version"], "BMC": bmc},
            "x-board": f"{board['vendor']} {board['product']}",
        },
        "components": components,
    }


def build_x11dph_inventory(corpus: Path, tmp_path: Path) -> bytes:
    return json.dumps(x11dph_inventory_document(corpus, COLLECTED_AT), sort_keys=True).encode()


def _walk(node: dict[str, Any]):
    yield node
    for child in node.get("children", []):
        yield from _walk(child)


# --- what a server must yield ----------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    id: str
    build: Callable[[Path, Path], bytes]
    container: str
    vendor: str
    model: str
    serial: str | None  # normalised, as stored on the asset
    uuid: str | None
    registered: dict[str, int]  # registry components (usable serial), by class
    anonymous: dict[str, int]  # anonymous observations, by class
    # serial -> (class, firmware) of parts read in the tool outputs
    parts: dict[str, tuple[str, str]]
    asset_firmware: dict[str, str]
    hostname: str = ""
    asset_tag: str | None = None
    sources: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


R6515_PARTS = {
    # smartctl's firmware wins over lshw's truncated "J004" / same NVMe firmware
    "203329F89392": ("SSD", "D3DJ004"),
    "203329F89796": ("SSD", "D3DJ004"),
    "202728F691F5": ("NVME", "11300DN0"),
    "202728F691C6": ("NVME", "11300DN0"),
    "3510CB7F": ("DIMM", ""),
    "3510CC93": ("DIMM", ""),
    "CNLOD000B229D6": ("PSU", ""),
    "CNLOD000B232CD": ("PSU", ""),
}
R6515_REGISTERED = {"DIMM": 8, "SSD": 2, "NVME": 2, "PSU": 2, "MOTHERBOARD": 1}
R6515_ANONYMOUS = {"CPU": 1, "NIC": 2, "RAID": 1}

R6515_SERVER = Server(
    id="dell-r6515-lshw-smartctl",
    build=build_r6515,
    container="tar.gz",
    vendor="Dell Inc.",
    model="PowerEdge R6515",
    serial="11WLK93",
    uuid="4c4c4544-0031-5710-804c-b1c04f4b3933",
    registered=R6515_REGISTERED,
    anonymous=R6515_ANONYMOUS,
    parts=R6515_PARTS,
    asset_firmware={"BIOS": "1.7.4"},
    hostname="fup-1621094422160741414.dc13.packet.net",
    sources=("lshw", "smartctl"),
)

SERVERS = [
    R6515_SERVER,
    # the same server in another container: every expectation must hold unchanged
    replace(R6515_SERVER, id="dell-r6515-zip", build=build_r6515_zip, container="zip"),
    Server(
        id="supermicro-x11dph-t-lshw-smartctl",
        build=build_x11dph,
        container="tar.gz",
        vendor="Supermicro",
        model="SSG-6029P-E1CR12L-PH004",
        serial="A401031X0502795",
        uuid="969ebc00-fc71-11e9-8000-ac1f6bdc19c2",
        registered={"DIMM": 12, "HDD": 12, "SSD": 2, "NVME": 2, "PSU": 2, "MOTHERBOARD": 1},
        anonymous={"CPU": 2, "NIC": 4, "RAID": 1},
        parts={
            "VDJKG9LK": ("HDD", "V8GNW460"),
            "VDJLNERD": ("HDD", "V8GNW460"),
            "20032613EE70": ("SSD", "D1MU020"),
            "Z9DF71TJFY3L": ("NVME", "AGGA4104"),
            "Z9DF71YGFY3L": ("NVME", "AGGA4104"),
            "53963974": ("DIMM", ""),
            "5396396B": ("DIMM", ""),
            "P1K2ACK07HB0670": ("PSU", ""),
            "ZM19AS026837": ("MOTHERBOARD", ""),
        },
        asset_firmware={"BIOS": "3.4"},
        hostname="fup-1623902891538008345.am6.packet.net",
        sources=("lshw", "smartctl"),
    ),
    Server(
        id="hpe-dl360-gen10plus-redfish-mockup",
        build=build_dl360,
        container="tar.gz",
        vendor="HPE",
        model="ProLiant DL360 Gen10 Plus - SIMULATED",
        serial="MXQ2390RHW",
        uuid="39383250-3834-584d-5132-333930524857",
        # 12 of 32 DIMM slots populated, 2 of 8 drive bays; the absent ones are not parts
        registered={"DIMM": 12, "SSD": 2, "PSU": 2, "NIC": 2, "RAID": 1},
        anonymous={"CPU": 2},
        parts={
            "14D4DE03": ("DIMM", ""),
            "14D4EEBA": ("DIMM", ""),
            "S521NA0T605357": ("SSD", "HPG3"),
            "S521NA0T605338": ("SSD", "HPG3"),
            "5WBYE0F4DGX2JS": ("PSU", "2.00"),
            "5WBYE0F4DGX2K2": ("PSU", "2.00"),
            "ILC220027S": ("NIC", "16.35.4030"),
            "PWWTT0C52GE0FF": ("RAID", "03.01.33.044"),
        },
        asset_firmware={"BIOS": "U46 v2.34 (03/11/2025)", "BMC": "iLO 5 v3.11", "iLO 5": "3.11 Feb 25 2025"},
        sources=("redfish",),
    ),
    Server(
        id="hpe-alletra-4220-gen12-redfish-archive",
        build=build_dl340e_from_archive,
        container="tar.gz",
        vendor="HPE",
        model="HPE Alletra Storage Server 4220 Gen12 - SIMULATED",
        serial="SANJACSCM",
        uuid="52544c55-4c41-4153-4e4a-414353434d00",
        # 1 of 16 DIMM slots populated; PSU bay 2 is "Absent" without model or serial
        registered={"DIMM": 1, "NIC": 1, "PSU": 1},
        anonymous={"CPU": 1},
        parts={
            "46C282A7": ("DIMM", ""),
            "VNM4490CN7": ("NIC", "20.27.42"),
            "5YFGC0D3ML5014": ("PSU", "4.01.01"),
        },
        asset_firmware={"BIOS": "U71 v1.52 (10/03/2025)", "BMC": "1.17.00 Aug 13 2025"},
        hostname="dl340/alletra 4220 gen12 3-9",
        sources=("redfish",),
    ),
    Server(
        id="supermicro-ssg-6028r-dmidecode",
        build=build_netbox_ssg6028r,
        container="tar.gz",
        vendor="Supermicro",
        model="SSG-6028R-OSD072P",
        serial="S212101X7A18218",
        uuid="00000000-0000-0000-0000-ac1f6b05e596",
        # 4 of 16 DIMM slots, 2 of 4 PSU bays ("Not Present"), 1 of 2 sockets
        registered={"DIMM": 4, "PSU": 2, "MOTHERBOARD": 1},
        anonymous={"CPU": 1},
        parts={
            "18ABE4AE": ("DIMM", ""),
            "18ABE142": ("DIMM", ""),
            "P9212CH10JT1664": ("PSU", ""),
            "P9212CH10JT1665": ("PSU", ""),
            "NM175S004964": ("MOTHERBOARD", ""),
        },
        asset_firmware={"BIOS": "2.0b"},
        sources=("dmidecode",),
    ),
    Server(
        id="dell-r750-dmidecode-masked-serials-with-asset-tag-hint",
        build=build_linuxhw_r750_with_asset_tag,
        container="tar.gz",
        vendor="Dell Inc.",
        model="PowerEdge R750",
        serial=None,  # "--": masked by hw-probe, a placeholder
        uuid=None,
        asset_tag="RZ-000750",
        registered={},
        # every serial is "--": 16 of 32 DIMM slots populated, both CPUs, the board, one PSU
        anonymous={"DIMM": 16, "CPU": 2, "MOTHERBOARD": 1, "PSU": 1},
        parts={},
        asset_firmware={"BIOS": "1.10.2"},
        sources=("dmidecode",),
    ),
    Server(
        id="dell-r6515-dmidecode-smartctl-redfish",
        build=build_three_tools_one_r6515,
        container="tar.gz",
        vendor="Dell Inc.",
        model="PowerEdge R6515",
        serial="CNCMU0005400IJ",
        uuid="4c4c4544-004c-4410-8058-c6c04f443533",
        registered={"PSU": 2, "SSD": 2, "NVME": 2},
        anonymous={},
        parts={
            "CNDED0009S4FFK": ("PSU", ""),
            "CNDED0009S4FGF": ("PSU", ""),
            "203329F89392": ("SSD", "D3DJ004"),
            "202728F691C6": ("NVME", "11300DN0"),
        },
        asset_firmware={"BIOS": "2.2.4", "BMC": "1.20.50.52"},
        hostname="r6515-a.example.net",
        sources=("dmidecode", "redfish", "smartctl"),
    ),
    Server(
        id="supermicro-x11dph-t-inventory-json",
        build=build_x11dph_inventory,
        container="json",
        vendor="Supermicro",
        model="SSG-6029P-E1CR12L-PH004",
        serial="A401031X0502795",
        uuid="969ebc00-fc71-11e9-8000-ac1f6bdc19c2",
        registered={"DIMM": 12, "HDD": 12, "SSD": 2, "NVME": 2, "PSU": 2},
        anonymous={},
        parts={
            "VDJKG9LK": ("HDD", "V8GNW460"),
            "20032613D813": ("SSD", "D1MU020"),
            "Z9DF71YGFY3L": ("NVME", "AGGA4104"),
            "53963965": ("DIMM", ""),
            "P1K2ACK07HB0669": ("PSU", ""),
        },
        asset_firmware={"BIOS": "3.4", "BMC": "1.71.11"},
        hostname="fup-1623902891538008345.am6.packet.net",
        sources=("inventory",),
    ),
]


# --- helpers -----------------------------------------------------------------------------------


def table_counts() -> dict[str, int]:
    """Rows in every table of the project, so "changes nothing" means nothing anywhere."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def installation_rows() -> list[tuple[Any, ...]]:
    return sorted(
        Installation.objects.values_list(
            "component_id", "asset_id", "slot", "installed_at", "last_seen_at", "removed_at"
        ),
        key=repr,
    )


def observation_rows(bundle: LogBundle) -> list[tuple[Any, ...]]:
    rows = Observation.objects.filter(bundle=bundle).values_list(
        "asset_id",
        "component_id",
        "kind",
        "component_class",
        "slot",
        "vendor_raw",
        "vendor",
        "model",
        "serial_raw",
        "serial",
        "firmware",
        "specs",
        "health",
        "sources",
        "collected_at",
    )
    return sorted(
        (
            (*row[:11], json.dumps(row[11], sort_keys=True), json.dumps(row[12], sort_keys=True), *row[13:])
            for row in rows
        ),
        key=repr,
    )


def class_counts(bundle: LogBundle, kind: str) -> dict[str, int]:
    return dict(Counter(bundle.observations.filter(kind=kind).values_list("component_class", flat=True)))


def assert_parsed(bundle: LogBundle) -> None:
    assert bundle.status == "parsed", (bundle.error_code, bundle.error_message)


# --- every server ------------------------------------------------------------------------------


@pytest.mark.parametrize("server", SERVERS, ids=[s.id for s in SERVERS])
def test_real_server_becomes_one_asset_with_its_parts(
    ingest: Ingest, corpus_dir: Path, tmp_path: Path, server: Server
) -> None:
    raw = server.build(corpus_dir, tmp_path)
    bundle = ingest(raw)
    assert_parsed(bundle)
    assert bundle.raw.read() == raw
    assert bundle.container == server.container
    assert bundle.collected_at == T1

    asset = Asset.objects.get()
    assert bundle.asset == asset
    assert (asset.vendor, asset.model, asset.vendor_serial) == (server.vendor, server.model, server.serial)
    assert asset.system_uuid == server.uuid
    assert asset.asset_tag == server.asset_tag
    assert asset.hostname == server.hostname

    assert class_counts(bundle, "component") == server.registered
    assert class_counts(bundle, "anonymous") == server.anonymous
    assert bundle.counts.get("components", 0) == sum(server.registered.values())
    assert bundle.counts.get("anonymous", 0) == sum(server.anonymous.values())
    assert dict(Counter(Component.objects.values_list("component_class", flat=True))) == server.registered
    assert Installation.objects.filter(asset=asset, removed_at=None).count() == sum(server.registered.values())
    assert not Observation.objects.filter(kind="anonymous").exclude(component=None).exists()

    for serial, (component_class, firmware) in server.parts.items():
        observation = bundle.observations.get(serial=serial)
        assert (observation.component_class, observation.firmware) == (component_class, firmware), serial
        assert observation.component.component_class == component_class

    asset_observation = bundle.observations.get(kind="asset")
    assert asset_observation.specs["firmware"].items() >= server.asset_firmware.items()
    assert asset_observation.serial == (server.serial or "")
    assert set(asset_observation.sources) == set(server.sources)


@pytest.mark.parametrize("server", SERVERS, ids=[s.id for s in SERVERS])
def test_real_server_bundle_again_and_reparsed_changes_nothing(
    ingest: Ingest, corpus_dir: Path, tmp_path: Path, server: Server
) -> None:
    raw = server.build(corpus_dir, tmp_path)
    bundle = ingest(raw)
    assert_parsed(bundle)
    before = (table_counts(), installation_rows(), observation_rows(bundle))
    assert before[2], "the bundle yielded observations"

    again = ingest(raw)
    assert again.pk == bundle.pk
    assert (table_counts(), installation_rows(), observation_rows(bundle)) == before

    reparsed = parse_bundle(bundle.pk, reparse=True)
    assert reparsed is not None
    assert_parsed(reparsed)
    assert (table_counts(), installation_rows(), observation_rows(bundle)) == before


# --- what particular servers show ------------------------------------------------------------


def test_r6515_drive_seen_by_lshw_and_smartctl_is_one_component_with_smartctl_firmware(
    ingest: Ingest, corpus_dir: Path, tmp_path: Path
) -> None:
    bundle = ingest(build_r6515(corpus_dir, tmp_path))
    assert_parsed(bundle)
    drives = bundle.observations.filter(component_class__in=["SSD", "HDD", "NVME"])
    assert sorted(drives.values_list("serial", flat=True)) == [
        "202728F691C6",
        "202728F691F5",
        "203329F89392",
        "203329F89796",
    ]
    sda = drives.get(serial="203329F89392")
    # lshw reports the firmware as "J004"; smartctl, which asks the drive, as "D3DJ004"
    assert sda.firmware == "D3DJ004"
    assert set(sda.sources) == {"smartctl", "lshw"}
    assert sda.slot == "/dev/sda"
    assert sda.health["smart_passed"] is True
    assert Component.objects.filter(serial="203329F89392").count() == 1


def test_x11dph_drives_renamed_between_lshw_and_smartctl_still_merge_by_serial(
    ingest: Ingest, corpus_dir: Path, tmp_path: Path
) -> None:
    """lshw saw VDJKG9LK as /dev/sdc, smartctl (run at another boot) as /dev/sda."""
    bundle = ingest(build_x11dph(corpus_dir, tmp_path))
    assert_parsed(bundle)
    drive = bundle.observations.get(serial="VDJKG9LK")
    assert set(drive.sources) == {"smartctl", "lshw"}
    assert drive.slot == "/dev/sda"
    assert drive.health["power_on_hours"] == 4280
    assert bundle.observations.filter(component_class__in=["SSD", "HDD", "NVME"]).count() == 16


def test_dl360_absent_memory_and_drive_bays_are_not_parts(ingest: Ingest, corpus_dir: Path, tmp_path: Path) -> None:
    bundle = ingest(build_dl360(corpus_dir, tmp_path))
    assert_parsed(bundle)
    slots = set(bundle.observations.filter(component_class="DIMM").values_list("slot", flat=True))
    assert len(slots) == 12
    assert {"PROC 1 DIMM 1", "PROC 2 DIMM 16"} <= slots
    assert not slots & {"PROC 1 DIMM 2", "PROC 2 DIMM 15"}  # State "Absent" in the mockup
    drive_slots = set(bundle.observations.filter(component_class="SSD").values_list("slot", flat=True))
    assert drive_slots == {"Slot=12:Port=2I:Box=1:Bay=1", "Slot=12:Port=2I:Box=1:Bay=2"}
    assert set(bundle.observations.filter(component_class="PSU").values_list("slot", flat=True)) == {"Bay 1", "Bay 2"}


def test_masked_dmidecode_without_a_hint_fails_with_no_asset_identity(ingest: Ingest, corpus_dir: Path) -> None:
    """Every serial, UUID and asset tag of the linuxhw dumps is "--" (this R750's UUID line too),
    so nothing identifies the server: refused, kept, nothing recorded."""
    raw = corpus_bundle(corpus_dir, {"dmidecode.txt": LINUXHW_R750}, collected_at=COLLECTED_AT)
    bundle = ingest(raw)
    assert bundle.status == "failed"
    assert bundle.error_code == "no_asset_identity"
    assert "serial" in bundle.error_message
    assert bundle.raw.read() == raw
    assert not Asset.objects.exists()
    assert not Observation.objects.exists()


def test_masked_dmidecode_is_identified_by_the_manifest_serial_hint(ingest: Ingest, corpus_dir: Path) -> None:
    raw = corpus_bundle(
        corpus_dir, {"dmidecode.txt": LINUXHW_R750}, collected_at=COLLECTED_AT, asset={"serial": " 7xq9d43 "}
    )
    bundle = ingest(raw)
    assert_parsed(bundle)
    asset = Asset.objects.get()
    assert (asset.vendor_serial, asset.asset_tag, asset.model) == ("7XQ9D43", None, "PowerEdge R750")
    assert bundle.counts["anonymous"] == 20
    assert not Component.objects.exists()


def test_masked_dimms_stay_bound_to_the_asset_and_slot_across_bundles(ingest: Ingest, corpus_dir: Path) -> None:
    for when in (COLLECTED_AT, T2_TEXT):
        bundle = ingest(
            corpus_bundle(
                corpus_dir, {"dmidecode.txt": LINUXHW_R750}, collected_at=when, asset={"asset_tag": "RZ-000750"}
            )
        )
        assert_parsed(bundle)
    asset = Asset.objects.get()
    dimms = Observation.objects.filter(component_class="DIMM")
    assert dimms.count() == 32
    assert set(dimms.values_list("asset_id", "kind", "component_id")) == {(asset.pk, "anonymous", None)}
    assert set(dimms.values_list("slot", flat=True)) == {f"{bank}{n}" for bank in "AB" for n in range(1, 9)}
    assert not Component.objects.exists()
    assert not Installation.objects.exists()


def test_three_tools_of_one_server_are_one_asset_and_each_part_once(
    ingest: Ingest, corpus_dir: Path, tmp_path: Path
) -> None:
    bundle = ingest(build_three_tools_one_r6515(corpus_dir, tmp_path))
    assert_parsed(bundle)
    assert Asset.objects.count() == 1
    assert set(bundle.observations.values_list("kind", flat=True)) == {"asset", "component"}
    by_source = {
        serial: set(sources)
        for serial, sources in bundle.observations.exclude(kind="asset").values_list("serial", "sources")
    }
    assert by_source["CNDED0009S4FFK"] == {"dmidecode"}
    assert by_source["202728F691F5"] == {"smartctl"}
    assert bundle.hostname == "r6515-a.example.net"


def test_inventory_json_of_a_server_binds_to_the_asset_its_tool_outputs_registered(
    ingest: Ingest, corpus_dir: Path, tmp_path: Path
) -> None:
    """The same Supermicro, first as lshw+smartctl (T1), then as an exporter's inventory
    document (T2): one asset, no new drive/DIMM/PSU, their installations carry on."""
    ingest(build_x11dph(corpus_dir, tmp_path))
    registered = set(Component.objects.values_list("pk", "component_class", "serial"))
    document = json.dumps(x11dph_inventory_document(corpus_dir, T2_TEXT)).encode()
    later = ingest(document)
    assert_parsed(later)
    assert later.container == "json"
    assert Asset.objects.count() == 1
    assert set(Component.objects.values_list("pk", "component_class", "serial")) == registered
    drive = Installation.objects.get(component__serial="VDJKG9LK")
    assert (drive.installed_at, drive.last_seen_at, drive.removed_at) == (T1, T2, None)
    # the inventory does not list the motherboard: it lacks that class, so it does not remove it
    board = Installation.objects.get(component__serial="ZM19AS026837")
    assert (board.installed_at, board.last_seen_at, board.removed_at) == (T1, T1, None)


# --- a drive moves from one server to another -------------------------------------------------


def r6515_without_sdb(corpus: Path) -> dict[str, bytes]:
    """The R6515 after its second SATA SSD (203329F89796) was pulled: a modified copy of its
    lshw tree without that disk, and no smartctl file for it."""
    members = r6515_members(corpus)
    del members["smartctl/sdb.json"]
    lshw = json.loads(members["lshw.json"])
    pruned = copy.deepcopy(lshw)

    def prune(node: dict[str, Any]) -> None:
        node["children"] = [c for c in node.get("children", []) if c.get("serial") != "203329F89796"]
        for child in node["children"]:
            prune(child)

    prune(pruned)
    members["lshw.json"] = json.dumps(pruned).encode()
    assert members["lshw.json"].count(b"203329F89") == 1  # only sda is left
    return members


def x11dph_with_the_moved_drive(corpus: Path) -> dict[str, bytes]:
    """The Supermicro after the R6515's SSD was put into it: a modified copy of that drive's
    smartctl output, under the device name it got there."""
    members = x11dph_members(corpus)
    moved = json.loads((corpus / R6515 / "smartctl" / "sdb.json").read_text())
    moved["device"]["name"] = moved["device"]["info_name"] = "/dev/sdo"
    members["smartctl/sdo.json"] = json.dumps(moved).encode()
    return members


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_drive_moved_to_another_server_gets_installation_windows(
    ingest: Ingest, corpus_dir: Path, order: tuple[int, ...]
) -> None:
    bundles = [
        tar_gz(with_manifest(r6515_members(corpus_dir), COLLECTED_AT)),  # R6515 at T1, with the SSD
        tar_gz(with_manifest(x11dph_with_the_moved_drive(corpus_dir), T2_TEXT)),  # Supermicro at T2, with it
        tar_gz(with_manifest(r6515_without_sdb(corpus_dir), T3_TEXT)),  # R6515 at T3, without it
    ]
    for index in order:
        assert_parsed(ingest(bundles[index]))

    dell = Asset.objects.get(vendor_serial="11WLK93")
    supermicro = Asset.objects.get(vendor_serial="A401031X0502795")
    moved = Component.objects.get(serial="203329F89796")
    assert set(
        Installation.objects.filter(component=moved).values_list(
            "asset", "slot", "installed_at", "last_seen_at", "removed_at"
        )
    ) == {
        # left the Dell somewhere in (T1, T2]: it turned up in the Supermicro before the Dell was seen without it
        (dell.pk, "/dev/sdb", T1, T1, T2),
        (supermicro.pk, "/dev/sdo", T2, T2, None),
    }
    stayed = Installation.objects.get(component__serial="203329F89392")
    assert (stayed.asset_id, stayed.installed_at, stayed.last_seen_at, stayed.removed_at) == (dell.pk, T1, T3, None)
    neighbour = Installation.objects.get(component__serial="VDJKG9LK")
    assert (neighbour.asset_id, neighbour.installed_at, neighbour.removed_at) == (supermicro.pk, T2, None)
    assert Installation.objects.filter(asset=dell, removed_at=None).count() == 14
    assert Installation.objects.filter(asset=supermicro, removed_at=None).count() == 32
    assert Component.objects.filter(serial__startswith="203329F89").count() == 2
