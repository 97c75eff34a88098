"""The three rates (response, resolution, satisfaction) and the routing accuracy, read from the roll-ups, never
from the appeal rows: grouped by department, category, community or grid over a period, month by month, within
the reader's reach for the rates (docs/rates.md). The tier follows the question (:func:`tier_plan`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language

from anju.access import policy
from anju.appeals.models import Category, DailyRollup, MonthlyRollup
from anju.appeals.rates import ranking
from anju.appeals.selectors import in_communities
from anju.core import stamp
from anju.orgs.models import Department, OrgUnit, UnitKind

GROUPS = {
    "department": ("department_key", "department_id"),
    "category": ("category_key", "category_id"),
    "community": ("community_id", "community_id"),
    "grid": ("grid_key", "grid_id"),
}


#: The community's routing-accuracy counters (docs/rates.md), kept on the department dispatched to.
ROUTING_COUNTERS = frozenset({"dispatches", "misrouted"})


def _pct(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


@dataclass
class RateRow:
    key: int
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    pending_callback: int = 0
    month: dt.date | None = None
    score: float | None = None  # the ranking's score (appeals.rates.ranking), departments only
    rank: int | None = None  # None: not ranked (too few appeals, or not a department row)
    overdue: int = 0  # open appeals past their deadline (set by the home card, not by the roll-up)

    @property
    def response_rate(self) -> float | None:
        return _pct(self.counts.get("responded", 0), self.counts.get("dispatched", 0))

    @property
    def resolution_rate(self) -> float | None:
        return _pct(self.counts.get("resolved", 0), self.counts.get("completed", 0))

    @property
    def satisfaction_rate(self) -> float | None:
        return _pct(self.counts.get("satisfied", 0), self.counts.get("ratings", 0))

    @property
    def routing_rate(self) -> float | None:
        """The community's routing accuracy: dispatches kept (not re-routed, not rightly referred back) ÷
        dispatches made (docs/rates.md). A figure of the community, never a department's."""
        made = self.counts.get("dispatches", 0)
        return _pct(made - self.counts.get("misrouted", 0), made)

    @property
    def arrival_rate(self) -> float | None:
        return _pct(self.counts.get("arrived_on_time", 0), self.counts.get("summoned", 0))

    @property
    def month_last(self) -> dt.date | None:
        """The last day of the row's month (for the drill-down of a month)."""
        return None if self.month is None else _month_add(self.month, 1) - dt.timedelta(days=1)

    def add(self, counts: dict[str, int]) -> None:
        for name, value in counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        self.pending_callback = self.counts.get("awaiting_callback", 0)


@dataclass
class RatesReport:
    """The three-rate page: one row per group key, the total, and the total month by month."""

    rows: list[RateRow]
    total: RateRow
    months: list[RateRow]


def rates_communities(user: Any) -> list[int] | None:
    """The communities whose roll-up rows the user reads on the three-rate page, by id (``None``: all).

    The roll-ups carry their community's id; filtering by the id set (one query on the org units, remembered
    for the request) lets PostgreSQL use the roll-ups' (community, month) keys instead of joining every row to
    its community to match a path pattern."""
    return policy.reach_ids(
        user, OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), action="appeal.rates", name="communities"
    )


def rollups_visible(user: Any) -> QuerySet[DailyRollup]:
    return DailyRollup.objects.filter(in_communities(rates_communities(user)))


def _month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


# The trend's calendar: dates outside it (``?end=0001-01-15``) are clamped, so month arithmetic stays valid.
TREND_FLOOR, TREND_CEILING = dt.date(2000, 1, 1), dt.date(2100, 12, 1)


