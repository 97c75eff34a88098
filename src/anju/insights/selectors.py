"""Reads of insights shared by the pages, the API, the Excel workbook and the annual report: the communities
within the reader's reach, and every registered section's figures for a period, compared with the period
before and the same period a year earlier. Each section counts in one aggregate query (or a fixed few) for all
three periods and every community at once, so the number of queries does not grow with the data or the
number of communities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from anju.access import policy
from anju.insights import sections as registry
from anju.insights.periods import Period, month_add
from anju.insights.sections.base import Breakdown, Figure, Section, total
from anju.orgs.models import OrgUnit, UnitKind

ACTION = "insights.view"


def communities(user: Any, *, action: str = ACTION) -> list[OrgUnit]:
    """The communities whose figures the user may read (or on which they may do ``action``), by path."""
    ids = policy.reach_ids(user, OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), action=action, name="communities")
    qs = OrgUnit.objects.filter(kind=UnitKind.COMMUNITY)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return list(qs.order_by("path"))


def scope(user: Any, community_id: int | None) -> list[int]:
    """The community ids a page reads: the one asked for (404 when it is not a community within reach) or every
    community within reach."""
    ids = [c.pk for c in communities(user)]
    if community_id is None:
        return ids
    if community_id not in ids:
        raise Http404
    return [community_id]


def drill_scope(user: Any, section: Section, ids: list[int]) -> list[int]:
    """Of ``ids``, the communities whose rows behind ``section``'s figures the user may list."""
    if section.drill_action == ACTION:
        return ids
    allowed = policy.reach_ids(
        user, OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), action=section.drill_action, name="communities"
    )
    return ids if allowed is None else [i for i in ids if i in set(allowed)]


def change(now: float | None, before: float | None) -> float | None:
    """The change in per cent from ``before`` to ``now`` (None when either is missing or before is 0)."""
    if now is None or before is None or before == 0:
        return None
    return round(100.0 * (now - before) / before, 1)


@dataclass
class FigureRow:
    figure: Figure
    now: float | None
    previous: float | None
    last_year: float | None
    drill: str = ""  # the drill-down's query string, "" when none

    @property
    def vs_previous(self) -> float | None:
        return None if self.figure.live else change(self.now, self.previous)

    @property
    def vs_last_year(self) -> float | None:
        return None if self.figure.live else change(self.now, self.last_year)


@dataclass
class SectionFigures:
    section: Section
    rows: list[FigureRow]
    breakdowns: list[Breakdown] = field(default_factory=list)

    def get(self, key: str) -> FigureRow | None:
        return next((r for r in self.rows if r.figure.key == key), None)


@dataclass
class Dashboard:
    period: Period
    previous: Period
    last_year: Period
    ids: list[int]
    sections: list[SectionFigures]

    def section(self, key: str) -> SectionFigures | None:
        return next((s for s in self.sections if s.section.key == key), None)

    def value(self, section: str, figure: str) -> float | None:
        s = self.section(section)
        row = s.get(figure) if s else None
        return row.now if row else None


def dashboard(
    user: Any, ids: list[int], period: Period, *, breakdowns: bool = True, only: str | None = None
) -> Dashboard:
    periods = [period, period.previous(), period.last_year()]
    out: list[SectionFigures] = []
    for section in registry.sections():
        if only and section.key != only:
            continue
        counts = section.counts(ids, periods) if ids else {0: {}, 1: {}, 2: {}}
        totals = [total(counts.get(i, {})) for i in range(3)]
        drill_ok = bool(drill_scope(user, section, ids))
        rows = []
        for figure in section.figures:
            rows.append(
                FigureRow(
                    figure,
                    figure.value(totals[0]),
                    None if figure.live else figure.value(totals[1]),
                    None if figure.live else figure.value(totals[2]),
                    drill=f"drill={figure.drill}" if figure.drill and drill_ok else "",
                )
            )
        extra = section.breakdowns(ids, period) if breakdowns and ids else []
        if not drill_ok:
            for b in extra:
                b.rows = [(label, value, "") for label, value, _q in b.rows]
        out.append(SectionFigures(section, rows, extra))
    return Dashboard(period, periods[1], periods[2], ids, out)


@dataclass
class CommunityRow:
    community: OrgUnit
    values: dict[str, float | None]  # figure key → value for the period
    previous: float | None  # the ranked figure, the period before
    spark: list[float]  # the section's headline counter month by month
    rank: int = 0


@dataclass
class Comparison:
    section: Section
    figure: Figure
    months: list[dt.date]
    rows: list[CommunityRow]


def spark_months(period: Period) -> list[dt.date]:
    """The months the sparklines draw: those of the period, at most the last 36."""
    months = period.months()
    return months[-36:]


def comparison(user: Any, ids: list[int], period: Period, section_key: str, figure_key: str) -> Comparison:
    """Every community of ``ids`` side by side: the section's figures for the period, ranked by ``figure_key``
    (best first, as the figure reads: fewer overdue appeals rank higher), with the headline counter month by
    month — two passes of the section's aggregate queries, whatever the number of communities."""
    section = registry.get(section_key) or registry.sections()[0]
    figure = section.figure(figure_key) or section.figures[0]
    periods = [period, period.previous()]
    counts = section.counts(ids, periods) if ids else {0: {}, 1: {}}
    months = spark_months(period)
    monthly = section.monthly(ids, Period(months[0], period.end)) if ids else {}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    rows = []
    for cid in ids:
        now = counts.get(0, {}).get(cid, {})
        before = counts.get(1, {}).get(cid, {})
        by_month = monthly.get(cid, {})
        rows.append(
            CommunityRow(
                units[cid],
                {f.key: f.value(now) for f in section.figures},
                None if figure.live else figure.value(before),
                [float(by_month.get(m, 0)) for m in months],
            )
        )

    def key(r: CommunityRow) -> tuple[int, float, str]:
        v = r.values.get(figure.key)
        if v is None:
            return (1, 0, r.community.name)
        return (0, -v if figure.higher_is_better else v, r.community.name)

    rows.sort(key=key)
    for i, r in enumerate(rows, 1):
        r.rank = i if r.values.get(figure.key) is not None else 0
    return Comparison(section, figure, months, rows)


def rows_behind(
    user: Any, ids: list[int], period: Period, section_key: str, drill: str, arg: str = ""
) -> tuple[Section, Any, list[Any]]:
    """The rows behind a figure (404 for an unknown section or figure, or rows outside the reader's reach)."""
    section = registry.get(section_key)
    if section is None:
        raise Http404
    allowed = drill_scope(user, section, ids)
    if not allowed:
        raise Http404
    found = section.rows(drill, allowed, period, arg)
    if found is None:
        raise Http404
    qs, columns = found
    return section, qs, columns


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out = [first.replace(day=1)]
    while out[-1] < last.replace(day=1):
        out.append(month_add(out[-1], 1))
    return out
