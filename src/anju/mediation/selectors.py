"""Reads of mediation shared by the pages and the API.

A list shows a user the cases they mediate or oversee (content) and the cases they opened (number and status
only); statistics are counts, never a row of a case.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from anju.access import policy
from anju.access.roles import Role
from anju.mediation.models import Case, FollowUp, Kind, Status


def _secretary_communities(user: Any) -> list[int]:
    return [g.unit_id for g in policy.grants_of(user) if g.role == Role.BRANCH_SECRETARY]


def cases_for(user: Any) -> QuerySet[Case]:
    """Every case ``user`` may know of: mediated, overseen (content) or opened (status)."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    q = Q(mediators__user=user) | Q(opened_by=user) | Q(community_id__in=_secretary_communities(user))
    ids = Case.objects.filter(q).values("pk")
    return Case.objects.filter(pk__in=ids).select_related("community")


def content_cases(user: Any) -> QuerySet[Case]:
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    q = Q(mediators__user=user) | Q(community_id__in=_secretary_communities(user))
    return Case.objects.filter(pk__in=Case.objects.filter(q).values("pk"))


@dataclass
class Row:
    case: Case
    content: bool  # False: the user opened it and sees its number and status only


def rows_for(user: Any, *, status: str = "") -> list[Row]:
    readable = set(content_cases(user).values_list("pk", flat=True))
    qs = cases_for(user)
    if status in Status.values:
        qs = qs.filter(status=status)
    return [Row(c, c.pk in readable) for c in qs.order_by("-opened_at", "-id")[:200]]


def case_detail(case: Case) -> Case:
    """The case with what its page shows, in a few queries."""
    return (
        Case.objects.select_related("community", "appeal")
        .prefetch_related("parties", "mediators__user", "sessions__space", "sessions__attended", "follow_ups")
        .get(pk=case.pk)
    )


def mediators_of(case: Case) -> list[Any]:
    return [m.user for m in case.mediators.select_related("user").order_by("-is_lead", "id")]


def lead_of(case: Case) -> Any:
    m = case.mediators.select_related("user").filter(is_lead=True).first()
    return m.user if m else None


# --- statistics ------------------------------------------------------------------------------


@dataclass
class Stats:
    months: list[str]
    communities: list[Any]
    by_kind: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    by_community: dict[int, int] = field(default_factory=dict)
    follow_ups: dict[str, int] = field(default_factory=dict)
    follow_ups_by_month: dict[str, dict[str, int]] = field(default_factory=dict)
    decided: int = 0
    average_days: float | None = None
    total: int = 0


def stats_for(user: Any, *, start: dt.date, end: dt.date, community_id: int | None = None) -> Stats:
    """Counts of the cases opened in [start, end] within the user's reach (supervisors: every community below
    them), per kind, outcome, month and community; follow-up results; the average days to a decision. No
    name, account or note is read."""
    from anju.orgs.models import OrgUnit, UnitKind

    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    cases = policy.visible(Case.objects.all(), user, "mediation.stats", "community__path").filter(
        opened_at__gte=lo, opened_at__lt=hi
    )
    if community_id:
        cases = cases.filter(community_id=community_id)
    rows = list(
        cases.annotate(month=TruncMonth("opened_at", tzinfo=tz)).values_list(
            "kind", "status", "month", "community_id", "opened_at", "decided_at"
        )
    )
    communities = list(
        policy.visible(
            OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True), user, "mediation.stats", "path"
        ).order_by("path")
    )
    result = Stats(months=[], communities=communities, total=len(rows))
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    months: Counter[str] = Counter()
    per_community: Counter[int] = Counter()
    durations: list[float] = []
    for kind, status, month, community, opened, decided in rows:
        kinds[kind] += 1
        statuses[status] += 1
        months[f"{month:%Y-%m}"] += 1
        per_community[community] += 1
        if decided is not None:
            durations.append((decided - opened).total_seconds() / 86400)
    ups = FollowUp.objects.filter(case__in=cases, done_at__isnull=False).annotate(
        month=TruncMonth("done_at", tzinfo=tz)
    )
    by_month: dict[str, dict[str, int]] = defaultdict(dict)
    follow: Counter[str] = Counter()
    for result_code, month in ups.values_list("result", "month"):
        follow[result_code] += 1
        key = f"{month:%Y-%m}"
        by_month[key][result_code] = by_month[key].get(result_code, 0) + 1
    result.by_kind = {k: kinds.get(k, 0) for k in Kind.values}
    result.by_status = {s: statuses.get(s, 0) for s in Status.values}
    result.by_month = dict(sorted(months.items()))
    result.by_community = dict(per_community)
    result.follow_ups = {r: follow.get(r, 0) for r in FollowUp.Result.values}
    result.follow_ups_by_month = dict(sorted(by_month.items()))
    result.months = sorted(set(result.by_month) | set(result.follow_ups_by_month))
    result.decided = len(durations)
    result.average_days = round(sum(durations) / len(durations), 1) if durations else None
    return result
