"""Station spaces: booking rules, composite spaces, approval, recurrence, check-in and no-show release."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from anju.access.roles import Role
from anju.audit.models import AuditEvent
from anju.inbox.models import Message
from anju.jobs.worker import run_once
from anju.spaces import bookings, services
from anju.spaces.models import Booking, Occupancy, Series
from anju.spaces.recurrence import MAX_OCCURRENCES, Recurrence, expand
from anju.testing import Tree, make_user
from anju.testing.spaces import Demo, days_ahead, local


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched in English (the zh-Hans catalogue is filled in later)."""
    with translation.override("en"):
        yield


@pytest.fixture
def resident(tree: Tree) -> Any:
    return make_user(Role.RESIDENT, tree.building, username="wang")


@pytest.fixture
def neighbour(tree: Tree) -> Any:
    return make_user(Role.RESIDENT, tree.building, username="lisi")


@pytest.fixture
def staff(tree: Tree) -> Any:
    return make_user(Role.COMMUNITY_WORKER, tree.community, username="liufang")


def book(actor: Any, space: Any, day: date, start: int, end: int, **kw: Any) -> services.BookingResult:
    return services.booking_create(
        actor=actor, space=space, starts_at=local(day, start), ends_at=local(day, end), title="测试", **kw
    )


# --- single bookings and the invariant -------------------------------------------------------


def test_single_booking_holds_the_space_and_is_audited(demo: Demo, resident: Any) -> None:
    result = book(resident, demo.kitchen, days_ahead(3), 14, 17)
    booking = result.bookings[0]
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.checkin_deadline == booking.starts_at + timedelta(minutes=15)
    assert list(Occupancy.objects.filter(booking=booking).values_list("space_id", flat=True)) == [demo.kitchen.pk]
    assert AuditEvent.objects.filter(action="booking.created", object_id=str(booking.pk)).count() == 1


def test_overlap_is_refused_and_back_to_back_is_fine(demo: Demo, resident: Any, neighbour: Any) -> None:
    day = days_ahead(3)
    book(resident, demo.kitchen, day, 14, 16)
    with pytest.raises(services.SlotTaken, match="共享厨房 is already booked"):
        book(neighbour, demo.kitchen, day, 15, 17)
    book(neighbour, demo.kitchen, day, 16, 18)  # [14,16) and [16,18) touch but do not overlap
    assert Booking.objects.filter(space=demo.kitchen, status="confirmed").count() == 2


def test_exclusion_constraint_backs_the_python_check(
    demo: Demo, resident: Any, neighbour: Any, monkeypatch: Any
) -> None:
    """With the Python check disabled, PostgreSQL's exclusion constraint still refuses the overlap (409, not
    500). SQLite has no such constraint; there the IMMEDIATE transaction makes the Python check authoritative."""
    day = days_ahead(3)
    book(resident, demo.kitchen, day, 14, 16)
    monkeypatch.setattr(bookings, "slot_taken", lambda *a, **k: False)
    if connection.vendor == "postgresql":
        with pytest.raises(services.SlotTaken):
            book(neighbour, demo.kitchen, day, 15, 17)
        assert Booking.objects.filter(space=demo.kitchen).count() == 1
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'spaces_occupancy'")
            assert "EXCLUDE" not in cursor.fetchone()[0]
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


# --- composite spaces ------------------------------------------------------------------------


def test_booking_the_whole_blocks_its_parts(demo: Demo, staff: Any, resident: Any) -> None:
    day = days_ahead(4)
    whole = book(staff, demo.living, day, 9, 11).bookings[0]  # staff: confirmed straight away
    assert whole.status == Booking.Status.CONFIRMED
    held = set(Occupancy.objects.filter(booking=whole).values_list("space_id", flat=True))
    assert held == {demo.living.pk, demo.reading.pk, demo.leisure.pk}
    for part in (demo.reading, demo.leisure):
        with pytest.raises(services.SlotTaken):
            book(resident, part, day, 10, 11)


