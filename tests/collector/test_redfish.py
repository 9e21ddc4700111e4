"""Redfish from the BMC: the collector walks a fake BMC on loopback that serves a real HPE
mockup (redfish-hpe-ilo-emulator DL360 Gen10 Plus) and writes it in the mockup layout; the app
reads the result as the same server the corpus tests expect."""

from __future__ import annotations

import json
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from ingest.models import LogBundle
from ingest.services.intake import receive_bundle
from registry.models import Asset
from tests.collector.fakes import FakeTools, run_collector
from tests.collector.servers import fake_bmc, self_signed_tls, url_of
from tests.ingest.test_corpus_bundles import HPE_MOCKUPS, SERVERS

DL360 = next(server for server in SERVERS if server.id == "hpe-dl360-gen10plus-redfish-mockup")
PASSWORD = "s3cret-bmc-password"


def bundle_members(spool: Path) -> dict[str, bytes]:
    (bundle,) = spool.glob("*.tar.gz")
    with tarfile.open(bundle) as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}


@pytest.mark.django_db
def test_redfish_walk_from_an_environment_file_parses_as_the_server(
    tools: FakeTools, spool: Path, corpus: Path, tmp_path: Path, python: str, django_capture_on_commit_callbacks
) -> None:
    mockup = corpus / HPE_MOCKUPS / "DL360"
    with fake_bmc(mockup, user="reader", password=PASSWORD) as (bmc, requested):
        env_file = tmp_path / "collector.env"
        env_file.write_text(
            f"REANIMATOR_REDFISH_URL={url_of(bmc)}\nREANIMATOR_REDFISH_USER=reader\n"
            f'REANIMATOR_REDFISH_PASSWORD="{PASSWORD}"\n'
        )
        result = run_collector(
            "--env-file", str(env_file), "bundle", "--out", str(spool), path=tools.path, python=python
        )

    assert result.returncode == 0, result.stderr
    files = bundle_members(spool)
    redfish = {name for name in files if name.startswith("redfish/")}
    assert "redfish/v1/index.json" in redfish
    assert all(name.endswith("/index.json") for name in redfish)
    # every file is a resource of the mockup, and the secrets and logs were left alone
    for name in redfish:
        relative = name.removeprefix("redfish/v1/").removesuffix("index.json")
        assert (mockup / relative / "index.json").is_file(), name
        assert json.loads(files[name]) == json.loads((mockup / relative / "index.json").read_bytes())
    assert not any(part in path for path in requested for part in ("AccountService", "SessionService", "LogServices"))
    for wanted in ("Systems/1/Memory", "Systems/1/Processors", "Chassis/1/Power", "UpdateService/FirmwareInventory"):
        assert f"redfish/v1/{wanted}/index.json" in redfish, wanted
    assert len(requested) == len(set(requested)), "each resource is fetched once"

    manifest = json.loads(files["manifest.json"])
    (walk,) = [entry for entry in manifest["commands"] if entry["name"] == "redfish"]
    # the mockup is pruned: links to resources it does not hold answer 404, as on a real BMC
    # whose firmware advertises more than it serves; the walk records them and goes on
    assert walk["status"] == "partial"
    assert walk["exit_code"] == 0
    for error in walk["errors"]:
        path, _, status = error.partition(": ")
        assert status == "HTTP 404", error
        assert not (mockup / path.removeprefix("/redfish/v1/") / "index.json").exists(), error
    assert walk["resources"] == len(redfish)
    assert walk["argv"] == [url_of(bmc) + "/redfish/v1"]
    assert PASSWORD not in b"".join(files.values()).decode()

    (raw,) = [p.read_bytes() for p in spool.glob("*.tar.gz")]
    with django_capture_on_commit_callbacks(execute=True):
        receipt = receive_bundle(raw, content_type="application/gzip")
    bundle = LogBundle.objects.get(pk=receipt.bundle.pk)
    assert bundle.status == "parsed", (bundle.error_code, bundle.error_message)
    asset = Asset.objects.get()
    assert (asset.vendor, asset.model, asset.vendor_serial) == (DL360.vendor, DL360.model, DL360.serial)
    assert dict(Counter(bundle.observations.filter(kind="component").values_list("component_class", flat=True))) == (
        DL360.registered
    )
    for serial, (component_class, firmware) in DL360.parts.items():
        observation = bundle.observations.get(serial=serial)
        assert (observation.component_class, observation.firmware) == (component_class, firmware)
    assert bundle.observations.get(kind="asset").specs["firmware"].items() >= DL360.asset_firmware.items()


def test_wrong_bmc_password_is_recorded_and_the_tools_still_make_a_bundle(
    tools: FakeTools, spool: Path, corpus: Path
) -> None:
    tools.prints("lshw", "ironlib-fixtures/dell/r6515/lshw.json")
    with fake_bmc(corpus / HPE_MOCKUPS / "DL360", user="reader", password=PASSWORD) as (bmc, requested):
        result = run_collector(
            "bundle", "--out", str(spool), "--redfish-url", url_of(bmc), "--redfish-user", "reader",
            "--redfish-password", "wrong", path=tools.path,
        )  # fmt: skip

    assert result.returncode == 0, result.stderr
    files = bundle_members(spool)
    assert not any(name.startswith("redfish/") for name in files)
    assert "lshw.json" in files
    (walk,) = [e for e in json.loads(files["manifest.json"])["commands"] if e["name"] == "redfish"]
    assert walk["status"] == "failed"
    assert walk["exit_code"] == 1
    assert walk["errors"] == ["/redfish/v1: HTTP 401"]
    assert requested == ["/redfish/v1"]


def test_bmc_with_a_self_signed_certificate_needs_redfish_insecure(
    tools: FakeTools, spool: Path, corpus: Path, tmp_path: Path
) -> None:
    """BMCs ship self-signed certificates: refused by default, read with --redfish-insecure."""
    tools.prints("lshw", "ironlib-fixtures/dell/r6515/lshw.json")
    _, tls = self_signed_tls(tmp_path)
    mockup = corpus / HPE_MOCKUPS / "DL360"
    with fake_bmc(mockup, user="reader", password=PASSWORD, tls=tls) as (bmc, _requested):
        assert url_of(bmc).startswith("https://")
        args = ["bundle", "--redfish-url", url_of(bmc), "--redfish-user", "reader", "--redfish-password", PASSWORD]
        verified = run_collector(*args, "--out", str(tmp_path / "verified"), path=tools.path)
        insecure = run_collector(*args, "--redfish-insecure", "--out", str(spool), path=tools.path)

    assert verified.returncode == 0, verified.stderr
    (walk,) = [e for e in json.loads(bundle_members(tmp_path / "verified")["manifest.json"])["commands"]
               if e["name"] == "redfish"]  # fmt: skip
    assert walk["status"] == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in walk["errors"][0]

    assert insecure.returncode == 0, insecure.stderr
    assert "redfish/v1/Systems/1/index.json" in bundle_members(spool)
