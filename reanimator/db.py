"""Database helpers shared by the apps' hot paths."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.constants import OnConflict
from django.db.models.fields import NOT_PROVIDED


def fast_insert(
    model: type[models.Model],
    rows: Sequence[models.Model] | Sequence[Mapping[str, Any]],
    *,
    batch_size: int = 1000,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT many new rows with one executemany per batch, without bulk_create's per-field
    ORM machinery. For append-only rows with plain columns (char, integer, foreign key ids,
    datetime, JSON): no signals, no pre_save hooks (auto_now fields must be set by the
    caller), and the instances do not get their primary keys back.

    Rows are model instances, or mappings of every column's attname (`bundle_id`, not
    `bundle`) to its value, which spares building instances on the hottest paths; a mapping
    gets no field defaults. `ignore_conflicts` skips rows that collide with a unique key, as
    bulk_create(ignore_conflicts=True) does (INSERT IGNORE on MariaDB)."""
    if not rows:
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]
    adapters = [(field.attname, _adapter(field)) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    insert = connection.ops.insert_statement(on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    sql = f"{insert} {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"
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


# --- hand-written reads and writes for the per-bundle hot path -----------------------------
# Building and compiling a QuerySet costs more Python time than MariaDB spends answering the
# small indexed queries that ingest issues per bundle; these helpers run the SQL directly,
# portably between MariaDB and SQLite (the embedded default).


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def placeholders(values: Sequence[Any]) -> str:
    """`%s, %s, ...` for an IN list (callers never pass an empty one)."""
    return ", ".join(["%s"] * len(values))


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_instance(instance: models.Model) -> None:
    """INSERT one new instance of a model with an auto-increment key and give it its key, as
    save() would, without building and compiling an InsertQuery (most of save()'s Python time
    for one small row). Each field's pre_save runs (auto_now_add, a FileField's pending
    upload) and prepares its value as the ORM does; no signals are sent (the project has
    none) and a unique key collision raises IntegrityError as save() does."""
    meta = instance._meta
    fields = [
        field for field in meta.concrete_fields if not field.primary_key and not getattr(field, "generated", False)
    ]
    if meta.auto_field is None or any(field.db_default is not NOT_PROVIDED for field in fields):
        raise TypeError(f"{meta.label}: insert_instance needs an auto-increment key and no database defaults")
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table(type(instance))} ({columns}) VALUES ({placeholders(values)})", values)  # noqa: S608
        instance.pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    instance._state.adding = False
    instance._state.db = connection.alias


def for_update() -> str:
    """The locking clause of a SELECT, where the backend has one."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def to_db_datetime(value: Any) -> Any:
    """A datetime as a query parameter, as the ORM would send it."""
    return connection.ops.adapt_datetimefield_value(value)


def from_db_datetime(value: Any) -> Any:
    """A datetime column's value as the ORM would return it (aware, in UTC)."""
    if value is None:
        return None
    convert = connection.ops.convert_datetimefield_value  # type: ignore[attr-defined]  # MariaDB and SQLite have it
    return convert(value, None, connection)


def from_db_json(value: Any) -> Any:
    """A JSON column's value as the ORM would return it (MariaDB hands back the text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value
