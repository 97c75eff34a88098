"""PostgreSQL binds parameters on the server and prepares what a connection runs often (``anju.core.pg``); a
statement of more parameters than the protocol carries is bound on the client instead of failing."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from anju.appeals.models import Category
from anju.core import pg

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side binding is PostgreSQL's"),
]


def _prepared(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return int(cursor.fetchone()[0])


def test_a_statement_run_again_is_bound_by_the_server_and_prepared() -> None:
    assert isinstance(connection.cursor().cursor, pg.Cursor)
    assert connection.features.uses_server_side_binding
    probe = f"anju_probe_{uuid.uuid4().hex}"  # a statement no other test runs on this connection
    sql = f"SELECT count(*) AS {probe} FROM appeals_category WHERE code = %s"  # noqa: S608  a name made here
    with connection.cursor() as cursor:
        for value in ("a", "b"):
            cursor.execute(sql, [value])
        assert _prepared(probe) == 0  # run twice: not yet
        for value in ("c", "d", "e"):  # other values, the same statement
            cursor.execute(sql, [value])
            assert cursor.fetchone() == (0,)
    assert _prepared(f"{probe} FROM appeals_category WHERE code = $1") == 1


def test_more_parameters_than_the_protocol_carries_are_bound_on_the_client() -> None:
    seeded = Category.objects.count()
    keys = list(range(-pg.MAX_PARAMETERS - 10, 0)) + list(Category.objects.values_list("pk", flat=True))
    assert len(keys) > pg.MAX_PARAMETERS
    assert Category.objects.filter(pk__in=keys).count() == seeded
    made = Category.objects.bulk_create(
        [Category(code=f"bulk-{i}", name=f"分类 {i} 'x' %s", sort_order=i) for i in range(pg.MAX_PARAMETERS // 4 + 10)]
    )
    assert Category.objects.count() == seeded + len(made)
    assert Category.objects.get(code="bulk-7").name == "分类 7 'x' %s"  # quotes and a placeholder-like text kept
