"""Append-only tables: database triggers that refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on a ledger,
whatever bypasses the ORM. A correction is a new, reversing row.

The audit tables (audit 0002) and duty's ledgers (duty 0002) carry their own copies of these triggers, written
before this helper; a new ledger calls :func:`create` and :func:`drop` from its migration's module-level
``create_triggers``/``drop_triggers`` (which the test suite's flush lifts around a transactional test, as it does
the audit and duty ones), or uses :func:`operation` when nothing else needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations


def create(schema_editor: Any, tables: Sequence[str], *, function: str) -> None:
    """Create the triggers of ``tables`` (PostgreSQL: one plpgsql ``function`` shared by them)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'ledger rows are append-only (% on %)', TG_OP, TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql;
            """,
            params=None,  # no placeholder parsing: the body uses RAISE's own %
        )
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}();"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
            )
        elif vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;"
                )


def drop(schema_editor: Any, tables: Sequence[str], *, function: str) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
        elif vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")


def operation(tables: Sequence[str], *, function: str) -> migrations.RunPython:
    """A migration operation that makes ``tables`` append-only (and undoes it when migrated back)."""
    names = list(tables)

    def forwards(apps: Any, schema_editor: Any) -> None:
        create(schema_editor, names, function=function)

    def backwards(apps: Any, schema_editor: Any) -> None:
        drop(schema_editor, names, function=function)

    return migrations.RunPython(forwards, backwards)
