"""Backup and restore of one Anju installation (``anju backup`` / ``anju restore``).

An archive is one ``.tar.gz`` holding

* ``database.sqlite3`` — a consistent copy made with SQLite's online backup API
  (safe while the server runs in WAL mode), or ``database.pgdump`` —
  ``pg_dump --format=custom`` taken in the same snapshot as the row counts;
* ``media/…`` — the uploaded files under ``MEDIA_ROOT``;
* ``keys/data-keys.json`` — the personal-data keys, only when asked for
  explicitly (``--include-keys``);
* ``manifest.json`` (written last) — format version, creation time, Anju
  version, database vendor, the applied migrations, the row count of every table
  and the SHA-256 and size of every other member.

The personal-data keys (``core/crypto.py``) live outside the database and are
left out by default: without them a restore gives back ciphertext nobody can
read, so ``anju backup`` says so every time.

A restore verifies the whole archive first (gzip CRC, every member's checksum,
the format) and changes nothing when anything is wrong. It only writes into an
empty target (an SQLite file that does not exist yet, a PostgreSQL database
without tables) unless ``force`` moves an existing SQLite database aside.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from anju.audit import services as audit_services
from anju.audit.actions import Action
from anju.core import crypto

FORMAT = "anju-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
MEDIA_DIR = "media"
KEYS_MEMBER = "keys/data-keys.json"
SQLITE_FILENAME = "anju.sqlite3"
BACKUP_ACTOR = "anju backup"
RESTORE_ACTOR = "anju restore"
SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRES_ENGINE = "django.db.backends.postgresql"
_CHUNK = 1024 * 1024
_TEMP_PREFIX = ".anju-backup-"
_LOCK_WAIT_SECONDS = 30

# libpq connection parameters we pass on, and the environment variable pg_dump
# and pg_restore read each from (so a password never shows in a process list).
_LIBPQ_ENV = {
    "dbname": "PGDATABASE",
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup or restore was refused or failed; the message is for the operator."""


@dataclass
class BackupResult:
    path: Path
    sha256: str
    size: int
    manifest: dict[str, Any]
    key_warning: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    vendor: str
    database: str  # the SQLite file or the PostgreSQL database name
    media_dir: Path
    media_files: int
    moved_aside: list[Path] = field(default_factory=list)
    keys_written: Path | None = None
    audit_recorded: bool = False
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


def anju_version() -> str:
    try:
        return importlib.metadata.version("anju")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M%S")


def default_backup_path() -> Path:
    return Path(settings.VAR_DIR) / "backups" / f"anju-{_stamp()}.tar.gz"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _move_aside(path: Path, stamp: str) -> Path:
    target = path.with_name(f"{path.name}.{stamp}.bak")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{stamp}-{n}.bak")
    os.replace(path, target)
    return target


# --------------------------------------------------------------------------- data keys


def _fingerprint(material: str) -> str:
    """A short one-way fingerprint of key material: tells keys apart, reveals nothing."""
    return hashlib.sha256(b"anju-data-key-fingerprint\x00" + material.encode("utf-8")).hexdigest()[:16]


def key_fingerprints(doc: dict[str, Any]) -> dict[str, Any]:
    keys = doc.get("keys")
    return {
        "keys": {str(k): _fingerprint(str(v)) for k, v in keys.items()} if isinstance(keys, dict) else {},
        "hash_key": _fingerprint(str(doc.get("hash_key", ""))),
    }


def _key_document(key_file: Path) -> tuple[dict[str, Any] | None, str]:
    """The key document in use (environment first, then the file) and where it
    comes from, without creating one the way ``crypto.read_key_document`` would."""
    raw = os.environ.get("ANJU_DATA_KEYS")
    source = "ANJU_DATA_KEYS" if raw else str(key_file)
    if not raw:
        if not key_file.exists():
            return None, source
        raw = key_file.read_text(encoding="utf-8")
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise BackupError(_("The data keys in %(source)s are not valid JSON.") % {"source": source}) from exc
    if not isinstance(doc, dict):
        raise BackupError(_("The data keys in %(source)s are malformed.") % {"source": source})
    return doc, source


