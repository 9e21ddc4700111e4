from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingest.services.reparse import bundles_to_reparse, reparse


class Command(BaseCommand):
    help = "Re-run the current parsers over stored raw bundles: all, one asset's, given ones, or outdated ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bundle", type=int, action="append", dest="bundles", help="bundle id (repeatable)")
        parser.add_argument("--asset", type=int, help="every bundle of this asset id")
        parser.add_argument("--outdated", action="store_true", help="bundles parsed by an older parser version")
        parser.add_argument("--all", action="store_true", help="every bundle")

    def handle(self, *args: object, **options: object) -> None:
        if not (options["bundles"] or options["asset"] is not None or options["outdated"] or options["all"]):
            raise CommandError("Say which bundles: --bundle ID, --asset ID, --outdated or --all.")
        queryset = bundles_to_reparse(
            bundle_ids=options["bundles"],  # type: ignore[arg-type]
            asset_id=options["asset"],  # type: ignore[arg-type]
            outdated=bool(options["outdated"]),
        )
        outcome: Counter[str] = Counter()
        for bundle in reparse(queryset):
            outcome[bundle.status] += 1
            if bundle.error_code:
                self.stderr.write(f"bundle {bundle.pk}: {bundle.error_code}: {bundle.error_message}")
        total = sum(outcome.values())
        self.stdout.write(f"re-parsed {total} bundle(s): " + ", ".join(f"{n} {s}" for s, n in sorted(outcome.items())))
