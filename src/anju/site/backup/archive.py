"""Writing an archive (``backup_create``) and reading one back with every checksum verified (``backup_verify``)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit import services as audit_services
from anju.audit.actions import Action
from anju.core import crypto
from anju.site.backup.base import (
    BACKUP_ACTOR,
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    KEYS_MEMBER,
    MANIFEST,
    MEDIA_DIR,
    POSTGRES_MEMBER,
    SQLITE_MEMBER,
    TEMP_PREFIX,
    BackupError,
    BackupResult,
    anju_version,
    default_backup_path,
    key_document,
    key_fingerprints,
    key_warning,
    sha256_file,
)
from anju.site.backup.engines import pg_snapshot, sqlite_snapshot

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
            if path in skip or name.startswith(TEMP_PREFIX):
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
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=TEMP_PREFIX, suffix=".partial")
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

    key_doc, key_source = key_document(crypto.key_file_path())
    warnings: list[str] = []
    keys_included = include_keys and key_doc is not None
    if include_keys and key_doc is None:
        warnings.append(_("There are no data keys yet (%(source)s), so none were included.") % {"source": key_source})
    db_member = SQLITE_MEMBER if vendor == "sqlite" else POSTGRES_MEMBER

    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=TEMP_PREFIX) as staging:
            db_copy = Path(staging) / db_member
            if vendor == "sqlite":
                migrations, counts, server_version = sqlite_snapshot(conn, db_copy)
            else:
                migrations, counts, server_version = pg_snapshot(conn.settings_dict, db_copy)
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

    digest, size = sha256_file(out), out.stat().st_size
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
            while gz.read(CHUNK):
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


def read_verified(archive: Path) -> tuple[dict[str, Any], bytes | None]:
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
        while chunk := fh.read(CHUNK):
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
    return read_verified(Path(archive).expanduser().resolve())[0]


def extract_archive(archive: Path, manifest: dict[str, Any], staging: Path) -> None:
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
                while chunk := fh.read(CHUNK):
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
