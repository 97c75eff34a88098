"""How Anju talks to PostgreSQL: parameters bound by the server, and the statements a connection runs again and
again prepared (parsed and planned once for the connection, not once a request).

Django quotes every parameter into the statement's text on the client by default, so each statement is new to
the server, which parses and plans it every time. A list page's query of its rows (four joins, some fifty
keys) took PostgreSQL 1.4-2.2 ms to plan and 0.2-0.7 ms to run; every request of a page sends the same
statements with other values. Bound by the server, a statement is the same text each time, and psycopg prepares
it on a connection once it has run there twice (``prepare_threshold``; psycopg keeps the 100 most recent).

PostgreSQL's protocol carries at most 65,535 parameters a statement. Django never splits a long ``IN`` list or a
large ``bulk_create`` for PostgreSQL (its client-side binding has no such limit), so :class:`Cursor` binds such
a statement on the client, as Django would have.

A connection pooler in transaction mode (PgBouncer before 1.21) cannot keep a session's prepared statements:
``ANJU_PG_PREPARED=0`` turns all of this off (settings.py).
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

#: The most parameters PostgreSQL's protocol carries in one statement.
MAX_PARAMETERS = 65_535

#: Runs of one statement on a connection after which psycopg prepares it.
PREPARE_THRESHOLD = 2


class Cursor(ServerBindingCursor):
    """Django's server-binding cursor; a statement with more parameters than the protocol carries is bound on
    the client (its values written into its text) instead of failing."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        if params is not None and len(params) > MAX_PARAMETERS:
            query, params = psycopg.ClientCursor(self.connection).mogrify(query, params), None
        return super().execute(query, params, prepare=prepare, binary=binary)


def options() -> dict[str, Any]:
    """The connection options (a database's ``OPTIONS``) that bind on the server and prepare."""
    return {"server_side_binding": True, "prepare_threshold": PREPARE_THRESHOLD, "cursor_factory": Cursor}
