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

The work is split by step: ``base`` (format, results, data keys), ``engines`` (SQLite and
PostgreSQL snapshots), ``archive`` (writing and verifying), ``restore``.
"""

from anju.site.backup.archive import backup_create, backup_verify
from anju.site.backup.base import (
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    BackupResult,
    RestoreResult,
    default_backup_path,
    key_fingerprints,
    key_warning,
)
from anju.site.backup.engines import pg_params
from anju.site.backup.restore import backup_restore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "backup_create",
    "backup_restore",
    "backup_verify",
    "default_backup_path",
    "key_fingerprints",
    "key_warning",
    "pg_params",
]
