"""The residents' and households' lists at city scale: scoped by indexed keys, counted up to a bound (an estimate
labelled as one beyond it), the same queries for a few rows and for many, on the page and in the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.people import services
from anju.testing import english_client
from anju.testing.people import PeopleWorld, person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _more_residents(world: PeopleWorld, n: int, start: int) -> None:
    for i in range(start, start + n):
        household = services.household_create(actor=None, unit=world.tree.building, door=f"{500 + i}")
        name = "居民" + "甲乙丙丁"[i // 10] + "子丑寅卯辰巳午未申酉"[i % 10]
        services.resident_create(actor=None, household=household, name=name, relation="head", **person(100 + i))


def _without_estimate(captured: CaptureQueriesContext) -> int:
    explains = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("EXPLAIN")]
    assert len(explains) <= (1 if connection.vendor == "postgresql" else 0)
    return len(captured.captured_queries) - len(explains)


@pytest.mark.parametrize(
    "url", ["/people/", "/people/households/", "/api/v1/people/residents", "/api/v1/people/households"]
)
def test_people_lists_count_up_to_a_bound_in_the_same_queries(
    people_world: PeopleWorld, monkeypatch: Any, url: str
) -> None:
    monkeypatch.setattr("anju.core.pagination.COUNT_EXACT_UP_TO", 5)
    client = english_client(people_world.users["community_worker"])
    client.get(url)  # warm the session and the policy caches
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    if url.startswith("/api/"):
        assert response.json()["count_exact"] is True
    else:
        assert "data-estimated" not in response.content.decode()
    _more_residents(people_world, 28, 0)  # more than a page (25 on the page, 50 in the API by default)
    if url.startswith("/api/"):
        url += "?limit=20"
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    # The short list is counted from its page (its rows end it); the long one adds its bounded count, no more.
    assert not [q for q in few.captured_queries if q["sql"].startswith('SELECT COUNT(*) FROM (SELECT "people_')]
    assert _without_estimate(many) == len(few.captured_queries) + 1, [q["sql"] for q in many.captured_queries]
    for q in many.captured_queries:  # reach by community ids, never a path pattern through a join
        listed = 'FROM "people_resident"' in q["sql"] or 'FROM "people_household"' in q["sql"]
        assert not (listed and "LIKE" in q["sql"]), q["sql"]
    if url.startswith("/api/"):
        body = response.json()
        assert body["count_exact"] is False
        assert body["count"] >= 5
    else:
        page = response.content.decode()
        assert 'rel="next"' not in page or "Page 1<" in page
        if url == "/people/":
            assert ("More than 5 residents" in page) or ("(estimated)" in page)
