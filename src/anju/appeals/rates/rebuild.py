"""Rebuild both roll-up tiers from the rows they summarise (``anju rollup_rebuild``), or check them
(``anju rollup_rebuild --check``).

The services keep the roll-up as they go (``rates.rollup``); this recomputes every counter from the appeal,
timeline, callback and whistle rows by the definitions of docs/rates.md, and replaces the roll-up with the
result in one transaction (the monthly tier summed from the recounted days). Run it after an upgrade that
changed a definition, or to prove the roll-up: on a consistent database it changes nothing (the tests compare
both), and ``--check`` (:func:`rollup_check`) says so without writing.

Concurrent steps are safe: on PostgreSQL both tiers are locked first (a step's counter update waits, then
lands on the rebuilt rows, and its rows are either committed before the lock, so read, or after, so not read);
on SQLite the first statement is a write, which takes the one writer's lock for the whole rebuild.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from anju.appeals.models import (
    AWAITING_CALLBACK,
    Appeal,
    AppealEvent,
    Callback,
    DailyRollup,
    MonthlyRollup,
    Status,
    Summons,
    Whistle,
)
from anju.audit.actions import Action
from anju.audit.services import record

Key = tuple[dt.date, int, int, int, int]  # day, community, grid, department, category
MonthKey = tuple[int, str, dt.date, int]  # community, dimension, month, key

#: The timeline steps the response rate and routing accuracy are recounted from.
RESPONSE_STEPS = ("dispatch", "sign", "contact", "feedback")


def _day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at).date()


class Tally:
    def __init__(self) -> None:
        self.counts: dict[Key, Counter[str]] = defaultdict(Counter)

    def add(self, appeal: Any, at: dt.datetime, department_id: int | None, **counts: int) -> None:
        key = (_day(at), appeal.community_id, appeal.grid_id or 0, department_id or 0, appeal.category_id or 0)
        self.counts[key].update({name: n for name, n in counts.items() if n})


def response_of(appeal: Appeal, steps: list[AppealEvent], tally: Tally) -> None:
    """Count one appeal's dispatches by docs/rates.md: the response once, on the dispatch that kept it; every
    dispatch to a department not already leading it, and those re-routed or rightly referred back."""
    held: int | None = None
    held_at: dt.datetime | None = None
    counted: tuple[dt.datetime, int] | None = None
    settled = False
    signed = contacted = False
    for step in steps:
        if step.action == "dispatch":
            department = int((step.note_params or {}).get("department_id") or appeal.department_id or 0)
            if held is None:
                tally.add(appeal, step.at, department, dispatches=1)
                counted = (step.at, department)
            else:
                moved = department != held
                if moved and held_at is not None:
                    tally.add(appeal, held_at, held, misrouted=1)
                    tally.add(appeal, step.at, department, dispatches=1)
                if not settled:
                    if not moved and step.from_status == Status.REFERRED:
                        settled = True  # a referral the community did not take: a missed response
                    else:
                        counted = (step.at, department)
            held, held_at = department, step.at
            signed = contacted = False
        elif step.action == "sign":
            signed = True
        else:  # contact, feedback
            contacted = True
        if signed and contacted:
            settled = True
    if counted is not None:
        at, department = counted
        tally.add(appeal, at, department, dispatched=1, responded=int(bool(appeal.responded_on_time)))


def recount() -> dict[Key, Counter[str]]:
    """Every roll-up counter recomputed from the rows, by key."""
    tally = Tally()
    appeals = {
        a.pk: a
        for a in Appeal.objects.only(
            "pk",
            "community_id",
            "grid_id",
            "category_id",
            "department_id",
            "received_at",
            "status",
            "responded_on_time",
        )
    }
    steps: dict[int, list[AppealEvent]] = defaultdict(list)
    events = AppealEvent.objects.filter(action__in=RESPONSE_STEPS).only(
        "appeal_id", "action", "from_status", "note_params", "at"
    )
    for event in events.order_by("at", "id").iterator():
        steps[event.appeal_id].append(event)
    for appeal in appeals.values():
        tally.add(appeal, appeal.received_at, None, received=1)
        if appeal.status in AWAITING_CALLBACK:
            tally.add(appeal, appeal.received_at, appeal.department_id, awaiting_callback=1)
        response_of(appeal, steps.get(appeal.pk, []), tally)
    for cb in Callback.objects.filter(counted=True).select_related("satisfaction").iterator():
        satisfied = cb.satisfaction.counts_as_satisfied
        tally.add(
            appeals[cb.appeal_id],
            cb.at,
            cb.department_id,
            completed=1,
            resolved=int(cb.resolved),
            ratings=1,
            satisfied=int(satisfied),
            reopened=int(not cb.is_follower and not satisfied),
        )
    for event in AppealEvent.objects.filter(action="complex").only("appeal_id", "note_params", "at").iterator():
        department = int((event.note_params or {}).get("department_id") or 0)
        tally.add(appeals[event.appeal_id], event.at, department, complex_marked=1)
    for event in AppealEvent.objects.filter(action="close").only("appeal_id", "at").iterator():
        appeal = appeals[event.appeal_id]  # closed is final: the department then is the department now
        tally.add(appeal, event.at, appeal.department_id, completed=1)
    for whistle in Whistle.objects.only("appeal_id", "blown_at").iterator():
        tally.add(appeals[whistle.appeal_id], whistle.blown_at, None, whistles=1)
    for summons in Summons.objects.select_related("whistle").iterator():
        counts = {"summoned": 1}
        if summons.arrived_at is not None:
            counts[f"arrived_{summons.arrival_method}"] = 1
            counts["arrived_on_time"] = int(bool(summons.on_time))
        tally.add(appeals[summons.whistle.appeal_id], summons.whistle.blown_at, summons.department_id, **counts)
    return {key: counts for key, counts in tally.counts.items() if any(counts.values())}


def monthly_of(daily: dict[Key, Counter[str]]) -> dict[MonthKey, Counter[str]]:
    """The monthly tier that goes with daily counts: each month's sums by department, category, grid and in total."""
    months: dict[MonthKey, Counter[str]] = defaultdict(Counter)
    dims = MonthlyRollup.Dimension
    for (day, community, grid, department, category), counts in daily.items():
        month = day.replace(day=1)
        for dimension, key in (
            (dims.TOTAL, 0),
            (dims.DEPARTMENT, department),
            (dims.CATEGORY, category),
            (dims.GRID, grid),
        ):
            months[(community, str(dimension), month, key)].update(counts)
    return {key: counts for key, counts in months.items() if any(counts.values())}


