"""Monthly time partitions for the tables that grow forever, on PostgreSQL (native declarative partitioning).

A table is turned into a partitioned one by a migration that calls :func:`partition_table` (a no-op on
SQLite, which keeps its plain tables): the parent is ``PARTITION BY RANGE (<time column>)`` with one
partition per month (months in ``settings.TIME_ZONE``, so a local month is one partition) named
``<table>_pYYYYMM``, and a ``<table>_default`` partition that takes any row outside them. PostgreSQL wants
the partition key in every unique constraint, so the primary key becomes ``(id, <time column>)``; Django
still sees ``id`` as the primary key and ids still come from the table's identity sequence, so they stay
unique without the database checking it.

The conversion keeps what the table had: its columns, defaults and checks, its indexes (made partitioned
indexes), its foreign keys and its triggers (row triggers on a partitioned table are cloned to every
partition, so the audit trail's append-only triggers keep refusing UPDATE and DELETE on each month). A table
that other tables point at by foreign key is refused: PostgreSQL cannot point a foreign key at a partitioned
table whose unique key is only part of the key.

Which tables are partitioned is read from the catalogue (``pg_partitioned_table``), so nothing here names an
app. :func:`ensure` creates the months ahead (the ``jobs.partitions_ensure`` periodic task and ``anju partitions
ensure``), and past months on request, moving their rows out of the default partition; :func:`listing` answers
``anju partitions list``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# How many months ahead of the current one exist at any time (the periodic task runs daily).
AHEAD = 3

_NAME = re.compile(r"^(?P<table>.+)_p(?P<year>\d{4})(?P<month>\d{2})$")


class PartitionError(Exception):
    pass


@dataclass(frozen=True)
class Partition:
    table: str
    name: str
    bounds: str  # PostgreSQL's own words: "FOR VALUES FROM (…) TO (…)" or "DEFAULT"
    rows: int  # the planner's estimate (reltuples), -1 if never analysed


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the local month ``moment`` falls in."""
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment, _zone()).date() if timezone.is_aware(moment) else moment.date()
    return moment.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month.year:04d}{month.month:02d}"


def month_begins(month: dt.date) -> dt.datetime:
    """The first instant of the local month ``month`` (its first day), an aware datetime."""
    return dt.datetime(month.year, month.month, 1, tzinfo=_zone())


def _bound(month: dt.date) -> str:
    return month_begins(month).isoformat()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _execute(schema_editor: Any, sql: str, params: Any = None) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, params)


def _fetch(connection: Any, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def is_partitioned(connection: Any, table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    return bool(
        _fetch(
            connection,
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [table],
        )
    )


def _create_month(connection: Any, table: str, month: dt.date) -> bool:
    """Create one month's partition unless it exists (False then).

    When the default partition already holds rows of that month (a worker stopped for months, rows written with
    an old time), PostgreSQL would refuse the new partition: the default is detached, the month made, its rows
    moved over (copied, then removed from the detached default, which carries no triggers while detached) and
    the default attached again, all in one transaction. No row is lost or changed; each ends in its month."""
    name = partition_name(table, month)
    if _fetch(connection, "SELECT 1 FROM pg_class WHERE relname = %s AND pg_table_is_visible(oid)", [name]):
        return False
    default = f"{table}_default"
    column = _key_column(connection, table)
    low, high = _bound(month), _bound(add_months(month, 1))
    create = f"CREATE TABLE IF NOT EXISTS {_q(name)} PARTITION OF {_q(table)} FOR VALUES FROM ('{low}') TO ('{high}')"
    within = f"{_q(column)} >= %s AND {_q(column)} < %s"
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        clash = False
        if _fetch(connection, "SELECT 1 FROM pg_class WHERE relname = %s AND pg_table_is_visible(oid)", [default]):
            clash = bool(_fetch(connection, f"SELECT 1 FROM {_q(default)} WHERE {within} LIMIT 1", [low, high]))  # noqa: S608
        if not clash:
            cursor.execute(create)
            return True
        logger.info("%s: moving the rows of %s out of the default partition into %s", table, month, name)
        cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(default)}")
        cursor.execute(create)
        cursor.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(default)} WHERE {within}", [low, high])  # noqa: S608
        cursor.execute(f"DELETE FROM {_q(default)} WHERE {within}", [low, high])  # noqa: S608
        cursor.execute(f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(default)} DEFAULT")
    return True


def _key_column(connection: Any, table: str) -> str:
    rows = _fetch(
        connection,
        "SELECT a.attname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0] "
        "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
        [table],
    )
    if not rows:
        raise PartitionError(f"{table} is not a partitioned table")
    return str(rows[0][0])


