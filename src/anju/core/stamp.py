"""What a process derives from the reference tables, kept across requests and dropped the moment they change.

Every page asks for the user's role grants, most lists for the communities within the user's reach and the
departments, grids and categories of their filters: four or five queries on tables that change a few times a
day. This module lets a process keep such answers while those tables do not change, and no request of any
process that begins after a change commits (a revoked grant, a deactivated unit) is answered from before it:

- **The stamp.** One row (``core_stamp``) holds a random token. Database triggers on each reference table
  (:func:`triggers`, added by the migration of the app that owns the table) replace the token in the same
  statement that writes a row there: an ORM save, a bulk ``update()`` or ``delete()``, raw SQL, a ``TRUNCATE``
  on PostgreSQL. The new token commits or rolls back with the change itself.
- **The memo.** :func:`remember` reads the token once per request (hung on the user object, like the grants
  before it; ``policy.forget_grants`` drops it with them), and keeps each answer in this process under that
  token. Because the token is read before the answer is worked out, an answer is never older than its token; a
  change that commits replaces the token, so the next request of every process, reading the new token, works the
  answer out again. A token written by a transaction that rolled back is never seen again (tokens are random, not
  counted up), so nothing worked out inside it can be served later.
- **The primary.** Answers are worked out on the primary database, never on a lagging read replica whose
  rows could be older than the token.

A reference table is any table one of these answers reads: a new answer that reads another table must add
the table's triggers first. The token costs one query a request (the answers it replaces cost four or more).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from django.db import DatabaseError, connections, migrations
from django.db.migrations.recorder import MigrationRecorder

from anju.core import replica

T = TypeVar("T")

#: Answers a process keeps under one token; past this the memo starts again (each answer is small).
MEMO_ENTRIES = 20_000


class _Memo:
    __slots__ = ("answers", "token")

    def __init__(self, token: str) -> None:
        self.token = token
        self.answers: dict[Hashable, Any] = {}


_memo = _Memo("")
_lock = threading.Lock()


def current(using: str = replica.DEFAULT) -> str:
    """The token now; empty when the row is missing (a test's flush removed it, until :func:`ensure` puts it
    back): nothing is then kept. Reading never writes, so a page never takes a write lock for it."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT token FROM core_stamp WHERE id = 1")
        row = cursor.fetchone()
    return "" if row is None else str(row[0])


def renew(using: str = replica.DEFAULT) -> None:
    """A new token, for a change the triggers cannot see (a restored database)."""
    with connections[using].cursor() as cursor:
        cursor.execute("UPDATE core_stamp SET token = %s WHERE id = 1", [secrets.token_hex(16)])


