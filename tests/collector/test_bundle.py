"""`reanimator-collect bundle` against fake tools that print real corpus outputs, fail, hang or
are missing: the bundle holds what ran, the manifest says what did not."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tarfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest

from ingest.models import LogBundle
from ingest.parsers import manifest as manifest_parser
from ingest.services.intake import receive_bundle
from tests.collector.fakes import (
    COLLECTOR,
    NVME_LIST,
    R6515,
    FakeTools,
    run_collector,
    smartctl_text_block,
)

NAME_PATTERN = re.compile(r"^\d{8}T\d{6}Z-[A-Za-z0-9.-]+-[a-z2-7]{8}\.tar\.gz$")


def load_collector() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reanimator_collect", COLLECTOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def only_bundle(spool: Path) -> Path:
    bundles = sorted(spool.glob("*.tar.gz"))
    assert len(bundles) == 1, bundles
    assert NAME_PATTERN.match(bundles[0].name), bundles[0].name
    assert not list((spool / ".tmp").iterdir()), "no partial bundle is left behind"
    return bundles[0]


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as archive:
        infos = archive.getmembers()
        assert all(info.isfile() for info in infos), "only regular files, as the server requires"
        return {info.name: archive.extractfile(info).read() for info in infos}


def commands_by_name(manifest: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in manifest["commands"]}


def r6515_tools(tools: FakeTools) -> None:
    """The Dell R6515 11WLK93 as ironlib captured it: lshw and smartctl 7.1."""
    tools.prints("lshw", f"{R6515}/lshw.json")
    tools.smartctl()


def test_bundle_holds_what_ran_and_the_manifest_says_what_did_not(
    tools: FakeTools, spool: Path, corpus: Path, python: str
) -> None:
    r6515_tools(tools)
    tools.prints("nvme", NVME_LIST)
    tools.fails("dmidecode", "/dev/mem: Permission denied", exit_code=1)
    tools.hangs("ipmitool")
    # lspci is not there at all

    result = run_collector(
        "bundle", "--out", str(spool), "--timeout", "2", "--hostname", "bench-07.example.net", path=tools.path,
        python=python,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    bundle = only_bundle(spool)
    assert result.stdout.strip() == str(bundle)
    files = members(bundle)
    r6515 = corpus / R6515
    assert set(files) == {
        "manifest.json",
        "lshw.json",
        "nvme-list.json",
        "smartctl/scan.json",
        "smartctl/sda.json",
        "smartctl/sdb.json",
        "smartctl/nvme0.json",
        "smartctl/nvme1.json",
    }
    assert files["lshw.json"] == (r6515 / "lshw.json").read_bytes()
    assert files["nvme-list.json"] == (corpus / NVME_LIST).read_bytes()
    for name in ("scan", "sda", "sdb", "nvme0", "nvme1"):
        assert files[f"smartctl/{name}.json"] == (r6515 / "smartctl" / f"{name}.json").read_bytes()

    manifest = json.loads(files["manifest.json"])
    assert manifest["hostname"] == "bench-07.example.net"
    assert manifest["collector"]["name"] == "reanimator-collect"
    assert manifest["collector"]["version"] == load_collector().VERSION
    assert datetime.fromisoformat(manifest["collected_at"]).utcoffset() is not None

    runs = commands_by_name(manifest)
    assert list(runs) == [
        "dmidecode",
        "lshw -json",
        "smartctl --scan -j",
        "smartctl --json -a /dev/sda",
        "smartctl --json -a /dev/sdb",
        "smartctl --json -a /dev/nvme0",
        "smartctl --json -a /dev/nvme1",
        "nvme list -o json",
        "ipmitool fru print",
        "lspci -vmm",
    ]
    assert runs["dmidecode"]["status"] == "failed"
    assert runs["dmidecode"]["exit_code"] == 1
    assert "Permission denied" in runs["dmidecode"]["stderr"]
    assert "output" not in runs["dmidecode"]
    assert runs["ipmitool fru print"]["status"] == "timeout"
    assert runs["ipmitool fru print"]["exit_code"] is None
    assert runs["ipmitool fru print"]["skipped"] == "timed out after 2 s"
    assert runs["lspci -vmm"]["status"] == "missing"
    assert runs["lspci -vmm"]["duration_s"] is None
    assert "not installed" in runs["lspci -vmm"]["skipped"]
    assert runs["lshw -json"] | {"duration_s": 0} == {
        "name": "lshw -json",
        "argv": ["lshw", "-json"],
        "status": "ok",
        "exit_code": 0,
        "duration_s": 0,
        "output": "lshw.json",
    }
    assert runs["smartctl --json -a /dev/sda"]["argv"] == ["smartctl", "--json", "-a", "/dev/sda"]
    assert all(isinstance(entry["duration_s"], float) for entry in manifest["commands"] if entry["status"] != "missing")

    # the server's own manifest parser reads it, extra keys and all
    parsed = manifest_parser.parse("manifest.json", files["manifest.json"])
    assert parsed.hostname == "bench-07.example.net"
    assert parsed.collector_name == "reanimator-collect"
    assert [(c.name, c.exit_code) for c in parsed.commands][:2] == [("dmidecode", 1), ("lshw -json", 0)]
    assert parsed.collected_at.tzinfo is not None

    # every tool was asked what the issue lists, and nothing else
    assert tools.called() == [
        "dmidecode ",
        "lshw -json",
        "smartctl --scan -j",
        "smartctl --json -a /dev/sda",
        "smartctl --json -a /dev/sdb",
        "smartctl --json -a /dev/nvme0",
        "smartctl --json -a /dev/nvme1",
        "nvme list -o json",
        "ipmitool fru print",
    ]


@pytest.mark.django_db
def test_smartctl_without_json_is_collected_as_text_and_parses(
    tools: FakeTools, spool: Path, corpus: Path, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    """smartmontools before 7.0 refuses --json: the collector falls back to text, and the app
    reads the text into a drive."""
    text = smartctl_text_block(corpus, tmp_path)
    tools.old_smartctl(text)

    result = run_collector(
        "bundle", "--out", str(spool), "--asset-tag", "RZ-000801", "--hostname", "old-box", path=tools.path
    )

    assert result.returncode == 0, result.stderr
    files = members(only_bundle(spool))
    assert set(files) == {"manifest.json", "smartctl/scan.txt", "smartctl/sda.txt"}
    assert files["smartctl/sda.txt"] == text.read_bytes()
    manifest = json.loads(files["manifest.json"])
    assert manifest["asset"] == {"asset_tag": "RZ-000801"}
    runs = commands_by_name(manifest)
    assert runs["smartctl --scan -j"]["exit_code"] == 1
    assert "output" not in runs["smartctl --scan -j"]
    assert runs["smartctl --scan"]["output"] == "smartctl/scan.txt"
    assert runs["smartctl -a /dev/sda"]["output"] == "smartctl/sda.txt"
    # once --json is known to be missing it is not tried per device
    assert "smartctl --json -a /dev/sda" not in runs

    with django_capture_on_commit_callbacks(execute=True):
        receipt = receive_bundle(only_bundle(spool).read_bytes(), content_type="application/gzip")
    bundle = LogBundle.objects.get(pk=receipt.bundle.pk)
    assert bundle.status == "parsed", (bundle.error_code, bundle.error_message)
    assert bundle.asset is not None
    assert bundle.asset.asset_tag == "RZ-000801"
    drive = bundle.observations.get(serial="1144031E6FB3")
    assert drive.model == "Micron_P400e-MTFDDAK200MAR"
    assert drive.component is not None


def test_nothing_available_writes_no_bundle(tools: FakeTools, spool: Path, python: str) -> None:
    result = run_collector("bundle", "--out", str(spool), path=tools.path, python=python)

    assert result.returncode == 2
    assert "no bundle written" in result.stderr
    assert not list(spool.glob("*.tar.gz"))


def test_unusable_spool_is_a_usage_error(tools: FakeTools, tmp_path: Path, python: str) -> None:
    r6515_tools(tools)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = run_collector("bundle", "--out", str(blocker / "spool"), path=tools.path, python=python)

    assert result.returncode == 1
    assert "cannot create the spool" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["bundle", "--timeout", "soon"], ["bundle", "--timeout", "0"], ["sync", "--backoff", "-1"], ["frobnicate"], []],
)
def test_bad_command_line_exits_1(tools: FakeTools, args: list[str]) -> None:
    assert run_collector(*args, path=tools.path).returncode == 1


def test_spool_and_hints_come_from_the_environment_file(tools: FakeTools, tmp_path: Path) -> None:
    r6515_tools(tools)
    env_file = tmp_path / "collector.env"
    env_file.write_text(
        f"# written by the installer\nREANIMATOR_SPOOL={tmp_path / 'from-env'}\nREANIMATOR_ASSET_TAG='RZ-1'\n"
    )

    result = run_collector("--env-file", str(env_file), "bundle", path=tools.path)

    assert result.returncode == 0, result.stderr
    bundle = only_bundle(tmp_path / "from-env")
    assert json.loads(members(bundle)["manifest.json"])["asset"] == {"asset_tag": "RZ-1"}


def test_bundle_names_sort_in_collection_order_across_zones() -> None:
    collector = load_collector()
    early = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))  # 08:00 UTC
    late = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    names = [collector.bundle_name(late, "node-1.dc1"), collector.bundle_name(early, "node-1.dc1")]

    assert sorted(names) == names[::-1]
    assert names[1].startswith("20260301T080000Z-node-1-")
    assert all(NAME_PATTERN.match(name) for name in names)


def test_smartctl_scan_text_and_device_names() -> None:
    collector = load_collector()
    scan = "/dev/sda -d scsi # /dev/sda, SCSI device\n/dev/bus/0 -d megaraid,9 # /dev/bus/0 [megaraid_disk_09]\n"

    assert collector.parse_scan_text(scan) == [("/dev/sda", "scsi"), ("/dev/bus/0", "megaraid,9")]
    assert collector.device_file_name("/dev/sda", "scsi") == "sda"
    assert collector.device_file_name("/dev/bus/0", "megaraid,9") == "bus-0-megaraid-9"


def test_partial_bundles_left_by_a_crash_are_cleaned_up(tools: FakeTools, spool: Path) -> None:
    r6515_tools(tools)
    leftovers = spool / ".tmp"
    leftovers.mkdir(parents=True)
    stale, fresh = leftovers / "old.tar.gz.x.partial", leftovers / "new.tar.gz.y.partial"
    for path in (stale, fresh):
        path.write_bytes(b"\x1f\x8b half a bundle")
    day_and_a_bit = datetime.now().timestamp() - 90000
    os.utime(stale, (day_and_a_bit, day_and_a_bit))

    result = run_collector("bundle", "--out", str(spool), path=tools.path)

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in leftovers.iterdir()) == [fresh.name], "only what a crash left a day ago goes"
    assert len(list(spool.glob("*.tar.gz"))) == 1
