"""Activity listings (the activities page and the home card) show the next session still to come that is not
cancelled, how many sessions a series has, and, for a finished activity, its last session as past — with a
constant number of queries however many activities and sessions there are."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anju.activities import selectors, services
from anju.activities.models import Activity, Session
from anju.core.text import near_date
from anju.testing.activities import ActivityWorld, make_activity
from anju.testing.spaces import days_ahead, local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _series(activity_world: ActivityWorld, title: str, *, first_day: int, weeks: int) -> Activity:
    """A weekly class starting ``first_day`` days from today (negative: already begun)."""
    starts = local(days_ahead(first_day), 9)
    return make_activity(
        activity_world,
        title=title,
        space=None,
        target_tags=[],
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        weeks=weeks,
        registration_opens_at=starts - timedelta(days=7),
        registration_closes_at=starts - timedelta(hours=1),
    )


def _en(client: Client) -> Client:
    client.cookies["anju_language"] = "en"
    return client


def _sessions(activity: Activity) -> list[Session]:
    return list(activity.sessions.order_by("starts_at"))


def _shown(page: str, activity: Activity) -> str:
    """The text of the activity's line in a listing."""
    start = page.index(f'href="/activities/{activity.pk}/"')
    return page[start : page.index("</li>", start)]


def _fmt(session: Session, rest: str = "") -> str:
    """The session's start as the lists show it: the year only when it is not this year."""
    return near_date(session.starts_at, rest)


def test_a_cancelled_first_session_is_skipped(activity_world: ActivityWorld, client_for: Callable[..., Client]) -> None:
    activity = _series(activity_world, "太极拳班", first_day=2, weeks=3)
    first, second, _third = _sessions(activity)
    services.session_cancel(actor=activity_world.users["worker"], session=first, reason="场地维修")
    page = _en(client_for(activity_world.users["resident"])).get("/activities/").content.decode()
    line = _shown(page, activity)
    assert f'data-session="{second.pk}"' in line
    assert _fmt(second) in line
    assert _fmt(first) not in line
    assert "2 sessions" in line  # the cancelled one is not counted
    assert "Ended" not in line
    home = _en(client_for(activity_world.users["resident"])).get("/").content.decode()
    card = home[home.index('data-home-card="activities"') :]
    card_line = _shown(card, activity)
    assert f'data-session="{second.pk}"' in card_line
    assert _fmt(second, "H:i") in card_line
    assert "2 sessions" in card_line


def test_a_series_under_way_shows_its_next_session(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    activity = _series(activity_world, "书法课", first_day=-8, weeks=3)  # sessions 8 and 1 days ago, one in 6 days
    past, recent, coming = _sessions(activity)
    assert recent.ends_at < timezone.now()
    one_off = _series(activity_world, "包饺子", first_day=4, weeks=1)
    page = _en(client_for(activity_world.users["resident"])).get("/activities/").content.decode()
    line = _shown(page, activity)
    assert f'data-session="{coming.pk}"' in line
    assert _fmt(coming) in line
    assert _fmt(past) not in line
    assert "3 sessions" in line
    single = _shown(page, one_off)
    assert f'data-session="{_sessions(one_off)[0].pk}"' in single
    assert "session" not in re.sub(r'data-session="\d+"', "", single)  # no count for a one-off


def test_a_finished_activity_shows_its_last_session_as_past(activity_world: ActivityWorld) -> None:
    activity = _series(activity_world, "暑期托管班", first_day=-20, weeks=2)  # 20 and 13 days ago
    _first, last = _sessions(activity)
    activity = Activity.objects.prefetch_related("sessions").get(pk=activity.pk)
    shown = selectors.shown_session(activity)
    assert shown is not None
    assert shown.session == last
    assert shown.past
    assert shown.count == 2
    # The activities list is of what is to come: a finished activity is not in it.
    assert activity.pk not in [a.pk for a in selectors.upcoming(activity_world.users["worker"])]
    # Every session still to come cancelled: the last one held is shown as past.
    later = _series(activity_world, "读书会", first_day=-3, weeks=2)  # 3 days ago, and in 4 days
    held, cancelled = _sessions(later)
    services.session_cancel(actor=activity_world.users["worker"], session=cancelled, reason="老师生病")
    later = Activity.objects.prefetch_related("sessions").get(pk=later.pk)
    shown = selectors.shown_session(later)
    assert shown is not None
    assert (shown.session, shown.past, shown.count) == (held, True, 1)


def test_listings_take_a_constant_number_of_queries(
    activity_world: ActivityWorld, client_for: Callable[..., Client]
) -> None:
    client = client_for(activity_world.users["resident"])

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = _series(activity_world, "太极拳班", first_day=2, weeks=3)
    services.session_cancel(actor=activity_world.users["worker"], session=_sessions(first)[0], reason="场地维修")
    count("/activities/")
    few = (count("/activities/"), count("/"))
    for n in range(4):
        activity = _series(activity_world, f"课程{n}", first_day=-8 + n, weeks=4)
        services.session_cancel(actor=activity_world.users["worker"], session=_sessions(activity)[-1], reason="调课")
    page = client.get("/activities/").content.decode()
    assert page.count("data-session=") >= 5
    assert (count("/activities/"), count("/")) == few