def test_booking_a_part_blocks_the_whole_but_not_the_other_part(
    demo: Demo, staff: Any, resident: Any, neighbour: Any
) -> None:
    day = days_ahead(4)
    book(resident, demo.reading, day, 9, 11)
    book(neighbour, demo.leisure, day, 9, 11)  # the other part is free
    with pytest.raises(services.SlotTaken):
        book(staff, demo.living, day, 10, 12)
    # A resident's request for the whole is refused too, though it would only be pending.
    with pytest.raises(services.SlotTaken):
        book(resident, demo.living, day, 10, 12)


# --- approval and rejection ------------------------------------------------------------------


def test_confirming_rejects_overlapping_pending_requests_with_a_notice(
    demo: Demo, staff: Any, resident: Any, neighbour: Any, tree: Tree
) -> None:
    day = days_ahead(5)
    first = book(resident, demo.living, day, 14, 16).bookings[0]
    second = book(neighbour, demo.living, day, 15, 17).bookings[0]
    third = book(make_user(Role.RESIDENT, tree.building), demo.reading, day, 15, 16).bookings[0]  # part: conflicts
    later = book(neighbour, demo.living, day, 17, 18).bookings[0]
    assert {first.status, second.status, later.status} == {Booking.Status.PENDING}
    assert not Occupancy.objects.filter(booking__in=[first, second, later]).exists()  # pending holds nothing
    assert third.status == Booking.Status.CONFIRMED  # parts need no approval here
    # The confirmed part blocks confirming the whole …
    with pytest.raises(services.SlotTaken):
        services.booking_confirm(actor=staff, booking=first)
    services.booking_cancel(actor=staff, booking=third, reason="场地调整")
    assert Message.objects.filter(params__booking=third.pk, kind="spaces.booking_cancelled").count() == 1
    # … and once it is gone, confirming the first rejects the overlapping second with a notice.
    services.booking_confirm(actor=staff, booking=first)
    first.refresh_from_db()
    second.refresh_from_db()
    later.refresh_from_db()
    assert first.status == Booking.Status.CONFIRMED
    assert second.status == Booking.Status.REJECTED
    assert "was confirmed" in second.reason
    assert later.status == Booking.Status.PENDING
    notice = Message.objects.get(params__booking=second.pk)
    assert notice.recipient == neighbour
    assert notice.kind == "spaces.booking_rejected"
    assert notice.url == f"/station/bookings/{second.pk}/"
    assert Message.objects.filter(
        params__booking=first.pk, kind="spaces.booking_confirmed", recipient=resident
    ).exists()


def test_rejection_needs_a_reason_and_tells_the_owner(demo: Demo, staff: Any, resident: Any) -> None:
    pending = book(resident, demo.living, days_ahead(5), 9, 10).bookings[0]
    with pytest.raises(ValidationError):
        services.booking_reject(actor=staff, booking=pending, reason=" ")
    services.booking_reject(actor=staff, booking=pending, reason="当天有社区会议")
    pending.refresh_from_db()
    assert pending.status == Booking.Status.REJECTED
    assert Message.objects.get(params__booking=pending.pk).note == "当天有社区会议"
    with pytest.raises(ValidationError):
        services.booking_confirm(actor=staff, booking=pending)


def test_residents_cannot_confirm(demo: Demo, resident: Any, neighbour: Any) -> None:
    pending = book(resident, demo.living, days_ahead(5), 9, 10).bookings[0]
    with pytest.raises(ValidationError):
        services.booking_confirm(actor=neighbour, booking=pending)


# --- recurrence ------------------------------------------------------------------------------


def _dates(rec: Recurrence, first: datetime) -> list[date]:
    return [timezone.localtime(s).date() for s, _e in expand(rec, first, first + timedelta(hours=1))]


