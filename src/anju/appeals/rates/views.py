"""The three-rate page (响应率、解决率、满意率), with its charts and Excel export."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import selectors
from anju.appeals.rates import charts, exports, ranking
from anju.core import replica


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
    group_label = {"department": _("Department"), "category": _("Category"), "community": _("Community")}.get(
        group, _("Grid")
    )
    return render(
        request,
        "appeals/rates.html",
        {
            "rows": rows,
            "total": total,
            "months": report.months,
            "bars_svg": charts.rate_bars(
                rows, title=_("Three rates by %(group)s, with counts") % {"group": group_label}
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
