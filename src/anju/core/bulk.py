"""Many rows in one statement, without building a model instance per row.

:func:`insert` writes rows given as plain tuples (ids for keys, aware datetimes, strings, numbers, dicts for JSON
columns). On PostgreSQL it is one ``INSERT … SELECT … FROM unnest(%s::type[], …)`` per call: one array
parameter per column, whatever the number of rows, optionally ``ON CONFLICT (…) DO NOTHING`` and ``RETURNING``.
On SQLite (and any other database) the rows are prepared by the model's fields and written with
``executemany``, or, when rows must come back, in multi-row ``VALUES … RETURNING`` statements under the
parameter limit (ids alone, with no conflict possible: one ``executemany`` and ``last_insert_rowid()``).
Services use it for a batch (the escalation sweep's rows, messages and audit rows); it runs
in the caller's transaction and skips ``save()``, signals and ``auto_now``: pass every value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Field


def concrete(model: type[models.Model], name: str) -> Field[Any, Any]:
    """The model's column ``name`` (a field name, ``"community"`` for the ``community_id`` column)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise ValueError(f"{model._meta.label}.{name} is not a column")
    return field


def _array_type(field: Field[Any, Any]) -> str:
    if isinstance(field, models.JSONField):
        return "text"  # sent as JSON text, cast to jsonb in the select list
    db_type = field.db_type(connection)
    if db_type is None:
        raise ValueError(f"{field} has no column type")
    return "bigint" if db_type == "bigserial" else "integer" if db_type == "serial" else db_type


def insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (one value per name in ``columns``) into ``model``'s table.

    ``conflict``: the columns of a unique constraint; a row it already holds is skipped (``ON CONFLICT … DO
    NOTHING``). ``returning``: columns to read back from the rows inserted, as tuples in the rows' order
    (a skipped row returns nothing), as the database answers them (no field conversion: ask for ids and
    text). Without ``returning`` nothing is read back and ``[]`` is returned."""
    if not rows:
        return []
    fields = [concrete(model, name) for name in columns]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(f.column) for f in fields)
    on_conflict = ""
    if conflict:
        on_conflict = " ON CONFLICT ({}) DO NOTHING".format(", ".join(qn(concrete(model, c).column) for c in conflict))
    back = ""
    if returning:
        back = " RETURNING " + ", ".join(qn(concrete(model, c).column) for c in returning)
    if connection.vendor == "postgresql":
        return _insert_unnest(table, cols, fields, rows, on_conflict, back)
    pk_only = tuple(returning) in (("id",), ("pk",), (model._meta.pk.name,)) and model._meta.pk.column == "id"
    if connection.vendor == "sqlite" and pk_only and not conflict:
        return _insert_sqlite_ids(table, cols, fields, rows)
    return _insert_values(table, cols, fields, rows, on_conflict, back)


def _insert_unnest(
    table: str, cols: str, fields: list[Field[Any, Any]], rows: Sequence[Sequence[Any]], on_conflict: str, back: str
) -> list[tuple[Any, ...]]:
    arrays: list[list[Any]] = [[] for _ in fields]
    json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    for row in rows:
        for i, value in enumerate(row):
            arrays[i].append(value)
    for i in json_columns:
        encoder = getattr(fields[i], "encoder", None)
        arrays[i] = [None if v is None else json.dumps(v, cls=encoder, ensure_ascii=False) for v in arrays[i]]
    names = [f"c{i}" for i in range(len(fields))]
    select = ", ".join(f"u.{n}::jsonb" if i in json_columns else f"u.{n}" for i, n in enumerate(names))
    unnest = ", ".join(f"%b::{_array_type(f)}[]" for f in fields)
    sql = (
        f"INSERT INTO {table} ({cols}) SELECT {select} FROM unnest({unnest}) AS u({', '.join(names)})"  # noqa: S608  names from the model, values as parameters
        f"{on_conflict}{back}"
    )
    with binding_cursor() as cursor:
        cursor.execute(sql, arrays)
        return [tuple(r) for r in cursor.fetchall()] if back else []


def binding_cursor() -> Any:
    """PostgreSQL: a cursor of the current connection (and transaction) whose parameters are bound by the server
    and may be sent in binary (``%b``), wrapped like Django's own (logged when queries are). Django's cursors
    quote every parameter into the SQL text on the client, which for arrays of thousands of strings costs
    more than the statement itself; a binary array is built without escaping anything."""
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = ServerBindingCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


def update(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]], *, key: str = "id"
) -> None:
    """Set ``columns`` of many rows, each row given as ``(key value, *column values)``, in one statement: on
    PostgreSQL ``UPDATE … FROM unnest(…)`` (arrays bound in binary), elsewhere one ``executemany``."""
    if not rows:
        return
    fields = [concrete(model, key), *(concrete(model, name) for name in columns)]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    if connection.vendor == "postgresql":
        arrays: list[list[Any]] = [[] for _ in fields]
        for row in rows:
            for i, value in enumerate(row):
                arrays[i].append(value)
        names = [f"c{i}" for i in range(len(fields))]
        sets = ", ".join(f"{qn(f.column)} = u.{n}" for f, n in zip(fields[1:], names[1:], strict=True))
        unnest = ", ".join(f"%b::{_array_type(f)}[]" for f in fields)
        with binding_cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM unnest({unnest}) AS u({', '.join(names)}) "  # noqa: S608  names from the model
                f"WHERE t.{qn(fields[0].column)} = u.c0",
                arrays,
            )
        return
    sets = ", ".join(f"{qn(f.column)} = %s" for f in fields[1:])
    prepared = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields[1:], row[1:], strict=True)]
        + [fields[0].get_db_prep_save(row[0], connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {qn(fields[0].column)} = %s", prepared)  # noqa: S608  names from the model


def _insert_values(
    table: str, cols: str, fields: list[Field[Any, Any]], rows: Sequence[Sequence[Any]], on_conflict: str, back: str
) -> list[tuple[Any, ...]]:
    prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        if not back:
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES {one}{on_conflict}", prepared)  # noqa: S608  names from the model
            return []
        made: list[tuple[Any, ...]] = []
        per = max(1, (connection.features.max_query_params or 999) // len(fields))
        for start in range(0, len(prepared), per):
            chunk = prepared[start : start + per]
            values = ", ".join([one] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({cols}) VALUES {values}{on_conflict}{back}",  # noqa: S608  names from the model
                [v for row in chunk for v in row],
            )
            made += [tuple(r) for r in cursor.fetchall()]
        return made


def _insert_sqlite_ids(
    table: str, cols: str, fields: list[Field[Any, Any]], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """SQLite, ids wanted, no conflict possible: one ``executemany`` and ``last_insert_rowid()``. The rows' ids
    are consecutive: SQLite has one writer at a time, and this transaction holds the write lock from its first
    insert to its commit, so every new row takes the largest id so far plus one."""
    prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)] for row in rows]
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES {one}", prepared)  # noqa: S608  names from the model
        cursor.execute("SELECT last_insert_rowid()")
        last = int(cursor.fetchone()[0])
    return [(pk,) for pk in range(last - len(rows) + 1, last + 1)]
