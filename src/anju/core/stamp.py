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
    """The token now (made if the row is missing: a new database, or one a test flushed)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT token FROM core_stamp WHERE id = 1")
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                "INSERT INTO core_stamp (id, token) VALUES (1, %s) ON CONFLICT (id) DO NOTHING", [secrets.token_hex(16)]
            )
            cursor.execute("SELECT token FROM core_stamp WHERE id = 1")
            row = cursor.fetchone()
    return str(row[0])


def renew(using: str = replica.DEFAULT) -> None:
    """A new token, for a change the triggers cannot see (a restored database)."""
    with connections[using].cursor() as cursor:
        cursor.execute("UPDATE core_stamp SET token = %s WHERE id = 1", [secrets.token_hex(16)])


def remember(holder: Any, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept in this process under the token ``holder`` (the request's user) carries.

    The answer is shared by every request until the token changes: it must be immutable (tuples, frozen
    objects, strings), and ``compute`` may read only reference tables (the module's docstring)."""
    token = getattr(holder, "_anju_stamp", None)
    if token is None:
        token = current()
        with contextlib.suppress(AttributeError):  # an object without attributes of its own: read it again next time
            holder._anju_stamp = token
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
    if len(memo.answers) >= MEMO_ENTRIES:
        memo.answers.clear()
    memo.answers[key] = answer
    return answer


# --- the triggers ---------------------------------------------------------------------------------------------


def create_triggers(schema_editor: Any, tables: Sequence[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION anju_stamp_renew() RETURNS trigger AS $$
            BEGIN
                UPDATE core_stamp SET token = md5(random()::text || clock_timestamp()::text) WHERE id = 1;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;
            """,
            params=None,  # no placeholder parsing
        )
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION anju_stamp_renew();"
            )
        elif vendor == "sqlite":
            for op in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_stamp_{op.lower()} AFTER {op} ON {table} "  # noqa: S608
                    "BEGIN UPDATE core_stamp SET token = lower(hex(randomblob(16))) WHERE id = 1; END;"
                )
        else:  # pragma: no cover - the two supported databases
            raise DatabaseError(f"reference-data triggers are not written for {vendor}")


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
