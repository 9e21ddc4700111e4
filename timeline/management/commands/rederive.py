from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from timeline.services.rederive import rederive_all, rederive_assets, rederive_components


class Command(BaseCommand):
    help = "Rebuild installations and timeline events from observations and manual events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="the whole fleet")
        parser.add_argument("--asset", type=int, action="append", dest="assets", help="asset id (repeatable)")
        parser.add_argument("--component", type=int, action="append", dest="components", help="component id")

    def handle(self, *args: object, **options: object) -> None:
        if options["all"]:
            results = list(rederive_all())
        elif options["assets"]:
            results = list(rederive_assets(list(options["assets"])))  # type: ignore[call-overload]
        elif options["components"]:
            results = list(rederive_components(list(options["components"])))  # type: ignore[call-overload]
        else:
            raise CommandError("Say what to rederive: --all, --asset ID or --component ID.")
        components = sum(r.components for r in results)
        installations = sum(r.installations for r in results)
        written = sum(r.events_written for r in results)
        self.stdout.write(
            f"rederived {components} component(s): {installations} installation(s), {written} event row(s) changed"
        )
