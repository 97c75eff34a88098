"""Station spaces close on statutory holidays from the one working-day calendar (``anju.calendar``): the
library's announced years, then the schedule an administrator enters for later years."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anju.access.roles import Role
from anju.calendar import services as calendar_services
from anju.calendar.models import HolidayDate
from anju.spaces import selectors, services
from anju.spaces.models import Booking, Space
from anju.spaces.recurrence import Recurrence
from anju.testing import Tree, make_user
from anju.testing.spaces import Demo, local

pytestmark = pytest.mark.usefixtures("english")

# The 2027 Spring Festival as the State Council would announce it (chinesecalendar 1.11 stops at 2026).
FESTIVAL_2027 = [date(2027, 2, 6) + timedelta(days=n) for n in range(8)]
MAKEUP_2027 = [date(2027, 2, 20)]
NOW = local(date(2027, 1, 4), 8)


@pytest.fixture
def demo(demo: Demo) -> Demo:
    """The shared station, its reading room closed on public holidays."""
    services.space_set_rules(actor=None, space=demo.reading, closed_on_holidays=True, max_days_ahead=90)
    return demo


@pytest.fixture
def resident(tree: Tree) -> Any:
    return make_user(Role.RESIDENT, tree.building, username="wang")


def enter_2027() -> None:
    """What an administrator does on the appeals holiday page, through the same service."""
    days = [(d, HolidayDate.Kind.HOLIDAY) for d in FESTIVAL_2027] + [(d, HolidayDate.Kind.WORKDAY) for d in MAKEUP_2027]
    calendar_services.holidays_set(actor=None, year=2027, days=days)


def book_reading(resident: Any, day: date, **kw: Any) -> services.BookingResult:
    return services.booking_create(
        actor=resident,
        space=Space.objects.get(name="阅览室"),
        starts_at=local(day, 14),
        ends_at=local(day, 16),
        title="读书会",
        now=NOW,
        **kw,
    )


def test_an_entered_2027_schedule_closes_the_space_on_its_holidays(demo: Demo, resident: Any) -> None:
    festival_day = date(2027, 2, 9)
    # Before the schedule is entered nobody knows 2027's holidays: the day is bookable.
    assert book_reading(resident, festival_day).bookings
    Booking.objects.all().delete()
    enter_2027()
    with pytest.raises(ValidationError) as err:
        book_reading(resident, festival_day)
    assert "closed" in err.value.messages[0]
    assert "statutory holiday" in err.value.messages[0]
    assert not Booking.objects.exists()
    # The make-up working day and an ordinary day after the festival stay open.
    assert book_reading(resident, MAKEUP_2027[0]).bookings
    assert book_reading(resident, date(2027, 2, 16)).bookings


def test_a_2027_weekly_series_leaves_out_the_entered_holidays(demo: Demo, resident: Any) -> None:
    enter_2027()
    result = book_reading(resident, date(2027, 1, 26), recurrence=Recurrence("weekly", until=date(2027, 2, 23)))
    made = [timezone.localtime(b.starts_at).date() for b in result.bookings]
    assert made == [date(2027, 1, 26), date(2027, 2, 2), date(2027, 2, 16), date(2027, 2, 23)]
    assert [d for d, _r in result.closed] == [date(2027, 2, 9)]


def test_spaces_not_closed_on_holidays_stay_bookable(demo: Demo, resident: Any) -> None:
    enter_2027()
    made = services.booking_create(
        actor=resident,
        space=demo.kitchen,
        starts_at=local(date(2027, 2, 9), 10),
        ends_at=local(date(2027, 2, 9), 11),
        title="包饺子",
        now=NOW,
    )
    assert made.bookings


def test_the_calendar_shows_entered_holidays_closed_with_their_name(demo: Demo, resident: Any) -> None:
    calendar_services.holidays_set(actor=None, year=2027, days=[(date(2027, 2, 9), HolidayDate.Kind.HOLIDAY)])
    HolidayDate.objects.filter(date=date(2027, 2, 9)).update(name="春节")
    ((_day, cells),) = selectors.space_days(demo.reading, [date(2027, 2, 9)], resident)
    assert {c.state for c in cells} == {"closed"}
    assert {c.label for c in cells} == {"春节"}
    ((_day, open_cells),) = selectors.space_days(demo.reading, [date(2027, 2, 10)], resident)
    assert "closed" not in {c.state for c in open_cells}
    client = Client()
    client.cookies["anju_language"] = "en"
    client.force_login(resident)
    page = client.get(reverse("spaces:station_day", args=[demo.station.pk]), {"date": "2027-02-09"})
    assert page.status_code == 200
    assert "春节" in page.content.decode()
