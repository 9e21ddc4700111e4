"""The ingest benchmark (`manage.py bench --only ingest`): how fast bundles become history.

A synthetic fleet is generated deterministically (seeded per rack): servers of CPUs, DIMMs,
drives, NICs and PSUs, a few snapshots each at increasing collection times, with drives that
move between servers of a rack, drives that are replaced, and BIOS and drive firmware updates
between snapshots. Every snapshot is one bundle in the project's inventory format (a single JSON
document, docs/bundle-format.md), ingested through the real path: `receive_bundle` (storage)
for each bundle, then `parse_bundles` (decode, validate, merge, identity, observations,
derivation) over what was received, REANIMATOR_PARSE_BATCH_SIZE bundles at a time, as a parse
task does with a backlog; called directly, without Celery.

Workers are forked processes; each takes whole racks, so parts that move (within a rack) are
only ever touched by one worker and workers do not wait on each other's locks. The history is
order-independent, so any split is correct; this one only avoids lock waits.

The same number of observation rows is then inserted with plain SQL into a scratch copy of
ingest_observation, as the floor any ingest path is measured against.

Figures are printed with their targets and whether they were met; nothing is asserted.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import json
import logging
import math
import multiprocessing
import pstats
import queue
import random
import shutil
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from django.conf import settings
from django.db import OperationalError, connection, connections
from django.test import override_settings

# Targets from the issue: printed beside the figures, never asserted.
TARGET_BUNDLES_PER_SECOND = 100.0
TARGET_PLAIN_INSERT_RATIO = 5.0

RACK_SIZE = 20  # moves happen between servers of one rack; a worker takes whole racks
SNAPSHOT_INTERVAL = timedelta(days=7)


def base_time(snapshots: int) -> datetime:
    """The first snapshot's time: far enough back that the last one is in the past (bundles
    from the future are refused), on a whole day so a day's runs generate the same bytes."""
    today = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    return today - (snapshots + 1) * SNAPSHOT_INTERVAL


MAX_PARSE_ATTEMPTS = 5

Write = Callable[[str], None]

SERVER_MODELS = (
    ("Supermicro", "SYS-2029U-TR4"),
    ("Dell Inc.", "PowerEdge R740xd"),
    ("HPE", "ProLiant DL380 Gen10"),
)
DIMM_MODELS = (
    ("Samsung Electronics", "M393A4K40CB2-CTD"),
    ("Hynix Semiconductor", "HMA84GR7CJR4N-XN"),
    ("Micron Technology", "36ASF4G72PZ-2G9E2"),
)
# class, vendor, model, firmware, capacity, rotation
DRIVE_MODELS = (
    ("NVME", "Samsung", "MZQLB3T8HALS-00007", "EDA5202Q", 3840755982336, None),
    ("SSD", "Intel", "SSDSC2KB960G8", "XCV10132", 960197124096, None),
    ("HDD", "Seagate", "ST8000NM000A-2KE101", "SN02", 8001563222016, 7200),
    ("HDD", "HGST", "HUS728T8TALE6L4", "V8GNW460", 8001563222016, 7200),
)
NIC_MODELS = (
    ("Mellanox Technologies", "MT27800 Family [ConnectX-5]", "16.28.2006"),
    ("Intel Corporation", "Ethernet Controller X710", "8.30"),
)
PSU_MODELS = {"Supermicro": "PWS-1K62A-1R", "Dell Inc.": "0PJMDN", "HPE": "865414-B21"}


# --- the synthetic fleet -----------------------------------------------------------------


