"""Database helpers shared by the apps' hot paths."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models


def fast_insert(
    model: type[models.Model],
    rows: Sequence[models.Model] | Sequence[Mapping[str, Any]],
    *,
    batch_size: int = 1000,
) -> None:
    """INSERT many new rows with one executemany per batch, without bulk_create's per-field
    ORM machinery. For append-only rows with plain columns (char, integer, foreign key ids,
    datetime, JSON): no signals, no pre_save hooks (auto_now fields must be set by the
    caller), and the instances do not get their primary keys back.

    Rows are model instances, or mappings of every column's attname (`bundle_id`, not
    `bundle`) to its value, which spares building instances on the hottest paths; a mapping
    gets no field defaults."""
    if not rows:
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    adapters = [(field.attname, _adapter(field)) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if isinstance(rows[0], Mapping):
        values = [tuple(adapt(row[name]) for name, adapt in adapters) for row in rows]  # type: ignore[index]
    else:
        values = [tuple(adapt(getattr(row, name)) for name, adapt in adapters) for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(values), batch_size):
            cursor.executemany(sql, values[start : start + batch_size])


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: json.dumps(value, cls=encoder)
    if isinstance(field, models.DateTimeField):
        return _memoised(connection.ops.adapt_datetimefield_value)
    return lambda value: value


def _memoised(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Rows of one batch mostly share their times (a snapshot's collection time): adapt each
    distinct value once."""
    seen: dict[Any, Any] = {}

    def adapted(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = adapt(value)
            return result
        except TypeError:  # unhashable: not a datetime anyway
            return adapt(value)

    return adapted
