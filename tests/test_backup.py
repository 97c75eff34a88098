"""``anju backup`` and ``anju restore``: a restore into an empty place gives back identical data (on the
suite's own database vendor), and every refusal leaves the target untouched."""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import translation
from psycopg import sql

from anju.access.roles import Role
from anju.accounts.models import User
from anju.core import crypto
from anju.site import backup
from anju.site.backup import archive as backup_archive
from anju.testing import build_tree, make_user

MOBILE = "13800138000"

Dump = dict[str, list[dict[str, Any]]]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are asserted in English (the default language is zh-hans)."""
    with translation.override("en"):
        yield


@pytest.fixture
def place(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Uploaded files, the data-key file and the var directory of this test, all under tmp_path."""
    monkeypatch.delenv("ANJU_DATA_KEYS", raising=False)
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    settings.DATA_KEY_FILE = tmp_path / "var" / "keys" / "data-keys.json"
    crypto.keyring.cache_clear()
    yield tmp_path
    crypto.keyring.cache_clear()


def populate(media_root: Path) -> None:
    """Data made through the real services (personal data sealed with the data key) and some uploads."""
    tree = build_tree()
    make_user(Role.COMMUNITY_WORKER, tree.community, mobile=MOBILE, display_name="王小红")
    make_user(Role.GRID_WORKER, tree.grid)
    make_user(Role.DEPARTMENT_LIAISON, tree.street, department=tree.department)
    photos = media_root / "spaces" / "照片"
    photos.mkdir(parents=True)
    (photos / "活动室.jpg").write_bytes(bytes(range(256)) * 300)
    (media_root / "notice.txt").write_text("周六上午议事亭开板凳会。\n", encoding="utf-8")


def tree_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def canonical(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=repr))


def sqlite_dump(con: sqlite3.Connection) -> Dump:
    """Every table (sqlite_sequence included), every row, as stored."""
    con.row_factory = sqlite3.Row
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: canonical([dict(r) for r in con.execute(f'SELECT * FROM "{t}"')]) for t in tables}  # noqa: S608


def sqlite_schema(con: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return sorted(tuple(r) for r in con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def source_sqlite() -> sqlite3.Connection:
    """A plain connection to the suite's SQLite database (an in-memory, shared-cache one under pytest)."""
    name = str(connection.settings_dict["NAME"])
    return sqlite3.connect(name, uri=name.startswith("file:"))


def pg_settings(dbname: str) -> dict[str, Any]:
    return {**connection.settings_dict, "NAME": dbname}


def pg_dump_rows(
    dbname: str,
) -> tuple[Dump, dict[str, Any], list[tuple[str, str]], list[tuple[str, str, int]]]:
    """Every table's rows (as JSON; a partitioned table's rows under its own name), the sequences' positions,
    the triggers, and each partition with its bounds and row count, of one database."""
    with psycopg.connect(**backup.pg_params(pg_settings(dbname))) as con:  # type: ignore[arg-type]
        tables = [
            r[0]
            for r in con.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            )
        ]
        rows = {
            t: canonical(
                [r[0] for r in con.execute(sql.SQL("SELECT to_jsonb(t) FROM {} AS t").format(sql.Identifier(t)))]
            )
            for t in tables
        }
        sequences = dict(
            con.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()")
        )
        triggers = sorted(
            (str(a), str(b))
            for a, b in con.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
        )
        partitions = []
        for name, bounds in con.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c "
            "WHERE c.relispartition AND c.relkind IN ('r', 'p') ORDER BY 1"
        ).fetchall():
            row = con.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()
            partitions.append((str(name), str(bounds), int(row[0]) if row else 0))
    return rows, sequences, triggers, partitions


def take_audit_row(dump: Dump, action: str) -> dict[str, Any]:
    """Remove and return the one audit row with this action that the other side must not have."""
    rows = [r for r in dump["audit_auditevent"] if r["action"] == action]
    assert len(rows) == 1, rows
    dump["audit_auditevent"].remove(rows[0])
    return rows[0]


def take_stamp_renewed(before: Dump, restored: Dump) -> None:
    """The reference-data token (core.stamp): restored as a new one, so that no running process takes what it
    derived from another database for the restored one's; removed from both sides."""
    old, new = before.pop("core_stamp"), restored.pop("core_stamp")
    assert len(old) == len(new) == 1
    assert new[0]["token"] != old[0]["token"]


def archive_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


# --------------------------------------------------------------------------- round trips


