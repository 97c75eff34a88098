"""Uploaded files that only a committed row makes live, and the sweep of what a crash left.

Every upload (appeal photos, notice covers and photos, activity posters, space photos) is saved
by a model's ``FileField`` inside its service's transaction, so the file is written before the
COMMIT. :class:`CommitOnlyStorage`, the default storage, writes such a file under
``MEDIA_ROOT/.pending/<name>`` and moves it to ``MEDIA_ROOT/<name>`` only once the transaction
commits (``transaction.on_commit``); a rollback or a kill before the COMMIT leaves it in
``.pending``, where nothing serves it. Until then the file is read from where it is, so code in
the same transaction (and tests that never commit) sees it.

:func:`media_sweep` (the periodic task ``jobs.sweep_media``) then removes, once they are older
than :data:`GRACE`:

* pending files no row points at (a rolled-back or killed upload);
* files under an upload directory no row points at (written outside a transaction by a process
  killed before its row was saved, or left by an older version);

and moves a pending file a committed row does point at into place (a kill between the COMMIT and
the move). A large upload is spooled by Django to a temporary file while the request is read; a
process killed meanwhile leaves it, so those go to ``FILE_UPLOAD_TEMP_DIR`` (beside the media, not
the system's /tmp) and the sweep removes old ones there too. Its counts go to the job log and the
worker page.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import models, transaction

log = logging.getLogger("anju.files")

PENDING_DIR = ".pending"
GRACE = timedelta(hours=1)


def _pending(name: str) -> str:
    return f"{PENDING_DIR}/{name}"


def _is_pending(name: str) -> bool:
    return name.replace("\\", "/").startswith(PENDING_DIR + "/")


class CommitOnlyStorage(FileSystemStorage):
    """A file saved inside a transaction goes live (under its own name) only when the transaction
    commits; see the module docstring."""

    def path(self, name: str) -> str:
        full = super().path(name)
        if not _is_pending(name) and not os.path.lexists(full):
            pending = super().path(_pending(name))
            if os.path.lexists(pending):
                return pending
        return full

    def _save(self, name: str, content: Any) -> str:
        if not transaction.get_connection().in_atomic_block:
            return super()._save(name, content)  # type: ignore[misc]  # django-stubs omits FileSystemStorage._save
        saved = super()._save(_pending(name), content)  # type: ignore[misc]  # as above
        final = saved[len(PENDING_DIR) + 1 :]
        transaction.on_commit(lambda: self.promote(final), robust=True)
        return final

    def promote(self, name: str) -> bool:
        """Move a pending file into place; False when there was none (already moved, or swept)."""
        source = super().path(_pending(name))
        target = super().path(name)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(source, target)
        except FileNotFoundError:
            return False
        return True


class UploadSpoolHandler(TemporaryFileUploadHandler):
    """Django's spooling of large uploads, into ``FILE_UPLOAD_TEMP_DIR`` (created when first needed),
    where :func:`media_sweep` finds what a killed process left."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if settings.FILE_UPLOAD_TEMP_DIR:
            os.makedirs(settings.FILE_UPLOAD_TEMP_DIR, exist_ok=True)
        super().new_file(*args, **kwargs)


def _file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and not field.many_to_many:
                yield model, field


def referenced_names() -> set[str]:
    """Every file name a row points at."""
    names: set[str] = set()
    for model, field in _file_fields():
        qs = model._default_manager.exclude(**{field.name: ""}).exclude(**{f"{field.name}__isnull": True})
        names.update(qs.values_list(field.name, flat=True).iterator(chunk_size=2000))
    return names


def upload_dirs() -> set[str]:
    """The directories under MEDIA_ROOT that file fields upload to (their fixed leading part)."""
    dirs = set()
    for _model, field in _file_fields():
        upload_to = field.upload_to
        if isinstance(upload_to, str) and upload_to:
            fixed = upload_to.split("%", 1)[0].strip("/")
            if fixed:
                dirs.add(fixed)
    return dirs


def _files_under(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for directory, _subdirs, files in os.walk(root):
        for filename in files:
            yield Path(directory) / filename


def _remove_empty_dirs(root: Path) -> None:
    if not root.is_dir():
        return
    for directory, _subdirs, _files in os.walk(root, topdown=False):
        if Path(directory) != root:
            with contextlib.suppress(OSError):  # not empty
                os.rmdir(directory)


def media_sweep(*, now: float | None = None, grace: timedelta = GRACE) -> dict[str, int]:
    """Remove files no row points at (older than ``grace``), move committed pending files into
    place, and count rows whose file is missing. Safe to run twice or beside uploads: anything
    younger than ``grace`` is left alone."""
    root = Path(settings.MEDIA_ROOT)
    storage = CommitOnlyStorage(location=root)
    cutoff = (time.time() if now is None else now) - grace.total_seconds()
    referenced = referenced_names()
    counts = {
        "promoted": 0,
        "removed_pending": 0,
        "removed_unreferenced": 0,
        "removed_upload_spool": 0,
        "rows_missing_file": 0,
    }

    pending_root = root / PENDING_DIR
    for path in _files_under(pending_root):
        name = path.relative_to(pending_root).as_posix()
        try:
            if path.stat().st_mtime > cutoff:
                continue
            if name in referenced and not (root / name).exists():
                counts["promoted"] += storage.promote(name)
            else:
                path.unlink()
                counts["removed_pending"] += 1
        except FileNotFoundError:
            continue  # moved or removed meanwhile
    _remove_empty_dirs(pending_root)

    for directory in sorted(upload_dirs()):
        for path in _files_under(root / directory):
            name = path.relative_to(root).as_posix()
            if name in referenced or _is_pending(name):
                continue
            try:
                if path.stat().st_mtime > cutoff:
                    continue
                path.unlink()
                counts["removed_unreferenced"] += 1
            except FileNotFoundError:
                continue

    spool = Path(settings.FILE_UPLOAD_TEMP_DIR) if settings.FILE_UPLOAD_TEMP_DIR else None
    for path in _files_under(spool) if spool else ():
        try:
            if path.stat().st_mtime <= cutoff:
                path.unlink()
                counts["removed_upload_spool"] += 1
        except FileNotFoundError:
            continue

    counts["rows_missing_file"] = sum(
        1 for name in referenced if not (root / name).exists() and not (pending_root / name).exists()
    )
    if counts["rows_missing_file"]:
        log.warning("media sweep: %d rows point at a missing file", counts["rows_missing_file"])
    log.info(
        "media sweep: promoted %(promoted)d, removed %(removed_pending)d pending, "
        "%(removed_unreferenced)d unreferenced and %(removed_upload_spool)d spooled upload files",
        counts,
    )
    return counts
