"""What a section of the dashboard is, and the helper every section counts with: one aggregate query over a
domain's rows (or its roll-up) for the asked period and the two it is compared with at once, grouped by
community, each counter a conditional aggregate per period. Never a loop over rows."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Aggregate, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from anju.insights.periods import Period

#: counts[period index][community id][counter] = value
Counts = dict[int, dict[int, dict[str, float]]]


@dataclass(frozen=True)
class Figure:
    """One figure of a section: a counter (``num``), or a rate in per cent of two counters (``den``), or a
    share. ``drill`` names the rows behind it (:meth:`Section.rows`); ``live``: a figure of now, not of the
    period (no comparison)."""

    key: str
    label: str | Promise
    num: str
    den: str | None = None
    unit: str = ""  # "h" for hours, "%" for a rate
    drill: str | None = None
    live: bool = False
    higher_is_better: bool = True

    def value(self, counts: dict[str, float]) -> float | None:
        n = counts.get(self.num, 0)
        if self.den is None:
            return round(n, 1) if isinstance(n, float) and not n.is_integer() else n
        d = counts.get(self.den, 0)
        return round(100.0 * n / d, 1) if d else None


@dataclass
class Breakdown:
    """A list of labelled values behind a section (volume by category, busiest rooms): ``rows`` are
    (label, value, the drill-down's ``arg`` narrowing the rows of ``drill``; "" for none)."""

    key: str
    title: str | Promise
    unit: str = ""
    drill: str = ""
    rows: list[tuple[str, float, str]] = field(default_factory=list)


@dataclass
class Column:
    label: str | Promise
    get: Callable[[Any], Any]


class Section:
    """A section of the dashboard and the report. Subclasses set the class attributes and implement
    :meth:`counts` (one aggregate query or a fixed few), optionally :meth:`breakdowns` and :meth:`rows`."""

    key: str = ""
    title: str | Promise = ""
    order: int = 100
    figures: tuple[Figure, ...] = ()
    #: The action whose reach the drill-down rows are limited to (besides insights.view).
    drill_action: str = "insights.view"
    #: The figure the comparison across communities ranks by and the sparkline draws.
    headline: str = ""
    #: The method page of the annual report this section fills ("" for none).
    method: str | Promise = ""

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        raise NotImplementedError

    def monthly(self, ids: list[int] | None, period: Period) -> dict[int, dict[dt.date, float]]:
        """The headline counter month by month per community (the sparklines); empty when not offered."""
        return {}

    def breakdowns(self, ids: list[int] | None, period: Period) -> list[Breakdown]:
        return []

    def rows(
        self, drill: str, ids: list[int] | None, period: Period, arg: str = ""
    ) -> tuple[QuerySet[Any], list[Column]] | None:
        return None

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def within(field_name: str, period: Period, *, aware: bool) -> Q:
    """``field_name`` within the period's days (local days for a datetime field)."""
    if aware:
        return Q(
            **{
                f"{field_name}__gte": day_start(period.start),
                f"{field_name}__lt": day_start(period.end + dt.timedelta(days=1)),
            }
        )
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lte": period.end})


def community_filter(qs: QuerySet[Any], ids: list[int] | None, field_name: str = "community_id") -> QuerySet[Any]:
    return qs if ids is None else qs.filter(**{f"{field_name}__in": ids})


def per_period(
    qs: QuerySet[Any],
    periods: Sequence[Period],
    counters: dict[str, Callable[[Period], Aggregate]],
    *,
    where: Callable[[Period], Q] | None = None,
    community: str = "community_id",
) -> Counts:
    """One grouped query: for each community, each counter for each period (``counters[name](period)``
    builds the aggregate, its own ``filter=`` saying which rows of that period count). ``where(period)``
    narrows the rows read to the union of the periods."""
    if where is not None:
        qs = qs.filter(functools.reduce(operator.or_, (where(p) for p in periods)))
    annotations = {f"{name}__{i}": make(p) for i, p in enumerate(periods) for name, make in counters.items()}
    out: Counts = {i: {} for i in range(len(periods))}
    for row in qs.values(community).annotate(**annotations).order_by():
        cid = int(row[community])
        for i in range(len(periods)):
            out[i][cid] = {name: number(row[f"{name}__{i}"]) for name in counters}
    return out


def number(value: Any) -> float:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 3600, 2)
    if isinstance(value, int):
        return value
    f = float(value)
    return int(f) if f.is_integer() else round(f, 2)


def total(per_community: dict[int, dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for counts in per_community.values():
        for name, value in counts.items():
            out[name] = out.get(name, 0) + value
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in out.items()}
