"""Spaces (场地): bookings, hours booked and used, the no-show rate and the busiest rooms, over the bookings that
start in the period — one grouped query for the figures, one for the rooms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.insights.periods import Period
from anju.insights.sections import register
from anju.insights.sections.base import (
    Breakdown,
    Column,
    Counts,
    Figure,
    Section,
    community_filter,
    number,
    per_period,
    within,
)
from anju.spaces.models import Booking

S = Booking.Status
#: A booking that held its slot: confirmed, or released for a no-show (it was confirmed until then).
HELD = Q(status__in=[S.CONFIRMED, S.RELEASED])
DURATION = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())


def _used(now: dt.datetime) -> Q:
    """Used: confirmed and already begun (a no-show is released, so a confirmed booking in the past was kept)."""
    return Q(status=S.CONFIRMED, starts_at__lt=now)


class SpacesSection(Section):
    key = "spaces"
    title = _("Spaces")
    order = 20
    headline = "bookings"
    figures = (
        Figure("bookings", _("Bookings"), "bookings", drill="bookings"),
        Figure("hours_booked", _("Hours booked"), "hours_booked", unit="h"),
        Figure("hours_used", _("Hours used"), "hours_used", unit="h"),
        Figure("no_shows", _("No-shows"), "no_shows", drill="no_shows", higher_is_better=False),
        Figure("no_show_rate", _("No-show rate"), "no_shows", "due", unit="%", higher_is_better=False),
    )

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        now = timezone.now()

        def held(p: Period) -> Q:
            return within("starts_at", p, aware=True) & HELD

        return per_period(
            community_filter(Booking.objects.all(), ids),
            periods,
            {
                "bookings": lambda p: Count("pk", filter=held(p)),
                "hours_booked": lambda p: Sum(DURATION, filter=held(p)),
                "hours_used": lambda p: Sum(DURATION, filter=held(p) & _used(now)),
                "no_shows": lambda p: Count("pk", filter=within("starts_at", p, aware=True) & Q(status=S.RELEASED)),
                "due": lambda p: Count("pk", filter=held(p) & Q(starts_at__lt=now)),
            },
            where=lambda p: within("starts_at", p, aware=True),
        )

    def monthly(self, ids: list[int] | None, period: Period) -> dict[int, dict[dt.date, float]]:
        qs = community_filter(Booking.objects.all(), ids).filter(within("starts_at", period, aware=True), HELD)
        out: dict[int, dict[dt.date, float]] = {}
        rows = qs.annotate(m=TruncMonth("starts_at")).values("community_id", "m").annotate(n=Count("pk")).order_by()
        for row in rows:
            m = row["m"].date() if isinstance(row["m"], dt.datetime) else row["m"]
            out.setdefault(int(row["community_id"]), {})[m] = row["n"]
        return out

    def breakdowns(self, ids: list[int] | None, period: Period) -> list[Breakdown]:
        qs = community_filter(Booking.objects.all(), ids).filter(within("starts_at", period, aware=True), HELD)
        top = (
            qs.values("space_id", "space__name", "community__name")
            .annotate(h=Sum(DURATION))
            .order_by("-h", "space_id")[:5]
        )
        rooms = Breakdown("rooms", _("Busiest rooms (hours booked)"), unit="h", drill="bookings")
        multi = ids is None or len(ids) > 1
        for r in top:
            label = f"{r['space__name']} · {r['community__name']}" if multi else r["space__name"]
            rooms.rows.append((label, number(r["h"]), f"space:{r['space_id']}"))
        return [rooms]

    def rows(
        self, drill: str, ids: list[int] | None, period: Period, arg: str = ""
    ) -> tuple[QuerySet[Any], list[Column]] | None:
        qs = community_filter(Booking.objects.all(), ids).filter(within("starts_at", period, aware=True))
        if drill == "bookings":
            qs = qs.filter(HELD)
        elif drill == "no_shows":
            qs = qs.filter(status=S.RELEASED)
        else:
            return None
        kind, _sep, value = arg.partition(":")
        if kind == "space" and value.isdigit():
            qs = qs.filter(space_id=int(value))
        columns = [
            Column(_("Space"), lambda b: b.space.name),
            Column(_("Community"), lambda b: b.community.name),
            Column(_("Starts"), lambda b: timezone.localtime(b.starts_at).strftime("%Y-%m-%d %H:%M")),
            Column(_("Hours"), lambda b: number(b.ends_at - b.starts_at)),
            Column(_("Status"), lambda b: b.get_status_display()),
        ]
        return qs.select_related("space", "community").order_by("-starts_at", "-pk"), columns


register(SpacesSection())