def key_warning(*, included: bool, source: str) -> str:
    if included:
        return _(
            "WARNING: this archive CONTAINS the data keys (from %(source)s). Anyone who holds it can read every "
            "mobile and ID number in it. Protect it like the keys themselves: encrypt it, restrict who can read it "
            "and keep it apart from ordinary backups."
        ) % {"source": source}
    return _(
        "WARNING: the data key is needed to restore this backup and it is NOT inside the archive. Personal data "
        "(mobile and ID numbers) is encrypted with the keys from %(source)s; a restore without them gives back "
        "data nobody can read. Keep a copy of the keys in a separate safe place."
    ) % {"source": source}


def _check_keys_at_target(manifest: dict[str, Any], key_file: Path) -> list[str]:
    """Warn when the keys the backup was made with are not available where the restored install looks."""
    wanted = (manifest.get("data_keys") or {}).get("fingerprints")
    if not isinstance(wanted, dict) or not isinstance(wanted.get("keys"), dict):
        return []
    try:
        doc, source = _key_document(key_file)
    except BackupError as exc:
        return [str(exc)]
    ids = ", ".join(sorted(wanted.get("keys", {}))) or "-"
    if doc is None:
        return [
            _(
                "The data keys are not in this archive, and none were found in ANJU_DATA_KEYS or at %(path)s. Put "
                "the keys that were in use when the backup was made (key ids: %(ids)s) there, or personal data "
                "stays unreadable."
            )
            % {"path": key_file, "ids": ids}
        ]
    have = key_fingerprints(doc)
    missing = [k for k, fp in wanted.get("keys", {}).items() if have["keys"].get(k) != fp]
    if missing or have["hash_key"] != wanted.get("hash_key"):
        return [
            _(
                "The data keys in %(source)s are not the ones this backup was made with (key ids: %(ids)s). "
                "Personal data will not decrypt until the right keys are in place."
            )
            % {"source": source, "ids": ids}
        ]
    return []


# --------------------------------------------------------------------------- SQLite


def _sqlite_tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _sqlite_row_counts(con: sqlite3.Connection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in _sqlite_tables(con)}  # noqa: S608


def _sqlite_migrations(con: sqlite3.Connection) -> list[list[str]]:
    if "django_migrations" not in _sqlite_tables(con):
        return []
    return [[a, n] for a, n in con.execute("SELECT app, name FROM django_migrations ORDER BY id")]