def test_recurrence_across_month_ends() -> None:
    jan31 = local(date(2027, 1, 31), 10)
    assert _dates(Recurrence("daily", count=3), jan31) == [date(2027, 1, 31), date(2027, 2, 1), date(2027, 2, 2)]
    # Monthly on the 31st: months without a 31st are left out (RFC 5545).
    assert _dates(Recurrence("monthly", count=4), jan31) == [
        date(2027, 1, 31),
        date(2027, 3, 31),
        date(2027, 5, 31),
        date(2027, 7, 31),
    ]
    # The last Friday of the month (the 29 Jan 2027 is the 5th Friday → "last").
    last_friday = local(date(2027, 1, 29), 19)
    assert _dates(Recurrence("monthly", monthly_by="weekday", count=3), last_friday) == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 3, 26),
    ]
    # The 2nd Tuesday, until a date.
    assert _dates(
        Recurrence("monthly", monthly_by="weekday", until=date(2027, 4, 30)), local(date(2027, 1, 12), 9)
    ) == [
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 4, 13),
    ]
    # Every 2 weeks on Monday and Thursday across the end of February.
    assert _dates(Recurrence("weekly", interval=2, weekdays=[0, 3], count=4), local(date(2027, 2, 22), 9)) == [
        date(2027, 2, 22),
        date(2027, 2, 25),
        date(2027, 3, 8),
        date(2027, 3, 11),
    ]


def test_recurrence_is_capped_with_a_clear_error() -> None:
    first = local(date(2027, 1, 4), 9)
    with pytest.raises(ValidationError, match=f"at most {MAX_OCCURRENCES} dates"):
        expand(Recurrence("daily", count=10_000), first, first + timedelta(hours=1))
    with pytest.raises(ValidationError, match="more than"):
        expand(Recurrence("daily", until=date(2054, 5, 22)), first, first + timedelta(hours=1))
    with pytest.raises(ValidationError, match="either an end date or a number"):
        expand(Recurrence("daily"), first, first + timedelta(hours=1))


def test_weekly_series_leaves_out_the_spring_festival_holiday(demo: Demo, resident: Any) -> None:
    """The reading room is closed on statutory holidays (chinesecalendar): the Tuesdays of the 2026 Spring
    Festival week are left out of a weekly series and reported; a single booking then is refused."""
    services.space_set_rules(actor=None, space=demo.reading, closed_on_holidays=True)
    now = local(date(2026, 1, 5), 8)  # the calendar data reaches 2026; "now" is set before the festival
    result = services.booking_create(
        actor=resident,
        space=demo.reading,
        starts_at=local(date(2026, 1, 27), 14),
        ends_at=local(date(2026, 1, 27), 16),
        title="读书会",
        recurrence=Recurrence("weekly", until=date(2026, 3, 3)),
        now=now,
    )
    made = [timezone.localtime(b.starts_at).date() for b in result.bookings]
    assert made == [date(2026, 1, 27), date(2026, 2, 3), date(2026, 2, 10), date(2026, 2, 24), date(2026, 3, 3)]
    assert [d for d, _r in result.closed] == [date(2026, 2, 17)]
    assert "Spring Festival" in result.closed[0][1] or "春节" in result.closed[0][1]
    assert result.series is not None
    with pytest.raises(ValidationError, match="closed"):
        services.booking_create(
            actor=resident,
            space=demo.reading,
            starts_at=local(date(2026, 2, 18), 14),
            ends_at=local(date(2026, 2, 18), 15),
            title="读书会",
            now=now,
        )


def test_closed_period_is_left_out_of_a_series_and_refused_for_a_single_booking(
    demo: Demo, staff: Any, resident: Any
) -> None:
    first = days_ahead(7)
    services.closed_period_add(
        actor=staff,
        station=demo.station,
        starts_at=local(first + timedelta(days=7), 0),
        ends_at=local(first + timedelta(days=8), 0),
        reason="设备检修",
    )
    result = book(resident, demo.kitchen, first, 10, 11, recurrence=Recurrence("weekly", count=3))
    assert len(result.bookings) == 2
    assert result.closed == [(first + timedelta(days=7), "设备检修")]
    with pytest.raises(ValidationError, match="设备检修"):
        book(resident, demo.kitchen, first + timedelta(days=7), 12, 13)


