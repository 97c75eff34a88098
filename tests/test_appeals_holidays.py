"""Entering or correcting an official holiday schedule recomputes the open deadlines touching that year in a
background job (``appeals.deadlines_recompute``): batched, idempotent, shown on the holidays page; the
spaces calendar reads the same schedule at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from anju.appeals import clock, recompute
from anju.appeals.models import Appeal, Status
from anju.audit.models import AuditEvent
from anju.calendar import selectors as calendar_selectors
from anju.calendar import services as calendar_services
from anju.calendar.models import HolidayDate, HolidayYear
from anju.jobs.models import Job
from anju.jobs.worker import run_once
from anju.spaces import selectors as space_selectors
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld
from anju.testing.spaces import make_station

TZ = timezone.get_fixed_timezone(8 * 60)
H = HolidayDate.Kind.HOLIDAY
W = HolidayDate.Kind.WORKDAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _file_at(world: AppealsWorld, at: dt.datetime, **kw: Any) -> Appeal:
    with clock.frozen(at):
        return world.file(**kw)


FIRST = [(dt.date(2027, 1, 1), H)]
CORRECTED = [(dt.date(2027, 1, 1), H), (dt.date(2027, 1, 4), H), (dt.date(2027, 1, 5), H), (dt.date(2027, 1, 9), W)]


def test_a_corrected_schedule_moves_an_already_computed_deadline(world: AppealsWorld) -> None:
    calendar_services.holidays_set(actor=world.admin, year=2027, days=FIRST)
    run_once()
    # Filed after the first entry: its deadlines are computed from that schedule, not provisional.
    appeal = _file_at(world, dt.datetime(2026, 12, 30, 9, 0, tzinfo=TZ))
    assert appeal.deadlines_provisional is False
    # Seven working days from 30 Dec with only 1 January off: 31 Dec, 4, 5, 6, 7, 8, 11 January.
    assert appeal.feedback_due.date() == dt.date(2027, 1, 11)
    entry = calendar_services.holidays_set(actor=world.admin, year=2027, days=CORRECTED)
    assert entry.revision == 2
    assert entry.recompute_pending
    job = Job.objects.get(name=recompute.TASK, payload={"year": 2027, "revision": 2})
    assert job.status == Job.Status.QUEUED  # enqueued in the same transaction, run later
    appeal.refresh_from_db()
    assert appeal.feedback_due.date() == dt.date(2027, 1, 11)
    run_once()
    appeal.refresh_from_db()
    # 31 Dec, 6, 7, 8, 9 (make-up), 11, 12 January.
    assert appeal.feedback_due.date() == dt.date(2027, 1, 12)
    assert appeal.due_at == appeal.dispatch_due  # still waiting to be dispatched
    entry.refresh_from_db()
    assert not entry.recompute_pending
    assert entry.recomputed_count == 1
    assert entry.recompute_finished_at is not None
    assert AuditEvent.objects.filter(action="appeal.holidays_set").count() == 2
    assert AuditEvent.objects.filter(action="appeal.deadlines_recomputed").count() == 2


def test_running_the_job_twice_changes_nothing_more(world: AppealsWorld) -> None:
    appeal = _file_at(world, dt.datetime(2026, 12, 30, 9, 0, tzinfo=TZ))
    assert appeal.deadlines_provisional is True
    entry = calendar_services.holidays_set(actor=world.admin, year=2027, days=CORRECTED)
    assert recompute.deadlines_recompute(year=2027, revision=entry.revision) == 1
    appeal.refresh_from_db()
    after = {f: getattr(appeal, f) for f in recompute.DEADLINE_FIELDS}
    assert after["deadlines_provisional"] is False
    audits = AuditEvent.objects.filter(action__startswith="appeal.").count()
    # The worker runs the queued job as well (as after a crash between its batches and its end): no change.
    run_once()
    assert recompute.deadlines_recompute(year=2027, revision=entry.revision) == 0
    appeal.refresh_from_db()
    assert {f: getattr(appeal, f) for f in recompute.DEADLINE_FIELDS} == after
    assert AuditEvent.objects.filter(action__startswith="appeal.").count() == audits
    entry.refresh_from_db()
    assert entry.recomputed_count == 1


def test_only_open_appeals_touching_the_year_are_recomputed_in_batches(world: AppealsWorld) -> None:
    inside = [_file_at(world, dt.datetime(2026, 12, 28 + n, 9, 0, tzinfo=TZ)) for n in range(3)]
    spring = _file_at(world, dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ))  # all its deadlines in March 2026
    closed = _file_at(world, dt.datetime(2026, 12, 29, 9, 0, tzinfo=TZ))
    Appeal.objects.filter(pk=closed.pk).update(status=Status.CLOSED_RESOLVED)
    assert set(recompute.affected(2027).values_list("pk", flat=True)) == {a.pk for a in inside}
    before_spring = Appeal.objects.get(pk=spring.pk).feedback_due
    before_closed = Appeal.objects.get(pk=closed.pk).feedback_due
    calendar_services.holidays_set(actor=world.admin, year=2027, days=CORRECTED)
    assert recompute.deadlines_recompute(year=2027, revision=1, batch=1) == 3
    assert not Appeal.objects.filter(pk__in=[a.pk for a in inside], deadlines_provisional=True).exists()
    assert Appeal.objects.get(pk=spring.pk).feedback_due == before_spring
    closed_now = Appeal.objects.get(pk=closed.pk)
    assert closed_now.feedback_due == before_closed
    assert closed_now.deadlines_provisional is True


def test_the_page_shows_the_recompute_queued_then_finished(world: AppealsWorld) -> None:
    _file_at(world, dt.datetime(2026, 12, 30, 9, 0, tzinfo=TZ))
    c = english_client(world.admin)
    days = "2027-01-01 holiday\n2027-01-04 holiday"
    response = c.post(reverse("appeals:holidays"), {"year": "2027", "days": days}, follow=True)
    page = response.content.decode()
    assert "being recomputed" in page
    assert "Queued" in page
    assert "Finished" not in page
    run_once()
    page = c.get(reverse("appeals:holidays")).content.decode()
    assert "Finished" in page
    assert "Queued" not in page
    assert "1 appeal&#x27;s deadlines moved" in page or "1 appeal's deadlines moved" in page
    # Entering the year again (a correction) queues it again.
    c.post(reverse("appeals:holidays"), {"year": "2027", "days": days + "\n2027-01-05 holiday"})
    assert "Queued" in c.get(reverse("appeals:holidays")).content.decode()
    assert HolidayYear.objects.get(year=2027).revision == 2


def test_bad_schedules_and_other_roles_change_nothing(world: AppealsWorld) -> None:
    with pytest.raises(PermissionDenied):
        calendar_services.holidays_set(actor=world.worker, year=2027, days=FIRST)
    with pytest.raises(ValidationError):
        calendar_services.holidays_set(
            actor=world.admin, year=2027, days=[(dt.date(2027, 1, 1), H), (dt.date(2027, 1, 1), W)]
        )
    with pytest.raises(ValidationError):
        calendar_services.holidays_set(actor=world.admin, year=2027, days=[(dt.date(2027, 1, 1), "party")])
    assert not HolidayYear.objects.exists()
    assert not HolidayDate.objects.exists()
    assert not Job.objects.filter(name=recompute.TASK).exists()


def test_spaces_see_the_corrected_schedule_at_once(world: AppealsWorld) -> None:
    station = make_station(world.tree.community)
    from anju.spaces import services as space_services

    space_services.space_set_rules(actor=None, space=station.reading, closed_on_holidays=True, max_days_ahead=90)
    day = dt.date(2027, 2, 9)

    def states() -> set[str]:
        ((_day, cells),) = space_selectors.space_days(station.reading, [day], world.resident)
        return {c.state for c in cells}

    calendar_services.holidays_set(actor=world.admin, year=2027, days=FIRST)
    assert "closed" not in states()
    calendar_services.holidays_set(actor=world.admin, year=2027, days=[*FIRST, (day, H)])
    assert states() == {"closed"}  # no need to wait for the appeals job
    calendar_services.holidays_set(actor=world.admin, year=2027, days=FIRST)  # corrected back
    assert "closed" not in states()


def test_the_page_lists_the_library_years_and_the_entered_ones(world: AppealsWorld) -> None:
    library = calendar_selectors.library_years()
    assert library[0] <= 2010
    assert 2026 in library
    assert 2027 not in library
    assert calendar_selectors.year_ranges([2004, 2005, 2006, 2009, 2010]) == [(2004, 2006), (2009, 2010)]
    # Before anything is entered, next year is flagged as not known.
    assert calendar_selectors.coverage(dt.date(2026, 11, 26))["unknown"] == [2027]
    c = english_client(world.admin)
    page = c.get(reverse("appeals:holidays")).content.decode()
    assert f"<strong>{library[0]}–{library[-1]}</strong>" in page
    for year in calendar_selectors.coverage()["unknown"]:  # this year or next, when neither knows it
        assert f"{year} is not known yet" in page
    calendar_services.holidays_set(actor=world.admin, year=2027, days=FIRST)
    calendar_services.holidays_set(actor=world.admin, year=2026, days=[(dt.date(2026, 1, 1), H)])
    assert calendar_selectors.coverage(dt.date(2026, 11, 26))["unknown"] == []
    page = c.get(reverse("appeals:holidays")).content.decode()
    table = page[page.index('id="holiday-years"') :]
    row_2027 = table[table.index("<td>2027</td>") : table.index("</tr>", table.index("<td>2027</td>"))]
    row_2026 = table[table.index("<td>2026</td>") : table.index("</tr>", table.index("<td>2026</td>"))]
    assert "Fills a year the library does not know" in row_2027
    assert "Queued" in row_2027
    assert "Overrides the library" in row_2026
    assert "is not known yet" not in page
