"""Snapshots and facts of the two database engines: SQLite's online backup, PostgreSQL's pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import gettext as _
from psycopg import sql

from anju.site.backup.base import LIBPQ_ENV, LOCK_WAIT_SECONDS, SQLITE_ENGINE, SQLITE_FILENAME, BackupError, quote_name

# --------------------------------------------------------------------------- SQLite


def _sqlite_tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _sqlite_row_counts(con: sqlite3.Connection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {quote_name(t)}").fetchone()[0] for t in _sqlite_tables(con)}  # noqa: S608


def _sqlite_migrations(con: sqlite3.Connection) -> list[list[str]]:
    if "django_migrations" not in _sqlite_tables(con):
        return []
    return [[a, n] for a, n in con.execute("SELECT app, name FROM django_migrations ORDER BY id")]


def sqlite_snapshot(conn: BaseDatabaseWrapper, dest: Path) -> tuple[list[list[str]], dict[str, int], str]:
    """Copy the live database with the online backup API, in one step, so the
    copy is one consistent state even while the server goes on writing."""
    conn.ensure_connection()
    target = sqlite3.connect(dest)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS

    def give_up_when_locked_too_long(status: int, remaining: int, total: int) -> None:
        if status in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED} and time.monotonic() > deadline:
            raise BackupError(
                _("The database stayed locked for %(seconds)s seconds; no backup was made. Try again.")
                % {"seconds": LOCK_WAIT_SECONDS}
            )

    try:
        conn.connection.backup(target, progress=give_up_when_locked_too_long)
        # A self-contained file: no WAL beside it in the archive.
        target.execute("PRAGMA journal_mode=DELETE")
        if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(_("The SQLite copy failed its integrity check; the database itself may be damaged."))
        return _sqlite_migrations(target), _sqlite_row_counts(target), sqlite3.sqlite_version
    finally:
        target.close()


def check_sqlite_copy(path: Path, manifest: dict[str, Any]) -> None:
    con = sqlite3.connect(path)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = _sqlite_row_counts(con) if ok else {}
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("The database in the archive cannot be opened: %(error)s") % {"error": exc}) from exc
    finally:
        con.close()
    if not ok or counts != manifest["row_counts"]:
        raise BackupError(_("The database in the archive does not match its manifest; nothing was changed."))


def configured_sqlite_file() -> Path | None:
    """The configured database's file, if it is an SQLite file (not in memory, as under the tests)."""
    conn = connections[DEFAULT_DB_ALIAS]
    name = str(conn.settings_dict["NAME"])
    if conn.settings_dict["ENGINE"] != SQLITE_ENGINE or name == ":memory:" or "mode=memory" in name:
        return None
    return Path(name).resolve()


def sqlite_target(var_dir: Path | None) -> Path:
    if var_dir is not None:
        return var_dir / SQLITE_FILENAME
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.settings_dict["ENGINE"] != SQLITE_ENGINE:
        raise BackupError(
            _(
                "This archive holds an SQLite database but Anju is configured for %(vendor)s. Restore it into a "
                "directory with --target-var-dir."
            )
            % {"vendor": conn.vendor}
        )
    return configured_sqlite_file() or Path(settings.VAR_DIR) / SQLITE_FILENAME


def sqlite_files(db: Path) -> list[Path]:
    return [db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]


# --------------------------------------------------------------------------- PostgreSQL


def pg_params(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq connection parameters from a Django database settings dict."""
    params = {
        "dbname": settings_dict.get("NAME"),
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
    }
    options = settings_dict.get("OPTIONS") or {}
    params.update({k: options[k] for k in LIBPQ_ENV if k in options and k not in params})
    return {k: str(v) for k, v in params.items() if v not in (None, "")}


def pg_env(params: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({LIBPQ_ENV[k]: v for k, v in params.items()})
    return env


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "%(tool)s was not found. Install the PostgreSQL client tools (package postgresql-client, the same "
                "major version as the server or newer), make sure %(tool)s is on PATH, and try again."
            )
            % {"tool": name}
        )
    return path


@contextmanager
def pg_connect(params: dict[str, str]) -> Iterator[psycopg.Connection[Any]]:
    try:
        conn = psycopg.connect(**params, autocommit=True)  # type: ignore[arg-type]
    except psycopg.Error as exc:
        raise BackupError(
            _("Cannot connect to the PostgreSQL database %(name)s: %(error)s")
            % {"name": params.get("dbname", ""), "error": str(exc).strip()}
        ) from exc
    with conn:
        yield conn


def _pg_tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "ORDER BY c.relname"
    ).fetchall()
    return [r[0] for r in rows]


def pg_row_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    counts = {}
    for table in _pg_tables(conn):
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def _pg_migrations(conn: psycopg.Connection[Any]) -> list[list[str]]:
    if "django_migrations" not in _pg_tables(conn):
        return []
    return [[a, n] for a, n in conn.execute("SELECT app, name FROM django_migrations ORDER BY id")]


def pg_user_table_count(conn: psycopg.Connection[Any]) -> int:
    """Tables in any schema but the system ones, leaving out those extensions own."""
    row = conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
    ).fetchone()
    return int(row[0]) if row else 0


def pg_snapshot(settings_dict: dict[str, Any], dest: Path) -> tuple[list[list[str]], dict[str, int], str]:
    """pg_dump in the snapshot the manifest's counts and migrations are read in."""
    pg_dump = pg_tool("pg_dump")
    params = pg_params(settings_dict)
    with pg_connect(params) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = str(row[0]) if row else ""
        migrations, counts = _pg_migrations(conn), pg_row_counts(conn)
        server_version = str(conn.info.server_version)
        proc = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", f"--file={dest}"],
            env=pg_env(params),
            capture_output=True,
            text=True,
            check=False,
        )
        conn.execute("COMMIT")
    if proc.returncode != 0:
        raise BackupError(_("pg_dump failed: %(error)s") % {"error": proc.stderr.strip()})
    return migrations, counts, server_version