def test_conflict_fail_writes_nothing_and_skip_lists_the_dates_which_can_be_claimed_later(
    demo: Demo, resident: Any, neighbour: Any
) -> None:
    first = days_ahead(3)
    blocker = book(neighbour, demo.kitchen, first + timedelta(days=7), 10, 11).bookings[0]
    before = Booking.objects.count()
    with pytest.raises(services.SlotTaken, match="1 of these dates"):
        book(resident, demo.kitchen, first, 10, 11, recurrence=Recurrence("weekly", count=3))
    assert Booking.objects.count() == before
    assert not Series.objects.exists()
    result = book(resident, demo.kitchen, first, 10, 11, recurrence=Recurrence("weekly", count=3), on_conflict="skip")
    assert len(result.bookings) == 2
    assert [timezone.localtime(b.starts_at).date() for b in result.skipped] == [first + timedelta(days=7)]
    skipped = result.skipped[0]
    with pytest.raises(services.SlotTaken):
        services.booking_claim(actor=resident, booking=skipped)
    services.booking_cancel(actor=neighbour, booking=blocker)
    services.booking_claim(actor=resident, booking=skipped)
    skipped.refresh_from_db()
    assert skipped.status == Booking.Status.CONFIRMED
    assert Occupancy.objects.filter(booking=skipped, active=True).count() == 1


def test_long_series_must_be_reconfirmed_or_it_lapses(demo: Demo, resident: Any) -> None:
    start = days_ahead(1)
    result = book(resident, demo.kitchen, start, 10, 11, recurrence=Recurrence("weekly", count=20))
    series = result.series
    assert series is not None
    assert series.reconfirm_by is not None
    reconfirm_by = series.reconfirm_by
    reminded, lapsed = services.series_sweep(now=reconfirm_by - timedelta(days=3))
    assert (reminded, lapsed) == (1, 0)
    assert services.series_sweep(now=reconfirm_by - timedelta(days=2)) == (0, 0)  # reminded once
    assert Message.objects.filter(params__series=series.pk, kind="spaces.series_reconfirm").count() == 1
    services.series_reconfirm(actor=resident, series=series)
    series.refresh_from_db()
    assert series.reconfirm_by is not None
    assert series.reconfirm_by > reconfirm_by
    assert services.series_sweep(now=reconfirm_by + timedelta(hours=1)) == (0, 0)
    # Not re-confirmed again: after the new deadline its later dates lapse and free the space.
    deadline = series.reconfirm_by
    services.series_sweep(now=deadline + timedelta(hours=1))
    series.refresh_from_db()
    assert series.status == Series.Status.LAPSED
    after = Booking.objects.filter(series=series, starts_at__gt=deadline + timedelta(hours=1))
    assert after.exists()
    assert set(after.values_list("status", flat=True)) == {Booking.Status.LAPSED}
    assert not Occupancy.objects.filter(booking__in=after, active=True).exists()
    assert Message.objects.filter(params__series=series.pk, kind="spaces.series_lapsed").count() == 1


# --- check-in and no-show release --------------------------------------------------------------


def _travel(monkeypatch: Any, to: datetime) -> None:
    """Move the clock the services and the worker read (django.utils.timezone.now)."""
    monkeypatch.setattr(timezone, "now", lambda: to)


