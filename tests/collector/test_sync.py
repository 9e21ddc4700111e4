"""`reanimator-collect sync` against the real app, started by the test (live server on the
private MariaDB): uploads, duplicates, a server that is down and then up, a refused bundle,
two syncs racing. The bundles are collected from fake tools printing real corpus outputs."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from ingest.models import LogBundle
from registry.models import Asset, Component, Installation
from tests.collector.fakes import COLLECTOR, R6515, FakeTools, run_collector
from tests.collector.servers import Relay, fixed_status, free_port, self_signed_tls, url_of
from tests.ingest.test_corpus_bundles import R6515_ANONYMOUS, R6515_PARTS, R6515_REGISTERED

pytestmark = pytest.mark.django_db(transaction=True)

HOSTNAME = "r6515-bench.example.net"


@pytest.fixture
def token(integrator) -> str:
    return Token.objects.create(user=integrator).key


@pytest.fixture
def r6515(tools: FakeTools) -> FakeTools:
    """The Dell R6515 11WLK93 (ironlib): lshw and smartctl 7.1; dmidecode is refused (no root)
    and nvme, ipmitool and lspci are not installed."""
    tools.prints("lshw", f"{R6515}/lshw.json")
    tools.smartctl()
    tools.fails("dmidecode", "/dev/mem: Permission denied")
    return tools


def collect(tools: FakeTools, spool: Path, *extra: str) -> Path:
    result = run_collector("bundle", "--out", str(spool), "--hostname", HOSTNAME, *extra, path=tools.path)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def sync(url: str, token: str, spool: Path, *extra: str, python: str = sys.executable) -> subprocess.CompletedProcess:
    return run_collector("sync", "--url", url, "--token", token, str(spool), *extra, path="/nonexistent", python=python)


def spooled(spool: Path) -> list[str]:
    return sorted(p.name for p in spool.glob("*.tar.gz"))


def make_copies(bundle: Path, count: int) -> list[Path]:
    """Distinct bundles of one collection: the same files with a different asset tag would be
    another server, so vary only the bytes (gzip's header name field), keeping names in order."""
    copies = []
    raw = bundle.read_bytes()
    for index in range(count):
        target = bundle.with_name(bundle.name.replace("Z-", f"Z-{index:02d}", 1))
        # the gzip mtime field (bytes 4-8) makes each copy's sha256 different
        target.write_bytes(raw[:4] + index.to_bytes(4, "little") + raw[8:])
        copies.append(target)
    bundle.unlink()
    return copies


def test_bundle_then_sync_makes_the_server_appear_and_sync_again_does_nothing(
    live_server, token: str, r6515: FakeTools, spool: Path, python: str
) -> None:
    bundle = collect(r6515, spool)
    raw = bundle.read_bytes()

    result = sync(live_server.url, token, spool, python=python)

    assert result.returncode == 0, result.stderr
    assert spooled(spool) == []
    assert "created (201)" in result.stderr
    stored = LogBundle.objects.get()
    assert stored.raw.read() == raw
    assert stored.status == "parsed", (stored.error_code, stored.error_message)
    manifest = json.loads(_member(bundle=raw, name="manifest.json"))
    assert stored.collected_at == datetime.fromisoformat(manifest["collected_at"])
    assert stored.hostname == HOSTNAME

    asset = Asset.objects.get()
    assert stored.asset == asset
    assert (asset.vendor, asset.model, asset.vendor_serial) == ("Dell Inc.", "PowerEdge R6515", "11WLK93")
    assert asset.hostname == HOSTNAME
    assert dict(Counter(Component.objects.values_list("component_class", flat=True))) == R6515_REGISTERED
    assert Installation.objects.filter(asset=asset, removed_at=None).count() == sum(R6515_REGISTERED.values())
    assert dict(Counter(stored.observations.filter(kind="anonymous").values_list("component_class", flat=True))) == (
        R6515_ANONYMOUS
    )
    for serial, (component_class, firmware) in R6515_PARTS.items():
        observation = stored.observations.get(serial=serial)
        assert (observation.component_class, observation.firmware) == (component_class, firmware)

    again = sync(live_server.url, token, spool, python=python)

    assert again.returncode == 0, again.stderr
    assert "nothing to sync" in again.stderr
    assert LogBundle.objects.count() == 1


def test_duplicate_upload_removes_the_spooled_copy(live_server, token: str, r6515: FakeTools, spool: Path) -> None:
    bundle = collect(r6515, spool)
    kept = spool.parent / "kept.tar.gz"
    shutil.copy(bundle, kept)
    assert sync(live_server.url, token, spool).returncode == 0

    shutil.copy(kept, bundle)  # the same bytes again, e.g. restored from a backup of the spool
    result = sync(live_server.url, token, spool)

    assert result.returncode == 0, result.stderr
    assert "duplicate (200)" in result.stderr
    assert spooled(spool) == []
    assert LogBundle.objects.count() == 1


def test_oldest_bundle_goes_first(live_server, token: str, r6515: FakeTools, spool: Path) -> None:
    copies = make_copies(collect(r6515, spool), 3)
    sha256s = [hashlib.sha256(copy.read_bytes()).hexdigest() for copy in copies]

    result = sync(live_server.url, token, spool)

    assert result.returncode == 0, result.stderr
    uploaded = [line.split(":")[1].strip() for line in result.stderr.splitlines() if "created (201)" in line]
    assert uploaded == [copy.name for copy in copies]
    assert list(LogBundle.objects.order_by("id").values_list("sha256", flat=True)) == sha256s


def test_server_down_then_up_keeps_bundles_backs_off_then_uploads(
    live_server, token: str, r6515: FakeTools, spool: Path
) -> None:
    copies = make_copies(collect(r6515, spool), 2)
    relay = Relay(live_server.url)  # nothing listens on its port yet: the server is down

    down = sync(relay.url, token, spool)

    assert down.returncode == 3, down.stderr
    assert "network error" in down.stderr
    assert spooled(spool) == [c.name for c in copies]
    state = json.loads((spool / ".sync-state.json").read_text())
    assert state["failures"] == 1
    assert "network error" in state["last_error"]

    relay.start()  # the server is back
    try:
        waiting = sync(relay.url, token, spool)
        assert waiting.returncode == 3, waiting.stderr
        assert "backing off" in waiting.stderr
        assert relay.connections == 0, "a sync that backs off does not even connect"

        up = sync(relay.url, token, spool, "--ignore-backoff")
    finally:
        relay.stop()

    assert up.returncode == 0, up.stderr
    assert spooled(spool) == []
    assert not (spool / ".sync-state.json").exists()
    assert LogBundle.objects.count() == 2
    assert all(b.status == "parsed" for b in LogBundle.objects.all())


def test_backoff_doubles_with_each_failure(r6515: FakeTools, spool: Path) -> None:
    collect(r6515, spool)
    down = f"http://127.0.0.1:{free_port()}"
    for failures in (1, 2, 3):
        before = datetime.now().timestamp()
        result = sync(down, "t", spool, "--backoff", "10", "--ignore-backoff")
        assert result.returncode == 3
        state = json.loads((spool / ".sync-state.json").read_text())
        assert state["failures"] == failures
        assert state["retry_after"] >= before + 10 * 2 ** (failures - 1)


def test_server_error_keeps_the_bundle_for_a_retry(r6515: FakeTools, spool: Path) -> None:
    bundle = collect(r6515, spool)
    with fixed_status(503, {"code": "maintenance", "message": "back soon"}) as (server, received):
        result = sync(url_of(server), "some-token", spool)

    assert result.returncode == 3, result.stderr
    assert "HTTP 503 maintenance back soon" in result.stderr
    assert received == [("/api/ingest/logbundle", bundle.stat().st_size)]
    assert spooled(spool) == [bundle.name]
    assert not (spool / "rejected").exists()


def test_refused_bundle_is_moved_aside_with_the_servers_error(
    live_server, token: str, r6515: FakeTools, spool: Path
) -> None:
    good_size = collect(r6515, spool).stat().st_size
    broken = spool / "20000101T000000Z-disk-full-aaaaaaaa.tar.gz"  # sorts first
    broken.write_bytes(b"")  # what a full disk leaves behind

    result = sync(live_server.url, token, spool)

    assert result.returncode == 2, result.stderr
    assert spooled(spool) == []
    rejected = spool / "rejected"
    assert sorted(p.name for p in rejected.iterdir()) == [broken.name, broken.name + ".error.json"]
    error = json.loads((rejected / (broken.name + ".error.json")).read_text())
    assert error["status"] == 400
    assert error["response"]["code"] == "empty_bundle"
    assert error["url"] == live_server.url + "/api/ingest/logbundle"
    # the good bundle behind it still went up
    assert LogBundle.objects.get().size == good_size
    assert "rejected, HTTP 400 empty_bundle" in result.stderr

    again = sync(live_server.url, token, spool)
    assert again.returncode == 0, "a rejected bundle is not tried again"


def test_a_bare_4xx_page_is_not_the_bundles_fault(r6515: FakeTools, spool: Path) -> None:
    """A proxy's or a wrong virtual host's 400 page is not Reanimator refusing the bundle."""
    bundle = collect(r6515, spool)
    with fixed_status(400, "<html><body><h1>Bad Request (400)</h1></body></html>") as (server, received):
        result = sync(url_of(server), "some-token", spool)

    assert result.returncode == 1, result.stderr
    assert len(received) == 1
    assert spooled(spool) == [bundle.name]
    assert not (spool / "rejected").exists()


def test_uploads_go_through_the_given_proxy(r6515: FakeTools, spool: Path) -> None:
    """--proxy sends the upload to the proxy, which here answers for an unreachable server."""
    bundle = collect(r6515, spool)
    with fixed_status(502, {"code": "bad_gateway", "message": "upstream unreachable"}) as (proxy, received):
        result = sync("http://reanimator.invalid", "some-token", spool, "--proxy", url_of(proxy))

    assert result.returncode == 3, result.stderr
    assert received == [("http://reanimator.invalid/api/ingest/logbundle", bundle.stat().st_size)]
    assert spooled(spool) == [bundle.name]


def test_unreadable_ca_bundle_is_a_configuration_error(r6515: FakeTools, spool: Path, tmp_path: Path) -> None:
    bundle = collect(r6515, spool)

    result = sync("https://127.0.0.1:9", "t", spool, "--ca-bundle", str(tmp_path / "missing.pem"))

    assert result.returncode == 1
    assert "cannot load the CA bundle" in result.stderr
    assert spooled(spool) == [bundle.name]


def test_https_server_verified_with_the_given_ca_bundle(r6515: FakeTools, spool: Path, tmp_path: Path) -> None:
    cert, tls = self_signed_tls(tmp_path)
    bundle = collect(r6515, spool)
    size = bundle.stat().st_size
    with fixed_status(201, {"id": "1", "status": "received"}, tls) as (server, received):
        untrusted = sync(url_of(server), "some-token", spool)
        assert untrusted.returncode == 1, untrusted.stderr
        assert "TLS certificate not trusted" in untrusted.stderr
        assert spooled(spool) == [bundle.name]
        assert received == []

        trusted = sync(url_of(server), "some-token", spool, "--ca-bundle", str(cert))

    assert trusted.returncode == 0, trusted.stderr
    assert received == [("/api/ingest/logbundle", size)]
    assert spooled(spool) == []


def test_refused_token_keeps_every_bundle(live_server, r6515: FakeTools, spool: Path) -> None:
    bundle = collect(r6515, spool)

    result = sync(live_server.url, "0" * 40, spool)

    assert result.returncode == 1, result.stderr
    assert "HTTP 401" in result.stderr
    assert spooled(spool) == [bundle.name]
    assert not (spool / "rejected").exists()
    assert LogBundle.objects.count() == 0


def test_two_syncs_racing_one_holds_the_lock_and_each_bundle_goes_up_once(
    live_server, token: str, r6515: FakeTools, spool: Path
) -> None:
    copies = make_copies(collect(r6515, spool), 3)
    relay = Relay(live_server.url, hold=True)
    relay.start()
    try:
        first = subprocess.Popen(
            [sys.executable, "-I", "-S", str(COLLECTOR), "sync", "--url", relay.url, "--token", token, str(spool)],
            env={"PATH": "/nonexistent"},
            stderr=subprocess.PIPE,
            text=True,
        )
        assert relay.connected.wait(timeout=60), "the first sync took the lock and is uploading"
        second = sync(relay.url, token, spool)
        relay.release()
        _, first_err = first.communicate(timeout=120)
    finally:
        relay.stop()

    assert second.returncode == 4, second.stderr
    assert "another sync holds" in second.stderr
    assert first.returncode == 0, first_err
    assert first_err.count("created (201)") == 3
    assert spooled(spool) == []
    assert LogBundle.objects.count() == len(copies)


def test_two_syncs_started_together_upload_each_bundle_once(
    live_server, token: str, r6515: FakeTools, spool: Path
) -> None:
    copies = make_copies(collect(r6515, spool), 4)
    argv = [sys.executable, "-I", "-S", str(COLLECTOR), "sync", "--url", live_server.url, "--token", token, str(spool)]
    both = [subprocess.Popen(argv, env={"PATH": "/nonexistent"}, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(p.wait(timeout=120), p.communicate()[1]) for p in both]

    codes = sorted(code for code, _ in outcomes)
    assert codes in ([0, 0], [0, 4]), outcomes
    text = "".join(err for _, err in outcomes)
    assert text.count("created (201)") == len(copies)
    assert "duplicate" not in text
    assert LogBundle.objects.count() == len(copies)


def test_sync_of_a_missing_spool_has_nothing_to_do(tmp_path: Path) -> None:
    result = sync("http://127.0.0.1:9", "t", tmp_path / "never-created")

    assert result.returncode == 0
    assert "nothing to sync" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "/tmp/x"], "--url"),
        (["sync", "--url", "http://127.0.0.1:9", "/tmp/x"], "token"),
        (["sync", "--url", "ftp://host", "--token", "t", "/tmp/x"], "http(s)"),
    ],
)
def test_sync_configuration_errors_exit_1(args: list[str], message: str) -> None:
    result = run_collector(*args, path="/nonexistent")

    assert result.returncode == 1
    assert message in result.stderr


def _member(*, bundle: bytes, name: str) -> bytes:
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(bundle)) as archive:
        member = archive.extractfile(name)
        assert member is not None
        return member.read()
