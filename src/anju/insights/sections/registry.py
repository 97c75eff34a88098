"""The registry (居民信息): households living here at the end of the period and the coverage of contact — the
share of them with at least one resident reachable by mobile phone. One grouped query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from anju.insights.periods import Period
from anju.insights.sections import register
from anju.insights.sections.base import Column, Counts, Figure, Section, community_filter, day_start, per_period
from anju.people.models import Household, Resident


def living_at(period: Period, prefix: str = "") -> Q:
    """Registered by the end of the period and not archived before it ended."""
    after = day_start(period.end + dt.timedelta(days=1))
    return Q(**{f"{prefix}created_at__lt": after}) & (
        Q(**{f"{prefix}archived_at__isnull": True}) | Q(**{f"{prefix}archived_at__gte": after})
    )


def reachable() -> Exists:
    return Exists(
        Resident.objects.filter(household=OuterRef("pk"), status=Resident.Status.ACTIVE, mobile_index__isnull=False)
    )


class RegistrySection(Section):
    key = "registry"
    title = _("Registry")
    order = 40
    headline = "households"
    drill_action = "pairing.view"  # door-level rows: the community's own workers only
    figures = (
        Figure("households", _("Households"), "households", drill="households"),
        Figure("reachable", _("Households reachable by phone"), "reachable", drill="reachable"),
        Figure("contact_coverage", _("Coverage of contact"), "reachable", "households", unit="%"),
    )

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        return per_period(
            community_filter(Household.objects.all(), ids),
            periods,
            {
                "households": lambda p: Count("pk", filter=living_at(p)),
                "reachable": lambda p: Count("pk", filter=living_at(p) & Q(reachable())),
            },
        )

    def rows(
        self, drill: str, ids: list[int] | None, period: Period, arg: str = ""
    ) -> tuple[QuerySet[Any], list[Column]] | None:
        qs = community_filter(Household.objects.all(), ids).filter(living_at(period))
        if drill == "reachable":
            qs = qs.filter(reachable())
        elif drill != "households":
            return None
        return qs.select_related("address__unit", "community").order_by("unit__path", "pk"), [
            Column(_("Community"), lambda h: h.community.name),
            Column(_("Address"), lambda h: str(h.address)),
        ]


register(RegistrySection())
