"""Reads shared by the pages and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from anju.accounts import policy
from anju.accounts.roles import Role
from anju.appeals.models import AWAITING_CALLBACK, OPEN_STATUSES, Appeal, Category, DailyRollup, Summons
from anju.appeals.policies import STAFF, liaison_departments
from anju.orgs.models import Department, OrgUnit

_BASE = ("community", "category", "location", "department")


def _staff_q(user: Any, roles: set[str]) -> Q:
    q = Q(pk__in=[])
    for g in policy.grants_of(user):
        if g.role in roles or g.role == Role.ADMIN:
            q |= Q(community__path__startswith=g.path)
            if len(g.path) > 10:
                q |= Q(community__path__in=[g.path[: i * 10] for i in range(1, len(g.path) // 10)])
    return q


def appeals_visible(user: Any) -> QuerySet[Appeal]:
    """Every appeal the user may see: staff and supervisors their communities', liaisons their
    departments', residents their own and those they follow."""
    qs = Appeal.objects.select_related(*_BASE)
    if policy.is_superuser(user):
        return qs
    q = _staff_q(user, {*STAFF, Role.SUPERVISOR})
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
        .filter(_staff_q(user, set(STAFF)), status__in=OPEN_STATUSES)
        .order_by("due_at", "id")
    )


def department_queue(user: Any) -> QuerySet[Appeal]:
    depts = liaison_departments(user)
    return (
        Appeal.objects.select_related(*_BASE)
        .filter(
            Q(department_id__in=depts) | Q(pk__in=Appeal.objects.filter(assists__department_id__in=depts).values("pk"))
        )
        .filter(status__in=OPEN_STATUSES)
        .order_by("due_at", "id")
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


def rollups_visible(user: Any) -> QuerySet[DailyRollup]:
    return policy.visible(DailyRollup.objects.all(), user, "appeal.rates", "community__path")


def rates(
    user: Any, *, group: str = "department", start: dt.date | None = None, end: dt.date | None = None
) -> tuple[list[RateRow], RateRow]:
    """Rows of the three rates grouped by ``group`` over [start, end], read from the daily roll-up,
    with the appeals still awaiting callback counted from the live rows. Returns (rows, total)."""
    rollup_key, appeal_key = GROUPS.get(group, GROUPS["department"])
    qs = rollups_visible(user)
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    sums = {name: Sum(name) for name in DailyRollup.COUNTERS}
    by_key: dict[int, RateRow] = {}
    total = RateRow(0, "")
    for row in qs.values(rollup_key).annotate(**sums).order_by(rollup_key):
        counts = {name: int(row[name] or 0) for name in DailyRollup.COUNTERS}
        key = int(row[rollup_key] or 0)
        by_key[key] = RateRow(key, "", counts)
        for name, value in counts.items():
            total.counts[name] = total.counts.get(name, 0) + value
    # Live state, not history: counted from the appeal rows, by community id so the (community, status)
    # index answers it without joining the org tree row by row.
    communities = policy.visible(OrgUnit.objects.communities(), user, "appeal.rates", "path").values("pk")
    pending = Appeal.objects.filter(community_id__in=communities, status__in=AWAITING_CALLBACK)
    for row in pending.values(appeal_key).annotate(n=Count("id")).order_by():
        key = int(row[appeal_key] or 0)
        by_key.setdefault(key, RateRow(key, "", {})).pending_callback = row["n"]
        total.pending_callback += row["n"]
    names = _labels(group, [k for k in by_key if k])
    for key, item in by_key.items():
        item.label = names.get(key, "—")
    rows = [r for r in by_key.values() if any(r.counts.values()) or r.pending_callback]
    if group == "department":
        rows = [r for r in rows if r.key]
        rows.sort(
            key=lambda r: (-(r.response_rate or 0) - (r.resolution_rate or 0) - (r.satisfaction_rate or 0), r.label)
        )
    else:
        rows.sort(key=lambda r: r.label)
    return rows, total


def _labels(group: str, ids: list[int]) -> dict[int, str]:
    if group == "department":
        return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "category":
        return dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    return dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "name"))


def summonses_for(appeal: Appeal) -> QuerySet[Summons]:
    return Summons.objects.filter(whistle__appeal=appeal).select_related("department", "whistle").order_by("id")
