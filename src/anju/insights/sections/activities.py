"""Activities (活动): sessions held, registrations, attendance and its rate, people reached and the share of
elderly people (60 and over) and children (under 14) among them, over the sessions that start in the period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.activities.models import Registration, Session
from anju.insights.periods import Period, year_back
from anju.insights.sections import register
from anju.insights.sections.base import (
    Column,
    Counts,
    Figure,
    Section,
    community_filter,
    per_period,
    within,
)

R = Registration.Status
#: A place taken: confirmed or a walk-in (not a place offered, waiting or cancelled).
TAKEN = Q(status__in=[R.CONFIRMED, R.WALK_IN])
ATTENDED = Q(checked_in_at__isnull=False)
ELDERLY_AGE, CHILD_AGE = 60, 14


def years_before(day: dt.date, years: int) -> dt.date:
    for _i in range(years):
        day = year_back(day)
    return day


class ActivitiesSection(Section):
    key = "activities"
    title = _("Activities")
    order = 30
    headline = "attended"
    figures = (
        Figure("sessions", _("Sessions held"), "sessions", drill="sessions"),
        Figure("registrations", _("Registrations"), "registrations", drill="registrations"),
        Figure("attended", _("Attendances"), "attended", drill="attended"),
        Figure("attendance_rate", _("Attendance rate"), "attended", "registrations", unit="%"),
        Figure("reached", _("People reached"), "reached"),
        Figure("elderly_share", _("Share of elderly people (60+)"), "elderly", "reached", unit="%"),
        Figure("children_share", _("Share of children (under 14)"), "children", "reached", unit="%"),
    )

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        def at(p: Period) -> Q:
            return within("session__starts_at", p, aware=True)

        out = per_period(
            community_filter(Registration.objects.all(), ids),
            periods,
            {
                "registrations": lambda p: Count("pk", filter=at(p) & TAKEN),
                "attended": lambda p: Count("pk", filter=at(p) & TAKEN & ATTENDED),
                # Residents of the registry once each; a participant not in it (a name only) once per place.
                "reached_known": lambda p: Count(
                    "resident_id", distinct=True, filter=at(p) & TAKEN & ATTENDED & Q(resident__isnull=False)
                ),
                "reached_names": lambda p: Count("pk", filter=at(p) & TAKEN & ATTENDED & Q(resident__isnull=True)),
                "elderly": lambda p: Count(
                    "resident_id",
                    distinct=True,
                    filter=at(p) & TAKEN & ATTENDED & Q(resident__birth_date__lte=years_before(p.end, ELDERLY_AGE)),
                ),
                "children": lambda p: Count(
                    "resident_id",
                    distinct=True,
                    filter=at(p) & TAKEN & ATTENDED & Q(resident__birth_date__gt=years_before(p.end, CHILD_AGE)),
                ),
            },
            where=at,
        )
        sessions = per_period(
            community_filter(Session.objects.all(), ids).filter(status=Session.Status.OPEN),
            periods,
            {"sessions": lambda p: Count("pk", filter=within("starts_at", p, aware=True))},
            where=lambda p: within("starts_at", p, aware=True),
        )
        for i, by_community in sessions.items():
            for cid, counters in by_community.items():
                out[i].setdefault(cid, {}).update(counters)
        for by_community in out.values():
            for counters in by_community.values():
                counters["reached"] = counters.get("reached_known", 0) + counters.get("reached_names", 0)
        return out

    def monthly(self, ids: list[int] | None, period: Period) -> dict[int, dict[dt.date, float]]:
        qs = community_filter(Registration.objects.all(), ids).filter(
            within("session__starts_at", period, aware=True), TAKEN, ATTENDED
        )
        out: dict[int, dict[dt.date, float]] = {}
        rows = (
            qs.annotate(m=TruncMonth("session__starts_at"))
            .values("community_id", "m")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            m = row["m"].date() if isinstance(row["m"], dt.datetime) else row["m"]
            out.setdefault(int(row["community_id"]), {})[m] = row["n"]
        return out

    def rows(
        self, drill: str, ids: list[int] | None, period: Period, arg: str = ""
    ) -> tuple[QuerySet[Any], list[Column]] | None:
        if drill == "sessions":
            sessions = community_filter(Session.objects.all(), ids).filter(
                within("starts_at", period, aware=True), status=Session.Status.OPEN
            )
            return sessions.select_related("activity", "community").order_by("-starts_at", "-pk"), [
                Column(_("Activity"), lambda s: s.activity.title),
                Column(_("Community"), lambda s: s.community.name),
                Column(_("Starts"), lambda s: timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M")),
                Column(_("Places held"), lambda s: s.taken),
            ]
        qs = community_filter(Registration.objects.all(), ids).filter(
            within("session__starts_at", period, aware=True), TAKEN
        )
        if drill == "attended":
            qs = qs.filter(ATTENDED)
        elif drill != "registrations":
            return None
        # No participant's name: the figures' rows, not who they were.
        return qs.select_related("session__activity", "community").order_by("-session__starts_at", "-pk"), [
            Column(_("Activity"), lambda r: r.session.activity.title),
            Column(_("Community"), lambda r: r.community.name),
            Column(_("Session"), lambda r: timezone.localtime(r.session.starts_at).strftime("%Y-%m-%d %H:%M")),
            Column(_("Status"), lambda r: r.get_status_display()),
            Column(_("Checked in"), lambda r: _("yes") if r.checked_in_at else _("no")),
        ]


register(ActivitiesSection())
