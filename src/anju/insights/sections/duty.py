"""Volunteer hours (志愿服务时长) from the duty ledger: hours on station duty, as activity helpers and in labour,
net of reversals, and the volunteers who gave them — one grouped query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from anju.duty.models import HoursEntry
from anju.insights.periods import Period
from anju.insights.sections import register
from anju.insights.sections.base import Column, Counts, Figure, Section, community_filter, per_period, within

Src = HoursEntry.Source


class DutySection(Section):
    key = "duty"
    title = _("Volunteer hours")
    order = 60
    headline = "hours"
    drill_action = "duty.manage"
    method = _("Duty rota (党员轮值)")
    figures = (
        Figure("hours", _("Volunteer hours"), "hours", unit="h", drill="hours"),
        Figure("duty_hours", _("Hours on station duty"), "duty_hours", unit="h"),
        Figure("volunteers", _("Volunteers who gave time"), "volunteers"),
    )

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        def day(p: Period) -> Q:
            return within("day", p, aware=False)

        return per_period(
            community_filter(HoursEntry.objects.all(), ids),
            periods,
            {
                "hours": lambda p: Sum("hours", filter=day(p)),
                "duty_hours": lambda p: Sum(
                    "hours", filter=day(p) & (Q(source=Src.DUTY) | Q(source=Src.REVERSAL, reverses__source=Src.DUTY))
                ),
                "volunteers": lambda p: Count("volunteer_id", distinct=True, filter=day(p) & ~Q(source=Src.REVERSAL)),
            },
            where=lambda p: within("day", p, aware=False),
        )

    def rows(
        self, drill: str, ids: list[int] | None, period: Period, arg: str = ""
    ) -> tuple[QuerySet[Any], list[Column]] | None:
        if drill != "hours":
            return None
        qs = community_filter(HoursEntry.objects.all(), ids).filter(within("day", period, aware=False))
        return qs.select_related("community").order_by("-day", "-pk"), [
            Column(_("Date"), lambda e: e.day.isoformat()),
            Column(_("Community"), lambda e: e.community.name),
            Column(_("Source"), lambda e: e.get_source_display()),
            Column(_("Hours"), lambda e: e.hours),
        ]


register(DutySection())
