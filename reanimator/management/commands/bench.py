"""`manage.py bench`: the project's benchmarks, printed as plain lines with their targets.

    manage.py bench                                  # every benchmark, default sizes
    manage.py bench --only ingest --servers 200      # one benchmark, a smaller fleet
    manage.py bench --only ingest --servers 100 --profile   # cProfile of the ingest path
    manage.py bench --only timeline --fleet-events 200000    # timeline pages and late bundles
    manage.py bench --only pages --page-assets 2000          # the htmx pages at fleet scale

`make bench` runs it against a private, empty MariaDB. The benchmarks create and delete many
thousands of rows, so the command refuses a database that already holds assets, components
or bundles unless --force, and deletes what it created unless --keep. Figures are printed with
the target beside them and whether it was met; nothing is asserted.

A benchmark is one entry in BENCHMARKS: a name and a function of the parsed options and a
line writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

Write = Callable[[str], None]


def _ingest(options: dict[str, Any], write: Write) -> None:
    from ingest.benchmarks import FleetSpec, run_ingest_benchmark

    spec = FleetSpec(
        servers=options["servers"],
        snapshots=options["snapshots"],
        components=options["components"],
        seed=options["seed"],
    )
    run_ingest_benchmark(
        spec, workers=options["workers"], keep=options["keep"], profile=options["profile"], write=write
    )


def _timeline(options: dict[str, Any], write: Write) -> None:
    from timeline.benchmarks import TimelineBenchSpec, run_timeline_benchmark

    spec = TimelineBenchSpec(
        fleet_events=options["fleet_events"],
        fleet_assets=options["fleet_assets"],
        asset_events=options["asset_events"],
        late_history=options["late_history"],
        late_repeats=options["late_repeats"],
        components=options["components"],
        samples=options["samples"],
        seed=options["seed"],
    )
    run_timeline_benchmark(spec, keep=options["keep"], write=write)


def _pages(options: dict[str, Any], write: Write) -> None:
    from reanimator.benchmarks_pages import PagesBenchSpec, run_pages_benchmark

    spec = PagesBenchSpec(
        assets=options["page_assets"],
        parts=options["page_parts"],
        events=options["page_events"],
        samples=options["page_samples"],
        seed=options["seed"],
    )
    run_pages_benchmark(spec, keep=options["keep"], write=write)


# name -> benchmark; run in this order
BENCHMARKS: dict[str, Callable[[dict[str, Any], Write], None]] = {
    "ingest": _ingest,
    "timeline": _timeline,
    "pages": _pages,
}


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _histories(value: str) -> tuple[int, ...]:
    numbers = tuple(int(part) for part in value.split(","))
    if not numbers or min(numbers) < 2:
        raise ValueError(value)
    return numbers


class Command(BaseCommand):
    help = "Run the benchmarks (synthetic fleet, private database) and print figures beside their targets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--servers", type=_positive, default=2000, help="servers in the fleet (default 2000)")
        parser.add_argument("--snapshots", type=_positive, default=3, help="bundles per server (default 3)")
        parser.add_argument("--components", type=_positive, default=60, help="parts per server (default 60)")
        parser.add_argument("--workers", type=_positive, default=2, help="worker processes (default 2)")
        parser.add_argument(
            "--fleet-events", type=_positive, default=1_000_000, help="timeline: filler events (default 1000000)"
        )
        parser.add_argument(
            "--fleet-assets", type=_positive, default=20_000, help="timeline: assets the filler is spread over (20000)"
        )
        parser.add_argument(
            "--asset-events", type=_positive, default=10_000, help="timeline: events of a measured asset (10000)"
        )
        parser.add_argument(
            "--late-history",
            type=_histories,
            default=(10, 50, 200),
            help="timeline: snapshots before the late bundles, comma-separated, each >= 2 (default 10,50,200)",
        )
        parser.add_argument(
            "--late-repeats", type=_positive, default=5, help="timeline: late bundles per server (default 5)"
        )
        parser.add_argument(
            "--samples", type=_positive, default=200, help="timeline: timed requests per figure (default 200)"
        )
        parser.add_argument(
            "--page-assets", type=_positive, default=20_000, help="pages: servers in the fleet (default 20000)"
        )
        parser.add_argument("--page-parts", type=_positive, default=50, help="pages: parts per server (default 50)")
        parser.add_argument(
            "--page-events", type=_positive, default=1_000_000, help="pages: timeline events (default 1000000)"
        )
        parser.add_argument(
            "--page-samples", type=_positive, default=30, help="pages: timed requests per page (default 30)"
        )
        parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic fleet (default 1)")
        parser.add_argument(
            "--only", choices=sorted(BENCHMARKS), action="append", help="run only this benchmark (repeatable)"
        )
        parser.add_argument(
            "--force", action="store_true", help="run even if the database already holds assets or bundles"
        )
        parser.add_argument("--keep", action="store_true", help="leave what the benchmark created in place")
        parser.add_argument(
            "--profile", action="store_true", help="profile the run with cProfile (one worker) and print the top costs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["components"] < 5:
            raise CommandError("--components must be at least 5 (a CPU, DIMMs, a drive, a NIC and a PSU).")
        if not options["force"]:
            self._require_empty_database()
        selected = options["only"] or list(BENCHMARKS)

        def write(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        for name in BENCHMARKS:
            if name in selected:
                BENCHMARKS[name](options, write)

    def _require_empty_database(self) -> None:
        from ingest.models import LogBundle
        from registry.models import Asset, Component

        found = {
            label: model.objects.count()
            for label, model in (("assets", Asset), ("components", Component), ("bundles", LogBundle))
        }
        if any(found.values()):
            held = ", ".join(f"{n} {label}" for label, n in found.items() if n)
            raise CommandError(
                f"The database already holds {held}. The benchmarks create and delete many thousands of rows: "
                "run them against an empty database (`make bench` starts one) or pass --force."
            )
