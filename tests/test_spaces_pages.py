"""Station spaces through the API and the pages: availability, bad input, feeds, QR check-in."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from anju.access.roles import Role
from anju.core import text
from anju.inbox.models import Message
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import fakes
from anju.people import services as people_services
from anju.spaces import selectors, services
from anju.spaces.models import Booking, Series
from anju.spaces.recurrence import describe
from anju.testing import Tree, english_client, make_user
from anju.testing.spaces import Demo, days_ahead, local

pytestmark = pytest.mark.usefixtures("english")


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


def test_api_book_list_availability_and_act(demo: Demo, resident: Any, staff: Any) -> None:
    me, boss = english_client(resident), english_client(staff)
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


def test_api_recurring_with_skip_then_claim(demo: Demo, resident: Any, staff: Any) -> None:
    me = english_client(resident)
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
    demo: Demo, resident: Any, case: str, make: Any, field: str, text: str
) -> None:
    response = api(english_client(resident), "post", "/bookings", make(days_ahead(3), demo))
    assert response.status_code == 422, response.json()
    details = response.json()["error"]["details"]
    assert any(d["field"] == field and text in d["message"] for d in details), details
    assert not Booking.objects.exists()
    assert not Series.objects.exists()


def test_api_booking_for_another_user_and_in_a_closed_period(demo: Demo, resident: Any, staff: Any, tree: Tree) -> None:
    neighbour = make_user(Role.RESIDENT, tree.building)
    day = days_ahead(3)
    refused = api(
        english_client(resident), "post", "/bookings", body(demo.kitchen, day, 10, 11, on_behalf_of=neighbour.pk)
    )
    assert refused.status_code == 422
    assert "only for yourself" in refused.json()["error"]["details"][0]["message"]
    services.closed_period_add(
        actor=staff, station=demo.station, starts_at=local(day, 0), ends_at=local(day, 23), reason="消防检查"
    )
    closed = api(english_client(resident), "post", "/bookings", body(demo.kitchen, day, 10, 11))
    assert closed.status_code == 422
    assert "消防检查" in closed.json()["error"]["details"][0]["message"]
    assert not Booking.objects.exists()
    made = api(
        english_client(staff),
        "post",
        "/bookings",
        body(demo.kitchen, day + timedelta(days=1), 10, 11, on_behalf_of=neighbour.pk),
    )
    assert made.status_code == 201
    assert made.json()["bookings"][0]["booker_id"] == neighbour.pk


def test_pages_book_see_and_check_in(demo: Demo, resident: Any, tree: Tree, monkeypatch: Any) -> None:
    me = english_client(resident)
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
    other = english_client(other_user)
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
    me, other = english_client(resident), english_client(other_user)  # fresh sessions at the new time
    assert me.get(reverse("spaces:qr_checkin", args=[token])).status_code == 200
    assert other.get(reverse("spaces:qr_checkin", args=[token])).status_code == 404  # not theirs
    me.post(reverse("spaces:qr_checkin", args=[token]))
    booking.refresh_from_db()
    assert booking.checked_in_at == local(day, 14, 5)


def test_page_form_errors_are_shown_and_nothing_is_written(demo: Demo, resident: Any) -> None:
    response = english_client(resident).post(
        reverse("spaces:book", args=[demo.kitchen.pk]),
        {"date": days_ahead(3).isoformat(), "starts": "14:00", "ends": "13:00", "title": "x"},
    )
    assert response.status_code == 422
    assert "The end must be after the start." in response.content.decode()
    assert not Booking.objects.exists()


def test_staff_approval_page_and_cancel_notice(demo: Demo, resident: Any, staff: Any) -> None:
    pending = services.booking_create(
        actor=resident,
        space=demo.living,
        starts_at=local(days_ahead(4), 9),
        ends_at=local(days_ahead(4), 10),
        title="生日会",
    ).bookings[0]
    boss = english_client(staff)
    assert "生日会" in boss.get(reverse("spaces:approvals")).content.decode()
    assert english_client(resident).get(reverse("spaces:approvals")).status_code == 403
    boss.post(reverse("spaces:confirm", args=[pending.pk]), {"next": "approvals"})
    pending.refresh_from_db()
    assert pending.status == Booking.Status.CONFIRMED
    ask = boss.post(reverse("spaces:cancel", args=[pending.pk]), {"reason": "停电"})
    assert "This cannot be undone." in ask.content.decode()  # a confirmed booking: asked first
    pending.refresh_from_db()
    assert pending.status == Booking.Status.CONFIRMED
    done = boss.post(reverse("spaces:cancel", args=[pending.pk]), {"reason": "停电", "confirmed": "1"}, follow=True)
    assert f"The booking was cancelled; {resident} was notified." in done.content.decode()
    pending.refresh_from_db()
    assert pending.status == Booking.Status.CANCELLED
    notice = Message.objects.get(params__booking=pending.pk, kind="spaces.booking_cancelled")
    assert notice.note == "停电"
    assert "停电" in english_client(resident).get(reverse("spaces:mine")).content.decode()


def test_station_day_view_query_count_does_not_grow_with_bookings(
    demo: Demo, resident: Any, staff: Any, django_assert_max_num_queries: Any
) -> None:
    day = days_ahead(3)
    for hour in range(9, 19):
        services.booking_create(
            actor=staff, space=demo.kitchen, starts_at=local(day, hour), ends_at=local(day, hour, 30), title="x"
        )
    me = english_client(resident)
    url = reverse("spaces:station_day", args=[demo.station.pk])
    me.get(url, {"date": day.isoformat()})  # the grants and reach worked out once (core.stamp)
    with django_assert_max_num_queries(13):  # 12 + the inbox's unread count in the page header
        assert (
            me.get(reverse("spaces:station_day", args=[demo.station.pk]), {"date": day.isoformat()}).status_code == 200
        )


def test_ical_feeds_parse(demo: Demo, resident: Any, staff: Any, tree: Tree) -> None:
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
        english_client(resident).get(reverse("spaces:space_feed", args=[demo.reading.pk])),
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


def test_opening_my_bookings_logs_no_feed_reset_but_a_reset_does(demo: Demo, resident: Any) -> None:
    from anju.audit.models import AuditEvent

    client = english_client(resident)
    for _ in range(2):
        assert client.get(reverse("spaces:mine")).status_code == 200
    assert not AuditEvent.objects.filter(action="booking.feed_reset").exists()
    token = services.feed_token(user=resident)
    assert services.feed_token(user=resident) == token  # the address stays until it is reset
    client.post(reverse("spaces:feed_reset"))
    assert AuditEvent.objects.filter(action="booking.feed_reset", actor=resident).count() == 1
    assert services.feed_token(user=resident) != token


# --- grids, repeat fields, households and separators -----------------------------------------------------


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-time="(\d\d:\d\d)">', page)


def test_grids_span_the_opening_hours_of_the_spaces(demo: Demo, tree: Tree) -> None:
    services.space_set_hours(actor=None, space=demo.kitchen, hours=[(d, time(6), time(20)) for d in range(7)])
    services.space_set_hours(actor=None, space=demo.reading, hours=[(d, time(9), time(22, 30)) for d in range(7)])
    staff = english_client(make_user(Role.COMMUNITY_WORKER, tree.community))
    day = days_ahead(2).isoformat()
    kitchen = staff.get(f"/station/spaces/{demo.kitchen.pk}/?date={day}").content.decode()
    rows = _rows(kitchen)
    assert (rows[0], rows[-1]) == ("06:00", "19:30")
    week = staff.get(f"/station/spaces/{demo.kitchen.pk}/?date={day}&view=week").content.decode()
    assert _rows(week)[0] == "06:00"
    # A space without its own hours keeps the default ones (08:00–21:00).
    living = _rows(staff.get(f"/station/spaces/{demo.living.pk}/?date={day}").content.decode())
    assert (living[0], living[-1]) == ("08:00", "20:30")
    # The station's day: the earliest opening (06:00) to the latest closing (22:30, so up to 23:00).
    station = staff.get(f"/station/{demo.station.pk}/day/?date={day}").content.decode()
    heads = re.findall(r'<th scope="col" colspan="2">(\d\d)</th>', station)
    assert (heads[0], heads[-1]) == ("06", "22")
    assert selectors.grid_bounds([demo.kitchen, demo.reading]) == (6, 23)
    kitchen_cells = dict(selectors.station_day(demo.station, days_ahead(2), staff_user(tree)))[demo.kitchen]
    assert len(kitchen_cells) == (23 - 6) * 2
    assert kitchen_cells[0].state == "free"  # 06:00 is bookable in the kitchen


def staff_user(tree: Tree) -> Any:
    return make_user(Role.COMMUNITY_WORKER, tree.community, username="grid")


def test_a_resident_books_one_date_without_repeat_rules_or_the_calendar_file(demo: Demo, tree: Tree) -> None:
    me = english_client(make_user(Role.RESIDENT, tree.building))
    url = f"/station/spaces/{demo.kitchen.pk}/"
    page = me.get(url).content.decode()
    assert "repeat-fold" not in page
    assert 'name="repeat"' not in page
    assert reverse("spaces:space_feed", args=[demo.kitchen.pk]) not in page
    # A hand-made repeat is ignored: one booking, no series.
    day = days_ahead(3).isoformat()
    made = me.post(
        f"{url}book/",
        {"date": day, "starts": "10:00", "ends": "11:00", "title": "包饺子", "repeat": "daily", "count": "3"},
    )
    assert made.status_code == 302
    assert Booking.objects.filter(space=demo.kitchen, title="包饺子").count() == 1
    assert not Booking.objects.filter(space=demo.kitchen, title="包饺子", series__isnull=False).exists()
    # Staff keep both.
    worker = english_client(make_user(Role.COMMUNITY_WORKER, tree.community)).get(url).content.decode()
    assert "repeat-fold" in worker
    assert reverse("spaces:space_feed", args=[demo.kitchen.pk]) in worker


def test_repeat_fields_fold_away_and_open_on_their_errors(demo: Demo, tree: Tree) -> None:
    me = english_client(make_user(Role.COMMUNITY_WORKER, tree.community))
    url = f"/station/spaces/{demo.kitchen.pk}/"
    page = me.get(url).content.decode()
    fold = re.search(r'<details class="repeat-fold" id="repeat-fold"( open)?>(.*?)</details>', page, re.S)
    assert fold is not None
    assert fold.group(1) is None  # folded
    for name in ("repeat", "interval", "until", "count", "on_conflict"):
        assert f'name="{name}"' in fold.group(2)
    assert 'name="title"' not in fold.group(2)
    day = days_ahead(3).isoformat()
    base = {"date": day, "starts": "10:00", "ends": "11:00", "title": "包饺子"}
    # An error elsewhere leaves it folded; an error in the repeat part opens it.
    bad_title = me.post(f"{url}book/", base | {"title": ""})
    assert bad_title.status_code == 422
    assert '<details class="repeat-fold" id="repeat-fold">' in bad_title.content.decode()
    no_end = me.post(f"{url}book/", base | {"repeat": "weekly"})
    assert no_end.status_code == 422
    assert '<details class="repeat-fold" id="repeat-fold" open>' in no_end.content.decode()
    # The service's recurrence errors land in the fold too.
    too_far = me.post(f"{url}book/", base | {"repeat": "daily", "count": "500"})
    assert too_far.status_code == 422
    body = too_far.content.decode()
    assert '<details class="repeat-fold" id="repeat-fold" open>' in body
    errors = re.search(r'id="repeat-fold" open>(.*?)</details>', body, re.S)
    assert errors is not None
    assert "errorlist" in errors.group(1)


def test_the_household_of_a_booking_is_shown_as_the_registry_would(demo: Demo, tree: Tree) -> None:
    home = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="101")
    other = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="102")
    for household, seq in ((home, 41), (other, 42)):
        people_services.resident_create(
            actor=None,
            household=household,
            name="张三" if seq == 41 else "李四",
            relation="head",
            id_number=fakes.id_number(date(1970, 1, 1), seq, male=True),
            mobile=fakes.mobile(700 + seq),
        )
    her = make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(741), username="her")
    neighbour = make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(742), username="neighbour")
    staff = make_user(Role.COMMUNITY_WORKER, tree.community, username="staff")
    day = days_ahead(3)
    booking = services.booking_create(
        actor=her, space=demo.kitchen, starts_at=local(day, 10), ends_at=local(day, 11), title="包饺子"
    ).bookings[0]
    label = str(home)
    assert "101" in label
    mine = english_client(her).get("/station/my/").content.decode()
    assert f'<td class="household">{label}</td>' in mine
    detail = english_client(her).get(f"/station/bookings/{booking.pk}/").content.decode()
    assert f'<dd id="booking-household">{label}</dd>' in detail
    staff_page = english_client(staff).get(f"/station/bookings/{booking.pk}/").content.decode()
    assert f'<dd id="booking-household">{label}</dd>' in staff_page
    # Someone neither in the household nor with registry reach sees the building, not the door.
    hidden = selectors.household_labels(neighbour, [booking])[booking.pk]
    assert "101" not in hidden
    assert tree.building.name in hidden


def test_lists_use_the_languages_separators(demo: Demo, tree: Tree, monkeypatch: Any) -> None:
    rule = {"freq": "weekly", "interval": 1, "weekdays": [0, 2], "count": 4}
    assert describe(rule) == "every week (Mon, Wed), 4 times"
    zh = {("list separator", ", "): "、", ("clause separator", "; "): "；", ("phrase separator", ", "): "，"}
    monkeypatch.setattr(text, "pgettext", lambda context, message: zh[(context, message)])
    assert describe(rule) == "every week (Mon、Wed)，4 times"
    services.space_set_hours(
        actor=None,
        space=demo.kitchen,
        hours=[(d, time(8), time(12)) for d in range(5)] + [(0, time(14), time(18))],
    )
    page = (
        english_client(make_user(Role.RESIDENT, tree.building))
        .get(f"/station/spaces/{demo.living.pk}/")
        .content.decode()
    )
    assert "阅览室</a>、<a" in page  # the parts of the living room
    kitchen = (
        english_client(make_user(Role.RESIDENT, tree.building, username="kitchen-reader"))
        .get(f"/station/spaces/{demo.kitchen.pk}/")
        .content.decode()
    )
    assert "08:00–12:00、14:00–18:00" in kitchen
    assert "</span>；<span" in kitchen


def test_cancelling_all_later_dates_asks_first(demo: Demo, resident: Any) -> None:
    from anju.spaces.recurrence import Recurrence

    start = days_ahead(3)
    services.booking_create(
        actor=resident,
        space=demo.kitchen,
        starts_at=local(start, 10),
        ends_at=local(start, 11),
        title="编织小组",
        recurrence=Recurrence("weekly", count=3),
    )
    series = Series.objects.get(title="编织小组")
    client = english_client(resident)
    ask = client.post(reverse("spaces:series_cancel", args=[series.pk]))
    assert "This cannot be undone." in ask.content.decode()
    assert Booking.objects.filter(series=series, status=Booking.Status.CANCELLED).count() == 0
    client.post(reverse("spaces:series_cancel", args=[series.pk]), {"confirmed": "1"})
    assert Booking.objects.filter(series=series, status=Booking.Status.CANCELLED).count() == 3