def _sqlite_snapshot(conn: BaseDatabaseWrapper, dest: Path) -> tuple[list[list[str]], dict[str, int], str]:
    """Copy the live database with the online backup API, in one step, so the
    copy is one consistent state even while the server goes on writing."""
    conn.ensure_connection()
    target = sqlite3.connect(dest)
    deadline = time.monotonic() + _LOCK_WAIT_SECONDS

    def give_up_when_locked_too_long(status: int, remaining: int, total: int) -> None:
        if status in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED} and time.monotonic() > deadline:
            raise BackupError(
                _("The database stayed locked for %(seconds)s seconds; no backup was made. Try again.")
                % {"seconds": _LOCK_WAIT_SECONDS}
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


def _check_sqlite_copy(path: Path, manifest: dict[str, Any]) -> None:
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


def _configured_sqlite_file() -> Path | None:
    """The configured database's file, if it is an SQLite file (not in memory, as under the tests)."""
    conn = connections[DEFAULT_DB_ALIAS]
    name = str(conn.settings_dict["NAME"])
    if conn.settings_dict["ENGINE"] != SQLITE_ENGINE or name == ":memory:" or "mode=memory" in name:
        return None
    return Path(name).resolve()


def _sqlite_target(var_dir: Path | None) -> Path:
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
    return _configured_sqlite_file() or Path(settings.VAR_DIR) / SQLITE_FILENAME


def _sqlite_files(db: Path) -> list[Path]:
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
    params.update({k: options[k] for k in _LIBPQ_ENV if k in options and k not in params})
    return {k: str(v) for k, v in params.items() if v not in (None, "")}


def _pg_env(params: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({_LIBPQ_ENV[k]: v for k, v in params.items()})
    return env


def _pg_tool(name: str) -> str:
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
def _pg_connect(params: dict[str, str]) -> Iterator[psycopg.Connection[Any]]:
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


def _pg_row_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    counts = {}
    for table in _pg_tables(conn):
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def _pg_migrations(conn: psycopg.Connection[Any]) -> list[list[str]]:
    if "django_migrations" not in _pg_tables(conn):
        return []
    return [[a, n] for a, n in conn.execute("SELECT app, name FROM django_migrations ORDER BY id")]


def _pg_user_table_count(conn: psycopg.Connection[Any]) -> int:
    """Tables in any schema but the system ones, leaving out those extensions own."""
    row = conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
    ).fetchone()
    return int(row[0]) if row else 0


def _pg_snapshot(settings_dict: dict[str, Any], dest: Path) -> tuple[list[list[str]], dict[str, int], str]:
    """pg_dump in the snapshot the manifest's counts and migrations are read in."""
    pg_dump = _pg_tool("pg_dump")
    params = pg_params(settings_dict)
    with _pg_connect(params) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = str(row[0]) if row else ""
        migrations, counts = _pg_migrations(conn), _pg_row_counts(conn)
        server_version = str(conn.info.server_version)
        proc = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", f"--file={dest}"],
            env=_pg_env(params),
            capture_output=True,
            text=True,
            check=False,
        )
        conn.execute("COMMIT")
    if proc.returncode != 0:
        raise BackupError(_("pg_dump failed: %(error)s") % {"error": proc.stderr.strip()})
    return migrations, counts, server_version


# --------------------------------------------------------------------------- writing an archive