@dataclass(frozen=True)
class FleetSpec:
    servers: int = 2000
    snapshots: int = 3
    components: int = 60
    seed: int = 1

    @property
    def prefix(self) -> str:
        """Every serial of the fleet starts with this: it is how a cleanup finds its rows."""
        return f"RZBENCH{self.seed}-"

    @property
    def racks(self) -> int:
        return math.ceil(self.servers / RACK_SIZE)

    def composition(self) -> dict[str, int]:
        """Parts per server by kind; 60 gives 2 CPUs, 32 DIMMs, 20 drives, 4 NICs, 2 PSUs."""
        cpus = 2 if self.components >= 10 else 1
        psus = 2 if self.components >= 10 else 1
        nics = 4 if self.components >= 40 else (2 if self.components >= 10 else 1)
        rest = max(self.components - cpus - psus - nics, 2)
        drives = max(1, rest * 2 // 5)
        return {"CPU": cpus, "DIMM": rest - drives, "DRIVE": drives, "NIC": nics, "PSU": psus}


@dataclass
class _Server:
    index: int
    vendor: str
    model: str
    serial: str
    uuid: str
    asset_tag: str
    hostname: str
    firmware: dict[str, str]
    parts: list[dict[str, Any]]  # one per slot, in slot order; drives carry their own "_hours"


def _drive_slot(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"/dev/sd{letters}"


class _FleetBuilder:
    """One rack's servers and their evolution; deterministic for (seed, rack)."""

    def __init__(self, spec: FleetSpec, rack: int) -> None:
        self.spec = spec
        self.rng = random.Random(f"reanimator-bench:{spec.seed}:{rack}")
        self.rack = rack
        self.new_parts = 0
        self.changes: Counter[str] = Counter()
        first = rack * RACK_SIZE
        self.servers = [self._server(i) for i in range(first, min(first + RACK_SIZE, spec.servers))]

    def _serial(self, code: str) -> str:
        # numbered per rack, not per server: a drive keeps its serial wherever it moves
        self.new_parts += 1
        return f"{self.spec.prefix}{code}{self.rack:05d}{self.new_parts:06d}"

    def _server(self, index: int) -> _Server:
        rng = self.rng
        vendor, model = SERVER_MODELS[rng.randrange(len(SERVER_MODELS))]
        counts = self.spec.composition()
        parts: list[dict[str, Any]] = []
        for n in range(counts["CPU"]):
            parts.append(
                {
                    "class": "CPU",
                    "slot": f"CPU{n + 1}",
                    "vendor": "Intel(R) Corporation",
                    "model": "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
                    "specs": {"cores": 20, "threads": 40},
                }
            )
        dimm_vendor, dimm_model = DIMM_MODELS[rng.randrange(len(DIMM_MODELS))]
        for n in range(counts["DIMM"]):
            parts.append(
                {
                    "class": "DIMM",
                    "slot": f"P{n % 2 + 1}-DIMM{n // 2 + 1}",
                    "vendor": dimm_vendor,
                    "model": dimm_model,
                    "serial": self._serial("M"),
                    "specs": {"capacity_bytes": 34359738368, "speed_mts": 2933, "part_number": dimm_model},
                }
            )
        for n in range(counts["DRIVE"]):
            part = self._drive()
            part["slot"] = f"nvme{n}" if n < 2 else _drive_slot(n - 2)
            parts.append(part)
        for n in range(counts["NIC"]):
            nic_vendor, nic_model, nic_firmware = NIC_MODELS[n % 2 if counts["NIC"] > 1 else 0]
            parts.append(
                {
                    "class": "NIC",
                    "slot": f"0000:{0x18 + n:02x}:00.0",
                    "vendor": nic_vendor,
                    "model": nic_model,
                    "serial": self._serial("N"),
                    "firmware": nic_firmware,
                    "specs": {"mac": ":".join(f"{rng.randrange(256):02x}" for _ in range(6))},
                }
            )
        for n in range(counts["PSU"]):
            parts.append(
                {
                    "class": "PSU",
                    "slot": f"PSU{n + 1}",
                    "vendor": vendor,
                    "model": PSU_MODELS[vendor],
                    "serial": self._serial("P"),
                    "health": {"status": "OK"},
                }
            )
        return _Server(
            index=index,
            vendor=vendor,
            model=model,
            serial=f"{self.spec.prefix}S{index:06d}",
            uuid=f"{rng.getrandbits(128):032x}",
            asset_tag=f"{self.spec.prefix}T{index:06d}",
            hostname=f"node-{index:05d}.bench.example.net",
            firmware={"BIOS": f"3.{rng.randrange(1, 4)}", "BMC": f"1.{rng.randrange(60, 75)}.{rng.randrange(10)}"},
            parts=parts,
        )

    def _drive(self) -> dict[str, Any]:
        kind, vendor, model, firmware, capacity, rotation = DRIVE_MODELS[self.rng.randrange(len(DRIVE_MODELS))]
        specs: dict[str, Any] = {"capacity_bytes": capacity, "interface": "NVMe" if kind == "NVME" else "SATA"}
        if rotation:
            specs["rotation_rpm"] = rotation
        return {
            "class": kind,
            "vendor": vendor,
            "model": model,
            "serial": self._serial("D"),
            "firmware": firmware,
            "specs": specs,
            "_hours": self.rng.randrange(100, 30000),
        }

    def evolve(self) -> None:
        """What happens in a rack between two snapshots."""
        rng = self.rng
        servers = self.servers
        # drives swap places between two servers of the rack
        if len(servers) >= 2:
            for _ in range(max(1, len(servers) // 10)):
                a, b = rng.sample(servers, 2)
                da = rng.choice([i for i, p in enumerate(a.parts) if "_hours" in p])
                db = rng.choice([i for i, p in enumerate(b.parts) if "_hours" in p])
                a.parts[da], b.parts[db] = (
                    _moved(b.parts[db], a.parts[da]["slot"]),
                    _moved(a.parts[da], b.parts[db]["slot"]),
                )
                self.changes["drive_moves"] += 2
        for server in servers:
            if rng.random() < 0.02:  # a failed drive replaced by a new one
                i = rng.choice([i for i, p in enumerate(server.parts) if "_hours" in p])
                replacement = self._drive()
                replacement["slot"] = server.parts[i]["slot"]
                server.parts[i] = replacement
                self.changes["drive_replacements"] += 1
            if rng.random() < 0.2:  # a BIOS update
                major, minor = server.firmware["BIOS"].split(".")[:2]
                server.firmware = {**server.firmware, "BIOS": f"{major}.{int(minor) + 1}"}
                self.changes["bios_updates"] += 1
            if rng.random() < 0.1:  # a drive firmware roll-out on one model in this server
                drives = [p for p in server.parts if "_hours" in p]
                model = rng.choice(drives)["model"]
                for part in drives:
                    if part["model"] == model:
                        part["firmware"] = part["firmware"][:-1] + chr(ord(part["firmware"][-1]) + 1)
                        self.changes["drive_firmware_updates"] += 1
        for server in servers:
            for part in server.parts:
                if "_hours" in part:
                    part["_hours"] += 168

    def bundle(self, server: _Server, snapshot: int) -> bytes:
        collected_at = (
            base_time(self.spec.snapshots) + snapshot * SNAPSHOT_INTERVAL + timedelta(minutes=server.index % 1440)
        )
        components = []
        for part in server.parts:
            entry = {key: value for key, value in part.items() if not key.startswith("_")}
            if "_hours" in part:
                entry["health"] = {
                    "smart_passed": True,
                    "power_on_hours": part["_hours"],
                    "temperature_c": 30 + part["_hours"] % 11,
                    "media_errors": 0,
                }
            components.append(entry)
        doc = {
            "format": "reanimator-inventory",
            "version": 1,
            "collected_at": collected_at.isoformat().replace("+00:00", "Z"),
            "hostname": server.hostname,
            "collector": {"name": "reanimator-bench", "version": "1"},
            "asset": {
                "vendor": server.vendor,
                "model": server.model,
                "serial": server.serial,
                "uuid": server.uuid,
                "asset_tag": server.asset_tag,
                "firmware": dict(server.firmware),
            },
            "components": components,
        }
        return json.dumps(doc, sort_keys=True).encode()


def _moved(part: dict[str, Any], slot: str) -> dict[str, Any]:
    return {**part, "slot": slot}


def rack_bundles(spec: FleetSpec, rack: int) -> tuple[list[bytes], Counter[str]]:
    """Every bundle of one rack: snapshot 0 of each server, then snapshot 1, ..."""
    builder = _FleetBuilder(spec, rack)
    bundles: list[bytes] = []
    for snapshot in range(spec.snapshots):
        if snapshot:
            builder.evolve()
        bundles.extend(builder.bundle(server, snapshot) for server in builder.servers)
    return bundles, builder.changes


def fleet_bundles(spec: FleetSpec, racks: list[int] | None = None) -> tuple[list[bytes], Counter[str]]:
    bundles: list[bytes] = []
    changes: Counter[str] = Counter()
    for rack in range(spec.racks) if racks is None else racks:
        rack_raw, rack_changes = rack_bundles(spec, rack)
        bundles.extend(rack_raw)
        changes.update(rack_changes)
    return bundles, changes


# --- ingesting -------------------------------------------------------------------------------


@dataclass
class IngestResult:
    bundle_ids: list[int] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    phases: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # seconds, summed
    duplicates: int = 0
    retries: int = 0
    generated_bytes: int = 0
    generated_seconds: float = 0.0
    changes: Counter[str] = field(default_factory=Counter)

    def add(self, other: IngestResult) -> None:
        self.bundle_ids.extend(other.bundle_ids)
        self.statuses.update(other.statuses)
        self.error_codes.update(other.error_codes)
        for phase, seconds in other.phases.items():
            self.phases[phase] += seconds
        self.duplicates += other.duplicates
        self.retries += other.retries
        self.generated_bytes += other.generated_bytes
        self.generated_seconds = max(self.generated_seconds, other.generated_seconds)
        self.changes.update(other.changes)


def _timed(phases: defaultdict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[name] += time.perf_counter() - start

    return wrapper


@contextlib.contextmanager
def _instrumented(phases: defaultdict[str, float]) -> Iterator[None]:
    """Time the stages of parse_bundle by wrapping the names parsing.py calls (a few
    perf_counter calls per bundle), keep Celery out (the benchmark calls the parse itself),
    and keep the per-bundle INFO log lines off the console."""
    from ingest.services import parsing

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch("ingest.services.intake._enqueue_parse", return_value=None))
        for name, phase in (
            ("inspect_bundle", "decode+validate+merge"),
            ("resolve_assets", "identity"),
            ("resolve_components", "identity"),
            ("derive_history", "derivation"),
            ("derive_new_snapshots", "derivation"),
            ("fast_insert", "observation insert"),
        ):
            stack.enter_context(mock.patch.object(parsing, name, _timed(phases, phase, getattr(parsing, name))))
        quiet = [logging.getLogger(name) for name in ("ingest", "registry", "timeline")]
        levels = [logger.level for logger in quiet]
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        try:
            yield
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)


def _parse(bundle_ids: list[int], result: IngestResult) -> None:
    """parse_bundles, retried on deadlocks and lock timeouts as the Celery task would retry it
    (a failed parse gives its claim back; what was parsed stays parsed)."""
    from ingest.services.parsing import parse_bundles

    for attempt in range(MAX_PARSE_ATTEMPTS):
        try:
            parse_bundles(bundle_ids)
            return
        except OperationalError:
            if attempt == MAX_PARSE_ATTEMPTS - 1:
                raise
            result.retries += 1


def ingest_bundles(bundles: list[bytes], profiler: cProfile.Profile | None = None) -> IngestResult:
    """Receive the bundles and parse them in this process, as a parse task does with a
    backlog: the bundles received are taken REANIMATOR_PARSE_BATCH_SIZE at a time."""
    from ingest.models import LogBundle
    from ingest.services.intake import receive_bundle

    size = settings.REANIMATOR_PARSE_BATCH_SIZE
    result = IngestResult()
    phases = result.phases
    with _instrumented(phases):
        if profiler is not None:
            profiler.enable()
        try:
            for offset in range(0, len(bundles), size):
                received: list[int] = []
                for raw in bundles[offset : offset + size]:
                    start = time.perf_counter()
                    receipt = receive_bundle(raw, content_type="application/json", filename="bench.json")
                    phases["receive (storage)"] += time.perf_counter() - start
                    if receipt.duplicate:
                        result.duplicates += 1
                    else:
                        received.append(receipt.bundle.pk)
                if not received:
                    continue
                result.bundle_ids.extend(received)
                start = time.perf_counter()
                _parse(received, result)
                phases["parse (total)"] += time.perf_counter() - start
                for status, error_code in LogBundle.objects.filter(pk__in=received).values_list("status", "error_code"):
                    result.statuses[status] += 1
                    if error_code:
                        result.error_codes[error_code] += 1
        finally:
            if profiler is not None:
                profiler.disable()
    return result


def _worker(spec: FleetSpec, racks: list[int], messages: Any, start: Any) -> None:
    """A forked worker: generate its racks' bundles, say it is ready, wait, ingest."""
    import django

    try:
        django.setup()  # a no-op after fork; keeps the worker valid under other start methods
        connections.close_all()  # the parent closed its connections before forking: nothing is shared
        began = time.perf_counter()
        bundles, changes = fleet_bundles(spec, racks)
        generated = time.perf_counter() - began
        messages.put(("ready", None))
        start.wait()
        result = ingest_bundles(bundles)
        result.generated_seconds = generated
        result.generated_bytes = sum(len(raw) for raw in bundles)
        result.changes = changes
        messages.put(("done", result))
    except BaseException:
        messages.put(("error", traceback.format_exc()))
    finally:
        connections.close_all()


def _wait_for(messages: Any, processes: list[Any], kind: str) -> list[Any]:
    answers: list[Any] = []
    while len(answers) < len(processes):
        try:
            message, payload = messages.get(timeout=1.0)
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a benchmark worker died (exit code {dead[0].exitcode})") from None
            continue
        if message == "error":
            raise RuntimeError(f"a benchmark worker failed:\n{payload}")
        if message == kind:
            answers.append(payload)
    return answers


def _ingest_in_workers(spec: FleetSpec, workers: int) -> tuple[IngestResult, float]:
    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    start = context.Event()
    shares: list[list[int]] = [list(range(spec.racks))[w::workers] for w in range(workers)]
    connections.close_all()  # a forked child must not inherit (and later close) our connection
    processes = [context.Process(target=_worker, args=(spec, share, messages, start)) for share in shares if share]
    for process in processes:
        process.start()
    try:
        _wait_for(messages, processes, "ready")
        started = time.perf_counter()
        start.set()
        results = _wait_for(messages, processes, "done")
        wall = time.perf_counter() - started
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
    total = IngestResult()
    for result in results:
        total.add(result)
    return total, wall


# --- the plain-SQL floor ---------------------------------------------------------------------

SCRATCH_TABLE = "bench_observation_scratch"


def plain_insert_seconds(bundle_ids: list[int], *, batch_size: int = 500) -> tuple[float, int]:
    """Insert the ingested observation rows again, with executemany, into a scratch copy of
    ingest_observation (same columns and indexes, no foreign keys); only the INSERTs are timed."""
    from ingest.models import Observation

    table = Observation._meta.db_table
    columns = [f.column for f in Observation._meta.local_concrete_fields if not f.primary_key]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    scratch = connection.ops.quote_name(SCRATCH_TABLE)
    insert = f"INSERT INTO {scratch} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    elapsed = 0.0
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        if connection.vendor == "mysql":
            cursor.execute(f"CREATE TABLE {scratch} LIKE {connection.ops.quote_name(table)}")
        else:  # SQLite: same columns, without the indexes
            cursor.execute(f"CREATE TABLE {scratch} AS SELECT * FROM {connection.ops.quote_name(table)} WHERE 0")  # noqa: S608
        try:
            for offset in range(0, len(bundle_ids), 200):
                chunk = bundle_ids[offset : offset + 200]
                cursor.execute(
                    f"SELECT {quoted} FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE bundle_id IN ({', '.join(['%s'] * len(chunk))}) ORDER BY id",
                    chunk,
                )
                values = cursor.fetchall()
                for start in range(0, len(values), batch_size):
                    batch = values[start : start + batch_size]
                    began = time.perf_counter()
                    cursor.executemany(insert, batch)
                    elapsed += time.perf_counter() - began
                    rows += len(batch)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
    return elapsed, rows


# --- cleaning up -----------------------------------------------------------------------------


def cleanup(spec: FleetSpec, bundle_ids: list[int]) -> dict[str, int]:
    """Delete what the benchmark created: its bundles (with their observations), the timeline
    events of its assets and components (no foreign key), then the components and assets whose
    serials carry the fleet's prefix (with their installations)."""
    from ingest.models import LogBundle
    from registry.models import Asset, Component
    from timeline.models import TimelineEvent

    deleted: Counter[str] = Counter()
    for subject_type, model, lookup in (
        ("component", Component, "serial__startswith"),
        ("asset", Asset, "vendor_serial__startswith"),
    ):
        subject_ids = list(model.objects.filter(**{lookup: spec.prefix}).values_list("pk", flat=True))
        for offset in range(0, len(subject_ids), 5000):
            _, by_model = TimelineEvent.objects.filter(
                subject_type=subject_type, subject_id__in=subject_ids[offset : offset + 5000]
            ).delete()
            deleted.update(by_model)
    for offset in range(0, len(bundle_ids), 1000):
        _, by_model = LogBundle.objects.filter(pk__in=bundle_ids[offset : offset + 1000]).delete()
        deleted.update(by_model)
    for model, lookup in ((Component, "serial__startswith"), (Asset, "vendor_serial__startswith")):
        pks = list(model.objects.filter(**{lookup: spec.prefix}).values_list("pk", flat=True))
        for offset in range(0, len(pks), 5000):
            _, by_model = model.objects.filter(pk__in=pks[offset : offset + 5000]).delete()
            deleted.update(by_model)
    return {label.rsplit(".", 1)[-1]: count for label, count in deleted.items()}


# --- the benchmark -----------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def run_ingest_benchmark(
    spec: FleetSpec, *, workers: int = 2, keep: bool = False, profile: bool = False, write: Write = print
) -> IngestResult:
    """Generate, ingest, compare with plain inserts, print, clean up."""
    from ingest.choices import ObservationKind
    from ingest.models import Observation

    if profile:
        workers = 1
    media_root = tempfile.mkdtemp(prefix="reanimator-bench-media-")
    result = IngestResult()
    write(
        f"ingest: {spec.servers} servers x {spec.snapshots} snapshots, {spec.components} components "
        f"({', '.join(f'{n} {k}' for k, n in spec.composition().items())}), seed {spec.seed}, "
        f"{workers} worker(s){', profiled' if profile else ''}, "
        f"parse batches of up to {settings.REANIMATOR_PARSE_BATCH_SIZE} (REANIMATOR_PARSE_BATCH_SIZE)"
    )
    try:
        with override_settings(MEDIA_ROOT=media_root):
            if workers == 1:
                began = time.perf_counter()
                bundles, changes = fleet_bundles(spec)
                generated = time.perf_counter() - began
                profiler = cProfile.Profile() if profile else None
                started = time.perf_counter()
                result = ingest_bundles(bundles, profiler)
                wall = time.perf_counter() - started
                result.generated_bytes = sum(len(raw) for raw in bundles)
                result.generated_seconds = generated
                result.changes = changes
                del bundles
            else:
                profiler = None
                result, wall = _ingest_in_workers(spec, workers)

        bundles_done = sum(result.statuses.values())
        observations = Observation.objects.filter(bundle_id__in=result.bundle_ids)
        observation_count = observations.count()
        component_observations = observations.exclude(kind=ObservationKind.ASSET).count()
        # Only bundles the run finished count; any left waiting (for the sweep) fail the target.
        unfinished = sum(n for status, n in result.statuses.items() if status not in ("parsed", "failed"))
        rate = (bundles_done - unfinished) / wall if wall else 0.0
        changes = result.changes
        write(
            f"fleet: {len(result.bundle_ids) + result.duplicates} bundles, "
            f"{result.generated_bytes / max(len(result.bundle_ids) + result.duplicates, 1) / 1024:.1f} KiB each; "
            f"drive_moves={changes['drive_moves']} drive_replacements={changes['drive_replacements']} "
            f"bios_updates={changes['bios_updates']} drive_firmware_updates={changes['drive_firmware_updates']}; "
            f"generated in {result.generated_seconds:.1f}s before the clock started"
        )
        write(
            f"bundles={bundles_done} "
            + " ".join(f"{status}={n}" for status, n in sorted(result.statuses.items()))
            + f" duplicates={result.duplicates} retries={result.retries}"
            + "".join(f" error:{code}={n}" for code, n in sorted(result.error_codes.items()))
        )
        write(f"observations={observation_count} component_observations={component_observations}")
        write(f"wall_seconds={wall:.2f}")
        write(
            f"bundles_per_second={rate:.1f} target>={TARGET_BUNDLES_PER_SECOND:.0f} "
            f"{_verdict(rate >= TARGET_BUNDLES_PER_SECOND and not unfinished)}"
            + (f" ({unfinished} bundle(s) left unparsed)" if unfinished else "")
        )
        write(f"component_observations_per_second={component_observations / wall if wall else 0.0:.0f}")
        write(f"phases (seconds summed over {workers} worker(s), share of busy time, per bundle):")
        parse_total = result.phases.get("parse (total)", 0.0)
        busy = result.phases.get("receive (storage)", 0.0) + parse_total
        for phase in ("receive (storage)", "parse (total)"):
            write(_phase_line(phase, result.phases[phase], busy, bundles_done))
        inner = ("decode+validate+merge", "identity", "observation insert", "derivation")
        for phase in inner:
            write(_phase_line(f"  {phase}", result.phases[phase], busy, bundles_done))
        rest = parse_total - sum(result.phases[phase] for phase in inner)
        write(_phase_line("  other (claim, locks, bundle row, commit)", rest, busy, bundles_done))

        plain, rows = plain_insert_seconds(result.bundle_ids)
        ratio = wall / plain if plain else float("inf")
        write(f"plain_insert_seconds={plain:.2f} rows={rows} rows_per_second={rows / plain if plain else 0:.0f}")
        write(
            f"ingest_vs_plain_insert_ratio={ratio:.1f} target<={TARGET_PLAIN_INSERT_RATIO:.0f} "
            f"{_verdict(ratio <= TARGET_PLAIN_INSERT_RATIO)}"
        )
        if profiler is not None:
            write_profile(profiler, write)
    finally:
        if keep:
            write(f"kept: the fleet stays in the database, raw bundles under {media_root}")
        else:
            began = time.perf_counter()
            deleted = cleanup(spec, result.bundle_ids)
            shutil.rmtree(media_root, ignore_errors=True)
            write(
                "cleanup: deleted "
                + " ".join(f"{label}={n}" for label, n in sorted(deleted.items()))
                + f" in {time.perf_counter() - began:.1f}s"
            )
    return result


def _phase_line(name: str, seconds: float, busy: float, bundles: int) -> str:
    share = 100 * seconds / busy if busy else 0.0
    per_bundle = 1000 * seconds / bundles if bundles else 0.0
    return f"phase {name}: {seconds:.2f}s ({share:.0f}%), {per_bundle:.2f} ms/bundle"


def write_profile(profiler: cProfile.Profile, write: Write, limit: int = 30) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(order).print_stats(limit)
        write(f"profile, top {limit} by {order}:")
        for line in out.getvalue().splitlines():
            if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced")):
                write(line)
