"""The roll-up: services bump counters in their own transaction, the three-rate page sums them (never the raw
appeal rows). Two tiers, bumped together: the daily one (``DailyRollup``: day × community × grid × department ×
category) and the monthly one (``MonthlyRollup``: month × community, by department, by category, by grid and in
total), so a period of months reads a few rows per community and month.

Counters are history (what happened on ``day``), except ``awaiting_callback``: a balance kept on the
row of the appeal's *received* day, +1 when the appeal starts awaiting its callback and -1 when it
leaves that state, so summing it gives the appeals still awaiting callback without reading them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from anju.appeals.models import AWAITING_CALLBACK, Appeal, DailyRollup, MonthlyRollup

Dimension = MonthlyRollup.Dimension


def bump(
    *,
    day: dt.datetime | dt.date,
    community_id: int,
    grid_id: int | None = None,
    department_id: int | None = None,
    category_id: int | None = None,
    **counts: int,
) -> None:
    counts = {k: v for k, v in counts.items() if v}
    if not counts:
        return
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date()
    key: dict[str, Any] = {
        "day": day,
        "community_id": community_id,
        "grid_key": grid_id or 0,
        "department_key": department_id or 0,
        "category_key": category_id or 0,
    }
    increments = {name: F(name) + value for name, value in counts.items()}
    bump_monthly(
        month=day.replace(day=1),
        community_id=community_id,
        keys={
            Dimension.TOTAL: 0,
            Dimension.DEPARTMENT: key["department_key"],
            Dimension.CATEGORY: key["category_key"],
            Dimension.GRID: key["grid_key"],
        },
        counts=counts,
    )
    if DailyRollup.objects.filter(**key).update(**increments):
        return
    try:
        with transaction.atomic():
            DailyRollup.objects.create(**key, **counts)
    except IntegrityError:
        DailyRollup.objects.filter(**key).update(**increments)


def bump_monthly(*, month: dt.date, community_id: int, keys: dict[str, int], counts: dict[str, int]) -> None:
    """Add ``counts`` to the month's row of each dimension (one statement: an insert that adds to the row when it
    is there, ``ON CONFLICT … DO UPDATE``, on PostgreSQL and SQLite alike)."""
    if any(v < 0 for n, v in counts.items() if n != "awaiting_callback"):
        # Taking a count back (a dispatch that no longer counts): the rows hold it already, and an insert of a
        # negative count would fail the columns' check before the conflict is seen. One update.
        where = Q()
        for dimension, value in keys.items():
            where |= Q(dimension=dimension, key=value)
        MonthlyRollup.objects.filter(where, community_id=community_id, month=month).update(
            **{name: F(name) + value for name, value in counts.items()}
        )
        return
    table = connection.ops.quote_name(MonthlyRollup._meta.db_table)
    names = MonthlyRollup.COUNTERS  # every column: the table has no database defaults
    columns = ["community_id", "month", "dimension", "key", *names]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params: list[Any] = []
    for dimension, value in keys.items():
        params += [community_id, month, dimension, value, *(counts.get(n, 0) for n in names)]
    quoted = [connection.ops.quote_name(c) for c in columns]
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(n)} = {table}.{q(n)} + excluded.{q(n)}" for n in names if n in counts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quoted)}) VALUES {', '.join([row] * len(keys))} "  # noqa: S608  the model's own names
            f"ON CONFLICT ({', '.join(quoted[:4])}) DO UPDATE SET {sets}",
            params,
        )


def bump_appeal(appeal: Appeal, *, day: dt.datetime | dt.date, department_id: int | None = None, **counts: int) -> None:
    bump(
        day=day,
        community_id=appeal.community_id,
        grid_id=appeal.grid_id,
        department_id=department_id,
        category_id=appeal.category_id,
        **counts,
    )


def awaiting_moved(appeal: Appeal, before: str) -> None:
    """Keep the awaiting-callback balance when a transition enters or leaves handled/verified."""
    was, now = before in AWAITING_CALLBACK, appeal.status in AWAITING_CALLBACK
    if was != now:
        bump_appeal(
            appeal, day=appeal.received_at, department_id=appeal.department_id, awaiting_callback=1 if now else -1
        )