@pytest.mark.django_db(transaction=True)
def test_round_trip_gives_back_identical_data(place: Path) -> None:
    """Backup the suite's database (SQLite or PostgreSQL, whichever the suite runs on) and restore it into
    an empty place: every table, every row, every uploaded file comes back."""
    populate(Path(place / "var" / "media"))
    if connection.vendor == "sqlite":
        _sqlite_round_trip(place)
    else:
        assert connection.vendor == "postgresql"
        _postgres_round_trip(place)


def _sqlite_round_trip(place: Path) -> None:
    source = source_sqlite()
    try:
        before, schema = sqlite_dump(source), sqlite_schema(source)
        counts = {t: len(rows) for t, rows in before.items() if t != "sqlite_sequence"}
        migrations = [list(r) for r in source.execute("SELECT app, name FROM django_migrations ORDER BY id")]
    finally:
        source.close()
    archive = place / "backups" / "anju.tar.gz"
    out, err = io.StringIO(), io.StringIO()
    call_command("backup", "--output", str(archive), "--include-keys", stdout=out, stderr=err)
    assert str(archive) in out.getvalue()
    assert "CONTAINS the data keys" in err.getvalue()

    manifest = backup.backup_verify(archive)
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["row_counts"] == counts
    assert manifest["migrations"] == migrations
    members = archive_members(archive)
    assert set(members) == {"manifest.json", "database.sqlite3", "keys/data-keys.json"} | {
        f"media/{name}" for name in tree_of(place / "var" / "media")
    }
    assert json.loads(members["keys/data-keys.json"]) == json.loads((place / "var/keys/data-keys.json").read_text())

    source = source_sqlite()
    try:
        after = sqlite_dump(source)
    finally:
        source.close()
    backup_row = take_audit_row(after, "system.backup")
    assert backup_row["actor_label"] == "anju backup"
    assert json.loads(backup_row["data"])["file"] == "anju.tar.gz"
    after.pop("sqlite_sequence")
    sequences = {r["name"]: r["seq"] for r in before.pop("sqlite_sequence")}
    assert after == before, "the backup changed nothing but its own audit row"

    target = place / "restored"  # does not exist yet
    out = io.StringIO()
    call_command("restore", str(archive), "--target-var-dir", str(target), stdout=out, stderr=io.StringIO())
    assert "anju.sqlite3" in out.getvalue()

    restored_con = sqlite3.connect(target / "anju.sqlite3")
    try:
        restored, restored_schema = sqlite_dump(restored_con), sqlite_schema(restored_con)
    finally:
        restored_con.close()
    assert restored_schema == schema, "same tables, indexes and triggers"
    restore_row = take_audit_row(restored, "system.restore")
    assert restore_row["actor_label"] == "anju restore"
    take_stamp_renewed(before, restored)
    restored_sequences = {r["name"]: r["seq"] for r in restored.pop("sqlite_sequence")}
    assert restored_sequences.pop("audit_auditevent") == sequences.pop("audit_auditevent") + 1
    assert restored_sequences == sequences, "new rows continue after the restored ids"
    assert restored.keys() == before.keys()
    for table, rows in before.items():
        assert restored[table] == rows, table
    assert tree_of(target / "media") == tree_of(place / "var" / "media")

    # The restored directory is a working install: its key file opens the sealed mobile number.
    key_file = target / "keys" / "data-keys.json"
    assert key_file.stat().st_mode & 0o777 == 0o600
    sealed = next(r["mobile_sealed"] for r in restored["accounts_user"] if r["display_name"] == "王小红")
    crypto.keyring.cache_clear()
    with override_settings(DATA_KEY_FILE=key_file):
        assert crypto.decrypt(sealed) == MOBILE


