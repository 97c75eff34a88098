"""Reads shared by the duty pages and the API, scoped by the policy."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from anju.access import policy
from anju.core.masking import mask_name
from anju.duty.models import (
    Assignment,
    HoursEntry,
    PointsAccount,
    Roster,
    Shift,
    ShiftTemplate,
    StoreItem,
    SwapRequest,
    Volunteer,
)
from anju.spaces.models import Station


def stations(user: Any, action: str = "duty.view") -> QuerySet[Station]:
    return policy.visible(Station.objects.all(), user, action, "community__path").order_by("pk")


def my_volunteers(user: Any) -> QuerySet[Volunteer]:
    return Volunteer.objects.filter(user=user, is_active=True)


def volunteers(user: Any) -> QuerySet[Volunteer]:
    return policy.visible(Volunteer.objects.all(), user, "duty.manage", "community__path").select_related("user")


def templates(user: Any, station: Station) -> QuerySet[ShiftTemplate]:
    return ShiftTemplate.objects.filter(station=station).select_related("space")


def rosters(user: Any) -> QuerySet[Roster]:
    qs = policy.visible(Roster.objects.all(), user, "duty.view", "community__path")
    if not policy.can(user, "duty.manage"):
        qs = qs.filter(status=Roster.Status.PUBLISHED)
    return qs.select_related("station")


def shifts(user: Any) -> QuerySet[Shift]:
    qs = policy.visible(Shift.objects.all(), user, "duty.view", "community__path")
    manage = policy.visible(Shift.objects.all(), user, "duty.manage", "community__path").values("pk")
    return qs.filter(Q(roster__status=Roster.Status.PUBLISHED) | Q(pk__in=manage)).select_related(
        "template", "template__space", "roster"
    )


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week(user: Any, station: Station, start: date) -> list[dict[str, Any]]:
    """The week's days, each with its shifts and their seats (names masked for other volunteers unless the
    reader manages duty)."""
    manage = policy.can(user, "duty.manage", station)
    held = Assignment.objects.filter(status__in=Assignment.HOLDING).select_related("volunteer")
    rows = list(
        shifts(user)
        .filter(template__station=station, day__gte=start, day__lt=start + timedelta(days=7))
        .prefetch_related(Prefetch("assignments", queryset=held, to_attr="held"))
        .prefetch_related(
            Prefetch(
                "assignments__swap_requests",
                queryset=SwapRequest.objects.filter(status=SwapRequest.Status.OPEN),
                to_attr="open_swaps",
            )
        )
        .order_by("starts_at", "pk")
    )
    days: list[dict[str, Any]] = [{"day": start + timedelta(days=i), "shifts": []} for i in range(7)]
    for s in rows:
        by_seat = {a.seat: a for a in s.held}
        seats = []
        for n in range(1, s.seats + 1):
            a = by_seat.get(n)
            mine = a is not None and a.volunteer.user_id == user.pk
            seats.append(
                {
                    "n": n,
                    "assignment": a,
                    "mine": mine,
                    "name": (a.volunteer.name if (manage or mine) else mask_name(a.volunteer.name)) if a else "",
                }
            )
        s.seat_rows = seats  # type: ignore[attr-defined]
        s.free = sum(1 for x in seats if x["assignment"] is None)  # type: ignore[attr-defined]
        days[(s.day - start).days]["shifts"].append(s)
    return days


def my_assignments(user: Any, *, past: bool = False) -> QuerySet[Assignment]:
    now = timezone.now()
    qs = Assignment.objects.filter(volunteer__user=user).select_related(
        "shift", "shift__template", "shift__template__station", "shift__roster"
    )
    if past:
        return qs.filter(shift__ends_at__lte=now).order_by("-shift__starts_at")
    return qs.filter(
        status__in=Assignment.HOLDING, shift__ends_at__gt=now, shift__roster__status=Roster.Status.PUBLISHED
    ).order_by("shift__starts_at")


def my_history(user: Any) -> QuerySet[Assignment]:
    """Seats one held lately and lost (handed over, dropped, lapsed, declined): what changed."""
    since = timezone.now() - timedelta(days=14)
    return (
        Assignment.objects.filter(volunteer__user=user, ended_at__gte=since)
        .exclude(status__in=Assignment.HOLDING)
        .select_related("shift", "shift__template")
        .order_by("-ended_at")
    )


def swaps_reachable(user: Any) -> QuerySet[SwapRequest]:
    """Cover requests of the communities where the reader volunteers, whatever their state (a request taken a
    moment ago answers "already taken", not "not found")."""
    communities = my_volunteers(user).values("community_id")
    return SwapRequest.objects.filter(community_id__in=communities).select_related(
        "assignment", "assignment__volunteer", "assignment__shift"
    )


def seats_reachable(user: Any) -> QuerySet[Assignment]:
    """Seats of the communities where the reader volunteers (another volunteer's seat to offer a swap for)."""
    communities = my_volunteers(user).values("community_id")
    return Assignment.objects.filter(community_id__in=communities).select_related("volunteer", "shift")


def open_swaps(user: Any) -> QuerySet[SwapRequest]:
    """Open cover and swap requests in the reader's communities (as a volunteer there), soonest first; a swap
    offered for one named seat only to that seat's holder (and its asker)."""
    communities = my_volunteers(user).values("community_id")
    return (
        SwapRequest.objects.filter(
            status=SwapRequest.Status.OPEN,
            community_id__in=communities,
            assignment__shift__starts_at__gt=timezone.now(),
        )
        .filter(Q(want__isnull=True) | Q(want__volunteer__user_id=user.pk) | Q(assignment__volunteer__user_id=user.pk))
        .select_related(
            "assignment",
            "assignment__volunteer",
            "assignment__shift",
            "assignment__shift__template",
            "want",
            "want__volunteer",
            "want__shift",
            "want__shift__template",
        )
        .order_by("assignment__shift__starts_at")
    )


def ledger(user: Any, *, volunteer: Volunteer | None = None) -> QuerySet[HoursEntry]:
    """Entries the reader may see: all within reach for staff, else their own."""
    if policy.can(user, "duty.manage"):
        qs = policy.visible(HoursEntry.objects.all(), user, "duty.manage", "community__path")
    else:
        qs = HoursEntry.objects.filter(volunteer__user=user)
    if volunteer is not None:
        qs = qs.filter(volunteer=volunteer)
    return qs.select_related("volunteer", "reverses").prefetch_related("reversed_by")


def hours_total(qs: QuerySet[HoursEntry]) -> Decimal:
    return qs.aggregate(n=Sum("hours"))["n"] or Decimal(0)


def hours_by_volunteer(qs: QuerySet[HoursEntry]) -> list[dict[str, Any]]:
    """Total hours per volunteer: one GROUP BY on the ledger's volunteer key, then the names of those volunteers
    (grouping by the joined name as well made it about four times the raw aggregate at 10^5 rows)."""
    totals = list(qs.order_by().values("volunteer_id").annotate(total=Sum("hours")))
    names = dict(Volunteer.objects.filter(pk__in=[t["volunteer_id"] for t in totals]).values_list("pk", "name"))
    rows = [{**t, "volunteer__name": names.get(t["volunteer_id"], "")} for t in totals]
    return sorted(rows, key=lambda r: (r["volunteer__name"], r["volunteer_id"]))


def balance(volunteer: Volunteer) -> int:
    account = PointsAccount.objects.filter(volunteer=volunteer).first()
    return account.balance if account else 0


def household_points(volunteer: Volunteer) -> int | None:
    if volunteer.household_id is None:
        return None
    total = PointsAccount.objects.filter(volunteer__household_id=volunteer.household_id).aggregate(n=Sum("balance"))[
        "n"
    ]
    return int(total or 0)


def store_items(community_id: int) -> QuerySet[StoreItem]:
    return StoreItem.objects.filter(community_id=community_id, is_active=True)


def leaderboard(community_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """Only volunteers who opted in, by hours this year."""
    year = timezone.localdate().replace(month=1, day=1)
    return list(
        HoursEntry.objects.filter(community_id=community_id, volunteer__leaderboard=True, day__gte=year)
        .values("volunteer__name")
        .annotate(total=Sum("hours"))
        .order_by("-total")[:limit]
    )
