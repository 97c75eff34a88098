"""Restoring an archive into an empty target (``backup_restore``)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils.translation import gettext as _

from anju.audit import services as audit_services
from anju.audit.actions import Action
from anju.core import crypto, stamp
from anju.site.backup.archive import extract_archive, read_verified
from anju.site.backup.base import (
    MEDIA_DIR,
    POSTGRES_ENGINE,
    POSTGRES_MEMBER,
    RESTORE_ACTOR,
    SQLITE_ENGINE,
    SQLITE_MEMBER,
    BackupError,
    RestoreResult,
    check_keys_at_target,
    move_aside,
    time_stamp,
)
from anju.site.backup.engines import (
    check_sqlite_copy,
    configured_sqlite_file,
    pg_connect,
    pg_env,
    pg_params,
    pg_row_counts,
    pg_tool,
    pg_user_table_count,
    sqlite_files,
    sqlite_target,
)

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


def _renew_stamp(settings_dict: dict[str, Any]) -> None:
    """A new reference-data token in the restored database: what a running process derived from the database
    it had before is not taken for the restored one's (``anju.core.stamp``). An archive from before the stamp
    has no such table; migrating it makes one with a token of its own."""
    try:
        with _default_connection_to(settings_dict), transaction.atomic():
            stamp.renew()
    except DatabaseError:
        pass


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
    db_target = sqlite_target(var_dir)
    target_settings: dict[str, Any] = {"ENGINE": SQLITE_ENGINE, "NAME": str(db_target)}
    configured = connections[DEFAULT_DB_ALIAS].settings_dict
    if configured["ENGINE"] == SQLITE_ENGINE:
        target_settings["OPTIONS"] = dict(configured.get("OPTIONS") or {})
    occupied = [p for p in sqlite_files(db_target) if p.exists()]
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
    pg_tool("pg_restore")
    params = pg_params(target_settings)
    with pg_connect(params) as pg:
        tables = pg_user_table_count(pg)
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
    manifest, key_bytes = read_verified(archive)
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
    check_sqlite_copy(staging / SQLITE_MEMBER, plan.manifest)
    if configured_sqlite_file() == plan.db_target:
        connections[DEFAULT_DB_ALIAS].close()  # it would go on using the file moved aside
    result.moved_aside += [move_aside(p, stamp) for p in plan.occupied]
    os.replace(staging / SQLITE_MEMBER, plan.db_target)


def _apply_postgres(plan: _Plan, staging: Path) -> None:
    params = plan.pg_params
    proc = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={params['dbname']}",
            str(staging / POSTGRES_MEMBER),
        ],
        env=pg_env(params),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BackupError(
            _("pg_restore failed; the database was left unchanged: %(error)s") % {"error": proc.stderr.strip()}
        )
    with pg_connect(params) as pg:
        if pg_row_counts(pg) != plan.manifest["row_counts"]:
            raise BackupError(
                _("The restored database %(name)s does not have the row counts the manifest lists.")
                % {"name": plan.database_label}
            )


def _apply_files(plan: _Plan, staging: Path, result: RestoreResult, stamp: str) -> None:
    media = plan.media_target
    if plan.media_busy:
        result.moved_aside.append(move_aside(media, stamp))
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
            result.moved_aside.append(move_aside(plan.key_target, stamp))
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
    stamp = time_stamp()
    try:
        plan.staging_parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=plan.staging_parent, prefix=".anju-restore-") as staging_name:
            staging = Path(staging_name)
            extract_archive(path, manifest, staging)
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
        result.warnings += check_keys_at_target(manifest, plan.key_target)
    elif os.environ.get("ANJU_DATA_KEYS"):
        result.warnings.append(
            _("ANJU_DATA_KEYS is set and takes precedence over the restored key file %(path)s.")
            % {"path": plan.key_target}
        )
    _renew_stamp(plan.target_settings)
    failure = _record_restore(plan.target_settings, path, manifest)
    result.audit_recorded = failure is None
    if failure is not None:
        result.warnings.append(
            _("The restore was not recorded in the restored audit trail: %(error)s") % {"error": failure}
        )
    return result
