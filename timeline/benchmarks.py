"""The timeline benchmark (`manage.py bench --only timeline`): how fast history is read, and
what a late bundle costs, as the timeline table grows.

Three measurements, in this order:

1. Pages of one asset with `asset_events` events (default 10,000), alone in the table: the
   first page, a deep page (a cursor from the middle half), a page filtered on one event type
   and the first page in descending order, each timed `samples` times (default 200) after a
   warm-up, through the service (`timeline_page`) and through the real API view
   (GET /api/assets/{id}/timeline, token-authenticated, via DRF's test client: the whole
   middleware, authentication, permission, view and JSON rendering path, without a socket).
2. The fleet: `fleet_events` filler events (default 1,000,000) spread over `fleet_assets`
   assets (default 20,000; fake subject ids, no Asset rows), written with executemany in
   batches of `batch_size`, in rough time order as ingestion would write them. A second
   measured asset gets its `asset_events` events interleaved with the filler, so its rows are
   scattered over the table as a real asset's would be. EXPLAIN (and, on MariaDB, ANALYZE) of
   each page query names the index used; then both measured assets are timed again, with the
   issue's target (p95 under 25 ms at 1M events) beside each figure.
3. Late bundles: for each history length N (default 10, 50, 200) two servers in the ingest
   benchmark's inventory format get N weekly snapshots through the real ingest path
   (`receive_bundle` + `parse_bundle`, Celery enqueue patched out); then bundles collected
   between each server's first two snapshots are ingested one at a time and timed. Server "a"
   is measured before the fleet exists, server "b" (same history) after it has been written,
   so the two columns differ only by the million unrelated events.

Everything created carries the benchmark's marks (serial prefix, event origin, user name) and
is deleted at the end unless `keep`. Figures are printed with their targets; nothing is
asserted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import shutil
import statistics
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from ingest.benchmarks import SNAPSHOT_INTERVAL, FleetSpec, ingest_bundles, rack_bundles
from timeline.choices import EVENT_TYPE_ORDER, EventSource, EventType, SubjectType

# Target from the issue: printed beside the figures, never asserted.
TARGET_PAGE_P95_MS = 25.0

PAGE_SIZE = 50
WARM_UP = 20
FILLER_SUBJECT_BASE = 10**12  # fake asset ids of the filler: far above any real Asset id
HISTORY_START = datetime(2021, 1, 4, 0, 0, tzinfo=UTC)
HISTORY_SPAN = timedelta(days=3 * 365)
FILTER_TYPE = EventType.FIRMWARE_CHANGED

# The mix of an asset's own events (DESIGN.md, Events): mostly log collections.
EVENT_MIX: tuple[tuple[str, float], ...] = (
    (EventType.LOG_COLLECTED, 0.70),
    (EventType.FIRMWARE_CHANGED, 0.10),
    (EventType.NOTE, 0.08),
    (EventType.TICKET_LINKED, 0.05),
    (EventType.LOCATION_CHANGED, 0.04),
    (EventType.RMA_SENT, 0.015),
    (EventType.RMA_RETURNED, 0.015),
)

Write = Callable[[str], None]


@dataclass(frozen=True)
class TimelineBenchSpec:
    fleet_events: int = 1_000_000
    fleet_assets: int = 20_000
    asset_events: int = 10_000
    late_history: tuple[int, ...] = (10, 50, 200)
    late_repeats: int = 5
    components: int = 60
    samples: int = 200
    batch_size: int = 5000
    seed: int = 1

    @property
    def prefix(self) -> str:
        """Serials, asset tags and the user name of everything the benchmark registers."""
        return f"RZTLBENCH{self.seed}-"

    @property
    def origin(self) -> str:
        """The origin of every event the benchmark writes with SQL: how the cleanup finds them."""
        return f"bench:timeline:{self.seed}"


@dataclass(frozen=True)
class _ServerSpec(FleetSpec):
    """One server of the ingest benchmark's fleet, under a serial prefix of our own."""

    label: str = ""

    @property
    def prefix(self) -> str:
        return self.label


