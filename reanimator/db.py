"""Database helpers shared by the apps' hot paths."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
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
    if connection.vendor == "mysql":
        _insert_literal(f"{insert} {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ", values)
        return
    with connection.cursor() as cursor:
        for start in range(0, len(values), batch_size):
            cursor.executemany(sql, values[start : start + batch_size])


# An INSERT is split before it grows past this: far below MariaDB's max_allowed_packet
# (16 MiB by default), and large enough that a batch of bundles is a few statements.
MAX_STATEMENT_BYTES = 1 << 20


def _insert_literal(prefix: str, rows: list[tuple[Any, ...]]) -> None:
    """The rows as literal multi-row INSERTs, escaped by the driver's connection-aware
    string_literal. mysqlclient's executemany does the same through a generic per-value
    dispatch, which was a tenth of a bundle's parse; this handles the types fast_insert's
    adapters produce (str, int, None) directly and leaves any other to the driver."""
    connection.ensure_connection()
    driver = connection.connection
    encoding = driver.encoding
    string_literal = driver.string_literal
    literal = driver.literal

    def sql_value(value: Any) -> bytes:
        kind = type(value)
        if kind is str:
            return string_literal(value.encode(encoding))
        if value is None:
            return b"NULL"
        if kind is int:
            return str(value).encode()
        if isinstance(value, str):  # the choices enums (TextChoices members) are str
            return string_literal(str.encode(value, encoding))
        return literal(value)

    statements: list[bytes] = []
    chunk: list[bytes] = []
    size = 0
    for row in rows:
        value = b"(" + b",".join([sql_value(item) for item in row]) + b")"
        if chunk and size + len(value) > MAX_STATEMENT_BYTES:
            statements.append(b",".join(chunk))
            chunk, size = [], 0
        chunk.append(value)
        size += len(value) + 1
    statements.append(b",".join(chunk))
    with connection.cursor() as cursor:
        for values in statements:
            cursor.execute(prefix + values.decode(encoding))


def update_rows(model: type[models.Model], changes: Mapping[Any, Mapping[str, Any]]) -> None:
    """UPDATE several rows by primary key, each to its own values, in one statement (a CASE
    on the key per column). Every row sets the same columns, named by attname; values are
    adapted as fast_insert adapts them. No signals, no auto_now. Rows are found by key even
    where MariaDB would rather scan a small table, locking every row it reads."""
    if not changes:
        return
    meta = model._meta
    by_attname = {field.attname: field for field in meta.concrete_fields}
    pks = list(changes)
    names = list(next(iter(changes.values())))
    pk_column = connection.ops.quote_name(meta.pk.column)
    assignments: list[str] = []
    params: list[Any] = []
    for name in names:
        field = by_attname[name]
        adapt = _adapter(field)
        column = connection.ops.quote_name(field.column)
        if len(pks) == 1:
            assignments.append(f"{column} = %s")
            params.append(adapt(changes[pks[0]][name]))
            continue
        assignments.append(f"{column} = CASE {pk_column}{' WHEN %s THEN %s' * len(pks)} END")
        for pk in pks:
            params.extend([pk, adapt(changes[pk][name])])
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)}{force_index('PRIMARY')} SET {', '.join(assignments)} "  # noqa: S608
        f"WHERE {pk_column} IN ({placeholders(pks)})"
    )
    execute(sql, [*params, *pks])


class EncodedJSON(str):
    """A JSON column's value already encoded (the caller needed the text anyway): fast_insert
    and update_rows store it as it is."""


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        encode = (field.encoder or json.JSONEncoder)().encode  # one encoder, not one per value
        return lambda value: str(value) if type(value) is EncodedJSON else encode(value)
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
    # A field with only a database default holds an expression until saved: save() leaves
    # it out of the INSERT, which this does not do.
    if meta.auto_field is None or any(
        field.db_default is not NOT_PROVIDED and not field.has_default() for field in fields
    ):
        raise TypeError(
            f"{meta.label}: insert_instance needs an auto-increment key and Python defaults beside database ones"
        )
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table(type(instance))} ({columns}) VALUES ({placeholders(values)})", values)  # noqa: S608
        instance.pk = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    instance._state.adding = False
    instance._state.db = connection.alias


def force_index(name: str) -> str:
    """An index hint for MariaDB, where the backend takes one. For lookups of a batch's ids
    (IN lists of a thousand values and more) MariaDB's cost model takes a full scan to be
    cheaper than as many index lookups until a table holds millions of rows; the scan then
    grows with the fleet while the lookups do not."""
    return f" FORCE INDEX ({connection.ops.quote_name(name)})" if connection.vendor == "mysql" else ""


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
    if type(value) is datetime and value.tzinfo is None and settings.USE_TZ and connection.timezone_name == "UTC":
        return value.replace(tzinfo=UTC)  # what make_aware does here, for the many rows of the hot path
    convert = connection.ops.convert_datetimefield_value  # type: ignore[attr-defined]  # MariaDB and SQLite have it
    return convert(value, None, connection)


def from_db_json(value: Any) -> Any:
    """A JSON column's value as the ORM would return it (MariaDB hands back the text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value
