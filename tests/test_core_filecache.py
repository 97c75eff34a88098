"""The shared file cache: Django's file format and semantics, with each process decoding a file's bytes once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from anju.core.filecache import SharedFileCache


@pytest.fixture
def two_processes(tmp_path: Path) -> tuple[SharedFileCache, SharedFileCache]:
    """Two handles on one directory, each with its own memo, as two processes of the site have."""
    return SharedFileCache(str(tmp_path), {}), SharedFileCache(str(tmp_path), {})


def test_a_value_is_shared_while_its_bytes_stay_the_same(
    two_processes: tuple[SharedFileCache, SharedFileCache],
) -> None:
    this, other = two_processes
    other.set("k", {"name": "王芳"}, 60)
    shared = this.get_shared("k")
    assert shared == {"name": "王芳"}
    assert this.get_shared("k") is shared
    fresh = this.get("k")
    assert fresh == shared
    assert fresh is not shared
    assert this.get("k") is not fresh


def test_a_write_or_delete_by_another_process_is_seen_at_once(
    two_processes: tuple[SharedFileCache, SharedFileCache],
) -> None:
    this, other = two_processes
    other.set("k", "first", 60)
    assert this.get_shared("k") == "first"
    other.set("k", "second", 60)
    assert this.get_shared("k") == "second"
    assert this.get("k") == "second"
    other.delete("k")
    assert this.get_shared("k") is None
    assert this.get("k", "gone") == "gone"
    other.set("k", "first", 60)  # the same bytes as before the change: still the value now in the file
    assert this.get_shared("k") == "first"


def test_an_expired_value_is_gone_even_from_the_memo(
    two_processes: tuple[SharedFileCache, SharedFileCache], monkeypatch: pytest.MonkeyPatch
) -> None:
    this, other = two_processes
    other.set("k", "soon gone", 30)
    assert this.get_shared("k") == "soon gone"
    later = time.time() + 31
    monkeypatch.setattr(time, "time", lambda: later)
    assert this.get_shared("k") is None
    assert other.get("k") is None
    assert not other.has_key("k")


def test_a_torn_or_empty_file_reads_as_missing(two_processes: tuple[SharedFileCache, SharedFileCache]) -> None:
    this, other = two_processes
    other.set("k", "value", 60)
    Path(this._key_to_file("k")).write_bytes(b"")
    assert this.get("k") is None
    other.set("k", "value", 60)
    path = Path(this._key_to_file("k"))
    path.write_bytes(path.read_bytes()[:-3])
    assert this.get_shared("k") is None


def test_it_keeps_djangos_other_operations(two_processes: tuple[SharedFileCache, SharedFileCache]) -> None:
    this, other = two_processes
    assert this.add("k", 1, 60)
    assert not other.add("k", 2, 60)
    assert other.incr("k") == 2
    assert this.get("k") == 2
    assert other.touch("k", 120)
    assert this.get_many(["k", "missing"]) == {"k": 2}
    this.clear()
    assert other.get("k") is None