def remember(holder: Any, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept in this process under the token ``holder`` (the request's user) carries.

    The answer is shared by every request until the token changes: it must be immutable (tuples, frozen
    objects, strings, read-only mappings), and ``compute`` may read only reference tables (the module's
    docstring)."""
    token = getattr(holder, "_anju_stamp", None)
    if token is None:
        token = current()
        with contextlib.suppress(AttributeError):  # an object without attributes of its own: read it again next time
            holder._anju_stamp = token
    if not token:
        with replica.primary():
            return compute()
    global _memo
    memo = _memo
    if memo.token != token:
        # A newer token (or, for a request that began just before a change, an older one: its answers are kept
        # under that token alone, and the next request's token starts the memo again).
        with _lock:
            if _memo.token != token:
                _memo = _Memo(token)
            memo = _memo
    try:
        return memo.answers[key]
    except KeyError:
        pass
    with replica.primary():
        answer = compute()
    if connections[replica.DEFAULT].in_atomic_block and current() != token:
        # Worked out inside a transaction that has changed a reference table since the holder read its token:
        # the answer may hold what is not committed (and may never be), so it is not kept under the old token.
        return answer
    if len(memo.answers) >= MEMO_ENTRIES:
        memo.answers.clear()
    memo.answers[key] = answer
    return answer


#: The tables whose writes renew the token, named by the apps that own them (:func:`watch`), with the migration
#: that gave them their triggers.
_watched: dict[str, tuple[str, str]] = {}


def watch(migration: tuple[str, str], *tables: str) -> None:
    """Say that ``tables`` carry the triggers from ``migration`` (app label, name; it calls :func:`triggers`):
    once it is applied, :func:`ensure` puts them back after every migrate, should a later migration have rebuilt
    the table."""
    for table in tables:
        _watched[table] = migration


def watched() -> tuple[str, ...]:
    return tuple(_watched)


def ensure(using: str = replica.DEFAULT) -> None:
    """After every migrate (and a test's flush, which Django follows with the same signal): the token's row and
    the triggers of every watched table that exists. On SQLite a migration that alters a column rebuilds the
    table (a new one, the rows copied, the old one dropped) and its triggers go with the old one; without them
    the token would never change again. Nothing is done before the stamp's own table exists."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if "core_stamp" not in tables:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM core_stamp WHERE id = 1")
        if cursor.fetchone() is None:
            cursor.execute("INSERT INTO core_stamp (id, token) VALUES (1, %s)", [secrets.token_hex(16)])
    applied = MigrationRecorder(connection).applied_migrations()
    present = [t for t, migration in _watched.items() if t in tables and migration in applied]
    missing = [t for t in present if not _has_triggers(connection, t)]
    if missing:  # plain statements: a schema editor cannot run inside a transaction on SQLite (a test's flush)
        with connection.cursor() as cursor:
            for statement in _trigger_statements(connection.vendor, missing):
                cursor.execute(statement)


def _has_triggers(connection: Any, table: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
                [table, f"{table}_stamp"],
            )
            return bool(cursor.fetchone()[0] == 1)
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name LIKE %s",
            [table, f"{table}_stamp_%"],
        )
        return bool(cursor.fetchone()[0] == 3)


# --- the triggers ---------------------------------------------------------------------------------------------


def _trigger_statements(vendor: str, tables: Sequence[str]) -> list[str]:
    if vendor not in ("postgresql", "sqlite"):  # pragma: no cover - the two supported databases
        raise DatabaseError(f"reference-data triggers are not written for {vendor}")
    statements = []
    if vendor == "postgresql":
        statements.append(
            """
            CREATE OR REPLACE FUNCTION anju_stamp_renew() RETURNS trigger AS $$
            BEGIN
                UPDATE core_stamp SET token = md5(random()::text || clock_timestamp()::text) WHERE id = 1;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;
            """
        )
    for table in tables:
        if vendor == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table};")
            statements.append(
                f"CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION anju_stamp_renew();"
            )
        else:
            statements += [
                f"CREATE TRIGGER IF NOT EXISTS {table}_stamp_{op.lower()} AFTER {op} ON {table} "  # noqa: S608
                "BEGIN UPDATE core_stamp SET token = lower(hex(randomblob(16))) WHERE id = 1; END;"
                for op in ("INSERT", "UPDATE", "DELETE")
            ]
    return statements


def create_triggers(schema_editor: Any, tables: Sequence[str]) -> None:
    for statement in _trigger_statements(schema_editor.connection.vendor, tables):
        schema_editor.execute(statement, params=None)  # no placeholder parsing


def drop_triggers(schema_editor: Any, tables: Sequence[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table};")
        elif vendor == "sqlite":
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{op};")


def triggers(tables: Sequence[str]) -> migrations.RunPython:
    """A migration operation that makes writes to ``tables`` renew the stamp (and undoes it when migrated back)."""
    names = list(tables)

    def forwards(apps: Any, schema_editor: Any) -> None:
        create_triggers(schema_editor, names)

    def backwards(apps: Any, schema_editor: Any) -> None:
        drop_triggers(schema_editor, names)

    return migrations.RunPython(forwards, backwards)
