"""The working-day calendar app (``anju.calendar``): its schedule service runs the hooks other apps register,
in its own transaction, and the migration that moved the schedule out of appeals keeps every entered row."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from anju.appeals import recompute
from anju.calendar import services
from anju.calendar.models import HolidayDate, HolidayYear
from anju.calendar.workdays import Calendar
from anju.jobs.models import Job

H, W = HolidayDate.Kind.HOLIDAY, HolidayDate.Kind.WORKDAY
BEFORE = (("appeals", "0011_summons_arrival_method"), ("calendar", "0001_initial"))


def test_appeals_registers_its_recompute_with_the_calendar() -> None:
    assert recompute.schedule_changed in services.schedule_hooks()


@pytest.mark.django_db
def test_a_failing_hook_leaves_no_schedule_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*, year: int, revision: int) -> None:
        raise RuntimeError("hook failed")

    monkeypatch.setattr(services, "_hooks", [*services.schedule_hooks(), broken])
    with pytest.raises(RuntimeError):
        services.holidays_set(actor=None, year=2031, days=[(dt.date(2031, 1, 1), H)])
    assert not HolidayYear.objects.exists()
    assert not HolidayDate.objects.exists()
    assert not Job.objects.filter(name=recompute.TASK).exists()


@pytest.mark.django_db
def test_the_schedule_reaches_every_user_of_the_calendar() -> None:
    services.holidays_set(actor=None, year=2031, days=[(dt.date(2031, 1, 2), H), (dt.date(2031, 1, 4), W)])
    assert Job.objects.filter(name=recompute.TASK, payload={"year": 2031, "revision": 1}).exists()
    cal = Calendar.load()
    assert not cal.is_workday(dt.date(2031, 1, 2))  # a Thursday made a holiday
    assert cal.is_workday(dt.date(2031, 1, 4))  # a Saturday made a working day
    assert cal.holiday(dt.date(2031, 1, 2)) == ""


@contextmanager
def old_tables() -> Iterator[Any]:
    """The historical apps before the move, with appeals' two schedule tables created for the block."""
    apps = MigrationLoader(connection).project_state(BEFORE).apps
    models = [apps.get_model("appeals", name) for name in ("HolidayDate", "HolidayYear")]
    with connection.schema_editor() as editor:
        for model in models:
            editor.create_model(model)
    try:
        yield apps
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(models):
                editor.delete_model(model)


@pytest.mark.django_db(transaction=True)
def test_moving_the_schedule_to_the_calendar_keeps_every_row_both_ways() -> None:
    migration = importlib.import_module("anju.appeals.migrations.0012_move_holidays_to_calendar")
    entered = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    with old_tables() as apps:
        old_day = apps.get_model("appeals", "HolidayDate")
        old_year = apps.get_model("appeals", "HolidayYear")
        old_day.objects.create(date=dt.date(2027, 2, 9), kind=H, name="春节")
        old_day.objects.create(date=dt.date(2027, 2, 20), kind=W)
        year = old_year.objects.create(year=2027, revision=2, recomputed_revision=1, recomputed_count=5)
        old_year.objects.filter(pk=year.pk).update(entered_at=entered)

        migration.forwards(apps, None)
        migration.forwards(apps, None)  # back and forth again: rows are matched, not duplicated
        assert list(HolidayDate.objects.order_by("date").values_list("date", "kind", "name")) == [
            (dt.date(2027, 2, 9), H, "春节"),
            (dt.date(2027, 2, 20), W, ""),
        ]
        moved = HolidayYear.objects.get()
        assert (moved.year, moved.revision, moved.recomputed_revision, moved.recomputed_count) == (2027, 2, 1, 5)
        assert moved.entered_at == entered
        assert moved.recompute_pending

        old_day.objects.all().delete()
        old_year.objects.all().delete()
        migration.backwards(apps, None)
        assert old_day.objects.filter(date=dt.date(2027, 2, 9), name="春节").exists()
        assert old_year.objects.get().entered_at == entered