def test_worker_releases_no_shows_once_and_frees_the_space(
    demo: Demo, resident: Any, neighbour: Any, staff: Any, monkeypatch: Any
) -> None:
    day = days_ahead(2)
    no_show = book(resident, demo.kitchen, day, 10, 12).bookings[0]
    came = book(neighbour, demo.reading, day, 10, 12).bookings[0]
    _travel(monkeypatch, local(day, 10, 5))
    services.booking_check_in(actor=neighbour, booking=came)
    run_once()  # 10:05: still within the 15-minute grace period
    no_show.refresh_from_db()
    assert no_show.status == Booking.Status.CONFIRMED
    _travel(monkeypatch, local(day, 10, 16))
    run_once()
    run_once()  # twice: nothing more happens
    no_show.refresh_from_db()
    came.refresh_from_db()
    assert no_show.status == Booking.Status.RELEASED
    assert no_show.checkin_deadline is None
    assert came.status == Booking.Status.CONFIRMED
    assert came.checked_in_at == local(day, 10, 5)
    assert not Occupancy.objects.filter(booking=no_show, active=True).exists()
    assert AuditEvent.objects.filter(action="booking.released", object_id=str(no_show.pk)).count() == 1
    assert Message.objects.filter(params__booking=no_show.pk, kind="spaces.booking_released").count() == 1
    # The space is free again: someone else books the rest of the slot.
    again = book(neighbour, demo.kitchen, day, 11, 12).bookings[0]
    assert again.status == Booking.Status.CONFIRMED


def test_repeated_no_shows_stop_booking(demo: Demo, resident: Any, monkeypatch: Any) -> None:
    services.space_set_rules(actor=None, space=demo.kitchen, no_show_limit=2)
    missed = [book(resident, demo.kitchen, days_ahead(n), 10, 11).bookings[0] for n in (2, 3)]
    book(resident, demo.kitchen, days_ahead(4), 10, 11)  # still allowed: nothing missed yet
    _travel(monkeypatch, local(days_ahead(3), 12))
    assert services.bookings_release_no_shows() == 2
    assert {b.status for b in Booking.objects.filter(pk__in=[m.pk for m in missed])} == {Booking.Status.RELEASED}
    with pytest.raises(ValidationError, match="nobody checked in"):
        book(resident, demo.kitchen, days_ahead(5), 10, 11)


def test_check_in_window_and_qr_token(demo: Demo, resident: Any, neighbour: Any) -> None:
    later = book(resident, demo.kitchen, days_ahead(2), 10, 11).bookings[0]
    with pytest.raises(ValidationError, match="opens 15 minutes before"):
        services.booking_check_in(actor=resident, booking=later)
    with pytest.raises(ValidationError):
        services.booking_check_in(actor=neighbour, booking=later)
    token = services.checkin_token(later)
    assert services.checkin_booking_id(token) == later.pk
    assert services.checkin_booking_id(token + "x") is None


# --- who may book ----------------------------------------------------------------------------


def test_audience_and_on_behalf_rules(demo: Demo, resident: Any, neighbour: Any, staff: Any, tree: Tree) -> None:
    day = days_ahead(3)
    with pytest.raises(ValidationError, match="Only station staff"):
        book(resident, demo.mediation, day, 10, 11)
    with pytest.raises(ValidationError, match="Only groups"):
        book(resident, demo.party_room, day, 10, 11)
    volunteer = make_user(Role.VOLUNTEER, tree.area)
    assert book(volunteer, demo.party_room, day, 10, 11).bookings[0].status == Booking.Status.PENDING
    with pytest.raises(ValidationError, match="only for yourself"):
        book(resident, demo.kitchen, day, 10, 11, on_behalf_of=neighbour)
    made = book(staff, demo.kitchen, day, 10, 11, on_behalf_of=neighbour).bookings[0]
    assert made.booker == neighbour
    assert made.created_by == staff
    assert made.household is None  # the registry does not know the neighbour's account
    other = make_user(Role.RESIDENT, tree.other_grid)
    with pytest.raises(ValidationError, match="may not book spaces of this station"):
        book(other, demo.kitchen, day, 12, 13)


def test_weekly_limit_counts_per_booker(demo: Demo, resident: Any, neighbour: Any) -> None:
    services.space_set_rules(actor=None, space=demo.kitchen, weekly_limit=1)
    day = days_ahead(14)
    book(resident, demo.kitchen, day, 10, 11)
    with pytest.raises(ValidationError, match="1 times a week"):
        book(resident, demo.kitchen, day, 12, 13)
    book(neighbour, demo.kitchen, day, 12, 13)
