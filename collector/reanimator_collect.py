#!/usr/bin/env python3
"""reanimator-collect: gather a Reanimator log bundle on a server, spool it, upload it later.

One file, standard library only, Python 3.6 or newer (what old server distributions ship).

    reanimator-collect bundle [--out SPOOL]                 # run the tools, write a .tar.gz
    reanimator-collect sync --url URL --token TOKEN [SPOOL] # upload spooled bundles, oldest first

Every option can also come from the environment (REANIMATOR_*), for example from an
environment file given with --env-file or loaded by systemd's EnvironmentFile=. See
docs/collector.md in the Reanimator repository for the spool layout and the exit codes.
"""

import argparse
import base64
import contextlib
import errno
import fcntl
import io
import json
import os
import platform
import re
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

NAME = "reanimator-collect"
VERSION = "0.1.0"

DEFAULT_SPOOL = "/var/spool/reanimator"
DEFAULT_COMMAND_TIMEOUT = 120.0
DEFAULT_HTTP_TIMEOUT = 120.0
BUNDLE_SUFFIX = ".tar.gz"
REJECTED_DIR = "rejected"
TMP_DIR = ".tmp"
LOCK_FILE = ".sync.lock"
STATE_FILE = ".sync-state.json"
MAX_STDERR_CHARS = 2000

# Exit codes. bundle: 0 written, 1 usage/config error, 2 nothing could be collected.
# sync: 0 everything synced or nothing to do, 1 usage/config error (also a refused token or a
# wrong URL: no bundle is moved aside for that), 2 at least one bundle was rejected (4xx) and
# moved to rejected/, 3 at least one bundle is kept for a later retry (network error, 5xx,
# backing off), 4 another sync holds the lock. 2 wins over 3: a rejection needs a person.
EXIT_OK = 0
EXIT_USAGE = 1
EXIT_NOTHING_COLLECTED = 2
EXIT_REJECTED = 2
EXIT_RETRY = 3
EXIT_LOCKED = 4

# Statuses that mean "try again later" although they are 4xx.
RETRY_STATUSES = frozenset({408, 425, 429})
# Statuses that say the collector is misconfigured (token, URL), not that the bundle is bad.
CONFIG_STATUSES = frozenset({401, 403, 404, 405})

# Redfish: the collections DESIGN.md asks for live under these; the rest is noise or secrets.
REDFISH_ROOT = "/redfish/v1"
REDFISH_FOLLOW = frozenset({"Systems", "Chassis", "Managers", "UpdateService"})
REDFISH_SKIP = frozenset(
    {
        "Accounts",
        "Actions",
        "Certificates",
        "CertificateService",
        "EventService",
        "JsonSchemas",
        "LogServices",
        "MetricReports",
        "Metrics",
        "Registries",
        "Roles",
        "SecureBoot",
        "SessionService",
        "Sessions",
        "Settings",
        "TaskService",
        "Tasks",
        "TelemetryService",
        "VirtualMedia",
    }
)
REDFISH_MAX_RESOURCES = 3000


class UsageError(Exception):
    """A problem with the options or the environment: exit code 1."""


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, "{}: error: {}\n".format(self.prog, message))


def log(message: str) -> None:
    sys.stderr.write("{}: {}\n".format(NAME, message))
    sys.stderr.flush()


# --- running tools -------------------------------------------------------------------------


