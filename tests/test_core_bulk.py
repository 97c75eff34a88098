"""``core.bulk.insert``: many rows in one statement, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from anju.audit.models import AuditEvent
from anju.calendar.models import HolidayDate
from anju.core import bulk

UTC = dt.UTC


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 3, 400])
def test_rows_come_back_with_their_ids_in_order_in_a_constant_number_of_statements(n: int) -> None:
    at = dt.datetime(2026, 3, 3, 4, 30, tzinfo=UTC)
    rows = [
        (at, None, "anju worker", "appeal.escalated", "appeals.appeal", str(i), f"#{i} 路灯", None,
         {"level": 1, "n": i, "名": "王秀英", "nested": [1, {"a": None}]}, None if i % 2 else "10.0.0.1")
        for i in range(n)
    ]  # fmt: skip
    columns = ("created_at", "actor", "actor_label", "action", "object_type", "object_id", "object_label",
               "community", "data", "ip")  # fmt: skip
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        ids = [pk for (pk,) in bulk.insert(AuditEvent, columns, rows, returning=("id",))]
    # PostgreSQL: one INSERT … FROM unnest(…); SQLite: one executemany and its last id.
    assert len(ctx.captured_queries) <= (1 if connection.vendor == "postgresql" else 4)
    assert len(ids) == n == len(set(ids))
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=ids)}
    for i, pk in enumerate(ids):
        event = stored[pk]
        assert event.object_id == str(i)
        assert event.object_label == f"#{i} 路灯"
        assert event.data == {"level": 1, "n": i, "名": "王秀英", "nested": [1, {"a": None}]}
        assert event.created_at == at
        assert event.ip == (None if i % 2 else "10.0.0.1")
        assert event.actor_id is None
        assert event.community_id is None


@pytest.mark.django_db
def test_a_row_the_unique_constraint_holds_is_skipped_and_not_returned() -> None:
    HolidayDate.objects.create(date=dt.date(2031, 10, 1), kind="holiday", name="国庆节")
    rows = [(dt.date(2031, 10, d), "holiday", f"day {d}") for d in (1, 2, 3)]
    with transaction.atomic():
        made = bulk.insert(HolidayDate, ("date", "kind", "name"), rows, conflict=("date",), returning=("name",))
    assert sorted(made) == [("day 2",), ("day 3",)]
    assert HolidayDate.objects.get(date=dt.date(2031, 10, 1)).name == "国庆节"
    with transaction.atomic():
        assert bulk.insert(HolidayDate, ("date", "kind", "name"), rows, conflict=("date",)) == []
    assert HolidayDate.objects.filter(date__year=2031).count() == 3
    assert bulk.insert(HolidayDate, ("date", "kind", "name"), []) == []