@dataclass
class _Created:
    """What the benchmark made, for the cleanup."""

    bundle_ids: list[int] = field(default_factory=list)
    asset_ids: list[int] = field(default_factory=list)
    user_id: int | None = None
    media_root: str = ""


# --- synthetic events --------------------------------------------------------------------

_COLUMNS = (
    "subject_type",
    "subject_id",
    "timestamp",
    "event_type",
    "type_order",
    "payload",
    "source",
    "source_ref",
    "natural_key",
    "origin",
    "created_at",
)
_SOURCES: dict[str, str] = {
    EventType.LOG_COLLECTED: EventSource.BUNDLE,
    EventType.FIRMWARE_CHANGED: EventSource.BUNDLE,
    EventType.TICKET_LINKED: EventSource.TICKET,
}


def stamp(moment: datetime) -> str:
    """A UTC datetime as the database column takes it (MariaDB and SQLite alike)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


class EventMaker:
    """Rows of plausible timeline events with unique natural keys (sha256 of a counter)."""

    def __init__(self, spec: TimelineBenchSpec) -> None:
        self.spec = spec
        self.rng = random.Random(f"reanimator-timeline-bench:{spec.seed}")
        self.counter = 0
        self.created_at = stamp(datetime.now(UTC))
        self.types = [event_type for event_type, _ in EVENT_MIX]
        self.weights = [weight for _, weight in EVENT_MIX]

    def row(self, subject_id: int, moment: datetime, event_type: str) -> tuple[Any, ...]:
        self.counter += 1
        key = hashlib.sha256(f"{self.spec.origin}:{self.counter}".encode()).hexdigest()
        n = self.counter
        if event_type == EventType.LOG_COLLECTED:
            payload = f'{{"bundle_id": {n}, "hostname": "node-{subject_id % 100000:05d}.bench.example.net"}}'
        elif event_type == EventType.FIRMWARE_CHANGED:
            payload = f'{{"firmware": "BIOS", "from_version": "3.{n % 9}", "to_version": "3.{n % 9 + 1}"}}'
        elif event_type == EventType.TICKET_LINKED:
            payload = f'{{"ticket_id": {n}, "key": "OPS-{n}", "title": "Server does not boot"}}'
        else:
            payload = f'{{"manual_event_id": {n}, "note": "bench event {n}", "reference": ""}}'
        return (
            SubjectType.ASSET,
            subject_id,
            stamp(moment),
            event_type,
            EVENT_TYPE_ORDER[event_type],
            payload,
            _SOURCES.get(event_type, EventSource.USER),
            key,
            key,
            self.spec.origin,
            self.created_at,
        )

    def event_types(self, count: int) -> list[str]:
        return self.rng.choices(self.types, self.weights, k=count)

    def asset_history(self, subject_id: int, count: int) -> Iterator[tuple[Any, ...]]:
        """One asset's events, evenly over the history span, a few sharing a timestamp."""
        step = HISTORY_SPAN / max(count, 1)
        types = self.event_types(count)
        for j in range(count):
            moment = HISTORY_START + step * j + timedelta(seconds=self.rng.randrange(3600))
            yield self.row(subject_id, moment.replace(microsecond=0), types[j])

    def fleet(
        self, fleet_events: int, fleet_assets: int, measured_id: int, measured_events: int
    ) -> Iterator[tuple[Any, ...]]:
        """The filler in rough time order (events arrive as history happens, a few days late
        at most), with the measured asset's events interleaved at their place in time."""
        rng = self.rng
        span = HISTORY_SPAN.total_seconds()
        every = max(1, fleet_events // max(measured_events, 1))
        measured = self.asset_history(measured_id, measured_events)
        done = 0
        types = self.event_types(fleet_events)
        for i in range(fleet_events):
            offset = max(0.0, span * i / fleet_events - rng.randrange(3 * 86400))
            moment = HISTORY_START + timedelta(seconds=int(offset))
            yield self.row(FILLER_SUBJECT_BASE + rng.randrange(fleet_assets), moment, types[i])
            if i % every == every - 1 and done < measured_events:
                done += 1
                yield next(measured)
        yield from measured


def insert_rows(rows: Iterator[tuple[Any, ...]], batch_size: int) -> int:
    from timeline.models import TimelineEvent

    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(TimelineEvent._meta.db_table)} ({', '.join(quote(c) for c in _COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
    )
    written = 0
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


# --- timing pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    name: str
    event_types: list[str] | None = None
    descending: bool = False
    deep: bool = False


KINDS = (
    _Kind("first"),
    _Kind("deep", deep=True),
    _Kind("type", event_types=[FILTER_TYPE]),
    _Kind("desc", descending=True),
)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def _middle_cursors(asset_id: int, count: int) -> list[Any]:
    """Cursors at `count` positions spread over the middle half of the asset's timeline."""
    from timeline.models import TimelineEvent
    from timeline.services.queries import Cursor

    keys = list(
        TimelineEvent.objects.filter(subject_type=SubjectType.ASSET, subject_id=asset_id)
        .order_by("timestamp", "type_order", "id")
        .values_list("timestamp", "type_order", "id")
    )
    lo, hi = len(keys) // 4, max(len(keys) // 4 + 1, 3 * len(keys) // 4)
    positions = [lo + (hi - lo) * k // max(count, 1) for k in range(count)]
    return [Cursor(*keys[min(p, len(keys) - 1)]) for p in positions]


class _PageTimer:
    def __init__(self, spec: TimelineBenchSpec, token: str, write: Write) -> None:
        from rest_framework.test import APIClient

        self.spec = spec
        self.write = write
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        self.problems: Counter[str] = Counter()

    def _service_call(self, asset_id: int, kind: _Kind, cursors: list[Any]) -> Callable[[int], int]:
        from timeline.services.queries import timeline_page

        def call(n: int) -> int:
            page = timeline_page(
                SubjectType.ASSET,
                asset_id,
                event_types=kind.event_types,
                after=cursors[n % len(cursors)] if kind.deep else None,
                limit=PAGE_SIZE,
                descending=kind.descending,
            )
            return len(page.events)

        return call

    def _api_call(self, asset_id: int, kind: _Kind, cursors: list[Any]) -> Callable[[int], int]:
        base = f"/api/assets/{asset_id}/timeline?page_size={PAGE_SIZE}"
        if kind.event_types:
            base += "".join(f"&type={t}" for t in kind.event_types)
        if kind.descending:
            base += "&order=desc"
        tokens = [c.encode() for c in cursors]

        def call(n: int) -> int:
            url = base + (f"&cursor={tokens[n % len(tokens)]}" if kind.deep else "")
            # behind a TLS-terminating proxy, as deployed (SECURE_PROXY_SSL_HEADER)
            response = self.client.get(url, HTTP_X_FORWARDED_PROTO="https")
            if response.status_code != 200:
                self.problems[f"HTTP {response.status_code}"] += 1
                return 0
            return -1  # not parsed inside the timed loop

        return call

    def measure(self, label: str, asset_id: int, target: bool) -> list[float]:
        """Print one line per (level, kind); return the p95s."""
        cursors = _middle_cursors(asset_id, self.spec.samples)
        p95s = []
        with override_settings(ALLOWED_HOSTS=["testserver"]), warnings.catch_warnings():
            # WhiteNoise warns once that collectstatic has not run: irrelevant to the API
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            for level, make in (("service", self._service_call), ("api", self._api_call)):
                for kind in KINDS:
                    call = make(asset_id, kind, cursors)
                    for n in range(WARM_UP):
                        call(n)
                    if level == "api":  # one response checked in full, outside the clock
                        url_check = self._check_api(asset_id, kind, cursors)
                        if url_check:
                            self.problems[url_check] += 1
                    samples = []
                    rows = 0
                    for n in range(self.spec.samples):
                        began = time.perf_counter()
                        got = call(n)
                        samples.append((time.perf_counter() - began) * 1000)
                        rows = max(rows, got)
                    p50, p95, worst = percentiles(samples)
                    p95s.append(p95)
                    line = (
                        f"page[{label} {level} {kind.name}] p50_ms={p50:.2f} p95_ms={p95:.2f} max_ms={worst:.2f} "
                        f"n={len(samples)}"
                    )
                    if level == "service":
                        line += f" rows={rows}"
                    if target:
                        line += f" target_p95_ms<={TARGET_PAGE_P95_MS:.0f} {_verdict(p95 <= TARGET_PAGE_P95_MS)}"
                    self.write(line)
        return p95s

    def _check_api(self, asset_id: int, kind: _Kind, cursors: list[Any]) -> str:
        from timeline.services.queries import timeline_page

        url = f"/api/assets/{asset_id}/timeline?page_size={PAGE_SIZE}"
        url += "".join(f"&type={t}" for t in kind.event_types or [])
        url += "&order=desc" if kind.descending else ""
        url += f"&cursor={cursors[0].encode()}" if kind.deep else ""
        response = self.client.get(url, HTTP_X_FORWARDED_PROTO="https")
        if response.status_code != 200:
            return f"HTTP {response.status_code} on {kind.name}"
        expected = timeline_page(
            SubjectType.ASSET,
            asset_id,
            event_types=kind.event_types,
            after=cursors[0] if kind.deep else None,
            limit=PAGE_SIZE,
            descending=kind.descending,
        )
        got = [event["id"] for event in response.json()["results"]]
        if got != [event.pk for event in expected.events]:
            return f"API page differs from the service page on {kind.name}"
        return ""


# --- EXPLAIN -------------------------------------------------------------------------------


def _explain(asset_id: int, cursor: Any, write: Write) -> None:
    """EXPLAIN (on MariaDB: ANALYZE, which also runs it) the exact SQL each page kind runs."""
    from timeline.services.queries import timeline_page

    for kind in KINDS:
        with CaptureQueriesContext(connection) as captured:
            timeline_page(
                SubjectType.ASSET,
                asset_id,
                event_types=kind.event_types,
                after=cursor if kind.deep else None,
                limit=PAGE_SIZE,
                descending=kind.descending,
            )
        sql = captured.captured_queries[-1]["sql"]
        with connection.cursor() as db:
            if connection.vendor == "mysql":
                db.execute(("ANALYZE " if getattr(connection, "mysql_is_mariadb", False) else "EXPLAIN ") + sql)
                names = [column[0].lower() for column in db.description]
                plan = [dict(zip(names, row, strict=True)) for row in db.fetchall()]
                main = plan[0]
                key = main.get("key") or "(none)"
                detail = (
                    f"type={main.get('type')} rows={main.get('rows')} r_rows={main.get('r_rows', '-')} "
                    f"filtered={main.get('filtered')} r_filtered={main.get('r_filtered', '-')} "
                    f"extra={main.get('extra') or '-'}"
                )
            else:
                db.execute("EXPLAIN QUERY PLAN " + sql)
                detail = "; ".join(str(row[-1]) for row in db.fetchall())
                key = "event_subject_time" if "event_subject_time" in detail else detail
        verdict = _verdict(key == "event_subject_time")
        write(f"explain[{kind.name}] key={key} expected=event_subject_time {verdict}; {detail}")


# --- late bundles --------------------------------------------------------------------------


def _server_bundles(spec: TimelineBenchSpec, history: int, side: str) -> tuple[list[bytes], list[bytes]]:
    """N weekly snapshots of one server (the ingest benchmark's generator), then late bundles
    collected between its first two snapshots; uuid and hostname made unique per server. The
    generator starts at a fixed date; the history is moved N weeks earlier so that even long
    histories end in the past (the parser refuses bundles collected in the future)."""
    label = f"{spec.prefix}N{history}{side}-"
    server = _ServerSpec(servers=1, snapshots=history, components=spec.components, seed=spec.seed, label=label)
    raw, _ = rack_bundles(server, 0)
    uuid = hashlib.sha256(label.encode()).hexdigest()[:32]
    hostname = f"late-n{history}{side}.bench.example.net"
    shift = SNAPSHOT_INTERVAL * history

    def retag(doc: dict[str, Any], later: timedelta = timedelta(0)) -> bytes:
        collected = datetime.fromisoformat(doc["collected_at"].replace("Z", "+00:00")) - shift + later
        doc["collected_at"] = collected.isoformat().replace("+00:00", "Z")
        doc["asset"]["uuid"] = uuid
        doc["hostname"] = hostname
        return json.dumps(doc, sort_keys=True).encode()

    snapshots = [retag(json.loads(b)) for b in raw]
    gap = SNAPSHOT_INTERVAL.total_seconds() / (spec.late_repeats + 1)
    late = []
    for r in range(spec.late_repeats):
        doc = json.loads(raw[0])
        later = timedelta(seconds=int(gap * (r + 1)))
        for part in doc["components"]:
            health = part.get("health") or {}
            if "power_on_hours" in health:
                health["power_on_hours"] += int(later.total_seconds()) // 3600
        late.append(retag(doc, later))
    return snapshots, late


@dataclass
class _LateResult:
    ms: list[float] = field(default_factory=list)
    derivation_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)


def _ingest(raw: list[bytes], created: _Created) -> tuple[Any, float]:
    began = time.perf_counter()
    result = ingest_bundles(raw)
    elapsed = time.perf_counter() - began
    created.bundle_ids.extend(result.bundle_ids)
    return result, elapsed


def _ingest_history(spec: TimelineBenchSpec, created: _Created, write: Write) -> dict[tuple[int, str], list[bytes]]:
    """Every server's snapshots, in order; returns its late bundles, not yet ingested."""
    late: dict[tuple[int, str], list[bytes]] = {}
    for history in spec.late_history:
        for side in ("a", "b"):
            snapshots, late[(history, side)] = _server_bundles(spec, history, side)
            tail = min(3, history - 1)
            head_result, head_seconds = _ingest(snapshots[:-tail], created)
            tail_result, tail_seconds = _ingest(snapshots[-tail:], created)
            statuses = head_result.statuses + tail_result.statuses
            statuses.update(
                {f"error:{code}": n for code, n in (head_result.error_codes + tail_result.error_codes).items()}
            )
            write(
                f"history N={history} server {side}: {history} snapshots ingested in "
                f"{head_seconds + tail_seconds:.1f}s; the last {tail} in order: "
                f"{1000 * tail_seconds / tail:.1f} ms/bundle; "
                + " ".join(f"{status}={n}" for status, n in sorted(statuses.items()))
            )
    return late


def _ingest_late(bundles: list[bytes], created: _Created) -> _LateResult:
    out = _LateResult()
    for raw in bundles:
        result, _ = _ingest([raw], created)
        out.ms.append(1000 * (result.phases["receive (storage)"] + result.phases["parse (total)"]))
        out.derivation_ms.append(1000 * result.phases["derivation"])
        out.statuses.update(result.statuses)
        out.statuses.update({f"error:{code}": n for code, n in result.error_codes.items()})
    return out


def _history_size(bundle_id: int) -> str:
    from ingest.models import LogBundle, Observation
    from timeline.models import TimelineEvent

    asset_id = LogBundle.objects.filter(pk=bundle_id).values_list("asset_id", flat=True).first() or 0
    bundles = LogBundle.objects.filter(asset_id=asset_id).count()
    observations = Observation.objects.filter(bundle__asset_id=asset_id).count()
    events = TimelineEvent.objects.filter(subject_type=SubjectType.ASSET, subject_id=asset_id).count()
    return f"asset {asset_id}: {bundles} bundles, {observations} observations, {events} asset events"


def _late_line(history: int, side: str, fleet: str, result: _LateResult, bundle_id: int) -> str:
    return (
        f"late_bundle[N={history} server {side}, {fleet}] median_ms={statistics.median(result.ms):.1f} "
        f"min_ms={min(result.ms):.1f} max_ms={max(result.ms):.1f} "
        f"derivation_median_ms={statistics.median(result.derivation_ms):.1f} n={len(result.ms)} "
        + " ".join(f"{status}={n}" for status, n in sorted(result.statuses.items()))
        + f" (after: {_history_size(bundle_id)})"
    )


# --- cleaning up ---------------------------------------------------------------------------


def delete_synthetic_events(spec: TimelineBenchSpec, chunk: int = 20_000) -> int:
    """Delete the events written with SQL, by primary-key ranges within their origin."""
    from timeline.models import TimelineEvent

    table = connection.ops.quote_name(TimelineEvent._meta.db_table)
    deleted = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table} WHERE origin = %s", [spec.origin])  # noqa: S608
        low, high = cursor.fetchone()
        if low is None:
            return 0
        for start in range(low, high + 1, chunk):
            cursor.execute(
                f"DELETE FROM {table} WHERE id >= %s AND id < %s AND origin = %s",  # noqa: S608
                [start, start + chunk, spec.origin],
            )
            deleted += cursor.rowcount
    return deleted


def cleanup(spec: TimelineBenchSpec, created: _Created) -> dict[str, int]:
    """Delete what the benchmark created: the SQL-written events, the late-bundle servers'
    bundles (with observations), derived events, components and assets (with installations),
    the measured assets and the API user (with its token)."""
    from django.contrib.auth import get_user_model

    from ingest.models import LogBundle
    from registry.models import Asset, Component
    from timeline.models import TimelineEvent

    deleted: Counter[str] = Counter()
    deleted["TimelineEvent (synthetic)"] = delete_synthetic_events(spec)
    for offset in range(0, len(created.bundle_ids), 1000):
        _, by_model = LogBundle.objects.filter(pk__in=created.bundle_ids[offset : offset + 1000]).delete()
        deleted.update(by_model)
    for model, lookup, subject_type in (
        (Component, "serial__startswith", SubjectType.COMPONENT),
        (Asset, "vendor_serial__startswith", SubjectType.ASSET),
    ):
        pks = list(model.objects.filter(**{lookup: spec.prefix}).values_list("pk", flat=True))
        for offset in range(0, len(pks), 1000):
            chunk = pks[offset : offset + 1000]
            _, by_model = TimelineEvent.objects.filter(subject_type=subject_type, subject_id__in=chunk).delete()
            deleted.update(by_model)
            _, by_model = model.objects.filter(pk__in=chunk).delete()
            deleted.update(by_model)
    _, by_model = get_user_model().objects.filter(username=f"{spec.prefix}api").delete()
    deleted.update(by_model)
    if created.media_root:
        shutil.rmtree(created.media_root, ignore_errors=True)
    return {label.rsplit(".", 1)[-1]: count for label, count in deleted.items() if count}


# --- the benchmark -------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _measured_asset(spec: TimelineBenchSpec, name: str) -> int:
    from registry.models import Asset

    serial = f"{spec.prefix}{name}"
    asset = Asset.objects.create(
        vendor="Bench", model="timeline", vendor_serial_raw=serial, vendor_serial=serial, hostname=f"{name}.bench"
    )
    return asset.pk


def _table_rows() -> int:
    from timeline.models import TimelineEvent

    return TimelineEvent.objects.count()


def _analyze_table(write: Write) -> None:
    from timeline.models import TimelineEvent

    began = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(TimelineEvent._meta.db_table)}")
            cursor.fetchall()
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
    write(f"analyze_table_seconds={time.perf_counter() - began:.1f}")


