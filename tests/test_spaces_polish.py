"""Station spaces UI polish: grids span the spaces' opening hours, the repeat fields fold away, a booking's
household is shown as the registry would, and Chinese lists use Chinese separators."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from anju.accounts.roles import Role
from anju.core import text
from anju.people import fakes
from anju.people import services as people_services
from anju.spaces import selectors, services
from anju.spaces.recurrence import describe
from anju.spaces.testing import Demo, days_ahead, local, make_station
from anju.testing import Tree, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def demo(tree: Tree) -> Demo:
    return make_station(tree.community)


def _client(user: Any) -> Client:
    client = Client()
    client.cookies["anju_language"] = "en"
    client.force_login(user)
    return client


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-time="(\d\d:\d\d)">', page)


def test_grids_span_the_opening_hours_of_the_spaces(demo: Demo, tree: Tree) -> None:
    services.space_set_hours(actor=None, space=demo.kitchen, hours=[(d, time(6), time(20)) for d in range(7)])
    services.space_set_hours(actor=None, space=demo.reading, hours=[(d, time(9), time(22, 30)) for d in range(7)])
    staff = _client(make_user(Role.COMMUNITY_WORKER, tree.community))
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


def test_repeat_fields_fold_away_and_open_on_their_errors(demo: Demo, tree: Tree) -> None:
    me = _client(make_user(Role.RESIDENT, tree.building))
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
    mine = _client(her).get("/station/my/").content.decode()
    assert f'<td class="household">{label}</td>' in mine
    detail = _client(her).get(f"/station/bookings/{booking.pk}/").content.decode()
    assert f'<dd id="booking-household">{label}</dd>' in detail
    staff_page = _client(staff).get(f"/station/bookings/{booking.pk}/").content.decode()
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
        actor=None, space=demo.kitchen, hours=[(d, time(8), time(12)) for d in range(5)] + [(0, time(14), time(18))]
    )
    page = _client(make_user(Role.RESIDENT, tree.building)).get(f"/station/spaces/{demo.living.pk}/").content.decode()
    assert "阅览室</a>、<a" in page  # the parts of the living room
    kitchen = (
        _client(make_user(Role.RESIDENT, tree.building, username="kitchen-reader"))
        .get(f"/station/spaces/{demo.kitchen.pk}/")
        .content.decode()
    )
    assert "08:00–12:00、14:00–18:00" in kitchen
    assert "</span>；<span" in kitchen
