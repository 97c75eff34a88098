"""Rows of the benchmark city written in bulk (``anju.site.city`` and ``anju.site.city_places``): COPY on
PostgreSQL, multi-row inserts on SQLite, never through the ORM row by row."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models
from django.utils import timezone

#: The city's local time, and an hour.
LOCAL = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)


class Table:
    """Rows of one model written in bulk: COPY on PostgreSQL, multi-row INSERT on SQLite. Columns not given
    take the field's default (so a column added later with a default needs no change here)."""

    def __init__(self, model: type[models.Model], *, with_id: bool = False) -> None:
        self.model = model
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.columns = [f.column for f in fields]
        self.names = [f.attname for f in fields]
        now = timezone.now()
        self.defaults: list[Any] = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults.append(now)
            elif f.primary_key or (f.null and not f.has_default()):
                self.defaults.append(None)
            else:
                self.defaults.append(f.get_default())
        self.index = {name: i for i, name in enumerate(self.names)}
        self.json = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        self.rows: list[list[Any]] = []
        self.written = 0

    def add(self, **values: Any) -> None:
        row = list(self.defaults)
        for name, value in values.items():
            row[self.index[name]] = value
        self.rows.append(row)

    def flush(self) -> None:
        if not self.rows:
            return
        for row in self.rows:
            for i in self.json:
                row[i] = json.dumps(row[i], ensure_ascii=False)
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        connection.ensure_connection()
        raw = connection.connection
        if connection.vendor == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in self.columns)
            cursor = raw.cursor()
            try:
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608  the model's own names
                    [[_sqlite(v) for v in row] for row in self.rows],
                )
            finally:
                cursor.close()
        self.written += len(self.rows)
        self.rows = []


def _sqlite(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def reset_sequence(model: type[models.Model]) -> None:
    """After rows written with their ids, the table's id sequence continues past the largest (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT coalesce(max(id), 1) FROM "  # noqa: S608
            + connection.ops.quote_name(table)
            + "))",
            [table],
        )