class _HashingReader:
    """Hands tarfile the bytes it asks for and hashes exactly those."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.sha.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict[str, Any]:
    with path.open("rb") as fh:
        info = tar.gettarinfo(arcname=arcname, fileobj=fh)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
    return {"sha256": reader.sha.hexdigest(), "size": reader.size}


def _add_bytes(tar: tarfile.TarFile, arcname: str, data: bytes, mode: int = 0o644) -> dict[str, Any]:
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mode = mode
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _media_files(root: Path, skip: set[Path], warnings: list[str]) -> list[tuple[Path, str]]:
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path in skip or name.startswith(_TEMP_PREFIX):
                continue
            if path.is_symlink() or not path.is_file():
                warnings.append(_("Skipped %(path)s: not a regular file.") % {"path": path})
                continue
            found.append((path, f"{MEDIA_DIR}/{path.relative_to(root).as_posix()}"))
    return found


def _add_media(tar: tarfile.TarFile, root: Path, skip: set[Path], warnings: list[str]) -> dict[str, dict[str, Any]]:
    return {arcname: _add_file(tar, path, arcname) for path, arcname in _media_files(root, skip, warnings)}


def _write_archive(
    out: Path, manifest: dict[str, Any], db_copy: Path, extra: dict[str, bytes], warnings: list[str]
) -> None:
    """Write the archive to a temporary file beside ``out`` and rename it into
    place only once complete and on disk; on any failure remove it."""
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=_TEMP_PREFIX, suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
                member = manifest["database"]["member"]
                files = {member: _add_file(tar, db_copy, member)}
                media = _add_media(tar, Path(settings.MEDIA_ROOT), {out, tmp}, warnings)
                files.update(media)
                for name, data in extra.items():
                    files[name] = _add_bytes(tar, name, data, mode=0o600)
                manifest["media_files"] = len(media)
                manifest["files"] = files
                body = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")
                _add_bytes(tar, MANIFEST, body)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def backup_create(*, output: Path | str | None = None, include_keys: bool = False) -> BackupResult:
    """Write one archive of the configured database and ``MEDIA_ROOT``.

    The archive is written to a temporary file beside ``output`` and renamed
    into place only when complete; any failure leaves nothing behind.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    vendor = conn.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    if conn.in_atomic_block:
        raise BackupError(_("A backup cannot run inside a database transaction: it must see committed data only."))
    out = Path(output).expanduser().resolve() if output else default_backup_path()
    if out.exists():
        raise BackupError(_("%(path)s exists already; choose another --output.") % {"path": out})
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)

    key_doc, key_source = _key_document(crypto.key_file_path())
    warnings: list[str] = []
    keys_included = include_keys and key_doc is not None
    if include_keys and key_doc is None:
        warnings.append(_("There are no data keys yet (%(source)s), so none were included.") % {"source": key_source})
    db_member = SQLITE_MEMBER if vendor == "sqlite" else POSTGRES_MEMBER

    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=_TEMP_PREFIX) as staging:
            db_copy = Path(staging) / db_member
            if vendor == "sqlite":
                migrations, counts, server_version = _sqlite_snapshot(conn, db_copy)
            else:
                migrations, counts, server_version = _pg_snapshot(conn.settings_dict, db_copy)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "anju_version": anju_version(),
                "database": {"vendor": vendor, "member": db_member, "server_version": server_version},
                "migrations": migrations,
                "row_counts": counts,
                "data_keys": {
                    "included": keys_included,
                    "source": key_source if key_doc is not None else None,
                    "fingerprints": key_fingerprints(key_doc) if key_doc is not None else None,
                },
            }
            extra = {KEYS_MEMBER: json.dumps(key_doc, indent=2).encode("utf-8")} if keys_included else {}
            _write_archive(out, manifest, db_copy, extra, warnings)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(_("The backup failed and nothing was written: %(error)s") % {"error": exc}) from exc

    digest, size = _sha256_file(out), out.stat().st_size
    try:
        with transaction.atomic():
            audit_services.record(
                Action.SYSTEM_BACKUP,
                actor_label=BACKUP_ACTOR,
                data={
                    "file": out.name,
                    "sha256": digest,
                    "size": size,
                    "vendor": vendor,
                    "media_files": manifest["media_files"],
                    "keys_included": keys_included,
                },
            )
    except DatabaseError as exc:
        warnings.append(_("The backup was not recorded in the audit trail: %(error)s") % {"error": exc})
    return BackupResult(
        path=out,
        sha256=digest,
        size=size,
        manifest=manifest,
        key_warning=key_warning(included=keys_included, source=key_source),
        warnings=warnings,
    )


# --------------------------------------------------------------------------- reading an archive


def _member_name(member: tarfile.TarInfo, archive: Path) -> str:
    name = member.name
    path = PurePosixPath(name)
    allowed = name in {MANIFEST, SQLITE_MEMBER, POSTGRES_MEMBER, KEYS_MEMBER} or (
        len(path.parts) > 1 and path.parts[0] == MEDIA_DIR
    )
    if (
        not member.isfile()
        or not allowed
        or path.is_absolute()
        or ".." in path.parts
        or path.as_posix() != name
        or "\\" in name
    ):
        raise BackupError(
            _("%(path)s holds an unexpected entry %(name)s; it is not an Anju backup. Nothing was changed.")
            % {"path": archive, "name": name}
        )
    return name


def _walk_archive(archive: Path, handle: Callable[[str, tarfile.TarInfo, IO[bytes]], None]) -> None:
    """Stream every member to ``handle``, then read to the end of the gzip
    stream so its CRC and length are checked too."""
    seen: set[str] = set()
    try:
        with gzip.open(archive, "rb") as gz:
            with tarfile.open(fileobj=gz, mode="r|") as tar:
                for member in tar:
                    name = _member_name(member, archive)
                    if name in seen:
                        raise BackupError(
                            _("%(path)s holds %(name)s twice; it is not an Anju backup. Nothing was changed.")
                            % {"path": archive, "name": name}
                        )
                    seen.add(name)
                    fh = tar.extractfile(member)
                    if fh is None:  # pragma: no cover - _member_name admits regular files only
                        raise tarfile.ReadError(name)
                    handle(name, member, fh)
            while gz.read(_CHUNK):
                pass
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as exc:
        raise BackupError(
            _(
                "%(path)s is not a readable Anju backup: it is damaged, incomplete or not a backup at all "
                "(%(error)s). Nothing was changed."
            )
            % {"path": archive, "error": exc}
        ) from exc


