"""The pages benchmark (`manage.py bench --only pages`): what each htmx page costs at fleet
scale, through Django's test client as a signed-in user (middleware, session, view,
templates; no socket).

The fleet is written with plain multi-row INSERTs (ingesting it would take hours): `assets`
servers (default 20,000) of `parts` parts each (default 50, so 1,000,000 components, each
with an active installation), `events` timeline events (default 1,000,000: the timeline
benchmark's asset histories for every server, plus part events: first seen, installed,
moved, removed, firmware changed, failed), a few bundles per server (some in the last 24 h,
some failed), observations for the measured servers' parts and tickets linked to servers and
parts. One measured server has a long history of its own (its parts change firmware often),
so that its card reads real rows.

Every page is requested `samples` times after a warm-up; per page the p50/p95 latency, the
query count, and the EXPLAIN of its heaviest queries are printed, with a flag on any full
scan or filesort over more than `LARGE_ROWS` rows. The target (p95 <= 100 ms per page at
this scale) is printed beside each figure; nothing is asserted. Everything created is deleted
at the end unless `keep`.
"""

from __future__ import annotations

import random
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from timeline.benchmarks import (
    HISTORY_SPAN,
    HISTORY_START,
    EventMaker,
    TimelineBenchSpec,
    delete_synthetic_events,
    insert_rows,
    percentiles,
    stamp,
)
from timeline.choices import EVENT_TYPE_ORDER, EventSource, EventType, SubjectType

TARGET_PAGE_P95_MS = 100.0
LARGE_ROWS = 10_000  # a full scan or filesort estimated above this many rows is flagged
WARM_UP = 3
HEAVIEST = 3  # queries explained per page

Write = Callable[[str], None]

CLASSES = ("CPU", "DIMM", "DIMM", "DIMM", "DIMM", "DIMM", "NVME", "SSD", "HDD", "NIC", "PSU", "GPU", "BMC")
VENDORS = ("SAMSUNG", "MICRON", "INTEL", "SEAGATE", "WDC", "HYNIX", "BROADCOM", "DELTA")
PART_EVENT_MIX: tuple[tuple[str, float], ...] = (
    (EventType.INSTALLED, 0.30),
    (EventType.FIRST_SEEN, 0.25),
    (EventType.FIRMWARE_CHANGED, 0.20),
    (EventType.REMOVED, 0.12),
    (EventType.MOVED, 0.08),
    (EventType.FAILED, 0.05),
)


@dataclass(frozen=True)
class PagesBenchSpec(TimelineBenchSpec):
    assets: int = 20_000
    parts: int = 50
    events: int = 1_000_000
    bundles_per_asset: int = 3
    tickets: int = 5_000
    samples: int = 30
    measured_events: int = 2_000

    @property
    def prefix(self) -> str:
        return f"RZPGBENCH{self.seed}-"

    @property
    def origin(self) -> str:
        return f"bench:pages:{self.seed}"

    @property
    def component_count(self) -> int:
        return self.assets * self.parts


@dataclass
class _Ranges:
    """[low, high] primary keys of what the benchmark wrote, per table, for the cleanup."""

    ids: dict[str, tuple[int, int]] = field(default_factory=dict)
    user_id: int | None = None


# --- writing the fleet -------------------------------------------------------------------------


def _insert(table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]], batch: int = 5000) -> int:
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    written, chunk = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                written += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            written += len(chunk)
    return written


def _id_range(table: str, where: str, params: list[Any]) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {connection.ops.quote_name(table)} WHERE {where}", params)  # noqa: S608
        low, high = cursor.fetchone()
    return int(low or 0), int(high or -1)


def _moment(rng: random.Random) -> datetime:
    return HISTORY_START + timedelta(seconds=rng.randrange(int(HISTORY_SPAN.total_seconds())))


@dataclass
class Fleet:
    asset_low: int
    component_low: int
    measured_asset: int
    measured_component: int
    location_ids: list[int]
    ranges: _Ranges