def monthly_sql(vendor: str) -> list[str]:
    """The statements that write the monthly tier from the daily one, set-based (one per dimension); each takes
    the dimension's name as its one parameter. Shared by migration appeals/0018 and :func:`monthly_from_daily`."""
    names = DailyRollup.COUNTERS
    month = "CAST(date_trunc('month', day) AS date)" if vendor == "postgresql" else "date(day, 'start of month')"
    columns = ", ".join(names)
    sums = ", ".join(f"sum({n})" for n in names)
    out = []
    for key, group in (
        ("0", "1, 2"),
        ("department_key", "1, 2, 4"),
        ("category_key", "1, 2, 4"),
        ("grid_key", "1, 2, 4"),
    ):
        out.append(
            f"INSERT INTO appeals_monthlyrollup (community_id, month, dimension, key, {columns}) "  # noqa: S608  fixed names
            f"SELECT community_id, {month}, %s, {key}, {sums} FROM appeals_dailyrollup GROUP BY {group}"
        )
    return out


def monthly_from_daily() -> None:
    """Replace the monthly tier with the daily tier summed by month, set-based (after a bulk load of daily rows,
    such as the benchmark city's)."""
    dimensions = [str(d) for d in MonthlyRollup.Dimension]  # total, department, category, grid: monthly_sql's order
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM appeals_monthlyrollup")
        for statement, dimension in zip(monthly_sql(connection.vendor), dimensions, strict=True):
            cursor.execute(statement, [dimension])


def stored_daily() -> dict[Key, Counter[str]]:
    out: dict[Key, Counter[str]] = {}
    names = DailyRollup.COUNTERS
    fields = ("day", "community_id", "grid_key", "department_key", "category_key", *names)
    for row in DailyRollup.objects.values_list(*fields).iterator(chunk_size=5000):
        counts = Counter({n: v for n, v in zip(names, row[5:], strict=True) if v})
        if counts:
            out[(row[0], row[1], row[2], row[3], row[4])] = counts
    return out


def stored_monthly() -> dict[MonthKey, Counter[str]]:
    out: dict[MonthKey, Counter[str]] = {}
    names = MonthlyRollup.COUNTERS
    fields = ("community_id", "dimension", "month", "key", *names)
    for row in MonthlyRollup.objects.values_list(*fields).iterator(chunk_size=5000):
        counts = Counter({n: v for n, v in zip(names, row[4:], strict=True) if v})
        if counts:
            out[(row[0], row[1], row[2], row[3])] = counts
    return out


def _differences(label: str, stored: dict[Any, Counter[str]], counted: dict[Any, Counter[str]]) -> list[str]:
    out = []
    for key in sorted(set(stored) | set(counted), key=str):
        have = {n: v for n, v in stored.get(key, Counter()).items() if v}
        want = {n: v for n, v in counted.get(key, Counter()).items() if v}
        if have != want:
            out.append(f"{label} {key}: stored {have}, recounted {want}")
    return out


def rollup_check() -> list[str]:
    """Recount both tiers from the rows (into memory, a scratch copy) and compare them with what is stored;
    returns the differences (none on a consistent database). Reads only; safe beside running workers, though a
    step landing between the reads may show as a difference (run it again)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:  # one snapshot for the rows and both tiers
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        daily = recount()
        problems = _differences("day", stored_daily(), daily)
        problems += _differences("month", stored_monthly(), monthly_of(daily))
    return problems


def rollup_rebuild(*, actor: Any = None, actor_label: str = "anju rollup_rebuild") -> int:
    """Replace both tiers with a recount of the rows (one transaction, audited); returns the daily rows written."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (DailyRollup, MonthlyRollup):
                    cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        before = DailyRollup.objects.all().delete()[0]
        MonthlyRollup.objects.all().delete()
        daily = recount()
        rows = [
            DailyRollup(
                day=day,
                community_id=community,
                grid_key=grid,
                department_key=department,
                category_key=category,
                **{name: counts.get(name, 0) for name in DailyRollup.COUNTERS},
            )
            for (day, community, grid, department, category), counts in sorted(daily.items())
        ]
        DailyRollup.objects.bulk_create(rows, batch_size=500)
        MonthlyRollup.objects.bulk_create(
            [
                MonthlyRollup(
                    community_id=community,
                    dimension=dimension,
                    month=month,
                    key=key,
                    **{name: counts.get(name, 0) for name in MonthlyRollup.COUNTERS},
                )
                for (community, dimension, month, key), counts in sorted(monthly_of(daily).items(), key=str)
            ],
            batch_size=500,
        )
        record(
            Action.APPEAL_ROLLUP_REBUILT,
            actor=actor,
            actor_label=actor_label,
            data={"rows_before": before, "rows": len(rows)},
        )
    return len(rows)