def _parse_manifest(data: bytes | None, archive: Path) -> dict[str, Any]:
    if data is None:
        raise BackupError(
            _("%(path)s has no manifest: it is incomplete or not an Anju backup. Nothing was changed.")
            % {"path": archive}
        )
    try:
        manifest = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise BackupError(
            _("The manifest of %(path)s cannot be read; nothing was changed.") % {"path": archive}
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s is not an Anju backup; nothing was changed.") % {"path": archive})
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise BackupError(_("%(path)s has an unknown format version; nothing was changed.") % {"path": archive})
    if version > FORMAT_VERSION:
        raise BackupError(
            _(
                "%(path)s was made by a newer Anju (backup format %(found)s); this one reads format %(known)s. "
                "Upgrade Anju first. Nothing was changed."
            )
            % {"path": archive, "found": version, "known": FORMAT_VERSION}
        )
    database, files = manifest.get("database"), manifest.get("files")
    well_formed = (
        isinstance(database, dict)
        and isinstance(files, dict)
        and all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) and isinstance(v.get("size"), int)
            for v in files.values()
        )
        and (database.get("vendor"), database.get("member"))
        in {("sqlite", SQLITE_MEMBER), ("postgresql", POSTGRES_MEMBER)}
        and database.get("member") in files
        and isinstance(manifest.get("row_counts"), dict)
        and isinstance(manifest.get("migrations"), list)
        and all(isinstance(m, list) and len(m) == 2 for m in manifest["migrations"])
        and isinstance(manifest.get("data_keys", {}), dict)
    )
    if not well_formed:
        raise BackupError(_("The manifest of %(path)s is incomplete; nothing was changed.") % {"path": archive})
    return manifest


def _compare(archive: Path, manifest: dict[str, Any], found: dict[str, tuple[str, int]]) -> None:
    expected = {name: (v["sha256"], v["size"]) for name, v in manifest["files"].items()}
    wrong = sorted(
        set(expected) ^ set(found) | {name for name in expected if name in found and found[name] != expected[name]}
    )
    if wrong:
        raise BackupError(
            _(
                "%(path)s failed verification: %(names)s do not match the manifest. The archive is damaged or was "
                "changed; nothing was changed."
            )
            % {"path": archive, "names": ", ".join(wrong[:5]) + (" …" if len(wrong) > 5 else "")}
        )


def _read_verified(archive: Path) -> tuple[dict[str, Any], bytes | None]:
    if not archive.is_file():
        raise BackupError(_("There is no archive at %(path)s.") % {"path": archive})
    found: dict[str, tuple[str, int]] = {}
    small: dict[str, bytes] = {}

    def handle(name: str, member: tarfile.TarInfo, fh: IO[bytes]) -> None:
        if name in {MANIFEST, KEYS_MEMBER}:
            data = fh.read()
            small[name] = data
            if name == MANIFEST:
                return
            found[name] = (hashlib.sha256(data).hexdigest(), len(data))
            return
        digest, size = hashlib.sha256(), 0
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        found[name] = (digest.hexdigest(), size)

    _walk_archive(archive, handle)
    manifest = _parse_manifest(small.get(MANIFEST), archive)
    _compare(archive, manifest, found)
    return manifest, small.get(KEYS_MEMBER)


def backup_verify(archive: Path | str) -> dict[str, Any]:
    """Check an archive end to end (gzip CRC, format, every member's SHA-256)
    and return its manifest; raise :class:`BackupError` otherwise."""
    return _read_verified(Path(archive).expanduser().resolve())[0]


