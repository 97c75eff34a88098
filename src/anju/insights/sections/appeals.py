"""Appeals (诉求): volume, the three rates (read from the appeals' roll-up, the tier sized to each period as the
three-rate page does), overdue appeals now, volume by category and the buildings with most appeals."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.appeals.models import OPEN_STATUSES, Appeal, Category, DailyRollup, MonthlyRollup
from anju.appeals.rates import selectors as rates
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
    within,
)
from anju.orgs.models import OrgUnit

COUNTERS = ("received", "dispatched", "responded", "completed", "resolved", "ratings", "satisfied", "whistles")
TOTAL = MonthlyRollup.Dimension.TOTAL
CATEGORY = MonthlyRollup.Dimension.CATEGORY


def rollup_sums(
    ids: list[int] | None, periods: Sequence[Period], *, by_category: bool = False
) -> dict[int, dict[tuple[int, int], dict[str, float]]]:
    """Sums of the roll-up counters per period and (community, category key — 0 unless ``by_category``): the
    whole months of each period from the monthly tier, its partial months from the daily tier — one query on
    each tier for every period together."""
    plans = [rates.tier_plan(p.start, p.end) for p in periods]
    out: dict[int, dict[tuple[int, int], dict[str, float]]] = {i: {} for i in range(len(periods))}

    def add(i: int, key: tuple[int, int], row: dict[str, Any]) -> None:
        slot = out[i].setdefault(key, dict.fromkeys(COUNTERS, 0))
        for name in COUNTERS:
            slot[name] += number(row[f"{name}__{i}"])

    month_qs = [p.month_q() for p in plans]
    if any(p.months is not None for p in plans):
        qs = community_filter(MonthlyRollup.objects.all(), ids).filter(
            functools.reduce(operator.or_, month_qs), dimension=CATEGORY if by_category else TOTAL
        )
        sums = {f"{n}__{i}": Sum(n, filter=q) for i, q in enumerate(month_qs) for n in COUNTERS}
        for row in qs.values("community_id", "key").annotate(**sums).order_by():
            for i in range(len(periods)):
                add(i, (int(row["community_id"]), int(row["key"]) if by_category else 0), row)
    day_qs = [p.day_q() for p in plans]
    if any(p.days for p in plans):
        daily = community_filter(DailyRollup.objects.all(), ids).filter(functools.reduce(operator.or_, day_qs))
        group = ("community_id", "category_key") if by_category else ("community_id",)
        sums = {f"{n}__{i}": Sum(n, filter=q) for i, q in enumerate(day_qs) for n in COUNTERS}
        for row in daily.values(*group).annotate(**sums).order_by():
            for i in range(len(periods)):
                add(i, (int(row["community_id"]), int(row["category_key"]) if by_category else 0), row)
    return out


class AppealsSection(Section):
    key = "appeals"
    title = _("Appeals")
    order = 10
    headline = "received"
    method = _("Whistle and report for duty (吹哨报到)")
    figures = (
        Figure("received", _("Appeals received"), "received", drill="received"),
        Figure("response_rate", _("Response rate"), "responded", "dispatched", unit="%"),
        Figure("resolution_rate", _("Resolution rate"), "resolved", "completed", unit="%"),
        Figure("satisfaction_rate", _("Satisfaction rate"), "satisfied", "ratings", unit="%"),
        Figure("whistles", _("Whistles blown"), "whistles"),
        Figure("overdue", _("Overdue now"), "overdue", drill="overdue", live=True, higher_is_better=False),
    )

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        sums = rollup_sums(ids, periods)
        out: Counts = {i: {cid: counters for (cid, _k), counters in sums[i].items()} for i in sums}
        now = timezone.now()
        late = community_filter(Appeal.objects.all(), ids).filter(status__in=sorted(OPEN_STATUSES), due_at__lt=now)
        for row in late.values("community_id").annotate(n=Count("pk")).order_by():
            out[0].setdefault(int(row["community_id"]), dict.fromkeys(COUNTERS, 0))["overdue"] = row["n"]
        return out

    def monthly(self, ids: list[int] | None, period: Period) -> dict[int, dict[dt.date, float]]:
        qs = community_filter(MonthlyRollup.objects.all(), ids).filter(
            dimension=TOTAL, month__gte=period.start.replace(day=1), month__lte=period.end
        )
        out: dict[int, dict[dt.date, float]] = {}
        for cid, month, n in qs.values_list("community_id", "month", "received"):
            month = month.date() if isinstance(month, dt.datetime) else month
            out.setdefault(int(cid), {})[month] = number(n)
        return out

    def breakdowns(self, ids: list[int] | None, period: Period) -> list[Breakdown]:
        by_category: dict[int, float] = {}
        for (_cid, key), counters in rollup_sums(ids, [period], by_category=True)[0].items():
            by_category[key] = by_category.get(key, 0) + counters["received"]
        names = {c.pk: c.label for c in Category.objects.filter(pk__in=list(by_category)).only("pk", "code", "name")}
        categories = Breakdown("category", _("Appeals by category"), drill="received")
        for key, n in sorted(by_category.items(), key=lambda kv: (-kv[1], names.get(kv[0], ""))):
            if n:
                categories.rows.append((names.get(key, "—"), n, f"category:{key}"))
        received = community_filter(Appeal.objects.all(), ids).filter(within("received_at", period, aware=True))
        top = list(received.values("location_id").annotate(n=Count("pk")).order_by("-n", "location_id")[:5])
        labels = dict(OrgUnit.objects.filter(pk__in=[r["location_id"] for r in top]).values_list("pk", "name"))
        buildings = Breakdown("buildings", _("Where most appeals came from"), drill="received")
        for r in top:
            buildings.rows.append((labels.get(r["location_id"], "—"), r["n"], f"location:{r['location_id']}"))
        return [categories, buildings]

    def rows(
        self, drill: str, ids: list[int] | None, period: Period, arg: str = ""
    ) -> tuple[QuerySet[Any], list[Column]] | None:
        qs = community_filter(Appeal.objects.all(), ids).select_related("category", "location", "community")
        if drill == "received":
            qs = qs.filter(within("received_at", period, aware=True))
        elif drill == "overdue":
            qs = qs.filter(status__in=sorted(OPEN_STATUSES), due_at__lt=timezone.now())
        else:
            return None
        kind, _sep, value = arg.partition(":")
        if kind in ("category", "location") and value.isdigit():
            qs = qs.filter(**{f"{kind}_id": int(value)})
        columns = [
            Column(_("Number"), lambda a: a.number),
            Column(_("Community"), lambda a: a.community.name),
            Column(_("Received"), lambda a: timezone.localtime(a.received_at).strftime("%Y-%m-%d")),
            Column(_("Category"), lambda a: a.category.label),
            Column(_("Location"), lambda a: a.location.name),
            Column(_("Status"), lambda a: a.get_status_display()),
        ]
        return qs.order_by("-received_at", "-pk"), columns


register(AppealsSection())
