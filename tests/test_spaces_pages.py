"""Station spaces through the API and the pages: availability, bad input, feeds, QR check-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from anju.accounts.roles import Role
from anju.inbox.models import Message
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import services as people_services
from anju.spaces import services
from anju.spaces.models import Booking, Series
from anju.spaces.testing import Demo, days_ahead, local, make_station
from anju.testing import Tree, make_user


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def client_for() -> Any:
    """Signed-in clients that read the pages in English (the zh-Hans catalogue is filled in later)."""

    def login(user: Any) -> Client:
        client = english_client()
        client.force_login(user)
        return client

    return login


def english_client() -> Client:
    client = Client()
    client.cookies["anju_language"] = "en"
    return client


@pytest.fixture
def demo(tree: Tree) -> Demo:
    return make_station(tree.community)


@pytest.fixture
def resident(tree: Tree) -> Any:
    return make_user(Role.RESIDENT, tree.building, username="wang")


@pytest.fixture
def staff(tree: Tree) -> Any:
    return make_user(Role.COMMUNITY_WORKER, tree.community, username="liufang")


def api(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method)
    return call(f"/api/v1{url}", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def body(space: Any, day: Any, start: int, end: int, **extra: Any) -> dict[str, Any]:
    return {
        "space_id": space.pk,
        "starts_at": local(day, start).isoformat(),
        "ends_at": local(day, end).isoformat(),
        "title": "包饺子",
        **extra,
    }


def test_api_book_list_availability_and_act(demo: Demo, resident: Any, staff: Any, client_for: Any) -> None:
    me, boss = client_for(resident), client_for(staff)
    day = days_ahead(3)
    made = api(me, "post", "/bookings", body(demo.kitchen, day, 14, 17))
    assert made.status_code == 201, made.json()
    booking_id = made.json()["bookings"][0]["id"]
    again = api(me, "post", "/bookings", body(demo.reading, day, 14, 15))
    assert again.status_code == 201
    start, end = local(day, 0).isoformat(), local(day + timedelta(days=1), 0).isoformat()
    listing = me.get("/api/v1/spaces", {"start": start, "end": end})
    assert listing.status_code == 200
    by_name = {item["space"]["name"]: item for item in listing.json()}
    assert [b["booking_id"] for b in by_name["共享厨房"]["busy"]] == [booking_id]
    # The reading room's booking shows on the living room (its whole) too.
    assert len(by_name["共享客厅"]["busy"]) == 1
    assert by_name["便民休闲区"]["busy"] == []
    one = me.get(f"/api/v1/spaces/{demo.kitchen.pk}/availability", {"start": start, "end": end})
    assert one.json()["busy"][0]["status"] == "confirmed"
    # Pending → confirm / reject by staff; a resident may not confirm.
    pending = api(me, "post", "/bookings", body(demo.living, day, 9, 10)).json()["bookings"][0]
    assert pending["status"] == "pending"
    assert api(me, "post", f"/bookings/{pending['id']}/confirm").status_code == 403
    assert api(boss, "post", f"/bookings/{pending['id']}/confirm").json()["status"] == "confirmed"
    other = api(me, "post", "/bookings", body(demo.living, day, 19, 20)).json()["bookings"][0]
    rejected = api(boss, "post", f"/bookings/{other['id']}/reject", {"reason": "维修"})
    assert rejected.json()["status"] == "rejected"
    assert api(boss, "post", f"/bookings/{other['id']}/reject", {"reason": "x"}).status_code == 422
    # Check in too early → 422; cancel → the slot is free.
    assert api(me, "post", f"/bookings/{booking_id}/checkin").status_code == 422
    assert api(me, "post", f"/bookings/{booking_id}/cancel", {}).json()["status"] == "cancelled"
    mine = me.get("/api/v1/bookings", {"mine": True}).json()
    assert mine["count"] == 4


def test_api_recurring_with_skip_then_claim(demo: Demo, resident: Any, staff: Any, client_for: Any) -> None:
    me = client_for(resident)
    first = days_ahead(2)
    blocker = services.booking_create(
        actor=staff,
        space=demo.kitchen,
        starts_at=local(first + timedelta(days=7), 10),
        ends_at=local(first + timedelta(days=7), 11),
        title="社区活动",
    ).bookings[0]
    recurring = body(demo.kitchen, first, 10, 11, recurrence={"freq": "weekly", "count": 3})
    failed = api(me, "post", "/bookings", recurring)
    assert failed.status_code == 409
    assert "Nothing was booked" in failed.json()["error"]["message"]
    made = api(me, "post", "/bookings", {**recurring, "on_conflict": "skip"})
    assert made.status_code == 201
    data = made.json()
    assert len(data["bookings"]) == 2
    assert len(data["skipped"]) == 1
    skipped_id = data["skipped"][0]["id"]
    assert api(me, "post", f"/bookings/{skipped_id}/claim").status_code == 409
    services.booking_cancel(actor=staff, booking=blocker)
    assert api(me, "post", f"/bookings/{skipped_id}/claim").json()["status"] == "confirmed"


def _a_household(demo: Demo) -> Any:
    """A household of the station's community (not the resident's: the test resident is not in the registry)."""
    building = OrgUnit.objects.get(kind=UnitKind.BUILDING, path__startswith=demo.station.community.path)
    return people_services.household_create(actor=None, unit=building, entrance="5", door="302")


BAD_INPUT = [
    ("end before start", lambda d, s: body(s.kitchen, d, 15, 14), "ends_at", "after the start"),
    ("zero minutes", lambda d, s: body(s.kitchen, d, 14, 14), "ends_at", "after the start"),
    (
        "three months",
        lambda d, s: {**body(s.kitchen, d, 14, 15), "ends_at": local(d + timedelta(days=90), 15).isoformat()},
        "ends_at",
        "at most 240 minutes",
    ),
    ("outside hours", lambda d, s: body(s.kitchen, d, 6, 7), "starts_at", "Outside the bookable hours"),
    ("not allowed", lambda d, s: body(s.mediation, d, 10, 11), "space", "Only station staff"),
    (
        "10,000 dates",
        lambda d, s: body(s.kitchen, d, 10, 11, recurrence={"freq": "daily", "count": 10_000}),
        "recurrence.count",
        "at most 100 dates",
    ),
    (
        "10,000 dates until",
        lambda d, s: body(s.kitchen, d, 10, 11, recurrence={"freq": "daily", "until": "2054-01-01"}),
        "recurrence",
        "more than 100 dates",
    ),
    (
        "no time zone",
        lambda d, s: {**body(s.kitchen, d, 10, 11), "starts_at": f"{d.isoformat()}T10:00:00"},
        "starts_at",
        "with its time zone",
    ),
    ("far ahead", lambda d, s: body(s.kitchen, d + timedelta(days=90), 10, 11), "starts_at", "days ahead"),
    ("in the past", lambda d, s: body(s.kitchen, d - timedelta(days=30), 10, 11), "starts_at", "has passed"),
    (
        "someone else's household",
        lambda d, s: body(s.kitchen, d, 10, 11, household_id=_a_household(s).pk),
        "household",
        "own household",
    ),
    ("no such household", lambda d, s: body(s.kitchen, d, 10, 11, household_id=987654), "household", "own household"),
    (
        "not a date",
        lambda d, s: {**body(s.kitchen, d, 10, 11), "starts_at": "next saturday"},
        "starts_at",
        "valid date and time",
    ),
]


@pytest.mark.parametrize(("case", "make", "field", "text"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_api_bad_input_is_a_clear_422_and_writes_nothing(
    demo: Demo, resident: Any, client_for: Any, case: str, make: Any, field: str, text: str
) -> None:
    response = api(client_for(resident), "post", "/bookings", make(days_ahead(3), demo))
    assert response.status_code == 422, response.json()
    details = response.json()["error"]["details"]
    assert any(d["field"] == field and text in d["message"] for d in details), details
    assert not Booking.objects.exists()
    assert not Series.objects.exists()


def test_api_booking_for_another_user_and_in_a_closed_period(
    demo: Demo, resident: Any, staff: Any, client_for: Any, tree: Tree
) -> None:
    neighbour = make_user(Role.RESIDENT, tree.building)
    day = days_ahead(3)
    refused = api(client_for(resident), "post", "/bookings", body(demo.kitchen, day, 10, 11, on_behalf_of=neighbour.pk))
    assert refused.status_code == 422
    assert "only for yourself" in refused.json()["error"]["details"][0]["message"]
    services.closed_period_add(
        actor=staff, station=demo.station, starts_at=local(day, 0), ends_at=local(day, 23), reason="消防检查"
    )
    closed = api(client_for(resident), "post", "/bookings", body(demo.kitchen, day, 10, 11))
    assert closed.status_code == 422
    assert "消防检查" in closed.json()["error"]["details"][0]["message"]
    assert not Booking.objects.exists()
    made = api(
        client_for(staff),
        "post",
        "/bookings",
        body(demo.kitchen, day + timedelta(days=1), 10, 11, on_behalf_of=neighbour.pk),
    )
    assert made.status_code == 201
    assert made.json()["bookings"][0]["booker_id"] == neighbour.pk


def test_pages_book_see_and_check_in(demo: Demo, resident: Any, client_for: Any, tree: Tree, monkeypatch: Any) -> None:
    me = client_for(resident)
    day = days_ahead(3)
    assert me.get(reverse("spaces:stations")).status_code == 200
    page = me.get(reverse("spaces:space", args=[demo.kitchen.pk]), {"date": day.isoformat()})
    assert page.status_code == 200
    response = me.post(
        reverse("spaces:book", args=[demo.kitchen.pk]),
        {"date": day.isoformat(), "starts": "14:00", "ends": "17:00", "title": "包饺子", "on_conflict": "fail"},
    )
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("spaces:booking", args=[booking.pk])
    detail = me.get(response["Location"]).content.decode()
    assert "<svg" in detail  # the check-in QR code
    mine = me.get(reverse("spaces:mine")).content.decode()
    assert "共享厨房" in mine
    assert "包饺子" in mine
    # Another resident sees the slot taken in the station day view and cannot book it.
    other_user = make_user(Role.RESIDENT, tree.building)
    other = client_for(other_user)
    grid = other.get(reverse("spaces:station_day", args=[demo.station.pk]), {"date": day.isoformat()}).content.decode()
    assert grid.count('data-state="taken"') == 6  # 14:00–17:00 in half hours
    week = other.get(reverse("spaces:space", args=[demo.kitchen.pk]), {"date": day.isoformat(), "view": "week"})
    assert week.content.decode().count('data-state="taken"') == 6
    taken = other.post(
        reverse("spaces:book", args=[demo.kitchen.pk]),
        {"date": day.isoformat(), "starts": "15:00", "ends": "16:00", "title": "聚餐", "on_conflict": "fail"},
    )
    assert taken.status_code == 409
    assert "already booked" in taken.content.decode()
    # Scanning the QR code at the start checks in.
    token = services.checkin_token(booking)
    monkeypatch.setattr(timezone, "now", lambda: local(day, 14, 5))
    me, other = client_for(resident), client_for(other_user)  # fresh sessions at the new time
    assert me.get(reverse("spaces:qr_checkin", args=[token])).status_code == 200
    assert other.get(reverse("spaces:qr_checkin", args=[token])).status_code == 404  # not theirs
    me.post(reverse("spaces:qr_checkin", args=[token]))
    booking.refresh_from_db()
    assert booking.checked_in_at == local(day, 14, 5)


def test_page_form_errors_are_shown_and_nothing_is_written(demo: Demo, resident: Any, client_for: Any) -> None:
    response = client_for(resident).post(
        reverse("spaces:book", args=[demo.kitchen.pk]),
        {"date": days_ahead(3).isoformat(), "starts": "14:00", "ends": "13:00", "title": "x"},
    )
    assert response.status_code == 422
    assert "The end must be after the start." in response.content.decode()
    assert not Booking.objects.exists()


def test_staff_approval_page_and_cancel_notice(demo: Demo, resident: Any, staff: Any, client_for: Any) -> None:
    pending = services.booking_create(
        actor=resident,
        space=demo.living,
        starts_at=local(days_ahead(4), 9),
        ends_at=local(days_ahead(4), 10),
        title="生日会",
    ).bookings[0]
    boss = client_for(staff)
    assert "生日会" in boss.get(reverse("spaces:approvals")).content.decode()
    assert client_for(resident).get(reverse("spaces:approvals")).status_code == 403
    boss.post(reverse("spaces:confirm", args=[pending.pk]), {"next": "approvals"})
    pending.refresh_from_db()
    assert pending.status == Booking.Status.CONFIRMED
    boss.post(reverse("spaces:cancel", args=[pending.pk]), {"reason": "停电"})
    pending.refresh_from_db()
    assert pending.status == Booking.Status.CANCELLED
    notice = Message.objects.get(params__booking=pending.pk, kind="spaces.booking_cancelled")
    assert notice.note == "停电"
    assert "停电" in client_for(resident).get(reverse("spaces:mine")).content.decode()


def test_station_day_view_query_count_does_not_grow_with_bookings(
    demo: Demo, resident: Any, staff: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    day = days_ahead(3)
    for hour in range(9, 19):
        services.booking_create(
            actor=staff, space=demo.kitchen, starts_at=local(day, hour), ends_at=local(day, hour, 30), title="x"
        )
    me = client_for(resident)
    with django_assert_max_num_queries(13):  # 12 + the inbox's unread count in the page header
        assert (
            me.get(reverse("spaces:station_day", args=[demo.station.pk]), {"date": day.isoformat()}).status_code == 200
        )


def test_ical_feeds_parse(demo: Demo, resident: Any, staff: Any, client_for: Any, tree: Tree) -> None:
    day = days_ahead(3)
    services.booking_create(
        actor=resident, space=demo.kitchen, starts_at=local(day, 14), ends_at=local(day, 17), title="包饺子"
    )
    services.booking_create(
        actor=staff, space=demo.living, starts_at=local(day, 9), ends_at=local(day, 11), title="党课"
    )
    token = services.feed_token(user=resident)
    anonymous = english_client()
    feed = anonymous.get(reverse("spaces:user_feed", args=[token]))
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(feed.content)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    assert str(events[0]["SUMMARY"]) == "共享厨房: 包饺子"
    assert events[0].decoded("DTSTART") == local(day, 14)
    assert events[0].decoded("DTEND") == local(day, 17)
    assert cal.walk("VTIMEZONE")
    # A space's feed, by session and by the feed secret: the whole's booking shows on its part, without titles.
    for response in (
        client_for(resident).get(reverse("spaces:space_feed", args=[demo.reading.pk])),
        anonymous.get(reverse("spaces:token_space_feed", args=[token, demo.reading.pk])),
    ):
        part_events = Calendar.from_ical(response.content).walk("VEVENT")
        assert [str(e["SUMMARY"]) for e in part_events] == ["共享客厅: booked"]
    # Wrong or renewed secrets answer 404; another community's space is out of reach.
    assert anonymous.get(reverse("spaces:user_feed", args=[token[:-2] + "xx"])).status_code == 404
    services.feed_reset(actor=resident, user=resident)
    assert anonymous.get(reverse("spaces:user_feed", args=[token])).status_code == 404
    outsider = make_user(Role.RESIDENT, tree.other_grid)
    outsider_token = services.feed_token(user=outsider)
    assert anonymous.get(reverse("spaces:token_space_feed", args=[outsider_token, demo.kitchen.pk])).status_code == 404
