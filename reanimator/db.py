"""Database helpers shared by the apps' hot paths."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def fast_insert(model: type[models.Model], instances: Sequence[models.Model], *, batch_size: int = 1000) -> None:
    """INSERT many new rows with one executemany per batch, without bulk_create's per-field
    ORM machinery. For append-only rows with plain columns (char, integer, foreign key ids,
    datetime, JSON): no signals, no pre_save hooks (auto_now fields must be set by the
    caller), and the instances do not get their primary keys back."""
    if not instances:
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    adapters = [_adapter(field) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    rows = [
        tuple(adapt(getattr(instance, field.attname)) for field, adapt in zip(fields, adapters, strict=True))
        for instance in instances
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start : start + batch_size])


def _adapter(field: models.Field) -> Any:
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, cls=field.encoder)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    return lambda value: value
