"""Django's file cache, shared by every process of the site, with per-process shortcuts for hot keys.

Sessions and the signed-in user are read from a cache directory that every process shares (see
``SESSION_CACHE_ALIAS`` in settings), so a read costs opening the file, inflating it and unpickling the value:
for a user row about 90 µs, a sixth of a whole "hello". This backend keeps, per process, the last bytes read
from each file with what they decoded to. A read still opens the file and reads it whole (so a value another
process changed or deleted is seen at once, and no timestamp or inode is trusted), but when the bytes are the
same it skips the inflating and, for :meth:`get_shared`, the unpickling.

- :meth:`get` returns a fresh object every time, as Django's does.
- :meth:`get_shared` returns the object this process keeps for those bytes: the caller must not change it
  (``accounts.usercache`` hands each request a copy).

The file format, writes, expiry and culling are Django's own.
"""

from __future__ import annotations

import io
import pickle
import time
import zlib
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache

#: How many files' bytes a process keeps (each a few hundred bytes); the memo is dropped whole when full.
MEMO_FILES = 4096
_UNSET = object()


class _Entry:
    __slots__ = ("expiry", "payload", "raw", "shared")

    def __init__(self, raw: bytes, expiry: float | None, payload: bytes) -> None:
        self.raw = raw
        self.expiry = expiry
        self.payload = payload
        self.shared: Any = _UNSET


class SharedFileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._files: dict[tuple[str, int | None], str] = {}
        self._memo: dict[str, _Entry] = {}

    def _key_to_file(self, key: str, version: int | None = None) -> str:
        # Django validates the key and hashes it on every call; a process asks for the same few keys again.
        fname = self._files.get((key, version))
        if fname is None:
            if len(self._files) >= MEMO_FILES:
                self._files.clear()
            fname = self._files[(key, version)] = super()._key_to_file(key, version)  # type: ignore[misc]
        return fname

    def _entry(self, key: str, version: int | None) -> _Entry | None:
        fname = self._key_to_file(key, version)
        try:
            with open(fname, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            self._memo.pop(fname, None)
            return None
        entry = self._memo.get(fname)
        if entry is None or entry.raw != raw:
            buffer = io.BytesIO(raw)
            try:
                expiry = pickle.load(buffer)  # noqa: S301  our own cache files
                payload = zlib.decompress(buffer.read())
            except (EOFError, pickle.UnpicklingError, zlib.error):
                expiry, payload = 0, b""  # an empty or torn file counts as expired, as in Django
            entry = _Entry(raw, expiry, payload)
            if len(self._memo) >= MEMO_FILES:
                self._memo.clear()
            self._memo[fname] = entry
        if entry.expiry is not None and entry.expiry < time.time():
            self._memo.pop(fname, None)
            self._delete(fname)  # type: ignore[attr-defined]
            return None
        return entry

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        entry = self._entry(key, version)
        return default if entry is None else pickle.loads(entry.payload)  # noqa: S301  our own cache files

    def get_shared(self, key: str, default: Any = None, version: int | None = None) -> Any:
        """The value as one object this process reuses while the file holds the same bytes; do not change it."""
        entry = self._entry(key, version)
        if entry is None:
            return default
        if entry.shared is _UNSET:
            entry.shared = pickle.loads(entry.payload)  # noqa: S301  our own cache files
        return entry.shared