def trend_months(start: dt.date | None, end: dt.date | None, *, today: dt.date | None = None) -> list[dt.date]:
    """The months the trend shows: those of [start, end], or the twelve up to ``end`` (or this month)
    when no start is given; never more than 36, never outside 2000–2100."""

    def clamp(day: dt.date) -> dt.date:
        return min(max(day.replace(day=1), TREND_FLOOR), TREND_CEILING)

    last = clamp(end or today or timezone.localdate())
    first = clamp(start) if start else max(_month_add(last, -11), TREND_FLOOR)
    if first > last:
        return []
    first = max(first, _month_add(last, -35), TREND_FLOOR)
    months = [first]
    while months[-1] < last:
        months.append(_month_add(months[-1], 1))
    return months


def monthly_visible(user: Any) -> QuerySet[MonthlyRollup]:
    return MonthlyRollup.objects.filter(in_communities(rates_communities(user)))


#: A period of fewer days than this reads the daily tier alone; a longer one (and no period: all time) reads its
#: whole months from the monthly tier and only the days of its partial first and last months from the daily tier.
DAILY_ONLY_DAYS = 62


@dataclass(frozen=True)
class TierPlan:
    """Which roll-up rows answer [start, end]: the whole months [first, last] from the monthly tier (``months``;
    None for either end: unbounded), and day ranges from the daily tier (``days``). Together they cover the
    period exactly once."""

    months: tuple[dt.date | None, dt.date | None] | None
    days: tuple[tuple[dt.date | None, dt.date | None], ...]

    def month_q(self) -> Q:
        """The monthly tier's rows of the plan (none when it reads no whole month)."""
        if self.months is None:
            return Q(pk__in=[])
        first, last = self.months
        q = Q()
        if first:
            q &= Q(month__gte=first)
        if last:
            q &= Q(month__lte=last)
        return q

    def day_q(self) -> Q:
        """The daily tier's rows of the plan (none when it reads no day range)."""
        q = Q(pk__in=[])
        for start, end in self.days:
            one = Q()
            if start:
                one &= Q(day__gte=start)
            if end:
                one &= Q(day__lte=end)
            q |= one
        return q


def tier_plan(start: dt.date | None, end: dt.date | None) -> TierPlan:
    if start is not None and start.year >= 9999:  # nothing can be counted that late
        return TierPlan(None, ((start, end),))
    if end is not None and end.year >= 9999:
        end = None
    if end is not None and end.year <= 1:  # nothing was counted that early, and no month lies before it
        return TierPlan(None, ((start, end),))
    if start is not None and end is not None and (end - start).days < DAILY_ONLY_DAYS:
        return TierPlan(None, ((start, end),))
    first = None if start is None else start if start.day == 1 else _month_add(start.replace(day=1), 1)
    last = None
    if end is not None:
        following = _month_add(end.replace(day=1), 1)
        last = end.replace(day=1) if end == following - dt.timedelta(days=1) else _month_add(end.replace(day=1), -1)
    if first is not None and last is not None and first > last:
        return TierPlan(None, ((start, end),))
    days: list[tuple[dt.date | None, dt.date | None]] = []
    if start is not None and first is not None and start < first:
        days.append((start, first - dt.timedelta(days=1)))
    if end is not None and last is not None and _month_add(last, 1) <= end:
        days.append((_month_add(last, 1), end))
    return TierPlan((first, last), tuple(days))


def _as_date(month: Any) -> dt.date:
    """A month as :func:`_summed` reads it: a date, or a datetime or text on some backends (SQLite)."""
    if isinstance(month, str):
        return dt.date.fromisoformat(month[:10])
    return month.date() if isinstance(month, dt.datetime) else month


def _read_sums(db: str, sql: str, params: list[Any], by: int) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    """Each row of ``sql`` (``by`` group columns, then the sums of ``DailyRollup.COUNTERS`` in order) as its group's
    values and its counts by name, read from the cursor as the database answers: no model field converters (an
    ``int()`` of each of 18 sums, a dict a row, all over again)."""
    names = DailyRollup.COUNTERS
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[:by], dict(zip(names, [int(v or 0) for v in row[by:]], strict=True))) for row in cursor.fetchall()]


