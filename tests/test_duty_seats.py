"""Seats: sign-up until changes close, confirm, cover requests (first acceptance wins), a coordinator's
reassignment, the standby pool's offers (one person at a time, each once), the sweeps, and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from anju.audit.models import AuditEvent
from anju.duty import seats
from anju.duty.models import Assignment, SwapRequest
from anju.inbox.models import Message
from anju.testing.duty import make_duty_world, shift_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _day(n: int = 5):  # type: ignore[no-untyped-def]
    return timezone.localdate() + timedelta(days=n)


def test_claim_confirm_and_no_double_booking() -> None:
    w = make_duty_world(3)
    shift = shift_on(w, _day())
    a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
    assert a.status == Assignment.Status.CONFIRMED
    assert a.seat == 1
    with pytest.raises(ValidationError, match="already on this shift"):
        seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
    with pytest.raises(ValidationError, match="No seat is free"):
        seats.shift_claim(actor=w.volunteers[1].user, shift=shift)
    assert AuditEvent.objects.filter(action="duty.signed_up").count() == 1


def test_two_places_at_once_is_refused() -> None:
    w = make_duty_world(2)
    from datetime import time

    from anju.duty import services

    other = services.template_create(
        actor=w.worker, station=w.station.station, name="阅览室", starts=time(10), ends=time(11)
    )
    s1 = shift_on(w, _day())
    s2 = shift_on(w, _day(), template=other)
    seats.shift_claim(actor=w.volunteers[0].user, shift=s1)
    with pytest.raises(ValidationError, match="another shift at that time"):
        seats.shift_claim(actor=w.volunteers[0].user, shift=s2)
    with pytest.raises(ValidationError, match="another shift at that time"):
        seats.assignment_reassign(actor=w.worker, shift=s2, seat=1, volunteer=w.volunteers[0])


def test_cover_first_acceptance_wins_and_history_shows_it() -> None:
    w = make_duty_world(3)
    shift = shift_on(w, _day())
    a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
    swap = seats.cover_ask(actor=w.volunteers[0].user, assignment=a, note="家里有事")
    assert Message.objects.filter(kind="duty.cover_asked").count() == 2
    new = seats.cover_take(actor=w.volunteers[1].user, swap=swap)
    assert new.volunteer == w.volunteers[1]
    assert new.seat == a.seat
    a.refresh_from_db()
    assert a.status == Assignment.Status.HANDED_OVER
    with pytest.raises(ValidationError, match="already taken"):
        seats.cover_take(actor=w.volunteers[2].user, swap=swap)
    assert SwapRequest.objects.get(pk=swap.pk).taken_by == w.volunteers[1]
    assert Message.objects.filter(kind="duty.cover_taken", recipient=w.volunteers[0].user).exists()


def test_drop_offers_the_seat_to_standby_one_at_a_time_each_once() -> None:
    w = make_duty_world(4)
    shift = shift_on(w, _day())
    a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
    seats.assignment_drop(actor=w.volunteers[0].user, assignment=a)
    offers = Assignment.objects.filter(shift=shift, status=Assignment.Status.OFFERED)
    assert offers.count() == 1
    first = offers.get()
    assert first.volunteer != w.volunteers[0]
    # not answered in time: the next person; the sweep twice changes nothing more
    later = first.offer_expires_at + timedelta(seconds=1)
    assert seats.offers_expire(now=later) == 1
    assert seats.offers_expire(now=later) == 0
    second = Assignment.objects.get(shift=shift, status=Assignment.Status.OFFERED)
    assert second.volunteer not in (first.volunteer, w.volunteers[0])
    seats.offer_decline(actor=second.volunteer.user, assignment=second)
    third = Assignment.objects.get(shift=shift, status=Assignment.Status.OFFERED)
    seats.offer_accept(actor=third.volunteer.user, assignment=third)
    third.refresh_from_db()
    assert third.status == Assignment.Status.CONFIRMED
    offered_to = list(Assignment.objects.filter(shift=shift, source="standby").values_list("volunteer_id", flat=True))
    assert len(offered_to) == len(set(offered_to)) == 3  # every offer once
    assert Message.objects.filter(kind="duty.offer").count() == 3


def test_unconfirmed_seats_lapse_to_standby_and_reminders_go_once() -> None:
    w = make_duty_world(3)
    shift = shift_on(w, _day(1))
    seats.assignment_reassign(actor=w.worker, shift=shift, seat=1, volunteer=w.volunteers[0])
    assert seats.confirmations_lapse() == 1
    assert Assignment.objects.filter(shift=shift, status=Assignment.Status.LAPSED).count() == 1
    offer = Assignment.objects.get(shift=shift, status=Assignment.Status.OFFERED)
    seats.offer_accept(actor=offer.volunteer.user, assignment=offer)
    # the day-before window, whatever the hour the test runs at
    eve = shift.starts_at - timedelta(hours=12)
    assert seats.reminders_send(now=eve) == 1
    assert seats.reminders_send(now=eve) == 0
    assert Message.objects.filter(kind="duty.reminder", recipient=offer.volunteer.user).count() == 1


def test_changes_close_before_the_shift() -> None:
    w = make_duty_world(2)
    shift = shift_on(w, timezone.localdate() + timedelta(days=1))
    late = shift.starts_at - timedelta(hours=2)
    with pytest.raises(ValidationError, match="Sign-up for this shift has closed"):
        seats.shift_claim(actor=w.volunteers[0].user, shift=shift, now=late)


def test_someone_elses_seat_is_refused() -> None:
    w = make_duty_world(2)
    shift = shift_on(w, _day())
    a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift)
    for fn in (seats.assignment_confirm, seats.assignment_drop, seats.cover_ask):
        with pytest.raises(ValidationError, match="not your shift"):
            fn(actor=w.volunteers[1].user, assignment=a)
