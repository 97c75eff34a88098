"""Every figure of the dashboard against a hand-counted value on the seeded data set (anju.testing.insights), the
period compared with the one before it across the year boundary and with a year earlier; the rows behind each
figure equal to it; a community worker reads only their community; a constant number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anju.insights import selectors
from anju.insights.periods import Period, PeriodError, parse
from anju.testing import Tree, english_client
from anju.testing.insights import EXPECTED, JAN, InsightsWorld, make_insights_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PERIOD = Period(*JAN)


@pytest.fixture
def iw(tree: Tree) -> InsightsWorld:
    return make_insights_world(tree)


def _api(client: Any, **params: Any) -> Any:
    return client.get("/api/v1/insights/figures", params)


def test_periods_across_the_year_boundary() -> None:
    assert PERIOD.previous() == Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert PERIOD.last_year() == Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    leap = Period(dt.date(2024, 2, 29), dt.date(2024, 3, 31))
    assert leap.last_year() == Period(dt.date(2023, 2, 28), dt.date(2023, 3, 31))
    assert leap.previous().end == dt.date(2024, 2, 28)
    assert leap.previous().days == leap.days


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-02-01", "2026-01-01", "ends before it starts"),
        ("2019-01-01", "2026-01-01", "at most five years"),
        ("2026-13-01", "2026-12-31", "not a date"),
        ("0001-01-01", "0001-02-01", "between"),
    ],
)
def test_bad_periods_are_refused(start: str, end: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse(start, end)


def test_every_figure_against_hand_counted_values(iw: InsightsWorld) -> None:
    ids = selectors.scope(iw.worker, None)
    assert ids == [iw.tree.community.pk]
    dash = selectors.dashboard(iw.worker, ids, PERIOD)
    for section, figures in EXPECTED.items():
        s = dash.section(section)
        assert s is not None, section
        for key, (now, before, year_ago) in figures.items():
            row = s.get(key)
            assert row is not None, (section, key)
            assert (row.now, row.previous, row.last_year) == (now, before, year_ago), (section, key)
    appeals = dash.section("appeals")
    assert appeals is not None
    received = appeals.get("received")
    assert received is not None
    assert received.vs_previous == 50.0
    assert received.vs_last_year == 200.0
    overdue = appeals.get("overdue")
    assert overdue is not None
    assert overdue.now == 1
    assert overdue.previous is None


def test_breakdowns(iw: InsightsWorld) -> None:
    dash = selectors.dashboard(iw.worker, [iw.tree.community.pk], PERIOD)
    appeals = dash.section("appeals")
    assert appeals is not None
    by = {b.key: b for b in appeals.breakdowns}
    assert [v for _l, v, _a in by["category"].rows] == [2, 1]
    assert [(lb, v) for lb, v, _a in by["buildings"].rows] == [("1栋", 3)]
    spaces = dash.section("spaces")
    assert spaces is not None
    assert [(lb, v) for lb, v, _a in spaces.breakdowns[0].rows] == [("共享厨房", 3.5)]


def test_the_monthly_tier_and_the_daily_one_agree(iw: InsightsWorld) -> None:
    """A long period reads whole months from the monthly roll-up and its edges from the daily one."""
    ids = [iw.tree.community.pk]
    long = Period(dt.date(2025, 12, 15), dt.date(2026, 3, 10))  # Dec 15–31 daily, Jan–Feb monthly, Mar daily
    dash = selectors.dashboard(iw.worker, ids, long, breakdowns=False)
    assert dash.value("appeals", "received") == 5
    assert dash.value("appeals", "response_rate") == 80.0


def test_drill_down_lists_equal_the_figures(iw: InsightsWorld) -> None:
    client = english_client(iw.worker)
    q = {"start": "2026-01-01", "end": "2026-01-31"}
    dash = selectors.dashboard(iw.worker, [iw.tree.community.pk], PERIOD)
    checked = 0
    for s in dash.sections:
        for row in s.rows:
            if not row.drill:
                continue
            response = client.get(f"/insights/rows/{s.section.key}/{row.figure.drill}/", q)
            assert response.status_code == 200, (s.section.key, row.figure.key)
            count = response.context["count"]
            if row.figure.unit == "h":
                total = sum(float(e.hours) for e in response.context["page"].object_list)
                assert total == row.now, (s.section.key, row.figure.key)
            else:
                assert count == row.now, (s.section.key, row.figure.key)
            checked += 1
    assert checked >= 10
    by_category = client.get(
        "/insights/rows/appeals/received/", {**q, "arg": dash.section("appeals").breakdowns[0].rows[0][2]}
    )  # type: ignore[union-attr]
    assert by_category.context["count"] == 2


def test_a_community_worker_sees_only_their_community(iw: InsightsWorld) -> None:
    other = iw.tree.other_community
    mine = english_client(iw.worker)
    assert mine.get("/insights/", {"community": other.pk}).status_code == 404
    assert mine.get("/insights/rows/appeals/received/", {"community": other.pk}).status_code == 404
    assert _api(mine, community=other.pk, start="2026-01-01", end="2026-01-31").status_code == 404
    body = _api(mine, start="2026-01-01", end="2026-01-31").json()
    assert body["communities"] == [iw.tree.community.pk]
    received = next(
        f for s in body["sections"] if s["key"] == "appeals" for f in s["figures"] if f["key"] == "received"
    )
    assert received["value"] == 3  # not 7: the other community's four are not counted
    theirs = _api(english_client(iw.other_worker), start="2026-01-01", end="2026-01-31").json()
    received = next(
        f for s in theirs["sections"] if s["key"] == "appeals" for f in s["figures"] if f["key"] == "received"
    )
    assert received["value"] == 4
    rows = english_client(iw.other_worker).get(
        "/insights/rows/appeals/received/", {"start": "2026-01-01", "end": "2026-01-31"}
    )
    assert rows.context["count"] == 4
    assert english_client(iw.resident).get("/insights/").status_code in (403, 404)


def test_supervisor_compares_communities_side_by_side(iw: InsightsWorld) -> None:
    client = english_client(iw.supervisor)
    page = client.get("/insights/communities/", {"start": "2026-01-01", "end": "2026-01-31", "figure": "received"})
    assert page.status_code == 200
    cmp = page.context["cmp"]
    assert [(r.community.pk, r.values["received"], r.rank) for r in cmp.rows] == [
        (iw.tree.other_community.pk, 4, 1),
        (iw.tree.community.pk, 3, 2),
    ]
    assert b'data-chart="sparkline"' in page.content
    ranked = client.get(
        "/api/v1/insights/communities",
        {"start": "2026-01-01", "end": "2026-01-31", "section": "appeals", "figure": "overdue"},
    ).json()
    # Fewer overdue appeals rank first.
    assert [c["id"] for c in ranked["communities"]] == [iw.tree.community.pk, iw.tree.other_community.pk]
    # The supervisor does not list door-level households.
    assert (
        client.get("/insights/rows/registry/households/", {"start": "2026-01-01", "end": "2026-01-31"}).status_code
        == 404
    )
    both = _api(client, start="2026-01-01", end="2026-01-31").json()
    received = next(
        f for s in both["sections"] if s["key"] == "appeals" for f in s["figures"] if f["key"] == "received"
    )
    assert received["value"] == 7


def test_bad_input_is_a_clear_error(iw: InsightsWorld) -> None:
    client = english_client(iw.worker)
    page = client.get("/insights/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert page.status_code == 400
    assert b"ends before it starts" in page.content
    assert client.get("/insights/", {"start": "2019-01-01", "end": "2026-01-01"}).status_code == 400
    api = _api(client, start="2026-02-01", end="2026-01-01")
    assert api.status_code == 422
    assert "ends before it starts" in api.json()["error"]["details"][0]["message"]
    assert client.get("/insights/", {"community": "²"}).status_code == 200
    assert client.get("/insights/rows/nothing/here/").status_code == 404
    assert client.get("/insights/rows/appeals/nothing/").status_code == 404


def test_dashboard_page_and_workbook(iw: InsightsWorld) -> None:
    client = english_client(iw.secretary)
    page = client.get("/insights/", {"start": "2026-01-01", "end": "2026-01-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-chart="periods"' in html
    assert 'data-figures="appeals"' in html
    assert 'data-now="66.7"' in html
    xlsx = client.get("/insights/", {"start": "2026-01-01", "end": "2026-01-31", "format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).worksheets[0]
    values = {(r[0], r[1]): r[3] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert values[("Appeals", "Appeals received")] == 3
    assert values[("Spaces", "Hours booked")] == 3.5


def _queries(user: Any, ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        selectors.dashboard(user, ids, PERIOD)
    return len(ctx.captured_queries)


def test_query_count_is_constant_as_data_grows(iw: InsightsWorld) -> None:
    ids = [iw.tree.community.pk, iw.tree.other_community.pk]
    _queries(iw.supervisor, ids)  # the reader's grants, read once per request
    first = _queries(iw.supervisor, ids)
    from anju.testing.insights import seed_activities, seed_appeals, seed_duty, seed_people, seed_spaces

    seed_appeals(iw.tree)
    seed_spaces(iw.tree, iw.worker)
    people = seed_people(iw.tree, iw.worker)
    seed_activities(iw.tree, iw.worker, people)
    seed_duty(iw.tree)
    assert _queries(iw.supervisor, ids) == first
    assert first <= 20


def test_the_page_in_chinese(iw: InsightsWorld, client_for: Any) -> None:
    from django.test import Client

    client = Client()
    client.cookies["anju_language"] = "zh-hans"
    client.force_login(iw.worker)
    page = client.get("/insights/", {"start": "2026-01-01", "end": "2026-01-31"}).content.decode()
    assert "服务站一览" in page
    assert "去年同期" in page
    error = client.get("/insights/", {"start": "2026-02-01", "end": "2026-01-01"}).content.decode()
    assert "结束日期早于开始日期" in error
