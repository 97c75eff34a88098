"""Scoped reads of activities and registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from anju.access import policy
from anju.activities import services
from anju.activities.models import Activity, Registration, Session
from anju.people import selectors as people_selectors


def activities_visible(user: Any) -> QuerySet[Activity]:
    return policy.visible(Activity.objects.all(), user, "activity.view", "community__path").select_related(
        "space", "organiser"
    )


def upcoming(user: Any, *, suited_only: bool = True) -> list[Activity]:
    """Open activities with a session still to come; for a resident, only those that suit their household."""
    now = timezone.now()
    qs = (
        activities_visible(user)
        .filter(status=Activity.Status.OPEN, sessions__ends_at__gt=now, sessions__status=Session.Status.OPEN)
        .distinct()
        .prefetch_related("target_tags", "sessions")
        .order_by("registration_closes_at", "pk")
    )
    activities = list(qs)
    if suited_only and not policy.can(user, "activity.manage"):
        members = people_selectors.household_members_of(user)
        activities = [a for a in activities if not a.target_tags.all() or any(services.suits(a, m) for m in members)]
    for activity in activities:
        activity.shown = shown_session(activity, now)  # type: ignore[attr-defined]
    return activities


@dataclass(frozen=True)
class ShownSession:
    """The session a listing shows for an activity."""

    session: Session
    past: bool  # the activity is over: this is its last session
    count: int  # sessions not cancelled (more than one: a series)


def shown_session(activity: Activity, now: datetime | None = None) -> ShownSession | None:
    """The next session still to come that is not cancelled; when there is none, the last session, as past.
    Reads the sessions prefetched with the activity (no query of its own then)."""
    now = now or timezone.now()
    sessions = sorted(activity.sessions.all(), key=lambda s: (s.starts_at, s.pk))
    if not sessions:
        return None
    held = [s for s in sessions if s.status == Session.Status.OPEN]
    ahead = [s for s in held if s.ends_at > now]
    if ahead:
        return ShownSession(ahead[0], past=False, count=len(held))
    return ShownSession((held or sessions)[-1], past=True, count=len(held))


def sessions_of(activity: Activity) -> QuerySet[Session]:
    return activity.sessions.select_related("activity").order_by("starts_at")


def registrations_visible(user: Any) -> QuerySet[Registration]:
    """One's own registrations (made by or for oneself), and every registration within reach of staff."""
    mine = Q(user=user) | Q(registered_by=user)
    qs = Registration.objects.select_related("session", "session__activity", "resident")
    if not policy.can(user, "activity.manage"):
        return qs.filter(mine)
    return qs.filter(mine | policy.scope_q(user, "activity.manage", "community__path"))


def my_registrations(user: Any) -> QuerySet[Registration]:
    """Live registrations of the user or of their household, for sessions still to come."""
    members = [m.pk for m in people_selectors.household_members_of(user)]
    return (
        Registration.objects.filter(Q(user=user) | Q(registered_by=user) | Q(resident_id__in=members))
        .filter(status__in=Registration.LIVE, session__ends_at__gt=timezone.now())
        .select_related("session", "session__activity")
        .order_by("session__starts_at", "pk")
    )
