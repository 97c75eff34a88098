"""The daily roll-up: services bump counters in their own transaction, the
three-rate page sums them (never the raw appeal rows).

Counters are history (what happened on ``day``), except ``awaiting_callback``: a balance kept on the
row of the appeal's *received* day, +1 when the appeal starts awaiting its callback and -1 when it
leaves that state, so summing it gives the appeals still awaiting callback without reading them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from anju.appeals.models import AWAITING_CALLBACK, Appeal, DailyRollup


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
    if DailyRollup.objects.filter(**key).update(**increments):
        return
    try:
        with transaction.atomic():
            DailyRollup.objects.create(**key, **counts)
    except IntegrityError:
        DailyRollup.objects.filter(**key).update(**increments)


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