@contextlib.contextmanager
def _stopwatch(write: Write, what: str) -> Iterator[None]:
    began = time.perf_counter()
    yield
    write(f"{what}: {time.perf_counter() - began:.1f}s")


def run_timeline_benchmark(spec: TimelineBenchSpec, *, keep: bool = False, write: Write = print) -> None:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    started = time.perf_counter()
    created = _Created(media_root=tempfile.mkdtemp(prefix="reanimator-tlbench-media-"))
    fleet_assets = max(1, min(spec.fleet_assets, spec.fleet_events))
    write(
        f"timeline: measured assets of {spec.asset_events} events, fleet of {spec.fleet_events} events over "
        f"{fleet_assets} assets, late bundles after N={','.join(map(str, spec.late_history))} snapshots "
        f"x {spec.late_repeats} (servers of {spec.components} parts), {spec.samples} timed requests per figure "
        f"after {WARM_UP} warm-up, page size {PAGE_SIZE}, type filter {FILTER_TYPE} "
        f"(~{dict(EVENT_MIX)[FILTER_TYPE]:.0%} of events), seed {spec.seed}"
    )
    before = _table_rows()
    if before:
        write(f"note: the timeline table already held {before} events")
    try:
        user = get_user_model().objects.create_user(username=f"{spec.prefix}api")
        created.user_id = user.pk
        token = Token.objects.create(user=user)
        timer = _PageTimer(spec, token.key, write)

        # 1. one asset alone
        contiguous = _measured_asset(spec, "contiguous")
        interleaved = _measured_asset(spec, "interleaved")
        maker = EventMaker(spec)
        insert_rows(maker.asset_history(contiguous, spec.asset_events), spec.batch_size)
        write(
            f"pages of asset {contiguous} ({spec.asset_events} events written in one run), "
            f"table of {_table_rows()} events:"
        )
        timer.measure(f"alone asset={spec.asset_events}", contiguous, target=False)

        # 3a. late bundles, without the fleet
        with override_settings(MEDIA_ROOT=created.media_root):
            late = _ingest_history(spec, created, write)
            without: dict[int, _LateResult] = {}
            for history in spec.late_history:
                without[history] = _ingest_late(late[(history, "a")], created)
                write(_late_line(history, "a", "no fleet", without[history], created.bundle_ids[-1]))

        # 2. the fleet
        began = time.perf_counter()
        written = insert_rows(
            maker.fleet(spec.fleet_events, fleet_assets, interleaved, spec.asset_events), spec.batch_size
        )
        generation = time.perf_counter() - began
        rows = _table_rows()
        write(
            f"fleet: wrote {written} events ({spec.fleet_events} filler over {fleet_assets} assets + "
            f"{spec.asset_events} of asset {interleaved}, interleaved) in {generation:.1f}s "
            f"({written / generation if generation else 0:.0f} rows/s, batches of {spec.batch_size}); "
            f"table rows={rows}"
        )
        _analyze_table(write)
        _explain(interleaved, _middle_cursors(interleaved, 1)[0], write)
        label = f"fleet={rows}"
        write(f"pages of asset {interleaved} (events scattered through the fleet), table of {rows} events:")
        worst = max(timer.measure(f"{label} asset=interleaved", interleaved, target=True))
        write(f"pages of asset {contiguous} (events written in one run, before the fleet), table of {rows} events:")
        worst = max(worst, *timer.measure(f"{label} asset=contiguous", contiguous, target=True))
        write(
            f"timeline_page_p95_ms_worst={worst:.2f} at {rows} events target<={TARGET_PAGE_P95_MS:.0f} "
            f"{_verdict(worst <= TARGET_PAGE_P95_MS)}"
        )
        if timer.problems:
            write("page problems: " + ", ".join(f"{what}={n}" for what, n in sorted(timer.problems.items())))

        # 3b. late bundles, with the fleet (second server of each history length)
        with override_settings(MEDIA_ROOT=created.media_root):
            for history in spec.late_history:
                result = _ingest_late(late[(history, "b")], created)
                write(_late_line(history, "b", f"fleet of {rows} events", result, created.bundle_ids[-1]))
                ratio = statistics.median(result.ms) / statistics.median(without[history].ms)
                write(
                    f"late_bundle_ms N={history}: no_fleet={statistics.median(without[history].ms):.1f} "
                    f"with_fleet={statistics.median(result.ms):.1f} ratio={ratio:.2f}"
                )
        smallest = spec.late_history[0]
        base = statistics.median(without[smallest].ms)
        write(
            "late_bundle_ms by history (no fleet): "
            + " ".join(
                f"N={n}:{statistics.median(without[n].ms):.1f}ms(x{statistics.median(without[n].ms) / base:.1f})"
                for n in spec.late_history
            )
        )
    finally:
        if keep:
            write(
                f"kept: everything stays in the database (event origin {spec.origin}, serial prefix {spec.prefix}), "
                f"raw bundles under {created.media_root}"
            )
        else:
            with _stopwatch(write, "cleanup time"):
                deleted = cleanup(spec, created)
                write("cleanup: deleted " + " ".join(f"{label}={n}" for label, n in sorted(deleted.items())))
        write(f"timeline benchmark total: {time.perf_counter() - started:.1f}s")
