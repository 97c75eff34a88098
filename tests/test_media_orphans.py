"""A crash leaves no uploaded file behind: every upload path writes its file so that only a committed
row makes it live (``core.files.CommitOnlyStorage``), and the periodic sweep removes what a crash
left, logging its counts in the job log. The crash is simulated where a kill hurts: after the file
and its row are written, before the COMMIT."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import models
from django.db.models.signals import post_save
from django.utils import timezone

from anju.activities import services as activity_services
from anju.activities.models import Activity
from anju.appeals.handling import services as handling
from anju.appeals.models import AppealPhoto
from anju.bulletin import services as bulletin_services
from anju.bulletin.models import Notice, NoticePhoto
from anju.core import files
from anju.jobs import worker
from anju.jobs.models import PeriodicTask
from anju.spaces import setup as space_setup
from anju.spaces.models import SpacePhoto
from anju.testing import build_tree
from anju.testing.activities import make_activity, make_activity_world, make_past_activity
from anju.testing.appeals import make_appeals_world, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

AFTER_GRACE = files.GRACE + timedelta(minutes=1)


class Crash(BaseException):
    """The process dies here: after the file and its row were written, before the COMMIT."""


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def live_files() -> set[str]:
    return {name for name in media_files() if not name.startswith(files.PENDING_DIR + "/")}


def sweep_later() -> dict[str, int]:
    return files.media_sweep(now=time.time() + AFTER_GRACE.total_seconds())


def assert_no_file_without_row_and_no_row_without_file() -> None:
    referenced = files.referenced_names()
    assert media_files() == referenced
    root = Path(settings.MEDIA_ROOT)
    assert all((root / name).is_file() for name in referenced)


# --- every upload path ------------------------------------------------------------------------------


def _appeal_photos() -> tuple[type[models.Model], str, Callable[[], Any]]:
    world = make_appeals_world(build_tree())
    return AppealPhoto, "image", lambda: world.file(photos=[upload("a.jpg"), upload("b.jpg")])


def _appeal_feedback_photos() -> tuple[type[models.Model], str, Callable[[], Any]]:
    world = make_appeals_world(build_tree())
    appeal = world.to_status(world.file(), "in_progress")
    return (
        AppealPhoto,
        "image",
        lambda: handling.appeal_feedback(actor=world.liaison, appeal=appeal, note="已修复", photos=[upload()]),
    )


def _notice_cover() -> tuple[type[models.Model], str, Callable[[], Any]]:
    activity_world = make_activity_world()
    return (
        Notice,
        "cover",
        lambda: bulletin_services.notice_create(
            actor=activity_world.users["worker"],
            community=activity_world.tree.community,
            title="停水通知",
            body="<p>x</p>",
            cover=upload(),
        ),
    )


def _notice_cover_replaced() -> tuple[type[models.Model], str, Callable[[], Any]]:
    world = make_activity_world()
    notice = bulletin_services.notice_create(
        actor=world.users["worker"], community=world.tree.community, title="停水通知", body="<p>x</p>"
    )
    return (
        Notice,
        "cover",
        lambda: bulletin_services.notice_update(
            actor=world.users["worker"], notice=notice, title="停水通知", body="<p>y</p>", category=notice.category,
            cover=upload(),
        ),
    )  # fmt: skip


def _summary_photos() -> tuple[type[models.Model], str, Callable[[], Any]]:
    world = make_activity_world()
    activity = make_past_activity(world)
    return (
        NoticePhoto,
        "image",
        lambda: bulletin_services.activity_summary_publish(
            actor=world.users["worker"], activity=activity, title="回顾", body="<p>x</p>", photos=[upload(), upload()]
        ),
    )


def _activity_poster() -> tuple[type[models.Model], str, Callable[[], Any]]:
    world = make_activity_world()
    return Activity, "poster", lambda: make_activity(world, poster=upload())


def _activity_poster_replaced() -> tuple[type[models.Model], str, Callable[[], Any]]:
    world = make_activity_world()
    activity = make_activity(world)
    return (
        Activity,
        "poster",
        lambda: activity_services.activity_update(actor=world.users["worker"], activity=activity, poster=upload()),
    )


def _space_photos() -> tuple[type[models.Model], str, Callable[[], Any]]:
    world = make_activity_world()
    return (
        SpacePhoto,
        "image",
        lambda: space_setup.space_photo_add(
            actor=world.users["worker"], space=world.station.kitchen, files=[upload(), upload()]
        ),
    )


PATHS = {
    "appeal photos": _appeal_photos,
    "appeal feedback photos": _appeal_feedback_photos,
    "notice cover": _notice_cover,
    "notice cover replaced": _notice_cover_replaced,
    "activity summary photos": _summary_photos,
    "activity poster": _activity_poster,
    "activity poster replaced": _activity_poster_replaced,
    "space photos": _space_photos,
}


def crash_after_saving(model: type[models.Model], field: str) -> Iterator[None]:
    def die(sender: Any, instance: Any, **kwargs: Any) -> None:
        if getattr(instance, field):
            raise Crash(model.__name__)

    post_save.connect(die, sender=model, weak=False)
    try:
        yield
    finally:
        post_save.disconnect(die, sender=model)


@pytest.mark.parametrize("path", list(PATHS))
def test_a_crash_before_commit_leaves_no_live_file_and_the_sweep_removes_it(path: str) -> None:
    model, field, upload_it = PATHS[path]()
    before = media_files()
    assert before == files.referenced_names()
    guard = crash_after_saving(model, field)
    next(guard)
    try:
        with pytest.raises(Crash):
            upload_it()
    finally:
        next(guard, None)
    written = media_files() - before
    assert written, "the upload wrote its file before the crash"
    assert live_files() == live_files() & before  # nothing the crash left is served under a live name
    assert sweep_later()["removed_pending"] == len(written)
    assert_no_file_without_row_and_no_row_without_file()


@pytest.mark.parametrize("path", list(PATHS))
def test_a_committed_upload_goes_live_and_the_sweep_keeps_it(
    path: str, django_capture_on_commit_callbacks: Any
) -> None:
    _model, _field, upload_it = PATHS[path]()
    before = live_files()
    with django_capture_on_commit_callbacks(execute=True):
        upload_it()
    assert live_files() - before  # moved into place on commit
    assert not {n for n in media_files() if n.startswith(files.PENDING_DIR + "/")}
    counts = sweep_later()
    assert (counts["removed_pending"], counts["removed_unreferenced"], counts["rows_missing_file"]) == (0, 0, 0)
    assert_no_file_without_row_and_no_row_without_file()


# --- the sweep -----------------------------------------------------------------------------------------


def test_a_kill_between_commit_and_the_move_is_finished_by_the_sweep() -> None:
    """The row committed but the process died before its on-commit move: the file is still pending
    (callbacks never run here), the row reads it from there, and the sweep moves it into place."""
    _model, _field, upload_it = _space_photos()
    photos = upload_it()
    assert not live_files()
    for p in photos:  # read from .pending meanwhile
        with p.image.open("rb") as f:
            assert f.read(2) == b"\xff\xd8"
    assert sweep_later()["promoted"] == 2
    assert live_files() == {p.image.name for p in photos}
    assert_no_file_without_row_and_no_row_without_file()


def test_the_sweep_leaves_young_files_and_files_outside_upload_directories() -> None:
    root = Path(settings.MEDIA_ROOT)
    young = root / files.PENDING_DIR / "appeals/2026/12/young.jpg"
    stray = root / "spaces" / "stray.jpg"
    elsewhere = root / "not-an-upload-dir" / "keep.txt"
    for p in (young, stray, elsewhere):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    counts = files.media_sweep()  # nothing is older than the grace period yet
    assert (counts["removed_pending"], counts["removed_unreferenced"]) == (0, 0)
    old = time.time() - AFTER_GRACE.total_seconds()
    os.utime(stray, (old, old))
    counts = files.media_sweep()
    assert (counts["removed_pending"], counts["removed_unreferenced"]) == (0, 1)
    assert young.exists()
    assert elsewhere.exists()
    assert not stray.exists()


def test_the_periodic_sweep_writes_its_counts_to_the_job_log(caplog: pytest.LogCaptureFixture) -> None:
    model, field, upload_it = _appeal_photos()
    guard = crash_after_saving(model, field)
    next(guard)
    try:
        with pytest.raises(Crash):
            upload_it()
    finally:
        next(guard, None)
    old = time.time() - AFTER_GRACE.total_seconds()
    for name in media_files():
        os.utime(Path(settings.MEDIA_ROOT) / name, (old, old))
    worker.sync_periodic_tasks()
    PeriodicTask.objects.exclude(name="jobs.sweep_media").update(next_run_at=timezone.now() + timedelta(days=1))
    row = worker.claim_periodic()
    assert row is not None
    assert row.name == "jobs.sweep_media"
    with caplog.at_level("INFO"):
        worker.run_periodic(row)
    row.refresh_from_db()
    assert row.last_status == "ok"
    assert row.last_result == (
        "promoted=0, removed_pending=1, removed_unreferenced=0, removed_upload_spool=0, rows_missing_file=0"
    )
    assert any("removed 1 pending" in r.getMessage() for r in caplog.records if r.name == "anju.files")
    assert media_files() == set()


def test_a_large_upload_spools_beside_the_media_and_the_sweep_removes_what_a_kill_left(
    settings: Any, tmp_path: Path
) -> None:
    """Django spools an upload over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file while it reads the
    request; a kill then leaves a whole photo behind. It goes to FILE_UPLOAD_TEMP_DIR (not /tmp), and the
    sweep removes old files there."""
    assert "anju.core.files.UploadSpoolHandler" in settings.FILE_UPLOAD_HANDLERS
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    handler = files.UploadSpoolHandler()
    handler.new_file("photos", "p.jpg", "image/jpeg", 10)
    handler.receive_data_chunk(b"\xff\xd8 a photo", 0)
    spooled = Path(handler.file.temporary_file_path())
    assert spooled.parent == tmp_path / "spool"
    # The process is killed here, before the request ends: the spooled file stays.
    young = files.media_sweep()
    assert young["removed_upload_spool"] == 0
    assert spooled.exists()
    assert sweep_later()["removed_upload_spool"] == 1
    assert not spooled.exists()
    with contextlib.suppress(FileNotFoundError):  # the test's own handle, which a killed process would not close
        handler.file.close()
