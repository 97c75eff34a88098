"""Reads shared by the pages and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from anju.accounts import policy
from anju.accounts.roles import STAFF_ROLES, Role
from anju.appeals.models import OPEN_STATUSES, Appeal, Category, DailyRollup, Summons
from anju.appeals.policies import liaison_departments
from anju.appeals.rates import ranking
from anju.orgs.models import Department, OrgUnit

_BASE = ("community", "category", "location", "department")


def _staff_q(user: Any, roles: set[str]) -> Q:
    return policy.reach_q(user, "community__path", roles=roles, upward=True)


def appeals_visible(user: Any) -> QuerySet[Appeal]:
    """Every appeal the user may see: staff and supervisors their communities', liaisons their
    departments', residents their own and those they follow."""
    qs = Appeal.objects.select_related(*_BASE)
    if policy.is_superuser(user):
        return qs
    q = _staff_q(user, {*STAFF_ROLES, Role.SUPERVISOR})
    depts = liaison_departments(user)
    if depts:
        q |= Q(department_id__in=depts) | Q(assists__department_id__in=depts)
    if user.is_authenticated:
        q |= Q(requester=user) | Q(filed_by=user) | Q(followers__user=user)
    return qs.filter(pk__in=Appeal.objects.filter(q).values("pk"))


def worker_queue(user: Any) -> QuerySet[Appeal]:
    """Open appeals of the worker's communities, what is due first."""
    return (
        Appeal.objects.select_related(*_BASE)
        .filter(_staff_q(user, set(STAFF_ROLES)), status__in=OPEN_STATUSES)
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def department_queue(user: Any) -> QuerySet[Appeal]:
    depts = liaison_departments(user)
    return (
        Appeal.objects.select_related(*_BASE)
        .filter(
            Q(department_id__in=depts) | Q(pk__in=Appeal.objects.filter(assists__department_id__in=depts).values("pk"))
        )
        .filter(status__in=OPEN_STATUSES)
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def my_appeals(user: Any) -> QuerySet[Appeal]:
    q = Q(requester=user) | Q(filed_by=user) | Q(pk__in=Appeal.objects.filter(followers__user=user).values("pk"))
    return Appeal.objects.select_related(*_BASE).filter(q).order_by("-received_at")


def timeline(appeal: Appeal, *, internal: bool) -> QuerySet[Any]:
    qs = appeal.events.select_related("department").order_by("at", "id")
    return qs if internal else qs.filter(public=True)


# --- three rates ----------------------------------------------------------------------------------

GROUPS = {
    "department": ("department_key", "department_id"),
    "category": ("category_key", "category_id"),
    "community": ("community_id", "community_id"),
    "grid": ("grid_key", "grid_id"),
}


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


def rollups_visible(user: Any) -> QuerySet[DailyRollup]:
    return policy.visible(DailyRollup.objects.all(), user, "appeal.rates", "community__path")


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


def rates_report(
    user: Any, *, group: str = "department", start: dt.date | None = None, end: dt.date | None = None
) -> RatesReport:
    """The three rates grouped by ``group`` over [start, end] and month by month, read from the daily
    roll-up only (one aggregate query, then the labels): the appeals awaiting callback included, kept
    there as a balance by the services. Never reads the appeal rows."""
    rollup_key, _appeal_key = GROUPS.get(group, GROUPS["department"])
    qs = rollups_visible(user)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    sums = {name: Sum(name) for name in DailyRollup.COUNTERS}
    by_key: dict[int, RateRow] = {}
    by_month: dict[dt.date, RateRow] = {}
    total = RateRow(0, "")
    grouped = qs.annotate(month=TruncMonth("day")).values(rollup_key, "month").annotate(**sums).order_by()
    for row in grouped:
        counts = {name: int(row[name] or 0) for name in DailyRollup.COUNTERS}
        key = int(row[rollup_key] or 0)
        by_key.setdefault(key, RateRow(key, "")).add(counts)
        month = row["month"]
        if isinstance(month, dt.datetime):  # some backends answer a datetime for a truncated date
            month = month.date()
        by_month.setdefault(month, RateRow(0, "", month=month)).add(counts)
        total.add(counts)
    names = _labels(group, [k for k in by_key if k])
    for key, item in by_key.items():
        item.label = names.get(key, "—")
    rows = [r for r in by_key.values() if any(r.counts.values())]
    if group == "department":
        rows = ranking.rank(r for r in rows if r.key)
    else:
        rows.sort(key=lambda r: r.label)
    months = [by_month.get(m) or RateRow(0, "", month=m) for m in trend_months(start, end)]
    if start is None:  # no period asked: begin at the first month with anything counted
        while len(months) > 1 and not any(months[0].counts.values()):
            months.pop(0)
    for m in months:
        m.label = f"{m.month:%Y-%m}" if m.month else ""
    return RatesReport(rows, total, months)


@dataclass
class OverdueCounts:
    """Open appeals past their next deadline, and those due within :data:`DUE_SOON`, kept apart."""

    overdue: int
    due_soon: int
    by_department: dict[int, int]


DUE_SOON = dt.timedelta(hours=24)


def overdue_counts(user: Any, *, now: dt.datetime | None = None) -> OverdueCounts:
    """The open appeals of the user's reach for the rates (``appeal.rates``) that are overdue, by lead
    department, and the number due within a day: one grouped query."""
    now = now or timezone.now()
    qs = policy.visible(Appeal.objects.all(), user, "appeal.rates", "community__path").filter(
        status__in=OPEN_STATUSES, due_at__lt=now + DUE_SOON
    )
    by_department: dict[int, int] = {}
    overdue = due_soon = 0
    grouped = (
        qs.annotate(late=ExpressionWrapper(Q(due_at__lt=now), output_field=BooleanField()))
        .values("department_id", "late")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in grouped:
        if row["late"]:
            overdue += row["n"]
            key = row["department_id"] or 0
            by_department[key] = by_department.get(key, 0) + row["n"]
        else:
            due_soon += row["n"]
    return OverdueCounts(overdue, due_soon, by_department)


def rates(
    user: Any, *, group: str = "department", start: dt.date | None = None, end: dt.date | None = None
) -> tuple[list[RateRow], RateRow]:
    """Rows of the three rates grouped by ``group`` over [start, end], read from the daily roll-up.
    Returns (rows, total)."""
    report = rates_report(user, group=group, start=start, end=end)
    return report.rows, report.total


def _labels(group: str, ids: list[int]) -> dict[int, str]:
    if group == "department":
        return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "category":
        return dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    return dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "name"))


def summonses_for(appeal: Appeal) -> QuerySet[Summons]:
    return Summons.objects.filter(whistle__appeal=appeal).select_related("department", "whistle").order_by("id")
