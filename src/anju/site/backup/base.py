"""Constants, results, small helpers and the data-key checks shared by backup and restore."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

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
CHUNK = 1024 * 1024
TEMP_PREFIX = ".anju-backup-"
LOCK_WAIT_SECONDS = 30

# libpq connection parameters we pass on, and the environment variable pg_dump
# and pg_restore read each from (so a password never shows in a process list).
LIBPQ_ENV = {
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


def time_stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M%S")


def default_backup_path() -> Path:
    return Path(settings.VAR_DIR) / "backups" / f"anju-{time_stamp()}.tar.gz"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def move_aside(path: Path, stamp: str) -> Path:
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


def key_document(key_file: Path) -> tuple[dict[str, Any] | None, str]:
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


def check_keys_at_target(manifest: dict[str, Any], key_file: Path) -> list[str]:
    """Warn when the keys the backup was made with are not available where the restored install looks."""
    wanted = (manifest.get("data_keys") or {}).get("fingerprints")
    if not isinstance(wanted, dict) or not isinstance(wanted.get("keys"), dict):
        return []
    try:
        doc, source = key_document(key_file)
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