def _extract(archive: Path, manifest: dict[str, Any], staging: Path) -> None:
    """Unpack into ``staging``, hashing again on the way (the file could have
    changed since it was verified)."""
    found: dict[str, tuple[str, int]] = {}

    def handle(name: str, member: tarfile.TarInfo, fh: IO[bytes]) -> None:
        if name == MANIFEST:
            return
        dest = staging.joinpath(*PurePosixPath(name).parts)
        digest, size = hashlib.sha256(), 0
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with dest.open("xb") as out:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            os.chmod(dest, 0o600 if name in {KEYS_MEMBER, SQLITE_MEMBER} else (member.mode & 0o777) or 0o644)
            os.utime(dest, (member.mtime, member.mtime))
        except OSError as exc:
            raise BackupError(_("Could not write %(path)s: %(error)s") % {"path": dest, "error": exc}) from exc
        found[name] = (digest.hexdigest(), size)

    _walk_archive(archive, handle)
    _compare(archive, manifest, found)


# --------------------------------------------------------------------------- restoring


def _migration_warnings(manifest: dict[str, Any]) -> list[str]:
    applied = {(str(a), str(n)) for a, n in manifest["migrations"]}
    on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    warnings = []
    if applied - on_disk:
        warnings.append(
            _(
                "This backup was made by a newer Anju (%(version)s): its database has migrations this Anju does not "
                "know. Upgrade Anju before using the restored data."
            )
            % {"version": manifest.get("anju_version", "?")}
        )
    elif on_disk - applied:
        warnings.append(_("The restored database is behind this Anju's schema: run `anju migrate` next."))
    return warnings


@contextmanager
def _default_connection_to(settings_dict: dict[str, Any]) -> Iterator[None]:
    """Point the ``default`` connection at another database for a moment, so
    services (here: the audit trail) write there."""
    db = connections.configure_settings({DEFAULT_DB_ALIAS: copy.deepcopy(settings_dict)})[DEFAULT_DB_ALIAS]
    replacement = load_backend(db["ENGINE"]).DatabaseWrapper(db, DEFAULT_DB_ALIAS)
    previous = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = replacement
    try:
        yield
    finally:
        replacement.close()
        connections[DEFAULT_DB_ALIAS] = previous


def _record_restore(settings_dict: dict[str, Any], archive: Path, manifest: dict[str, Any]) -> str | None:
    """Append the restore to the restored database's audit trail; return why not if that failed."""
    try:
        with _default_connection_to(settings_dict), transaction.atomic():
            audit_services.record(
                Action.SYSTEM_RESTORE,
                actor_label=RESTORE_ACTOR,
                data={
                    "archive": archive.name,
                    "archive_created_at": manifest.get("created_at", ""),
                    "anju_version": manifest.get("anju_version", ""),
                    "vendor": manifest["database"]["vendor"],
                },
            )
    except DatabaseError as exc:
        return str(exc)
    return None


@dataclass
class _Plan:
    """Where a restore goes, worked out and checked before anything changes."""

    archive: Path
    manifest: dict[str, Any]
    key_doc: dict[str, Any] | None
    target_settings: dict[str, Any]
    database_label: str
    staging_parent: Path
    media_target: Path
    media_busy: bool
    key_target: Path
    key_clash: bool
    db_target: Path | None = None  # SQLite
    occupied: list[Path] = field(default_factory=list)  # SQLite files to move aside
    pg_params: dict[str, str] = field(default_factory=dict)

    @property
    def vendor(self) -> str:
        return str(self.manifest["database"]["vendor"])