def _postgres_round_trip(place: Path) -> None:
    source_name = str(connection.settings_dict["NAME"])
    before, sequences, triggers, partitions = pg_dump_rows(source_name)
    archive = place / "backups" / "anju.tar.gz"
    err = io.StringIO()
    call_command("backup", "--output", str(archive), stdout=io.StringIO(), stderr=err)
    assert "NOT inside the archive" in err.getvalue()
    manifest = backup.backup_verify(archive)
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["row_counts"] == {t: len(rows) for t, rows in before.items()}
    assert "database.pgdump" in archive_members(archive)

    after, _, _, _ = pg_dump_rows(source_name)
    take_audit_row(after, "system.backup")
    assert after == before

    target_name = f"{source_name}_restored"
    admin = psycopg.connect(**backup.pg_params(pg_settings("postgres")), autocommit=True)  # type: ignore[arg-type]
    try:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target_name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target_name)))
        result = backup.backup_restore(archive, target_var_dir=place / "restored", database=pg_settings(target_name))
        restored, restored_sequences, restored_triggers, restored_partitions = pg_dump_rows(target_name)
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target_name)))
        admin.close()

    assert result.audit_recorded
    assert take_audit_row(restored, "system.restore")["actor_label"] == "anju restore"
    assert {t: len(rows) for t, rows in restored.items()} == manifest["row_counts"]
    take_stamp_renewed(before, restored)
    assert restored.keys() == before.keys()
    for table, rows in before.items():
        assert restored[table] == rows, table
    assert restored_triggers == triggers, "the append-only audit triggers came back too"
    # The time-partitioned tables (core.partitions) come back partitioned, each row in the month it left (the
    # audit trail's months differ by the backup's and the restore's own rows).
    assert [p[:2] for p in restored_partitions] == [p[:2] for p in partitions]
    assert any(name.startswith("audit_auditevent_p") and n for name, _b, n in partitions)
    unaudited = [p for p in partitions if not p[0].startswith("audit_auditevent_")]
    assert [p for p in restored_partitions if not p[0].startswith("audit_auditevent_")] == unaudited
    assert restored_sequences.pop("audit_auditevent_id_seq") == sequences.pop("audit_auditevent_id_seq") + 1
    assert restored_sequences == sequences, "new rows continue after the restored ids"
    assert tree_of(place / "restored" / "media") == tree_of(place / "var" / "media")

    # No keys went into the archive, and the restore says the ones it needs are missing there.
    assert result.keys_written is None
    assert not (place / "restored" / "keys").exists()
    assert any("k1" in w and "data keys" in w for w in result.warnings), result.warnings
    sealed = next(r["mobile_sealed"] for r in restored["accounts_user"] if r["display_name"] == "王小红")
    assert crypto.decrypt(sealed) == MOBILE, "the source's key still opens the restored data"


# --------------------------------------------------------------------------- refusals


def _damage_flip(good: Path, bad: Path) -> None:
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))


def _damage_truncate(good: Path, bad: Path) -> None:
    data = good.read_bytes()
    bad.write_bytes(data[: len(data) * 2 // 3])


def _repack(good: Path, bad: Path, change: Any) -> None:
    members = archive_members(good)
    change(members)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bad.write_bytes(buffer.getvalue())


def _damage_member(good: Path, bad: Path) -> None:
    """A well-formed gzip and tar whose upload differs from what the manifest says."""
    _repack(good, bad, lambda m: m.update({"media/notice.txt": b"tampered\n"}))


def _damage_newer_format(good: Path, bad: Path) -> None:
    def bump(members: dict[str, bytes]) -> None:
        manifest = json.loads(members["manifest.json"])
        manifest["format_version"] = backup.FORMAT_VERSION + 1
        members["manifest.json"] = json.dumps(manifest).encode()

    _repack(good, bad, bump)


def _damage_foreign(good: Path, bad: Path) -> None:
    _repack(good, bad, lambda m: m.pop("manifest.json"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_damage_flip, "damaged"),
        (_damage_truncate, "damaged"),
        (_damage_member, "failed verification: media/notice.txt"),
        (_damage_newer_format, "newer Anju"),
        (_damage_foreign, "no manifest"),
    ],
)
def test_a_damaged_or_unknown_archive_is_refused_and_nothing_changes(place: Path, damage: Any, message: str) -> None:
    populate(place / "var" / "media")
    good = backup.backup_create(output=place / "good.tar.gz").path
    backup.backup_verify(good)  # the original is fine: what follows is the damage being caught
    bad = place / "bad.tar.gz"
    damage(good, bad)
    target = place / "target"
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(bad), "--target-var-dir", str(target))
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(bad), "--verify-only")
    assert not target.exists()
    assert not list(place.glob("**/.anju-restore-*"))


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_target_that_is_not_empty(place: Path) -> None:
    populate(place / "var" / "media")
    archive = backup.backup_create(output=place / "a.tar.gz").path
    if connection.vendor == "postgresql":
        # The suite's own database has tables: the dump does not go in, whatever --force says.
        counts = backup.backup_verify(archive)["row_counts"]
        for extra in ([], ["--force"]):
            with pytest.raises(CommandError, match="is not empty"):
                call_command("restore", str(archive), "--target-var-dir", str(place / "t"), *extra)
        assert not (place / "t").exists()
        assert User.objects.count() == counts["accounts_user"] == 3
        return

    assert connection.vendor == "sqlite"
    target = place / "t"
    target.mkdir()
    existing = target / "anju.sqlite3"
    existing.write_bytes(b"somebody's database")
    with pytest.raises(CommandError, match="exists already"):
        call_command("restore", str(archive), "--target-var-dir", str(target))
    assert existing.read_bytes() == b"somebody's database"
    assert sorted(p.name for p in target.iterdir()) == ["anju.sqlite3"]

    # Uploads in the way are refused too.
    other = place / "t2"
    (other / "media").mkdir(parents=True)
    (other / "media" / "keep.txt").write_text("keep")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(archive), "--target-var-dir", str(other))
    assert sorted(p.name for p in other.rglob("*")) == ["keep.txt", "media"]

    # --force moves the existing database aside (timestamped .bak) and restores; what the session cache held
    # describes the old database and is dropped.
    sessions = caches[settings.SESSION_CACHE_ALIAS]
    sessions.set("anju:user:1", "a user of the old database")
    out = io.StringIO()
    call_command("restore", str(archive), "--target-var-dir", str(target), "--force", stdout=out, stderr=io.StringIO())
    assert sessions.get("anju:user:1") is None
    baks = list(target.glob("anju.sqlite3.*.bak"))
    assert len(baks) == 1
    assert baks[0].read_bytes() == b"somebody's database"
    assert "moved aside" in out.getvalue()
    con = sqlite3.connect(existing)
    try:
        assert con.execute("SELECT count(*) FROM accounts_user").fetchone()[0] == 3
    finally:
        con.close()