def _summed(queryset: QuerySet[Any], *by: str) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    """``queryset``'s counters summed by ``by``: each group's values of ``by`` and its counts by name."""
    qs = queryset.values(*by).annotate(**{name: Sum(name) for name in DailyRollup.COUNTERS}).order_by()
    qs = qs.values_list(*by, *DailyRollup.COUNTERS)
    try:
        sql, params = qs.query.get_compiler(qs.db).as_sql()
    except EmptyResultSet:  # nothing can match (no community within reach): the ORM answers no rows, so do we
        return []
    return _read_sums(qs.db, sql, list(params), len(by))


_MONTHLY_SUMS = ", ".join(f"SUM({name})" for name in DailyRollup.COUNTERS)


def _monthly_summed(
    communities: list[int] | None, plan: TierPlan, dimension: str, *by: str
) -> list[tuple[tuple[Any, ...], dict[str, int]]]:
    """The monthly tier's counters of ``dimension`` in the communities (``None``: all) and the plan's months, summed
    by ``by`` (columns of the tier), in SQL written here: the same statement the ORM writes (community ids as a
    list of literals, which PostgreSQL plans better than ``= ANY(array)``), without the 2 ms the ORM took to
    resolve 18 sums on each of the page's two queries. Read from the replica under ``replica.reads``, as the ORM
    would be."""
    if communities is not None and not communities:
        return []
    where: list[str] = ["dimension = %s"]
    params: list[Any] = [dimension]
    if communities is not None:
        where.append(f"community_id IN ({', '.join(['%s'] * len(communities))})")
        params += communities
    first, last = plan.months or (None, None)
    if first:
        where.append("month >= %s")
        params.append(first)
    if last:
        where.append("month <= %s")
        params.append(last)
    group = ", ".join(by)
    table = MonthlyRollup._meta.db_table
    sql = f"SELECT {group}, {_MONTHLY_SUMS} FROM {table} WHERE {' AND '.join(where)} GROUP BY {group}"  # noqa: S608
    return _read_sums(MonthlyRollup.objects.db, sql, params, len(by))


def _merge(rows: dict[Any, RateRow], key: Any, counts: dict[str, int], make: Callable[[], RateRow]) -> None:
    """Add ``counts`` to the row of ``key``; a new row takes a copy of them (most keys come once: one GROUP BY)."""
    item = rows.get(key)
    if item is None:
        rows[key] = item = make()
        item.counts = dict(counts)
        item.pending_callback = counts.get("awaiting_callback", 0)
    else:
        item.add(counts)