def _plan_sqlite(plan: dict[str, Any], var_dir: Path | None, force: bool) -> None:
    db_target = _sqlite_target(var_dir)
    target_settings: dict[str, Any] = {"ENGINE": SQLITE_ENGINE, "NAME": str(db_target)}
    configured = connections[DEFAULT_DB_ALIAS].settings_dict
    if configured["ENGINE"] == SQLITE_ENGINE:
        target_settings["OPTIONS"] = dict(configured.get("OPTIONS") or {})
    occupied = [p for p in _sqlite_files(db_target) if p.exists()]
    if occupied and not force:
        raise BackupError(
            _(
                "%(path)s exists already: restore only goes into an empty place. Choose an empty --target-var-dir, "
                "or pass --force to move the existing database aside first. Nothing was changed."
            )
            % {"path": occupied[0]}
        )
    plan.update(
        db_target=db_target,
        occupied=occupied,
        target_settings=target_settings,
        database_label=str(db_target),
        staging_parent=db_target.parent,
    )


def _plan_postgres(plan: dict[str, Any], database: dict[str, Any] | None) -> None:
    target_settings = dict(database or connections[DEFAULT_DB_ALIAS].settings_dict)
    if target_settings.get("ENGINE") != POSTGRES_ENGINE or not target_settings.get("NAME"):
        raise BackupError(
            _(
                "This archive holds a PostgreSQL dump; set DATABASE_URL to an empty PostgreSQL database to restore "
                "it. Nothing was changed."
            )
        )
    _pg_tool("pg_restore")
    params = pg_params(target_settings)
    with _pg_connect(params) as pg:
        tables = _pg_user_table_count(pg)
    if tables:
        raise BackupError(
            _(
                "The PostgreSQL database %(name)s is not empty (%(count)s tables). Restore only goes into an empty "
                "database: create a new one (createdb) and point DATABASE_URL at it. Nothing was changed."
            )
            % {"name": params["dbname"], "count": tables}
        )
    plan.update(
        pg_params=params,
        target_settings=target_settings,
        database_label=params["dbname"],
        staging_parent=plan["media_target"].parent,
    )


def _plan_restore(archive: Path, var_dir: Path | None, force: bool, database: dict[str, Any] | None) -> _Plan:
    manifest, key_bytes = _read_verified(archive)
    try:
        key_doc = json.loads(key_bytes) if key_bytes is not None else None
    except ValueError as exc:
        raise BackupError(_("The data keys in the archive cannot be read; nothing was changed.")) from exc
    media_target = var_dir / MEDIA_DIR if var_dir else Path(settings.MEDIA_ROOT)
    key_target = var_dir / "keys" / "data-keys.json" if var_dir else crypto.key_file_path()
    plan: dict[str, Any] = {"archive": archive, "manifest": manifest, "key_doc": key_doc, "media_target": media_target}
    if manifest["database"]["vendor"] == "sqlite":
        _plan_sqlite(plan, var_dir, force)
    else:
        _plan_postgres(plan, database)

    media_busy = media_target.exists() and (not media_target.is_dir() or any(media_target.iterdir()))
    if media_busy and not force:
        raise BackupError(
            _(
                "%(path)s is not empty: restore only goes into an empty place. Choose an empty --target-var-dir, or "
                "pass --force to move the existing files aside first. Nothing was changed."
            )
            % {"path": media_target}
        )
    key_clash = False
    if key_doc is not None and key_target.exists():
        try:
            key_clash = json.loads(key_target.read_text(encoding="utf-8")) != key_doc
        except ValueError:
            key_clash = True
        if key_clash and not force:
            raise BackupError(
                _(
                    "%(path)s holds other data keys than the archive. Pass --force to move them aside, or restore "
                    "into an empty --target-var-dir. Nothing was changed."
                )
                % {"path": key_target}
            )
    return _Plan(media_busy=media_busy, key_target=key_target, key_clash=key_clash, **plan)


def _apply_sqlite(plan: _Plan, staging: Path, result: RestoreResult, stamp: str) -> None:
    if plan.db_target is None:  # pragma: no cover - set by _plan_sqlite
        raise BackupError("no SQLite target")
    _check_sqlite_copy(staging / SQLITE_MEMBER, plan.manifest)
    if _configured_sqlite_file() == plan.db_target:
        connections[DEFAULT_DB_ALIAS].close()  # it would go on using the file moved aside
    result.moved_aside += [_move_aside(p, stamp) for p in plan.occupied]
    os.replace(staging / SQLITE_MEMBER, plan.db_target)


