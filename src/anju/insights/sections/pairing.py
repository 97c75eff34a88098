"""Pairing (党员中心户包保): households paired with a central household at the end of the period, those visited in
it, and the visits logged — one grouped query over the households, one over the visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from anju.insights.periods import Period
from anju.insights.sections import register
from anju.insights.sections.base import Column, Counts, Figure, Section, community_filter, day_start, per_period, within
from anju.insights.sections.registry import living_at
from anju.pairing.models import Pairing, Visit
from anju.people.models import Household


def paired_at(period: Period) -> Exists:
    after = day_start(period.end + dt.timedelta(days=1))
    return Exists(
        Pairing.objects.filter(household=OuterRef("pk"), started_at__lt=after).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gte=after)
        )
    )


def visited_in(period: Period) -> Exists:
    return Exists(Visit.objects.filter(within("visited_on", period, aware=False), household=OuterRef("pk")))


def served() -> Q:
    """The households a central household serves: not the central households themselves."""
    return Q(is_central=False)


class PairingSection(Section):
    key = "pairing"
    title = _("Pairing")
    order = 50
    headline = "visits"
    drill_action = "pairing.view"
    method = _("Central households and pairing (党员中心户包保)")
    figures = (
        Figure("households", _("Households to serve"), "households"),
        Figure("paired", _("Households paired"), "paired", drill="paired"),
        Figure("pairing_coverage", _("Pairing coverage"), "paired", "households", unit="%"),
        Figure("visited", _("Households visited"), "visited", drill="visited"),
        Figure("visit_coverage", _("Visit coverage"), "visited", "households", unit="%"),
        Figure("visits", _("Visits logged"), "visits"),
    )

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        out = per_period(
            community_filter(Household.objects.filter(served()), ids),
            periods,
            {
                "households": lambda p: Count("pk", filter=living_at(p)),
                "paired": lambda p: Count("pk", filter=living_at(p) & Q(paired_at(p))),
                "visited": lambda p: Count("pk", filter=living_at(p) & Q(visited_in(p))),
            },
        )
        visits = per_period(
            community_filter(Visit.objects.all(), ids),
            periods,
            {"visits": lambda p: Count("pk", filter=within("visited_on", p, aware=False))},
            where=lambda p: within("visited_on", p, aware=False),
        )
        for i, by_community in visits.items():
            for cid, counters in by_community.items():
                out[i].setdefault(cid, {}).update(counters)
        return out

    def rows(
        self, drill: str, ids: list[int] | None, period: Period, arg: str = ""
    ) -> tuple[QuerySet[Any], list[Column]] | None:
        qs = community_filter(Household.objects.filter(served()), ids).filter(living_at(period))
        if drill == "paired":
            qs = qs.filter(paired_at(period))
        elif drill == "visited":
            qs = qs.filter(visited_in(period))
        else:
            return None
        return qs.select_related("address__unit", "community").order_by("unit__path", "pk"), [
            Column(_("Community"), lambda h: h.community.name),
            Column(_("Address"), lambda h: str(h.address)),
        ]


register(PairingSection())