def rates_report(
    user: Any, *, group: str = "department", start: dt.date | None = None, end: dt.date | None = None
) -> RatesReport:
    """The three rates grouped by ``group`` over [start, end] and month by month, read from the roll-up only
    (the appeals awaiting callback included, kept there as a balance by the services); never the appeal rows.
    The tier follows the question (:func:`tier_plan`): all time, this year or any long period read the monthly
    tier — a few rows per community and month — in one aggregate query, plus one over the daily tier for partial
    months at its edges; a short period reads the daily tier in one query. Then the labels."""
    rollup_key, _appeal_key = GROUPS.get(group, GROUPS["department"])
    if group not in GROUPS:
        group = "department"
    plan = tier_plan(start, end)
    by_key: dict[int, RateRow] = {}
    by_month: dict[dt.date, RateRow] = {}
    total = RateRow(0, "")

    def add(key: int | None, month: dt.date | None, counts: dict[str, int]) -> None:
        if key is not None:
            _merge(by_key, key, counts, lambda: RateRow(key, ""))
        if month is not None:
            _merge(by_month, month, counts, lambda: RateRow(0, "", month=month))
            total.add(counts)

    if plan.months is not None:
        communities = rates_communities(user)
        total_dim = MonthlyRollup.Dimension.TOTAL
        if group == "community":
            for (community, month), counts in _monthly_summed(communities, plan, total_dim, "community_id", "month"):
                add(int(community), _as_date(month), counts)
        else:
            # The group's rows by key (all months together), then the totals by month: two plain GROUP BYs that
            # PostgreSQL hashes in memory (one query grouping by a CASE of both was estimated at thousands of
            # groups, sorted on disk, and took 2.5 times as long).
            for (key,), counts in _monthly_summed(communities, plan, group, "key"):
                add(int(key or 0), None, counts)
            for (month,), counts in _monthly_summed(communities, plan, total_dim, "month"):
                add(None, _as_date(month), counts)
    if plan.days:
        daily = rollups_visible(user).filter(plan.day_q()).annotate(month=TruncMonth("day"))
        for (key, month), counts in _summed(daily, rollup_key, "month"):
            add(int(key or 0), _as_date(month), counts)
    names = _labels(user, group, [k for k in by_key if k])
    for key, item in by_key.items():
        item.label = names.get(key, "—")
    rows = [r for r in by_key.values() if any(r.counts.values())]
    if group == "department":
        # A department wrongly sent an appeal (and nothing else) is not ranked: routing is the community's figure.
        rows = ranking.rank(
            r for r in rows if r.key and any(v for k, v in r.counts.items() if k not in ROUTING_COUNTERS)
        )
    else:
        rows.sort(key=lambda r: r.label)
    months = [by_month.get(m) or RateRow(0, "", month=m) for m in trend_months(start, end)]
    if start is None:  # no period asked: begin at the first month with anything counted
        while len(months) > 1 and not any(months[0].counts.values()):
            months.pop(0)
    for m in months:
        m.label = f"{m.month:%Y-%m}" if m.month else ""
    return RatesReport(rows, total, months)


def complex_marks(user: Any, *, start: dt.date | None = None, end: dt.date | None = None) -> dict[int, int]:
    """How many appeals were marked complex (复杂诉求) over [start, end], per department leading the appeal when
    it was marked (0: none yet), within the user's reach for the rates, from the roll-up (``complex_marked``;
    the tier as :func:`tier_plan` says): extending deadlines is visible per department (docs/rates.md)."""
    plan = tier_plan(start, end)
    out: dict[int, int] = {}
    if plan.months is not None:
        qs = monthly_visible(user).filter(
            plan.month_q(), dimension=MonthlyRollup.Dimension.DEPARTMENT, complex_marked__gt=0
        )
        for row in qs.values("key").annotate(n=Sum("complex_marked")).order_by():
            out[int(row["key"])] = out.get(int(row["key"]), 0) + int(row["n"] or 0)
    if plan.days:
        qs_days = rollups_visible(user).filter(plan.day_q(), complex_marked__gt=0)
        for row in qs_days.values("department_key").annotate(n=Sum("complex_marked")).order_by():
            key = int(row["department_key"])
            out[key] = out.get(key, 0) + int(row["n"] or 0)
    return {key: n for key, n in out.items() if n}


def rates(
    user: Any, *, group: str = "department", start: dt.date | None = None, end: dt.date | None = None
) -> tuple[list[RateRow], RateRow]:
    """Rows of the three rates grouped by ``group`` over [start, end], read from the daily roll-up.
    Returns (rows, total)."""
    report = rates_report(user, group=group, start=start, end=end)
    return report.rows, report.total


def _labels(user: Any, group: str, ids: list[int]) -> Mapping[int, str]:
    """The names of the groups: reference data, kept by the process until their table changes (``core.stamp``;
    a category's name in the reader's language)."""

    def compute() -> Mapping[int, str]:
        if group == "department":
            names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
        elif group == "category":
            names = {c.pk: c.label for c in Category.objects.filter(pk__in=ids).only("pk", "code", "name")}
        else:
            names = dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "name"))
        return MappingProxyType(names)

    language = get_language() if group == "category" else ""
    return stamp.remember(user, ("rate-labels", group, language, tuple(sorted(ids))), compute)
