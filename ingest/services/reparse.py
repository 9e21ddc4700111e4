"""Re-running the current parsers over stored raw bundles (after a parser fix)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from ingest.models import LogBundle
from ingest.services.parsing import PARSER_VERSION, parse_bundle


def bundles_to_reparse(
    *, bundle_ids: list[int] | None = None, asset_id: int | None = None, outdated: bool = False
) -> QuerySet[LogBundle]:
    """Bundles selected by id, by asset, or parsed by an older parser version (also those
    never parsed); with no selector, every bundle."""
    queryset = LogBundle.objects.all()
    if bundle_ids:
        queryset = queryset.filter(pk__in=bundle_ids)
    if asset_id is not None:
        queryset = queryset.filter(asset_id=asset_id)
    if outdated:
        queryset = queryset.exclude(parser_version=PARSER_VERSION)
    return queryset


def reparse(queryset: QuerySet[LogBundle], *, batch: int = 500) -> Iterator[LogBundle]:
    """Re-parse in id order, a batch of ids at a time (memory stays flat on millions of
    bundles); yields each re-parsed bundle. The derived history does not depend on order."""
    last_id = 0
    while True:
        ids = list(queryset.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:batch])
        if not ids:
            return
        for bundle_id in ids:
            bundle = parse_bundle(bundle_id, reparse=True)
            if bundle is not None:
                yield bundle
        last_id = ids[-1]
