"""The three-rate page (响应率、解决率、满意率), with its charts and Excel export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals.rates import charts, exports, ranking, selectors
from anju.core import replica
from anju.core.pagination import paginate, query_without_page
from anju.core.text import number_text

#: The table and the bar chart show this many groups a page (a district's grids number in the hundreds); the
#: Excel export holds them all.
ROWS_PER_PAGE = 50


@dataclass(frozen=True)
class Cell:
    """A rate as the table writes it: "87.5%" (or "—": nothing counted) and its counts "7/8"."""

    rate: str
    counts: str


def _cell(rate: float | None, numerator: int, denominator: int) -> Cell:
    text = "—" if rate is None else f"{number_text(rate)}%"
    return Cell(text, f"{number_text(numerator)}/{number_text(denominator)}")


def _cells(row: Any) -> dict[str, Any]:
    """A table row's texts, worked out in Python once (a page of 50 groups and 36 months held some 4,000
    template lookups, most of the page's own time): the charts' three rates, the whistle arrivals, routing."""
    counts = row.counts
    cells: dict[str, Any] = {
        series: _cell(getattr(row, attr), counts.get(num, 0), counts.get(den, 0))
        for series, num, den, attr in charts.SERIES
    }
    cells["arrival"] = _cell(row.arrival_rate, counts.get("arrived_on_time", 0), counts.get("summoned", 0))
    cells["routing"] = "—" if row.routing_rate is None else f"{number_text(row.routing_rate)}%"
    cells["row"] = row
    return cells


def _period(request: HttpRequest) -> tuple[dt.date | None, dt.date | None]:
    out: list[dt.date | None] = []
    for name in ("start", "end"):
        try:
            out.append(dt.date.fromisoformat(request.GET[name]) if request.GET.get(name) else None)
        except ValueError:
            out.append(None)
    return out[0], out[1]


@policy.permission("appeal.rates")
@replica.reads
def rates(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group", "department")
    if group not in selectors.GROUPS:
        group = "department"
    start, end = _period(request)
    report = selectors.rates_report(request.user, group=group, start=start, end=end)
    rows, total = report.rows, report.total
    if request.GET.get("format") == "xlsx":
        return exports.rates_xlsx(rows, total, group=group, start=start, end=end, months=report.months)
    page = paginate(request, rows, per_page=ROWS_PER_PAGE)
    shown = list(page.object_list)
    group_label = {"department": _("Department"), "category": _("Category"), "community": _("Community")}.get(
        group, _("Grid")
    )
    return render(
        request,
        "appeals/rates.html",
        {
            "rows": [_cells(r) for r in shown],
            "page": page,
            "query": query_without_page(request),
            "list_url": reverse("appeals:list"),  # once, not twice a row
            # The period carried into each row's links ("&start=…&end=…", escaped by the template).
            "period_query": "".join(f"&{name}={day:%Y-%m-%d}" for name, day in (("start", start), ("end", end)) if day),
            "total": total,
            "months": [_cells(m) for m in report.months],
            "bars_svg": charts.rate_bars(
                shown, title=_("Three rates by %(group)s, with counts") % {"group": group_label}
            ),
            "trend_svg": charts.rate_trend(report.months, title=_("The three rates month by month")),
            "legend": charts.legend_items(),
            "group": group,
            "groups": [
                ("department", _("Department")),
                ("category", _("Category")),
                ("community", _("Community")),
                ("grid", _("Grid")),
            ],
            "start": start,
            "end": end,
            "min_sample": ranking.MIN_SAMPLE,
            "filter_name": {
                "department": "department",
                "category": "category",
                "community": "community",
                "grid": "grid",
            }[group],
        },
    )