def _apply_postgres(plan: _Plan, staging: Path) -> None:
    params = plan.pg_params
    proc = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={params['dbname']}",
            str(staging / POSTGRES_MEMBER),
        ],
        env=_pg_env(params),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BackupError(
            _("pg_restore failed; the database was left unchanged: %(error)s") % {"error": proc.stderr.strip()}
        )
    with _pg_connect(params) as pg:
        if _pg_row_counts(pg) != plan.manifest["row_counts"]:
            raise BackupError(
                _("The restored database %(name)s does not have the row counts the manifest lists.")
                % {"name": plan.database_label}
            )


def _apply_files(plan: _Plan, staging: Path, result: RestoreResult, stamp: str) -> None:
    media = plan.media_target
    if plan.media_busy:
        result.moved_aside.append(_move_aside(media, stamp))
    elif media.is_dir():
        media.rmdir()  # empty
    media.parent.mkdir(parents=True, exist_ok=True)
    staged_media = staging / MEDIA_DIR
    if staged_media.is_dir():
        shutil.move(staged_media, media)
    else:
        media.mkdir()
    if plan.key_doc is not None:
        if plan.key_clash:
            result.moved_aside.append(_move_aside(plan.key_target, stamp))
        if not plan.key_target.exists():
            crypto.write_key_file(plan.key_doc, plan.key_target)
            result.keys_written = plan.key_target


def backup_restore(
    archive: Path | str,
    *,
    target_var_dir: Path | str | None = None,
    force: bool = False,
    database: dict[str, Any] | None = None,
) -> RestoreResult:
    """Restore an archive into an empty target.

    SQLite archives become ``<target var dir>/anju.sqlite3`` (default: the
    configured database file); PostgreSQL dumps go into ``database`` (a Django
    settings dict; default: the configured database), which must have no
    tables. Uploaded files go to ``<target var dir>/media`` (default:
    ``MEDIA_ROOT``); keys from the archive, if any, to ``<target var
    dir>/keys/data-keys.json`` (default: ``DATA_KEY_FILE``). Everything is
    verified and checked before the first change.
    """
    path = Path(archive).expanduser().resolve()
    var_dir = Path(target_var_dir).expanduser().resolve() if target_var_dir else None
    plan = _plan_restore(path, var_dir, force, database)
    manifest = plan.manifest
    result = RestoreResult(
        manifest=manifest,
        vendor=plan.vendor,
        database=plan.database_label,
        media_dir=plan.media_target,
        media_files=int(manifest.get("media_files", 0)),
    )
    stamp = _stamp()
    try:
        plan.staging_parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=plan.staging_parent, prefix=".anju-restore-") as staging_name:
            staging = Path(staging_name)
            _extract(path, manifest, staging)
            if plan.vendor == "sqlite":
                _apply_sqlite(plan, staging, result, stamp)
            else:
                _apply_postgres(plan, staging)
            _apply_files(plan, staging, result, stamp)
    except OSError as exc:
        raise BackupError(
            _("The restore failed: %(error)s. Check %(database)s and %(media)s before trying again.")
            % {"error": exc, "database": plan.database_label, "media": plan.media_target}
        ) from exc

    result.warnings += _migration_warnings(manifest)
    if plan.key_doc is None:
        result.warnings += _check_keys_at_target(manifest, plan.key_target)
    elif os.environ.get("ANJU_DATA_KEYS"):
        result.warnings.append(
            _("ANJU_DATA_KEYS is set and takes precedence over the restored key file %(path)s.")
            % {"path": plan.key_target}
        )
    failure = _record_restore(plan.target_settings, path, manifest)
    result.audit_recorded = failure is None
    if failure is not None:
        result.warnings.append(
            _("The restore was not recorded in the restored audit trail: %(error)s") % {"error": failure}
        )
    return result