def which(program: str, path: Optional[str] = None) -> Optional[str]:
    search = path if path is not None else os.environ.get("PATH", os.defpath)
    for folder in search.split(os.pathsep):
        candidate = os.path.join(folder or ".", program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


class Run(object):
    """One tool run: what was asked, what happened, what it printed."""

    def __init__(self, name: str, argv: List[str]) -> None:
        self.name = name
        self.argv = argv
        self.exit_code = None  # type: Optional[int]
        self.duration_s = None  # type: Optional[float]
        self.status = "pending"  # ok, failed, timeout, missing, error
        self.skipped = None  # type: Optional[str]
        self.stdout = b""
        self.stderr = ""
        self.output = None  # type: Optional[str]

    def record(self) -> Dict[str, Any]:
        entry = {
            "name": self.name,
            "argv": self.argv,
            "status": self.status,
            "exit_code": self.exit_code,
            "duration_s": self.duration_s,
        }  # type: Dict[str, Any]
        if self.skipped:
            entry["skipped"] = self.skipped
        if self.output:
            entry["output"] = self.output
        if self.stderr:
            entry["stderr"] = self.stderr[-MAX_STDERR_CHARS:]
        return entry


def run_tool(name: str, argv: List[str], timeout: float) -> Run:
    """Run argv with a timeout; a missing program or a hang is recorded, never raised."""
    run = Run(name, argv)
    program = which(argv[0])
    if program is None:
        run.status = "missing"
        run.skipped = "{} is not installed (not found on PATH)".format(argv[0])
        return run
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            [program, *argv[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so a timeout kills its children too
            env=dict(os.environ, LC_ALL="C", LANG="C"),
        )
    except OSError as exc:
        run.status = "error"
        run.skipped = "could not start {}: {}".format(argv[0], exc)
        return run
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out, err = process.communicate()
        run.duration_s = round(time.monotonic() - started, 3)
        run.status = "timeout"
        run.skipped = "timed out after {:g} s".format(timeout)
        run.stderr = err.decode("utf-8", "replace")
        return run
    run.duration_s = round(time.monotonic() - started, 3)
    run.exit_code = process.returncode
    run.stdout = out
    run.stderr = err.decode("utf-8", "replace")
    run.status = "ok" if process.returncode == 0 else "failed"
    return run


def _kill_group(process: "subprocess.Popen[bytes]") -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()


# --- what to collect -----------------------------------------------------------------------


class Collection(object):
    """The files of one bundle and the record of how each came to be."""

    def __init__(self) -> None:
        self.files = {}  # type: Dict[str, bytes]
        self.runs = []  # type: List[Run]
        self.extra = []  # type: List[Dict[str, Any]]

    def add(self, run: Run, path: Optional[str] = None, keep_failed_output: bool = False) -> Run:
        """Keep the run's record, and its output under path when there is output worth keeping.
        smartctl's exit code is a bit mask that is non-zero on healthy machines, so its output is
        kept whatever the code; other tools' output is kept only when they succeeded."""
        self.runs.append(run)
        if path and run.stdout.strip() and (run.status == "ok" or (run.status == "failed" and keep_failed_output)):
            self.files[path] = run.stdout
            run.output = path
        return run

    def commands(self) -> List[Dict[str, Any]]:
        return [run.record() for run in self.runs] + self.extra


def collect_tools(collection: Collection, timeout: float) -> None:
    collection.add(run_tool("dmidecode", ["dmidecode"], timeout), "dmidecode.txt")
    collection.add(run_tool("lshw -json", ["lshw", "-json"], timeout), "lshw.json")
    collect_smartctl(collection, timeout)
    collection.add(run_tool("nvme list -o json", ["nvme", "list", "-o", "json"], timeout), "nvme-list.json")
    collection.add(run_tool("ipmitool fru print", ["ipmitool", "fru", "print"], timeout), "ipmitool-fru.txt")
    collection.add(run_tool("lspci -vmm", ["lspci", "-vmm"], timeout), "lspci-vmm.txt")


def _json_unsupported(run: Run) -> bool:
    """smartmontools before 7.0 has no --json; it says so and exits with bit 0 (bad command line)."""
    if run.status not in ("ok", "failed"):
        return False
    text = (run.stdout.decode("utf-8", "replace") + run.stderr).lower()
    if "unrecognized option" in text or "invalid option" in text or "unknown option" in text:
        return True
    return not _is_json(run.stdout) and bool((run.exit_code or 0) & 1)


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"))
    except ValueError:
        return False
    return True


def parse_scan_text(text: str) -> List[Tuple[str, str]]:
    """`smartctl --scan` lines: `/dev/sda -d scsi # /dev/sda, SCSI device`."""
    devices = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line.startswith("/"):
            continue
        parts = line.split()
        kind = ""
        if "-d" in parts[1:]:
            index = parts.index("-d")
            if index + 1 < len(parts):
                kind = parts[index + 1]
        devices.append((parts[0], kind))
    return devices


def parse_scan_json(data: bytes) -> List[Tuple[str, str]]:
    doc = json.loads(data.decode("utf-8"))
    return [(str(d["name"]), str(d.get("type") or "")) for d in doc.get("devices", []) if d.get("name")]


def device_file_name(device: str, kind: str) -> str:
    """/dev/sda -> sda; /dev/bus/0 with megaraid,9 -> bus-0-megaraid-9."""
    name = device[5:] if device.startswith("/dev/") else device.lstrip("/")
    if "," in kind:
        name = "{}-{}".format(name, kind)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "device"


def collect_smartctl(collection: Collection, timeout: float) -> None:
    scan = run_tool("smartctl --scan -j", ["smartctl", "--scan", "-j"], timeout)
    if scan.status == "missing" or scan.status == "error":
        collection.add(scan)
        return
    json_ok = not _json_unsupported(scan)
    devices = []  # type: List[Tuple[str, str]]
    if json_ok and scan.status in ("ok", "failed") and _is_json(scan.stdout):
        collection.add(scan, "smartctl/scan.json", keep_failed_output=True)
        devices = parse_scan_json(scan.stdout)
    else:
        collection.add(scan)
        text_scan = collection.add(run_tool("smartctl --scan", ["smartctl", "--scan"], timeout), "smartctl/scan.txt")
        devices = parse_scan_text(text_scan.stdout.decode("utf-8", "replace"))
    used = set()  # type: set
    for device, kind in devices:
        # the scan's plain types (scsi, nvme, ata) are guesses that hide ATA data; only the
        # RAID pass-through types (megaraid,N, cciss,N, ...) are needed to reach the disk
        selector = ["-d", kind] if "," in kind else []
        base = device_file_name(device, kind)
        while base in used:
            base += "_"
        used.add(base)
        if json_ok:
            argv = ["smartctl", "--json", "-a", *selector, device]
            run = run_tool(" ".join(argv), argv, timeout)
            if not _json_unsupported(run):
                collection.add(run, "smartctl/{}.json".format(base), keep_failed_output=True)
                continue
            collection.add(run)
            json_ok = False
        argv = ["smartctl", "-a", *selector, device]
        collection.add(run_tool(" ".join(argv), argv, timeout), "smartctl/{}.txt".format(base), keep_failed_output=True)


# --- Redfish -------------------------------------------------------------------------------


def redfish_links(doc: Any) -> List[str]:
    found = []  # type: List[str]
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@odata.id" and isinstance(value, str):
                    found.append(value)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def redfish_path(link: str) -> Optional[str]:
    """A link worth following, as a clean /redfish/v1/... path, or None."""
    path = urllib.parse.urlsplit(link).path.rstrip("/")
    if not (path == REDFISH_ROOT or path.startswith(REDFISH_ROOT + "/")):
        return None
    parts = [urllib.parse.unquote(p) for p in path[len(REDFISH_ROOT) :].split("/") if p]
    if parts and parts[0] not in REDFISH_FOLLOW:
        return None
    if any(p in REDFISH_SKIP or p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return path


def member_path(path: str) -> str:
    """/redfish/v1/Systems/1 -> redfish/v1/Systems/1/index.json (the DMTF mockup layout)."""
    parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
    safe = [re.sub(r"[^A-Za-z0-9._@ +-]+", "_", p) for p in parts]
    return "/".join([*safe, "index.json"])


class RedfishClient(object):
    def __init__(self, base_url: str, user: str, password: str, timeout: float, context: Any) -> None:
        split = urllib.parse.urlsplit(base_url)
        if split.scheme not in ("http", "https") or not split.netloc:
            raise UsageError("the Redfish URL must be http(s)://host[:port], got {!r}".format(base_url))
        self.origin = "{}://{}".format(split.scheme, split.netloc)
        self.headers = {"Accept": "application/json", "User-Agent": "{}/{}".format(NAME, VERSION)}
        if user:
            token = base64.b64encode("{}:{}".format(user, password).encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = "Basic " + token
        self.timeout = timeout
        # a BMC is reached directly, never through the upload proxy
        handlers = [urllib.request.ProxyHandler({})]  # type: List[Any]
        if split.scheme == "https":
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def get(self, path: str) -> Any:
        request = urllib.request.Request(self.origin + path, headers=self.headers)
        with self.opener.open(request, timeout=self.timeout) as response:
            return json.loads(response.read().decode("utf-8"))


def collect_redfish(
    collection: Collection, client: RedfishClient, max_resources: int = REDFISH_MAX_RESOURCES, budget_s: float = 1200.0
) -> None:
    """Walk the BMC breadth first from the service root, each resource once, within a number
    of resources and a time budget (a slow BMC answers a request every few seconds)."""
    started = time.monotonic()
    queue = [REDFISH_ROOT]
    seen = set(queue)
    errors = []  # type: List[str]
    fetched = 0
    while queue and fetched < max_resources and time.monotonic() - started < budget_s:
        path = queue.pop(0)
        try:
            doc = client.get(path)
        except urllib.error.HTTPError as exc:
            errors.append("{}: HTTP {}".format(path, exc.code))
            continue
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append("{}: {}".format(path, getattr(exc, "reason", exc)))
            if path == REDFISH_ROOT:
                break
            continue
        fetched += 1
        collection.files[member_path(path)] = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8")
        for link in redfish_links(doc):
            target = redfish_path(link)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    entry = {
        "name": "redfish",
        "argv": [client.origin + REDFISH_ROOT],
        "status": "ok" if fetched and not errors else ("failed" if not fetched else "partial"),
        "exit_code": 0 if fetched else 1,
        "duration_s": round(time.monotonic() - started, 3),
        "resources": fetched,
    }  # type: Dict[str, Any]
    if queue:
        entry["truncated"] = "stopped after {} resources ({} not read)".format(fetched, len(queue))
    if errors:
        entry["errors"] = errors[:50]
    collection.extra.append(entry)


# --- bundles and the spool -----------------------------------------------------------------


def now_local() -> datetime:
    """Now, in the server's local zone, with its offset: the manifest's collected_at."""
    return datetime.now(timezone.utc).astimezone().replace(microsecond=0)


def bundle_name(moment: datetime, hostname: str) -> str:
    """UTC time first, so that names sort in collection order; a random tail keeps two bundles
    of the same second apart."""
    stamp = moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", hostname.split(".")[0])[:63] or "host"
    return "{}-{}-{}{}".format(stamp, host, base64.b32encode(os.urandom(5)).decode("ascii").lower(), BUNDLE_SUFFIX)


def build_manifest(collection: Collection, collected_at: datetime, hostname: str, asset: Dict[str, str]) -> bytes:
    doc = {
        "collected_at": collected_at.isoformat(),
        "hostname": hostname,
        "collector": {
            "name": NAME,
            "version": VERSION,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "commands": collection.commands(),
    }  # type: Dict[str, Any]
    hints = {key: value for key, value in asset.items() if value}
    if hints:
        doc["asset"] = hints
    return json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")


def write_bundle(spool: str, name: str, files: Dict[str, bytes], mtime: float) -> str:
    """Write the tar.gz under spool/.tmp, flush it to disk, then rename it into the spool: a
    sync never sees half a bundle, even after a crash or power loss."""
    tmp_dir = os.path.join(spool, TMP_DIR)
    os.makedirs(tmp_dir, exist_ok=True)
    _remove_stale_partials(tmp_dir)
    fd, tmp_path = tempfile.mkstemp(prefix=name + ".", suffix=".partial", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w:gz") as archive:
                for path in ["manifest.json", *sorted(p for p in files if p != "manifest.json")]:
                    data = files[path]
                    info = tarfile.TarInfo(path)
                    info.size = len(data)
                    info.mtime = int(mtime)
                    info.mode = 0o644
                    archive.addfile(info, io.BytesIO(data))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_path, 0o600)
        final = os.path.join(spool, name)
        os.rename(tmp_path, final)
        _fsync_dir(spool)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_path)
        raise
    return final


def _remove_stale_partials(tmp_dir: str, age_s: float = 86400.0) -> None:
    """Half-written bundles left by a crash or a power cut (never by a running collector:
    nothing takes a day to write)."""
    for name in os.listdir(tmp_dir):
        path = os.path.join(tmp_dir, name)
        with contextlib.suppress(OSError):
            if name.endswith(".partial") and time.time() - os.path.getmtime(path) > age_s:
                os.unlink(path)


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def pending_bundles(spool: str) -> List[str]:
    """Spooled bundles, oldest first (their names start with the UTC collection time)."""
    try:
        names = os.listdir(spool)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return []
        raise
    return sorted(
        os.path.join(spool, n) for n in names if n.endswith(BUNDLE_SUFFIX) and os.path.isfile(os.path.join(spool, n))
    )


# --- configuration -------------------------------------------------------------------------


def load_env_file(path: str) -> None:
    """KEY=VALUE lines (the systemd EnvironmentFile= syntax, without its escapes) as
    defaults: variables already set in the environment win."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        raise UsageError("cannot read the environment file {}: {}".format(path, exc.strerror)) from None
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#") or line.startswith(";"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].strip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            raise UsageError("{}:{}: expected KEY=VALUE".format(path, number))
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def env(name: str, default: str = "") -> str:
    return os.environ.get("REANIMATOR_" + name, default)


def ssl_context(ca_bundle: str, insecure: bool = False) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=ca_bundle or None)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError("cannot load the CA bundle {}: {}".format(ca_bundle, exc)) from None
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


# --- bundle --------------------------------------------------------------------------------


def cmd_bundle(args: argparse.Namespace) -> int:
    spool = args.out or env("SPOOL", DEFAULT_SPOOL)
    try:
        os.makedirs(spool, exist_ok=True)
    except OSError as exc:
        raise UsageError("cannot create the spool {}: {}".format(spool, exc.strerror)) from None
    if not os.access(spool, os.W_OK):
        raise UsageError("the spool {} is not writable".format(spool))
    timeout = args.timeout
    redfish_url = args.redfish_url or env("REDFISH_URL")
    client = None
    if redfish_url:
        password = args.redfish_password if args.redfish_password is not None else env("REDFISH_PASSWORD")
        insecure = args.redfish_insecure or env("REDFISH_INSECURE") in ("1", "true", "yes")
        client = RedfishClient(
            redfish_url,
            args.redfish_user or env("REDFISH_USER"),
            password,
            timeout,
            ssl_context(args.redfish_ca or env("REDFISH_CA_BUNDLE"), insecure=insecure),
        )

    collected_at = now_local()
    hostname = args.hostname or env("HOSTNAME") or socket.gethostname()
    collection = Collection()
    collect_tools(collection, timeout)
    if client is not None:
        collect_redfish(collection, client, budget_s=max(10 * timeout, 60.0))
    for run in collection.runs:
        detail = run.output or run.skipped or "no output"
        code = "" if run.exit_code is None else " exit {}".format(run.exit_code)
        log("{}: {}{} ({})".format(run.name, run.status, code, detail))
    for entry in collection.extra:
        log("{}: {} ({} resources)".format(entry["name"], entry["status"], entry.get("resources", 0)))
    if not collection.files:
        log("no tool produced any output; no bundle written")
        return EXIT_NOTHING_COLLECTED
    asset = {"asset_tag": args.asset_tag or env("ASSET_TAG")}
    files = dict(collection.files)
    files["manifest.json"] = build_manifest(collection, collected_at, hostname, asset)
    path = write_bundle(spool, bundle_name(collected_at, hostname), files, time.time())
    print(path)
    return EXIT_OK


# --- sync ----------------------------------------------------------------------------------


class Lock(object):
    """An flock on spool/.sync.lock: held while the process lives, released by the kernel when
    it dies, so a crashed sync never leaves a stale lock behind."""

    def __init__(self, spool: str) -> None:
        self.path = os.path.join(spool, LOCK_FILE)
        self.fd = -1

    def acquire(self) -> bool:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                os.close(self.fd)
                self.fd = -1
                return False
            raise
        os.ftruncate(self.fd, 0)
        os.write(self.fd, "{}\n".format(os.getpid()).encode("ascii"))
        return True

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Outcome(object):
    def __init__(self, kind: str, status: Optional[int], detail: str, body: Any = None) -> None:
        self.kind = kind  # done, rejected, retry, config
        self.status = status
        self.detail = detail
        self.body = body


def upload(opener: Any, url: str, token: str, data: bytes, timeout: float) -> Outcome:
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/gzip",
            "Accept": "application/json",
            "Authorization": "Token " + token,
            "User-Agent": "{}/{}".format(NAME, VERSION),
        },
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # ValueError: http.client.BadStatusLine and friends from a half-open server
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (ssl.SSLError, ssl.CertificateError)) and "CERTIFICATE" in str(reason).upper():
            # a certificate that does not verify is a configuration matter (--ca-bundle), and
            # trying again will not help
            return Outcome("config", None, "TLS certificate not trusted: {}".format(reason))
        return Outcome("retry", None, "network error: {}".format(reason))
    try:
        body = json.loads(raw.decode("utf-8"))  # type: Any
    except ValueError:
        body = raw.decode("utf-8", "replace")[:4000]
    if status in (200, 201):
        return Outcome("done", status, "duplicate" if status == 200 else "created", body)
    code = body.get("code", "") if isinstance(body, dict) else ""
    message = body.get("message", "") if isinstance(body, dict) else str(body)[:200]
    if not isinstance(code, str):
        code = ""
    detail = " ".join("HTTP {} {} {}".format(status, code, message).split())[:300]
    if status in RETRY_STATUSES or status >= 500 or status < 400:
        return Outcome("retry", status, detail, body)
    if status in CONFIG_STATUSES or not code:
        # Only Reanimator's own refusal (its JSON error shape, with a code) condemns a bundle;
        # a bare 4xx page comes from a proxy or a wrong host name: the bundle is not at fault.
        return Outcome("config", status, detail, body)
    return Outcome("rejected", status, detail, body)


def upload_url(base: str) -> str:
    split = urllib.parse.urlsplit(base)
    if split.scheme not in ("http", "https") or not split.netloc:
        raise UsageError("--url must be http(s)://host[:port][/prefix], got {!r}".format(base))
    path = split.path.rstrip("/")
    if not path.endswith("/api/ingest/logbundle"):
        path += "/api/ingest/logbundle"
    return urllib.parse.urlunsplit((split.scheme, split.netloc, path, "", ""))


def read_state(spool: str) -> Dict[str, Any]:
    try:
        with open(os.path.join(spool, STATE_FILE), encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(spool: str, state: Dict[str, Any]) -> None:
    path = os.path.join(spool, STATE_FILE)
    if not state:
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, sort_keys=True)
    os.rename(tmp, path)


def reject(spool: str, path: str, outcome: Outcome, url: str) -> str:
    folder = os.path.join(spool, REJECTED_DIR)
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, os.path.basename(path))
    error = {
        "status": outcome.status,
        "response": outcome.body,
        "url": url,
        "rejected_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "collector": {"name": NAME, "version": VERSION},
    }
    with open(target + ".error.json", "w", encoding="utf-8") as handle:
        json.dump(error, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.rename(path, target)
    return target


def cmd_sync(args: argparse.Namespace) -> int:
    spool = args.spool or env("SPOOL", DEFAULT_SPOOL)
    base = args.url or env("URL")
    token = args.token or env("TOKEN")
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as handle:
                token = handle.read().strip()
        except OSError as exc:
            raise UsageError("cannot read the token file {}: {}".format(args.token_file, exc.strerror)) from None
    if not base:
        raise UsageError("give the server with --url or REANIMATOR_URL")
    if not token:
        raise UsageError("give an API token with --token, --token-file or REANIMATOR_TOKEN")
    url = upload_url(base)
    if not os.path.isdir(spool):
        log("spool {} does not exist: nothing to sync".format(spool))
        return EXIT_OK
    proxy = args.proxy if args.proxy is not None else env("PROXY", "") or None
    handlers = []  # type: List[Any]
    if proxy is not None:
        # an explicit proxy (or "" for none) replaces the http(s)_proxy environment variables
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {}))
    handlers.append(urllib.request.HTTPSHandler(context=ssl_context(args.ca_bundle or env("CA_BUNDLE"))))
    opener = urllib.request.build_opener(*handlers)

    lock = Lock(spool)
    if not lock.acquire():
        log("another sync holds {}; exiting".format(lock.path))
        return EXIT_LOCKED
    try:
        return _sync_locked(spool, url, token, opener, args)
    finally:
        lock.release()


def _sync_locked(spool: str, url: str, token: str, opener: Any, args: argparse.Namespace) -> int:
    bundles = pending_bundles(spool)
    state = read_state(spool)
    if not bundles:
        write_state(spool, {})
        log("nothing to sync in {}".format(spool))
        return EXIT_OK
    retry_after = float(state.get("retry_after", 0) or 0)
    if not args.ignore_backoff and time.time() < retry_after:
        log(
            "backing off after {} failed attempt(s): next attempt after {}; {} bundle(s) kept".format(
                state.get("failures", 0), _utc(retry_after), len(bundles)
            )
        )
        return EXIT_RETRY
    synced = rejected = 0
    for index, path in enumerate(bundles):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            if exc.errno == errno.ENOENT:  # removed by hand meanwhile
                continue
            raise
        outcome = upload(opener, url, token, data, args.timeout)
        name = os.path.basename(path)
        if outcome.kind == "done":
            os.unlink(path)
            synced += 1
            log("{}: {} ({})".format(name, outcome.detail, outcome.status))
            continue
        if outcome.kind == "rejected":
            target = reject(spool, path, outcome, url)
            rejected += 1
            log("{}: rejected, {}; moved to {}".format(name, outcome.detail, target))
            continue
        kept = len(bundles) - index
        if outcome.kind == "config":
            log("{}: {}; check the URL, the token and any proxy. {} bundle(s) kept".format(name, outcome.detail, kept))
            write_state(spool, {})
            return EXIT_USAGE
        failures = int(state.get("failures", 0) or 0) + 1
        delay = min(args.backoff * (2 ** (failures - 1)), args.backoff_max) if args.backoff > 0 else 0
        write_state(
            spool,
            {"failures": failures, "retry_after": time.time() + delay, "last_error": outcome.detail, "url": url},
        )
        log(
            "{}: {}; {} bundle(s) kept, next attempt after {}".format(
                name, outcome.detail, kept, _utc(time.time() + delay)
            )
        )
        return EXIT_REJECTED if rejected else EXIT_RETRY
    write_state(spool, {})
    log("{} bundle(s) synced, {} rejected".format(synced, rejected))
    return EXIT_REJECTED if rejected else EXIT_OK


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).replace(microsecond=0).isoformat()


# --- command line --------------------------------------------------------------------------


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("{!r} is not a number of seconds".format(text)) from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError("{!r}: give a positive number of seconds".format(text))
    return value


def seconds_or_zero(text: str) -> float:
    return 0.0 if text.strip() in ("0", "0.0") else seconds(text)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog=NAME, description="Collect Reanimator log bundles and upload them.")
    parser.add_argument("--version", action="version", version="{} {}".format(NAME, VERSION))
    parser.add_argument("--env-file", help="KEY=VALUE file of REANIMATOR_* defaults (the environment wins)")
    commands = parser.add_subparsers(dest="command", metavar="{bundle,sync}")

    bundle = commands.add_parser("bundle", help="run the inventory tools and spool one bundle")
    bundle.add_argument("--out", metavar="SPOOL", help="spool folder (REANIMATOR_SPOOL, default %s)" % DEFAULT_SPOOL)
    bundle.add_argument(
        "--timeout", type=seconds, default=DEFAULT_COMMAND_TIMEOUT, help="seconds allowed to each tool (default 120)"
    )
    bundle.add_argument("--hostname", help="host name for the manifest (default: this host's name)")
    bundle.add_argument("--asset-tag", help="asset tag hint for the manifest (REANIMATOR_ASSET_TAG)")
    bundle.add_argument("--redfish-url", help="BMC base URL, e.g. https://10.0.0.5 (REANIMATOR_REDFISH_URL)")
    bundle.add_argument("--redfish-user", help="BMC user (REANIMATOR_REDFISH_USER)")
    bundle.add_argument(
        "--redfish-password", help="BMC password (REANIMATOR_REDFISH_PASSWORD; prefer the env file: argv is public)"
    )
    bundle.add_argument("--redfish-ca", help="CA bundle for the BMC's certificate (REANIMATOR_REDFISH_CA_BUNDLE)")
    bundle.add_argument(
        "--redfish-insecure",
        action="store_true",
        help="do not verify the BMC's certificate (self-signed BMCs; REANIMATOR_REDFISH_INSECURE=1)",
    )

    sync = commands.add_parser("sync", help="upload spooled bundles, oldest first")
    sync.add_argument("spool", nargs="?", help="spool folder (REANIMATOR_SPOOL, default %s)" % DEFAULT_SPOOL)
    sync.add_argument("--url", help="Reanimator base URL, e.g. https://reanimator.example.net (REANIMATOR_URL)")
    sync.add_argument("--token", help="API token (REANIMATOR_TOKEN; prefer --token-file: argv is public)")
    sync.add_argument("--token-file", help="file holding the API token")
    sync.add_argument("--proxy", help="HTTP(S) proxy URL, '' for none (default: http(s)_proxy; REANIMATOR_PROXY)")
    sync.add_argument("--ca-bundle", help="CA bundle to verify the server (REANIMATOR_CA_BUNDLE)")
    sync.add_argument("--timeout", type=seconds, default=DEFAULT_HTTP_TIMEOUT, help="seconds per upload (default 120)")
    sync.add_argument(
        "--backoff",
        type=seconds_or_zero,
        default=60.0,
        help="seconds to wait after a first failed attempt, doubled on each further one (default 60; 0 = none)",
    )
    sync.add_argument(
        "--backoff-max", type=seconds, default=3600.0, help="longest wait between attempts (default 3600)"
    )
    sync.add_argument("--ignore-backoff", action="store_true", help="try now, even while backing off")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.env_file:
            load_env_file(args.env_file)
        if args.command == "bundle":
            return cmd_bundle(args)
        if args.command == "sync":
            return cmd_sync(args)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        log(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