def build_fleet(spec: PagesBenchSpec, ranges: _Ranges, write: Write) -> Fleet:
    from ingest.models import LogBundle, Observation
    from registry.models import Asset, Component, Customer, Installation, Location, Lot, Project
    from tickets.models import Ticket, TicketLink

    rng = random.Random(f"reanimator-pages-bench:{spec.seed}")
    now = timezone.now()
    stamp_now = stamp(now)
    p = spec.prefix
    customer = Customer.objects.create(name=f"{p}customer")
    projects = [Project.objects.create(customer=customer, name=f"{p}project-{i}") for i in range(10)]
    locations = [Location.objects.create(name=f"{p}dc-{i}", kind="datacenter") for i in range(20)]
    lots = [Lot.objects.create(code=f"{p}LOT-{i}", component_class="DIMM") for i in range(30)]
    ranges.ids["registry_customer"] = (customer.pk, customer.pk)
    ranges.ids["registry_project"] = (projects[0].pk, projects[-1].pk)
    ranges.ids["registry_location"] = (locations[0].pk, locations[-1].pk)
    ranges.ids["registry_lot"] = (lots[0].pk, lots[-1].pk)

    began = time.perf_counter()
    statuses = ("deployed",) * 7 + ("stock", "repair", "intake", "retired")
    asset_rows = (
        (
            stamp_now,
            stamp(now - timedelta(seconds=rng.randrange(10**7))),
            "VENDOR" + str(i % 4),
            f"Model {i % 12}",
            f"{p}{i:07d}",
            f"{p}{i:07d}",
            None,
            f"{p}TAG{i:07d}",
            f"node-{i:06d}.dc{i % 20}.bench.example.net",
            projects[i % len(projects)].pk,
            locations[i % len(locations)].pk if i % 50 else None,
            statuses[i % len(statuses)],
            "",
        )
        for i in range(spec.assets)
    )
    asset_columns = (
        "created_at",
        "updated_at",
        "vendor",
        "model",
        "vendor_serial_raw",
        "vendor_serial",
        "system_uuid",
        "asset_tag",
        "hostname",
        "project_id",
        "location_id",
        "status",
        "notes",
    )
    _insert(Asset._meta.db_table, asset_columns, asset_rows)
    a_low, a_high = _id_range(Asset._meta.db_table, "vendor_serial LIKE %s", [f"{p}%"])
    ranges.ids[Asset._meta.db_table] = (a_low, a_high)

    def component_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(spec.component_count):
            cls = CLASSES[i % len(CLASSES)]
            vendor = VENDORS[(i // 7) % len(VENDORS)]
            serial = f"{p}S{i:08d}"
            yield (
                stamp_now,
                stamp_now,
                cls,
                vendor,
                vendor,
                f"{vendor[:3]}-{cls}-{i % 40:02d}",
                serial,
                serial,
                lots[i % len(lots)].pk if i % 3 else None,
                stamp(_moment(rng)),
                "{}",
            )

    component_columns = (
        "created_at",
        "updated_at",
        "component_class",
        "vendor",
        "vendor_raw",
        "model",
        "serial_raw",
        "serial",
        "lot_id",
        "first_seen_at",
        "specs",
    )
    _insert(Component._meta.db_table, component_columns, component_rows())
    c_low, c_high = _id_range(Component._meta.db_table, "serial LIKE %s", [f"{p}%"])
    ranges.ids[Component._meta.db_table] = (c_low, c_high)
    write(f"fleet: {a_high - a_low + 1} assets, {c_high - c_low + 1} components in {time.perf_counter() - began:.1f}s")

    def asset_of(component_id: int) -> int:
        return a_low + (component_id - c_low) // spec.parts

    began = time.perf_counter()
    installed = stamp(HISTORY_START)

    def installation_rows() -> Iterator[tuple[Any, ...]]:
        for cid in range(c_low, c_high + 1):
            yield (cid, asset_of(cid), f"slot{(cid - c_low) % spec.parts}", installed, stamp_now, None)
        # the measured server's earlier parts, removed
        for k in range(spec.parts):
            cid = c_low + spec.parts + k  # parts of the second server, once in the first
            yield (cid, a_low, f"old{k}", installed, installed, stamp(HISTORY_START + timedelta(days=1)))

    columns = ("component_id", "asset_id", "slot", "installed_at", "last_seen_at", "removed_at")
    n_inst = _insert(Installation._meta.db_table, columns, installation_rows())
    ranges.ids[Installation._meta.db_table] = _id_range(
        Installation._meta.db_table, "component_id BETWEEN %s AND %s", [c_low, c_high]
    )
    write(f"fleet: {n_inst} installations in {time.perf_counter() - began:.1f}s")

    # --- events: asset histories (the timeline benchmark's generator) and part events
    began = time.perf_counter()
    maker = EventMaker(spec)
    measured = a_low
    measured_component = c_low
    asset_share = spec.events * 2 // 5
    per_asset = max(1, asset_share // spec.assets)
    types = [t for t, _ in PART_EVENT_MIX]
    weights = [w for _, w in PART_EVENT_MIX]

    def part_event(cid: int, moment: datetime, event_type: str) -> Iterator[tuple[Any, ...]]:
        asset = asset_of(cid)
        n = maker.counter
        if event_type == EventType.FIRMWARE_CHANGED:
            payload = f'{{"from_version": "1.{n % 7}", "to_version": "1.{n % 7 + 1}", "asset_id": {asset}}}'
        elif event_type == EventType.MOVED:
            payload = f'{{"from_asset_id": {asset + 1}, "to_asset_id": {asset}, "slot": "s", "last_seen_at": null}}'
        else:
            payload = f'{{"asset_id": {asset}, "slot": "s"}}'
        for subject_type, subject_id in ((SubjectType.COMPONENT, cid), (SubjectType.ASSET, asset)):
            if subject_type == SubjectType.ASSET and event_type not in (EventType.INSTALLED, EventType.REMOVED):
                continue
            row = list(maker.row(subject_id, moment.replace(microsecond=0), EventType.NOTE))
            row[0], row[3], row[4], row[5] = subject_type, event_type, EVENT_TYPE_ORDER[event_type], payload
            if subject_type == SubjectType.ASSET:
                row[5] = f'{{"component_id": {cid}, "slot": "s", "component_class": "DIMM"}}'
            row[6] = EventSource.BUNDLE
            yield tuple(row)

    def event_rows() -> Iterator[tuple[Any, ...]]:
        yield from maker.asset_history(measured, spec.measured_events)
        for k in range(spec.parts):  # the measured server's parts change firmware often
            for _ in range(10):
                yield from part_event(c_low + k, _moment(rng), EventType.FIRMWARE_CHANGED)
            yield from part_event(c_low + k, HISTORY_START, EventType.INSTALLED)
        for aid in range(a_low + 1, a_high + 1):
            yield from maker.asset_history(aid, per_asset)
        remaining = spec.events - maker.counter
        for event_type in rng.choices(types, weights, k=max(0, remaining)):
            if maker.counter >= spec.events:
                break
            yield from part_event(rng.randint(c_low, c_high), _moment(rng), event_type)

    n_events = insert_rows(event_rows(), spec.batch_size)
    write(f"fleet: {n_events} timeline events in {time.perf_counter() - began:.1f}s")

    # --- bundles, observations, tickets
    began = time.perf_counter()
    bundle_columns = (
        "sha256",
        "raw",
        "size",
        "content_type",
        "original_filename",
        "container",
        "received_at",
        "collected_at",
        "hostname",
        "status",
        "parser_version",
        "error_code",
        "error_message",
        "counts",
        "warnings",
        "coverage",
        "asset_id",
    )

    def bundle_rows() -> Iterator[tuple[Any, ...]]:
        n = 0
        for aid in range(a_low, a_high + 1):
            for _ in range(spec.bundles_per_asset if aid != measured else 60):
                n += 1
                received = now - timedelta(hours=rng.randrange(24 * 90))
                failed = n % 97 == 0
                sha = f"{p}{n:040d}"[-64:].rjust(64, "0")
                yield (
                    sha,
                    f"bundles/{sha[:2]}/{sha}",
                    1000,
                    "application/json",
                    "bench.json",
                    "json",
                    stamp(received),
                    stamp(received - timedelta(hours=1)),
                    "node",
                    "failed" if failed else "parsed",
                    1,
                    "truncated_archive" if failed else "",
                    "The archive ends early." if failed else "",
                    '{"anonymous": 1}',
                    "[]",
                    "[]",
                    None if failed else aid,
                )

    n_bundles = _insert(LogBundle._meta.db_table, bundle_columns, bundle_rows())
    ranges.ids[LogBundle._meta.db_table] = _id_range(LogBundle._meta.db_table, "sha256 LIKE %s", [f"%{p}%"])
    b_low, b_high = ranges.ids[LogBundle._meta.db_table]
    measured_bundles = list(LogBundle.objects.filter(asset_id=measured).values_list("pk", "collected_at"))

    def observation_rows() -> Iterator[tuple[Any, ...]]:
        for bundle_id, collected in measured_bundles:
            at = stamp(collected or now)
            yield (bundle_id, measured, None, "asset", "", "", at, '{"firmware": {"BIOS": "2.1"}}', "{}")
            for k in range(spec.parts):
                health = f'{{"smart_passed": true, "temperature_c": {30 + k % 9}, "power_on_hours": {bundle_id}}}'
                yield (bundle_id, measured, c_low + k, "component", "DIMM", f"FW{k % 3}", at, "{}", health)

    obs_columns: tuple[str, ...] = ("bundle_id", "asset_id", "component_id", "kind", "component_class")
    obs_columns += ("firmware", "collected_at", "specs", "health")
    n_obs = _insert(
        Observation._meta.db_table,
        (*obs_columns, "slot", "vendor_raw", "vendor", "model", "serial_raw", "serial", "sources"),
        ((*row, "", "", "", "", "", "", "[]") for row in observation_rows()),
    )
    ranges.ids[Observation._meta.db_table] = _id_range(
        Observation._meta.db_table, "bundle_id BETWEEN %s AND %s", [b_low, b_high]
    )

    ticket_columns = (
        "source",
        "external_id",
        "title",
        "description",
        "status",
        "priority",
        "category",
        "updated_at",
        "url",
        "reporter",
        "raw",
        "references",
        "link_candidates",
        "dismissed_targets",
        "created_at",
        "synced_at",
    )
    ticket_statuses = ("closed", "closed", "closed", "open", "in_progress")
    _insert(
        Ticket._meta.db_table,
        ticket_columns,
        (
            (
                f"{p}desk",
                f"OPS-{i}",
                f"Server {i} does not boot",
                "",
                ticket_statuses[i % len(ticket_statuses)],
                "",
                "",
                stamp(now - timedelta(minutes=rng.randrange(10**6))),
                "",
                "",
                "{}",
                "{}",
                "[]",
                "[]",
                stamp_now,
                stamp_now,
            )
            for i in range(spec.tickets)
        ),
    )
    t_low, t_high = _id_range(Ticket._meta.db_table, "source = %s", [f"{p}desk"])
    ranges.ids[Ticket._meta.db_table] = (t_low, t_high)

    def link_rows() -> Iterator[tuple[Any, ...]]:
        for tid in range(t_low, t_high + 1):
            if tid % 2:
                yield (tid, rng.randint(a_low, a_high), None, None, "matched", "", stamp_now)
            else:
                yield (tid, None, rng.randint(c_low, c_high), None, "matched", "", stamp_now)
        # the measured server (on tickets whose random link is a part) and its first part (on
        # tickets whose random link is a server): never a second link to one target
        for tid in range(t_low, min(t_low + 20, t_high + 1)):
            odd = tid % 2 == 1
            yield (tid, None if odd else measured, c_low if odd else None, None, "matched", "", stamp_now)

    link_columns = ("ticket_id", "asset_id", "component_id", "project_id", "origin", "matched_text", "created_at")
    _insert(TicketLink._meta.db_table, link_columns, link_rows())
    ranges.ids[TicketLink._meta.db_table] = _id_range(
        TicketLink._meta.db_table, "ticket_id BETWEEN %s AND %s", [t_low, t_high]
    )
    write(
        f"fleet: {n_bundles} bundles, {n_obs} observations, {spec.tickets} tickets in "
        f"{time.perf_counter() - began:.1f}s"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            for table in ranges.ids:
                cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(table)}")
                cursor.fetchall()
            cursor.execute("ANALYZE TABLE timeline_timelineevent")
            cursor.fetchall()
    return Fleet(a_low, c_low, measured, measured_component, [loc.pk for loc in locations], ranges)


# --- measuring pages ---------------------------------------------------------------------------


def pages(fleet: Fleet, spec: PagesBenchSpec) -> list[tuple[str, str]]:
    serial = f"{spec.prefix}{(spec.assets // 2):07d}"
    return [
        ("dashboard", "/"),
        ("assets", "/assets/"),
        ("assets search serial", f"/assets/?q={serial.lower()}"),
        ("assets search hostname", "/assets/?q=node-000123"),
        ("assets sort -updated", "/assets/?sort=-updated"),
        ("assets sort location", "/assets/?sort=location"),
        ("assets sort parts", "/assets/?sort=-parts"),
        ("assets page 40", "/assets/?sort=serial&page=40"),
        ("assets status repair", "/assets/?status=repair"),
        ("components", "/components/"),
        ("components search serial", f"/components/?q={spec.prefix}S0000123"),
        ("components sort model", "/components/?sort=model"),
        ("components sort lot", "/components/?sort=lot"),
        ("components sort -first_seen", "/components/?sort=-first_seen"),
        ("components class NVME", "/components/?component_class=NVME&sort=serial"),
        ("components in server", f"/components/?current_asset={fleet.measured_asset}"),
        ("server card", f"/assets/{fleet.measured_asset}/"),
        ("server card as-of", f"/assets/{fleet.measured_asset}/?as_of=2022-06-01"),
        ("server timeline", f"/assets/{fleet.measured_asset}/timeline"),
        ("component page", f"/components/{fleet.measured_component}/"),
        ("ingest console", "/ingest/"),
        ("ingest bundles", "/ingest/bundles/"),
        ("tickets", "/tickets/"),
        ("tickets open", "/tickets/?status=open"),
    ]


def _explain(sql: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The plan of one query and the warnings about it: full scans or filesorts over large
    tables. EXPLAIN's row estimates ignore LIMIT, so two plans are not flagged: an index read
    in order with nothing to filter, in a LIMITed query (it stops at the limit), and a derived
    table no larger than the capped count's LIMIT."""
    from reanimator.pages import COUNT_CAP

    with connection.cursor() as cursor:
        if connection.vendor != "mysql":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return [{"detail": row[-1]} for row in cursor.fetchall()], []
        cursor.execute("EXPLAIN " + sql)
        names = [column[0].lower() for column in cursor.description]
        plan = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    flags = []
    for row in plan:
        rows = int(row.get("rows") or 0)
        extra = str(row.get("extra") or "")
        if rows < LARGE_ROWS:
            continue
        if str(row.get("table", "")).startswith("<derived") and rows <= COUNT_CAP + 1:
            continue
        if row.get("type") == "ALL":
            flags.append(f"FULL SCAN of {row.get('table')} (~{rows} rows)")
        elif row.get("type") == "index" and "Using where" not in extra and " LIMIT " not in sql:
            flags.append(f"full index scan of {row.get('table')} (~{rows} rows, key {row.get('key')})")
        if "filesort" in extra:
            flags.append(f"FILESORT over {row.get('table')} (~{rows} rows)")
        if "temporary" in extra:
            flags.append(f"temporary table over {row.get('table')} (~{rows} rows)")
    return plan, flags


def _plan_line(row: dict[str, Any]) -> str:
    if "detail" in row:
        return str(row["detail"])
    return (
        f"{row.get('table')}: type={row.get('type')} key={row.get('key') or '-'} rows={row.get('rows')} "
        f"extra={row.get('extra') or '-'}"
    )


def measure(spec: PagesBenchSpec, fleet: Fleet, user: Any, write: Write) -> dict[str, float]:
    from django.test import Client

    client = Client(raise_request_exception=False)  # a failing page is reported, not fatal
    client.force_login(user)
    p95s: dict[str, float] = {}
    flagged = 0
    headers: dict[str, Any] = {"HTTP_X_FORWARDED_PROTO": "https"}
    # plain static files, as in development: the benchmark never runs collectstatic
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=storages), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        for name, url in pages(fleet, spec):
            for _ in range(WARM_UP):
                client.get(url, **headers)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, **headers)
            if response.status_code != 200:
                write(f"page[{name}] {url} HTTP {response.status_code}: skipped")
                continue
            queries = [q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
            db_ms = sum(float(q["time"] or 0) for q in queries) * 1000
            samples = []
            for _ in range(spec.samples):
                began = time.perf_counter()
                client.get(url, **headers)
                samples.append((time.perf_counter() - began) * 1000)
            p50, p95, worst = percentiles(samples)
            p95s[name] = p95
            verdict = "met" if p95 <= TARGET_PAGE_P95_MS else "NOT met"
            write(
                f"page[{name}] {url} p50_ms={p50:.1f} p95_ms={p95:.1f} max_ms={worst:.1f} n={len(samples)} "
                f"queries={len(queries)} db_ms={db_ms:.0f} target_p95_ms<={TARGET_PAGE_P95_MS:.0f} {verdict}"
            )
            heaviest = sorted(queries, key=lambda q: -float(q["time"] or 0))[:HEAVIEST]
            for query in heaviest:
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                plan, flags = _explain(sql)
                flagged += len(flags)
                write(f"  query {float(query['time']) * 1000:.1f}ms: {sql[:220]}{'...' if len(sql) > 220 else ''}")
                for row in plan:
                    write(f"    explain {_plan_line(row)}")
                for flag in flags:
                    write(f"    WARNING {flag}")
    worst_name = max(p95s, key=lambda k: p95s[k]) if p95s else "-"
    worst = p95s.get(worst_name, 0.0)
    write(
        f"pages_p95_ms_worst={worst:.1f} ({worst_name}) target<={TARGET_PAGE_P95_MS:.0f} "
        f"{'met' if worst <= TARGET_PAGE_P95_MS else 'NOT met'}; pages over target: "
        f"{', '.join(k for k, v in p95s.items() if v > TARGET_PAGE_P95_MS) or 'none'}; plan warnings={flagged}"
    )
    return p95s


# --- cleaning up -------------------------------------------------------------------------------

# children before parents (raw deletes do not cascade)
_DELETE_ORDER = (
    "tickets_ticketlink",
    "tickets_ticket",
    "ingest_observation",
    "ingest_logbundle",
    "registry_installation",
    "registry_component",
    "registry_asset",
    "registry_lot",
    "registry_location",
    "registry_project",
    "registry_customer",
)


def cleanup(spec: PagesBenchSpec, ranges: _Ranges, chunk: int = 20_000) -> dict[str, int]:
    from django.contrib.auth import get_user_model

    deleted = {"timeline_timelineevent": delete_synthetic_events(spec)}
    with connection.cursor() as cursor:
        for table in _DELETE_ORDER:
            if table not in ranges.ids:
                continue
            low, high = ranges.ids[table]
            count = 0
            for start in range(low, high + 1, chunk):
                cursor.execute(
                    f"DELETE FROM {connection.ops.quote_name(table)} WHERE id >= %s AND id < %s",  # noqa: S608
                    [start, min(start + chunk, high + 1)],
                )
                count += cursor.rowcount
            deleted[table] = count
    get_user_model().objects.filter(username=f"{spec.prefix}web").delete()
    return {k: v for k, v in deleted.items() if v}


def run_pages_benchmark(spec: PagesBenchSpec, *, keep: bool = False, write: Write = print) -> None:
    from django.contrib.auth import get_user_model

    started = time.perf_counter()
    write(
        f"pages: {spec.assets} assets x {spec.parts} parts ({spec.component_count} components), "
        f"~{spec.events} timeline events, {spec.bundles_per_asset} bundles per asset, {spec.tickets} tickets; "
        f"{spec.samples} timed requests per page after {WARM_UP} warm-up, as a signed-in user through the "
        f"test client; seed {spec.seed}. "
        "The machine is shared: figures are noisy."
    )
    ranges = _Ranges()
    try:
        fleet = build_fleet(spec, ranges, write)
        user = get_user_model().objects.create_user(username=f"{spec.prefix}web", is_staff=True, is_superuser=True)
        ranges.user_id = user.pk
        write(f"fleet built in {time.perf_counter() - started:.1f}s")
        measure(spec, fleet, user, write)
    finally:
        if keep:
            write(f"kept: everything stays (serial prefix {spec.prefix}, event origin {spec.origin})")
        else:
            began = time.perf_counter()
            deleted = cleanup(spec, ranges)
            write(
                "cleanup: deleted "
                + " ".join(f"{k}={v}" for k, v in sorted(deleted.items()))
                + f" in {time.perf_counter() - began:.1f}s"
            )
        write(f"pages benchmark total: {time.perf_counter() - started:.1f}s")
