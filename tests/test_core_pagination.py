"""A page's rows are read in two steps: their ids through the list's filter and order, then the rows by those ids
alone, loaded as the list loads them (its joins for display, its chosen columns, its prefetches)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from anju.core.pagination import page_rows
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
