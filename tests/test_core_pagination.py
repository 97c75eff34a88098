"""A page's rows are read in two steps: their ids through the list's filter and order, then the rows by those ids
alone, loaded as the list loads them (its joins for display, its chosen columns, its prefetches). A page that ends
its list is its own count."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Value
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from anju.core import pagination
from anju.core.pagination import BoundedCount, counted_ids, page_rows, paginate_bounded
from anju.orgs.models import OrgUnit, UnitKind
from anju.testing import build_tree, unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def grids() -> tuple[OrgUnit, list[int]]:
    """A community with its area and 12 grids under it; their ids in the list's order (by name, then id)."""
    community = build_tree().community
    for i in range(11):
        unit(UnitKind.GRID, f"网格{i:02d}", community)
    ids = list(OrgUnit.objects.filter(parent=community).order_by("-name", "id").values_list("pk", flat=True))
    assert len(ids) == 12
    return community, ids


def listed(community: OrgUnit) -> Any:
    return (
        OrgUnit.objects.filter(parent=community)
        .select_related("parent")
        .only("name", "parent__name")
        .order_by("-name", "id")
    )


def test_the_rows_are_read_by_their_ids_alone_and_loaded_as_the_list_loads_them(
    grids: tuple[OrgUnit, list[int]],
) -> None:
    community, ids = grids
    with CaptureQueriesContext(connection) as captured:
        rows = page_rows(listed(community), 3, 9)
        shown = [(row.pk, row.name, row.parent.name) for row in rows]
    assert [pk for pk, _name, _parent in shown] == ids[3:9]  # in the list's order
    assert {parent for _pk, _name, parent in shown} == {"安居社区"}  # joined: no query per row
    assert len(captured.captured_queries) == 2, [q["sql"] for q in captured.captured_queries]
    ids_sql, rows_sql = (q["sql"] for q in captured.captured_queries)
    assert '"parent_id" =' in ids_sql
    # The filter and the order were applied to read the ids: the planner is not asked to prove them again.
    assert '"parent_id" =' not in rows_sql.split("WHERE", 1)[1], rows_sql
    assert "ORDER BY" not in rows_sql, rows_sql
    assert "kind" in rows[0].get_deferred_fields()  # the list's chosen columns, no more


def test_a_list_that_computes_per_row_keeps_what_it_computes(grids: tuple[OrgUnit, list[int]]) -> None:
    community, ids = grids
    rows = page_rows(listed(community).annotate(mark=Value(7)), 0, 5)
    assert [(row.pk, row.mark) for row in rows] == [(pk, 7) for pk in ids[:5]]


def test_past_the_end_there_are_no_rows_and_no_second_query(grids: tuple[OrgUnit, list[int]]) -> None:
    community, _ids = grids
    with CaptureQueriesContext(connection) as captured:
        assert page_rows(listed(community), 12, 20) == []
    assert len(captured.captured_queries) == 1


def test_rows_of_a_related_manager_know_their_parent_without_a_query(grids: tuple[OrgUnit, list[int]]) -> None:
    community, ids = grids
    rows = page_rows(community.children.order_by("-name", "id"), 0, 4)
    with CaptureQueriesContext(connection) as captured:
        assert [row.parent is community for row in rows] == [True] * 4
    assert captured.captured_queries == []
    assert [row.pk for row in rows] == ids[:4]


def sql_of(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].lstrip().upper().startswith("EXPLAIN")]


@pytest.mark.parametrize(
    ("start", "stop", "ids_at", "queries"),
    [
        (0, 20, slice(0, 12), 1),  # the whole list on one page: ended by it
        (8, 20, slice(8, 12), 1),  # the last page
        (0, 12, slice(0, 12), 2),  # exactly full: whether more follow is not known, so counted
        (0, 5, slice(0, 5), 2),  # a full page
        (12, 20, slice(12, 12), 2),  # past the end: counted
    ],
)
def test_a_page_that_ends_its_list_is_its_count(
    grids: tuple[OrgUnit, list[int]], start: int, stop: int, ids_at: slice, queries: int
) -> None:
    community, ids = grids
    with CaptureQueriesContext(connection) as captured:
        page, count = counted_ids(listed(community), start, stop)
    assert page == ids[ids_at]
    assert count == BoundedCount(12, exact=True)
    assert len(captured.captured_queries) == queries, sql_of(captured)
    assert any("COUNT(" in sql for sql in sql_of(captured)) == (queries == 2)


def test_nothing_from_the_start_is_an_empty_list_in_one_query() -> None:
    with CaptureQueriesContext(connection) as captured:
        assert counted_ids(OrgUnit.objects.filter(name="没有").order_by("id"), 0, 26) == (
            [],
            BoundedCount(0, exact=True),
        )
    assert len(captured.captured_queries) == 1


def test_the_last_page_of_a_list_past_the_bound_says_its_exact_count(
    grids: tuple[OrgUnit, list[int]], monkeypatch: Any
) -> None:
    community, ids = grids
    monkeypatch.setattr(pagination, "COUNT_EXACT_UP_TO", 5)
    _first, count = counted_ids(listed(community), 0, 6)
    assert not count.exact  # more than 5: not counted
    last, count = counted_ids(listed(community), 10, 16)
    assert (last, count) == (ids[10:], BoundedCount(12, exact=True))  # the list ends here: 10 + 2


@pytest.mark.parametrize(
    ("page", "shown", "number", "more", "queries"),
    [
        ("1", slice(0, 5), 1, True, 3),  # ids, count, rows
        ("3", slice(10, 12), 3, False, 2),  # the last page: ids, rows
        ("9", slice(10, 12), 3, False, 4),  # past the end: ids (none), count, the last page's ids, rows
        ("x", slice(0, 5), 1, True, 3),
    ],
)
def test_a_bounded_page_counts_only_when_its_page_does_not_end_the_list(
    grids: tuple[OrgUnit, list[int]], page: str, shown: slice, number: int, more: bool, queries: int
) -> None:
    community, ids = grids
    request = RequestFactory().get("/", {"page": page})
    with CaptureQueriesContext(connection) as captured:
        result = paginate_bounded(request, listed(community), per_page=5)
        rows = [(row.pk, row.parent.name) for row in result]
    assert [pk for pk, _parent in rows] == ids[shown]
    assert (result.number, result.has_next(), result.paginator.count, result.paginator.num_pages) == (
        number,
        more,
        12,
        3,
    )
    assert len(captured.captured_queries) == queries, sql_of(captured)