@pytest.mark.django_db(transaction=True)
def test_backup_warns_that_the_data_key_is_not_in_the_archive(place: Path) -> None:
    make_user(mobile=MOBILE)  # seals a value, so the key file exists
    key_doc = json.loads((place / "var" / "keys" / "data-keys.json").read_text())
    secrets = [*key_doc["keys"].values(), key_doc["hash_key"]]

    archive = place / "plain.tar.gz"
    out, err = io.StringIO(), io.StringIO()
    call_command("backup", "-o", str(archive), stdout=out, stderr=err)
    assert "the data key is needed to restore this backup and it is NOT inside the archive" in err.getvalue()
    assert str(place / "var" / "keys" / "data-keys.json") in err.getvalue()
    members = archive_members(archive)
    assert not any(name.startswith("keys/") for name in members)
    for data in members.values():
        assert not any(secret.encode() in data for secret in secrets)
    manifest = json.loads(members["manifest.json"])
    assert manifest["data_keys"]["included"] is False
    assert manifest["data_keys"]["fingerprints"]["keys"].keys() == {"k1"}

    archive = place / "with-keys.tar.gz"
    err = io.StringIO()
    call_command("backup", "-o", str(archive), "--include-keys", stdout=io.StringIO(), stderr=err)
    assert "CONTAINS the data keys" in err.getvalue()
    assert "NOT inside" not in err.getvalue()
    assert json.loads(archive_members(archive)["keys/data-keys.json"]) == key_doc
    assert archive.stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db(transaction=True)
def test_a_failed_backup_leaves_no_half_archive(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(place / "var" / "media")
    folder = place / "backups"

    def disk_full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_archive, "_add_media", disk_full)
    with pytest.raises(CommandError, match=r"nothing was written: .*No space left"):
        call_command("backup", "-o", str(folder / "a.tar.gz"))
    assert list(folder.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_backup_without_pg_dump(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL needs pg_dump and says so clearly; SQLite needs no outside tool at all."""
    monkeypatch.setenv("PATH", str(place / "no-tools-here"))
    archive = place / "a.tar.gz"
    if connection.vendor == "postgresql":
        with pytest.raises(CommandError, match="pg_dump was not found"):
            call_command("backup", "-o", str(archive))
        assert not archive.exists()
        assert list(place.glob(".anju-backup-*")) == []
    else:
        call_command("backup", "-o", str(archive), stdout=io.StringIO(), stderr=io.StringIO())
        assert backup.backup_verify(archive)["database"]["vendor"] == "sqlite"


def test_the_archive_is_checked_end_to_end_by_gzip_too(tmp_path: Path) -> None:
    """Trailing damage after the last tar block is still caught (the gzip CRC is read to the end)."""
    manifest = {"format": "anju-backup", "format_version": 1}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    blob = bytearray(gzip.compress(raw.getvalue()))
    blob[-6] ^= 0x01  # inside the CRC-32 of the gzip trailer
    path = tmp_path / "crc.tar.gz"
    path.write_bytes(bytes(blob))
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.backup_verify(path)
    os.remove(path)
    with pytest.raises(backup.BackupError, match="no archive"):
        backup.backup_verify(path)


@pytest.mark.django_db
def test_backup_refuses_to_run_inside_a_transaction(place: Path) -> None:
    """Inside a transaction a backup would miss or wait on uncommitted work; it says so instead."""
    with pytest.raises(backup.BackupError, match="inside a database transaction"):
        backup.backup_create(output=place / "a.tar.gz")
    assert not (place / "a.tar.gz").exists()
