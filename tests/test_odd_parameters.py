"""Odd query parameters get an ordinary answer, never a server error: digits Python calls digits but
``int()`` refuses (superscripts), and dates whose month arithmetic would leave the calendar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from anju.access.roles import Role
from anju.appeals.rates.selectors import TREND_CEILING, TREND_FLOOR, trend_months
from anju.testing import Tree, make_user

pytestmark = pytest.mark.django_db

ODD = "²"  # str.isdigit() is true, int() raises


@pytest.fixture
def worker_client(tree: Tree, client_for: Callable[[Any], Client]) -> Client:
    return client_for(make_user(Role.COMMUNITY_WORKER, tree.community, username="odd_worker"))


@pytest.mark.parametrize(
    "url",
    [
        f"/appeals/?category={ODD}&department={ODD}&community={ODD}&grid={ODD}",
        "/appeals/rates/?end=0001-01-15",
        "/appeals/rates/?start=9999-12-01&end=9999-12-31",
        "/appeals/rates/?start=0001-01-01",
        f"/people/households/?building={ODD}",
        "/api/v1/appeals/rates?end=0001-01-15",
        f"/open311/v2/requests.json?service_request_id={ODD}",
        f"/open311/v2/requests/{ODD}.json",
    ],
)
def test_odd_parameters_never_answer_a_server_error(worker_client: Client, url: str) -> None:
    response = worker_client.get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_the_trend_stays_inside_its_calendar() -> None:
    import datetime as dt

    assert trend_months(None, dt.date(1, 1, 15)) == [TREND_FLOOR]
    far = trend_months(dt.date(9999, 1, 1), dt.date(9999, 12, 31))
    assert far == [TREND_CEILING]
    assert len(trend_months(dt.date(1, 1, 1), dt.date(2026, 11, 26))) == 36


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_calendar_pages_at_the_ends_of_time(tree: Tree, worker_client: Client, day: str) -> None:
    from anju.testing.spaces import make_station

    demo = make_station(tree.community)
    for url in (f"/station/{demo.station.pk}/day/?date={day}", f"/station/spaces/{demo.kitchen.pk}/?date={day}"):
        response = worker_client.get(url)
        assert response.status_code == 200, (url, response.status_code)