def partition_table(schema_editor: Any, table: str, column: str, *, ahead: int = AHEAD) -> None:
    """Turn ``table`` into a table partitioned by month on ``column`` (PostgreSQL; elsewhere nothing).

    Every row is moved; indexes, foreign keys, triggers, defaults and checks are kept; the identity sequence
    continues after the largest id. Months from the oldest row's to ``ahead`` months past the current one
    get their partition, and a default partition takes the rest."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or is_partitioned(connection, table):
        return
    old = f"{table}_unpartitioned"
    incoming = _fetch(
        connection,
        "SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass",
        [table],
    )
    if incoming:
        raise PartitionError(f"{table} is referenced by foreign keys {incoming}; it cannot be partitioned")
    pkey = _fetch(
        connection,
        "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = %s::regclass",
        [table],
    )
    indexes = _fetch(
        connection,
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('u', 'x'))",
        [table],
    )
    uniques = _fetch(
        connection,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('u', 'x') "
        "AND conrelid = %s::regclass",
        [table],
    )
    for name, definition, unique in indexes:
        if unique:
            uniques.append((name, definition))
    if uniques:
        raise PartitionError(f"{table} has unique constraints {uniques} that do not hold per partition")
    foreign = _fetch(
        connection,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass",
        [table],
    )
    triggers = _fetch(
        connection,
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
        [table],
    )
    oldest = _fetch(connection, f"SELECT min({_q(column)}) FROM {_q(table)}")[0][0]  # noqa: S608

    _execute(schema_editor, f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    _execute(
        schema_editor,
        f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS "
        f"INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ({_q(column)})",
    )
    pkey_name = pkey[0][0] if pkey else f"{table}_pkey"
    _execute(schema_editor, f"ALTER TABLE {_q(old)} DROP CONSTRAINT IF EXISTS {_q(pkey_name)}")
    _execute(schema_editor, f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(pkey_name)} PRIMARY KEY (id, {_q(column)})")
    now = month_start(timezone.now())
    first = month_start(oldest) if oldest is not None else now
    month = min(first, now)
    while month <= add_months(now, ahead):
        _create_month(connection, table, month)
        month = add_months(month, 1)
    _execute(schema_editor, f"CREATE TABLE {_q(table + '_default')} PARTITION OF {_q(table)} DEFAULT")
    _execute(schema_editor, f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")  # noqa: S608
    # The old table goes with its triggers and indexes (their names are freed for the new ones) and with its
    # identity sequence; the new table's sequence takes the old one's name and continues after the largest id.
    _execute(schema_editor, f"DROP TABLE {_q(old)}")
    for _name, definition, _unique in indexes:
        _execute(schema_editor, definition)
    for name, definition in foreign:
        _execute(schema_editor, f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    for (definition,) in triggers:
        _execute(schema_editor, definition)
    _reset_sequence(schema_editor, table)


def _reset_sequence(schema_editor: Any, table: str) -> None:
    connection = schema_editor.connection
    sequence = _fetch(connection, "SELECT pg_get_serial_sequence(%s, 'id')", [_q(table)])[0][0]
    if sequence is None:
        return
    wanted = f"{table}_id_seq"
    if sequence.split(".")[-1].strip('"') != wanted:
        _execute(schema_editor, f"ALTER SEQUENCE {sequence} RENAME TO {_q(wanted)}")
        sequence = _q(wanted)
    _execute(
        schema_editor,
        f"SELECT setval(%s, COALESCE((SELECT max(id) FROM {_q(table)}), 0) + 1, false)",  # noqa: S608
        [sequence],
    )


def unpartition_table(schema_editor: Any, table: str) -> None:
    """The reverse of :func:`partition_table`: one plain table again, primary key on ``id`` alone."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or not is_partitioned(connection, table):
        return
    old = f"{table}_partitioned"
    pkey = _fetch(
        connection, "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = %s::regclass", [table]
    )
    indexes = _fetch(
        connection,
        "SELECT pg_get_indexdef(x.indexrelid) FROM pg_index x WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
        [table],
    )
    foreign = _fetch(
        connection,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass "
        "AND conparentid = 0",
        [table],
    )
    triggers = _fetch(
        connection,
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
        [table],
    )
    _execute(schema_editor, f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
    _execute(
        schema_editor,
        f"CREATE TABLE {_q(table)} (LIKE {_q(old)} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS "
        "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS)",
    )
    _execute(schema_editor, f"INSERT INTO {_q(table)} SELECT * FROM {_q(old)}")  # noqa: S608
    _execute(schema_editor, f"DROP TABLE {_q(old)}")  # the partitions go with it
    pkey_name = pkey[0][0] if pkey else f"{table}_pkey"
    _execute(schema_editor, f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(pkey_name)} PRIMARY KEY (id)")
    for (definition,) in indexes:
        _execute(schema_editor, definition.replace(" ON ONLY ", " ON "))
    for name, definition in foreign:
        _execute(schema_editor, f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    for (definition,) in triggers:
        _execute(schema_editor, definition)
    _reset_sequence(schema_editor, table)


def partitioned_tables(using: str = "default") -> list[str]:
    """The month-partitioned tables of the current schema (none on SQLite)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    rows = _fetch(
        connection,
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE p.partstrat = 'r' AND n.nspname = current_schema() ORDER BY c.relname",
    )
    return [str(r[0]) for r in rows]


def ensure(
    ahead: int = AHEAD, *, since: dt.date | None = None, now: dt.datetime | None = None, using: str = "default"
) -> list[str]:
    """Create the partitions of the current month and ``ahead`` months after it (from ``since``'s month, when
    given and earlier: for rows loaded with past times) for every partitioned table, skipping those that exist
    and moving rows of a new month out of the default partition; answer the names created. Safe to run twice."""
    connection = connections[using]
    this_month = month_start(now or timezone.now())
    first = min(month_start(since), this_month) if since else this_month
    created = []
    for table in partitioned_tables(using):
        month = first
        while month <= add_months(this_month, ahead):
            if _create_month(connection, table, month):
                created.append(partition_name(table, month))
            month = add_months(month, 1)
    return created


def listing(using: str = "default") -> list[Partition]:
    """Every partition of every partitioned table, oldest month first, the default last."""
    connection = connections[using]
    result = []
    for table in partitioned_tables(using):
        rows = _fetch(
            connection,
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [table],
        )
        months = sorted((r for r in rows if _NAME.match(r[0])), key=lambda r: r[0])
        others = [r for r in rows if not _NAME.match(r[0])]
        result += [Partition(table, str(n), str(b), int(t)) for n, b, t in months + others]
    return result
