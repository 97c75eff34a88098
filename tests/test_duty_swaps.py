"""True swaps of duty seats: offered for any seat or one named seat, accepted by giving one's own; both seats change
hands at once; the first acceptance wins; availability, dates away, the monthly maximum and nobody twice a day
are respected for both sides; bad input changes nothing. Through the services, the pages and the API."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from anju.accounts import services as account_services
from anju.audit.models import AuditEvent
from anju.duty import seats, services, swaps
from anju.duty.models import Assignment, Blackout, SwapRequest
from anju.inbox.models import Message
from anju.testing.duty import DutyWorld, make_duty_world, shift_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _day(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def _pair(w: DutyWorld, a_day: int = 5, b_day: int = 6) -> tuple[Assignment, Assignment]:
    """Volunteer 0 on the morning of ``a_day``, volunteer 1 on the morning of ``b_day``."""
    a = seats.shift_claim(actor=w.volunteers[0].user, shift=shift_on(w, _day(a_day)))
    b = seats.shift_claim(actor=w.volunteers[1].user, shift=shift_on(w, _day(b_day)))
    return a, b


def _holder(shift_id: int) -> int:
    return Assignment.objects.get(shift_id=shift_id, status__in=Assignment.HOLDING).volunteer_id


def test_open_swap_exchanges_both_seats_at_once() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    offer = swaps.swap_offer(actor=w.volunteers[0].user, assignment=a, note="换一天")
    assert offer.kind == SwapRequest.Kind.SWAP
    assert Message.objects.filter(kind="duty.swap_asked", recipient=w.volunteers[1].user).exists()
    assert not Message.objects.filter(kind="duty.swap_asked", recipient=w.volunteers[2].user).exists()  # no seat
    mine, theirs = swaps.swap_accept(actor=w.volunteers[1].user, swap=offer, give=b)
    assert (mine.shift_id, mine.volunteer_id, mine.seat) == (a.shift_id, w.volunteers[1].pk, a.seat)
    assert (theirs.shift_id, theirs.volunteer_id) == (b.shift_id, w.volunteers[0].pk)
    assert mine.status == theirs.status == Assignment.Status.CONFIRMED
    assert mine.source == theirs.source == Assignment.Source.SWAP
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == Assignment.Status.HANDED_OVER
    offer.refresh_from_db()
    assert (offer.status, offer.taken_by, offer.given) == (SwapRequest.Status.TAKEN, w.volunteers[1], b)
    assert AuditEvent.objects.filter(action="duty.swap_offered").count() == 1
    assert AuditEvent.objects.filter(action="duty.swap_accepted").count() == 1
    assert Message.objects.filter(kind="duty.swap_taken", recipient=w.volunteers[0].user).count() == 1
    # the first acceptance won: a second taker is refused and nothing moves
    c = seats.shift_claim(actor=w.volunteers[2].user, shift=shift_on(w, _day(7)))
    with pytest.raises(ValidationError, match="already taken this swap"):
        swaps.swap_accept(actor=w.volunteers[2].user, swap=offer, give=c)
    assert _holder(a.shift_id) == w.volunteers[1].pk
    assert _holder(c.shift_id) == w.volunteers[2].pk


def test_a_swap_for_a_named_seat_only_its_holder_may_accept() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    c = seats.shift_claim(actor=w.volunteers[2].user, shift=shift_on(w, _day(8)))
    offer = swaps.swap_offer(actor=w.volunteers[0].user, assignment=a, want=b)
    assert offer.want == b
    assert list(Message.objects.filter(kind="duty.swap_asked").values_list("recipient", flat=True)) == [
        w.volunteers[1].user.pk
    ]
    with pytest.raises(ValidationError, match="offered for another seat"):
        swaps.swap_accept(actor=w.volunteers[2].user, swap=offer, give=c)
    with pytest.raises(ValidationError, match="your own shifts"):
        swaps.swap_accept(actor=w.volunteers[2].user, swap=offer, give=b)
    swaps.swap_accept(actor=w.volunteers[1].user, swap=offer, give=b)
    assert _holder(a.shift_id) == w.volunteers[1].pk
    assert _holder(b.shift_id) == w.volunteers[0].pk


def _refused(w: DutyWorld, offer: SwapRequest, give: Assignment, match: str) -> None:
    before = sorted(Assignment.objects.values_list("pk", "status", "volunteer_id"))
    with pytest.raises(ValidationError, match=match):
        swaps.swap_accept(actor=give.volunteer.user, swap=offer, give=give)
    assert sorted(Assignment.objects.values_list("pk", "status", "volunteer_id")) == before
    assert SwapRequest.objects.get(pk=offer.pk).status == SwapRequest.Status.OPEN


def test_availability_dates_away_maximum_and_one_shift_a_day_hold_for_both_sides() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    offer = swaps.swap_offer(actor=w.volunteers[0].user, assignment=a)
    v0, v1 = w.volunteers[0], w.volunteers[1]
    # the taker does not come on the offered seat's weekday
    services.availability_set(
        actor=v1.user,
        volunteer=v1,
        weekdays=[d for d in range(7) if d != a.shift.day.weekday()],
        earliest=None,
        latest=None,
        monthly_max=4,
    )
    _refused(w, offer, b, "cannot come at that time")
    services.availability_set(actor=v1.user, volunteer=v1, weekdays=range(7), earliest=None, latest=None, monthly_max=4)
    # the offerer is away on the day they would move to
    Blackout.objects.create(community_id=v0.community_id, volunteer=v0, day=b.shift.day)
    _refused(w, offer, b, "cannot come at that time")
    Blackout.objects.filter(volunteer=v0).delete()
    # the offerer already has another shift on the taker's day (an afternoon)
    afternoon = services.template_create(
        actor=w.worker, station=w.station.station, name="下午", starts=time(14), ends=time(17)
    )
    other = seats.shift_claim(actor=v0.user, shift=shift_on(w, b.shift.day, template=afternoon))
    _refused(w, offer, b, "already has a shift on that day")
    seats.assignment_drop(actor=v0.user, assignment=other)
    # the taker's monthly maximum in the month they move into
    services.availability_set(actor=v1.user, volunteer=v1, weekdays=range(7), earliest=None, latest=None, monthly_max=0)
    _refused(w, offer, b, "over their maximum")
    services.availability_set(actor=v1.user, volunteer=v1, weekdays=range(7), earliest=None, latest=None, monthly_max=4)
    swaps.swap_accept(actor=v1.user, swap=offer, give=b)
    assert _holder(a.shift_id) == v1.pk


def test_bad_input_is_refused_and_writes_nothing() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    with pytest.raises(ValidationError, match="not your shift"):
        swaps.swap_offer(actor=w.volunteers[1].user, assignment=a)
    with pytest.raises(ValidationError, match="another volunteer's seat"):
        swaps.swap_offer(actor=w.volunteers[0].user, assignment=a, want=a)
    cover = seats.cover_ask(actor=w.volunteers[0].user, assignment=a)
    with pytest.raises(ValidationError, match="already asked for cover or a swap"):
        swaps.swap_offer(actor=w.volunteers[0].user, assignment=a)
    with pytest.raises(ValidationError, match="not a swap"):
        swaps.swap_accept(actor=w.volunteers[1].user, swap=cover, give=b)
    seats.cover_withdraw(actor=w.volunteers[0].user, swap=cover)
    offer = swaps.swap_offer(actor=w.volunteers[0].user, assignment=a)
    with pytest.raises(ValidationError, match="give one of your shifts"):
        seats.cover_take(actor=w.volunteers[1].user, swap=offer)
    with pytest.raises(ValidationError, match="swap with yourself"):
        swaps.swap_accept(actor=w.volunteers[0].user, swap=offer, give=a)
    assert SwapRequest.objects.filter(kind="swap").count() == 1
    assert AuditEvent.objects.filter(action="duty.swap_accepted").count() == 0


def _client(user: Any) -> Client:
    c = Client()
    c.cookies["anju_language"] = "en"
    c.force_login(user)
    return c


def test_swap_through_the_pages() -> None:
    w = make_duty_world(2)
    a, b = _pair(w)
    first, second = _client(w.volunteers[0].user), _client(w.volunteers[1].user)
    assert first.post(f"/duty/assignments/{a.pk}/swap/", {"note": "出差"}).status_code == 302
    offer = SwapRequest.objects.get(assignment=a, kind="swap")
    page = second.get("/duty/swaps/").content.decode()
    assert "出差" in page
    assert 'name="give"' in page
    second.post(f"/duty/swaps/{offer.pk}/take/", {"give": b.pk})
    assert _holder(a.shift_id) == w.volunteers[1].pk
    assert _holder(b.shift_id) == w.volunteers[0].pk
    assert "Handed over" in first.get("/duty/mine/").content.decode()


def _api(user: Any, language: str = "en") -> Client:
    token = account_services.token_create(actor=user, user=user, name="test", days=1)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.cookies["anju_language"] = language
    return client


def test_swap_through_the_api_with_errors_in_the_readers_language() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    api, taker, taker_zh = _api(w.volunteers[0].user), _api(w.volunteers[1].user), _api(w.volunteers[1].user, "zh-hans")
    r = api.post(f"/api/v1/duty/assignments/{a.pk}/swap-offers", {"want_id": b.pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    offer = r.json()
    assert (offer["kind"], offer["want_id"]) == ("swap", b.pk)
    assert any(s["id"] == offer["id"] for s in taker.get("/api/v1/duty/swaps").json())
    outsider = _api(w.volunteers[2].user)
    assert all(s["id"] != offer["id"] for s in outsider.get("/api/v1/duty/swaps").json())  # a named seat: not theirs
    r = taker.post(f"/api/v1/duty/swaps/{offer['id']}/take", {}, content_type="application/json")
    assert r.status_code == 422
    assert "This is a swap: give one of your shifts in exchange." in str(r.json())
    r = taker_zh.post(f"/api/v1/duty/swaps/{offer['id']}/take", {}, content_type="application/json")
    assert r.status_code == 422
    assert "换班" in str(r.json())
    r = taker.post(f"/api/v1/duty/swaps/{offer['id']}/accept", {"give_id": a.pk}, content_type="application/json")
    assert r.status_code == 404  # not the taker's seat: outside their reach
    r = taker.post(f"/api/v1/duty/swaps/{offer['id']}/accept", {"give_id": b.pk}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["mine"]["shift_id"] == a.shift_id
    r = taker.post(f"/api/v1/duty/swaps/{offer['id']}/accept", {"give_id": b.pk}, content_type="application/json")
    assert r.status_code == 422
    assert "already taken this swap" in str(r.json())


def test_a_named_swap_may_be_declined_only_by_the_person_named() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    offer = swaps.swap_offer(actor=w.volunteers[0].user, assignment=a, want=b)
    for outsider in (w.volunteers[0].user, w.volunteers[2].user):
        with pytest.raises(ValidationError, match="Only the person this swap was offered to"):
            swaps.swap_decline(actor=outsider, swap=offer)
    assert SwapRequest.objects.get(pk=offer.pk).status == SwapRequest.Status.OPEN
    swaps.swap_decline(actor=w.volunteers[1].user, swap=offer)
    offer.refresh_from_db()
    assert offer.status == SwapRequest.Status.DECLINED
    assert offer.closed_at is not None
    assert Message.objects.filter(kind="duty.swap_declined", recipient=w.volunteers[0].user).count() == 1
    assert AuditEvent.objects.filter(action="duty.swap_declined").count() == 1
    with pytest.raises(ValidationError, match="no longer open"):
        swaps.swap_decline(actor=w.volunteers[1].user, swap=offer)
    with pytest.raises(ValidationError, match="already taken this swap"):
        swaps.swap_accept(actor=w.volunteers[1].user, swap=offer, give=b)
    assert _holder(a.shift_id) == w.volunteers[0].pk
    # an open swap (no named seat) cannot be declined; a new offer is possible after a decline
    open_offer = swaps.swap_offer(actor=w.volunteers[0].user, assignment=a)
    with pytest.raises(ValidationError, match="Only the person"):
        swaps.swap_decline(actor=w.volunteers[1].user, swap=open_offer)


def test_a_named_swap_proposed_accepted_and_declined_through_the_pages() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    c = seats.shift_claim(actor=w.volunteers[2].user, shift=shift_on(w, _day(8)))
    first, second, third = (_client(v.user) for v in w.volunteers)
    assert f"/duty/assignments/{a.pk}/swap-with/" in first.get("/duty/mine/").content.decode()
    r = first.get(f"/duty/assignments/{a.pk}/swap-with/")
    assert r.status_code == 200, (r.status_code, r.get("Location"))
    page = r.content.decode()
    assert f'name="want" value="{b.pk}"' in page
    assert f'name="want" value="{c.pk}"' in page
    assert f'name="want" value="{a.pk}"' not in page  # not one's own seat
    assert w.volunteers[1].name not in page  # other volunteers' names are masked
    # nothing chosen: a clear error, nothing written
    r = first.post(f"/duty/assignments/{a.pk}/swap-with/", {"note": "x"})
    assert r.status_code == 200
    assert "Choose the shift you would like in exchange." in r.content.decode()
    assert not SwapRequest.objects.exists()
    # another's seat is not one's own to offer: 404
    assert first.get(f"/duty/assignments/{b.pk}/swap-with/").status_code == 404
    r = first.post(f"/duty/assignments/{a.pk}/swap-with/", {"want": b.pk, "note": "家里有事"})
    assert r.status_code == 302
    offer = SwapRequest.objects.get(assignment=a)
    assert offer.want_id == b.pk
    assert "swap offered" in first.get("/duty/mine/").content.decode()
    # only the named person sees it, with accept and decline
    assert "家里有事" not in third.get("/duty/swaps/").content.decode()
    page = second.get("/duty/swaps/").content.decode()
    assert "家里有事" in page
    assert f"/duty/swaps/{offer.pk}/decline/" in page
    assert second.post(f"/duty/swaps/{offer.pk}/take/", {"give": b.pk}).status_code == 302
    assert _holder(a.shift_id) == w.volunteers[1].pk
    assert _holder(b.shift_id) == w.volunteers[0].pk
    # a second offer, declined by the named person
    new_b = Assignment.objects.get(shift_id=b.shift_id, status__in=Assignment.HOLDING)
    r = first.post(f"/duty/assignments/{new_b.pk}/swap-with/", {"want": c.pk})
    assert r.status_code == 302
    offer2 = SwapRequest.objects.get(assignment=new_b, status="open")
    assert third.post(f"/duty/swaps/{offer2.pk}/decline/").status_code == 302
    assert SwapRequest.objects.get(pk=offer2.pk).status == SwapRequest.Status.DECLINED
    assert _holder(c.shift_id) == w.volunteers[2].pk
    # a refused decline (not named) shows the error, no 500
    offer3 = swaps.swap_offer(actor=w.volunteers[0].user, assignment=new_b, want=c)
    r = second.post(f"/duty/swaps/{offer3.pk}/decline/", follow=True)
    assert r.status_code == 200
    assert "Only the person this swap was offered to can decline it." in r.content.decode()


def test_a_named_swap_declined_through_the_api() -> None:
    w = make_duty_world(3)
    a, b = _pair(w)
    offer = swaps.swap_offer(actor=w.volunteers[0].user, assignment=a, want=b)
    r = _api(w.volunteers[2].user).post(f"/api/v1/duty/swaps/{offer.pk}/decline", {}, content_type="application/json")
    assert r.status_code == 422
    r = _api(w.volunteers[1].user, "zh-hans").post(
        f"/api/v1/duty/swaps/{offer.pk}/decline", {}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "declined"
