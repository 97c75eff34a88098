"""Pages of insights: the station at a glance, the communities side by side, the rows behind a figure."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from anju.access import policy
from anju.core import replica
from anju.core.pagination import paginate, query_without_page
from anju.core.params import parse_id
from anju.insights import charts, exports, periods, selectors
from anju.insights import sections as registry
from anju.insights.periods import Period, PeriodError


def _period(request: HttpRequest) -> tuple[Period, str]:
    """The asked period, or this year so far and the error to show."""
    try:
        return periods.parse(request.GET.get("start"), request.GET.get("end")), ""
    except PeriodError as exc:
        return periods.default(), str(exc)


def _community(request: HttpRequest) -> int | None:
    return parse_id(request.GET.get("community")) if request.GET.get("community") else None


def _base_query(period: Period, community: int | None) -> str:
    q = period.as_query()
    return f"{q}&community={community}" if community else q


def legend() -> list[str]:
    return [_("This period"), _("The period before"), _("A year earlier")]


def section_charts(dash: selectors.Dashboard) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in dash.sections:
        groups = [
            (str(r.figure.label), [r.now, r.previous, r.last_year], r.figure.unit) for r in s.rows if not r.figure.live
        ]
        out[s.section.key] = {
            "periods": charts.periods_bars(
                groups,
                title=_("%(section)s: this period, the one before and a year earlier") % {"section": s.section.title},
                chart_id=f"chart-{s.section.key}",
                legend=legend(),
            ),
            "breakdowns": [
                (
                    b,
                    charts.bars(
                        [(label, value) for label, value, _q in b.rows],
                        title=str(b.title),
                        chart_id=f"chart-{s.section.key}-{b.key}",
                        unit=b.unit,
                    ),
                )
                for b in s.breakdowns
            ],
        }
    return out


@policy.permission("insights.view")
@replica.reads
def dashboard(request: HttpRequest) -> HttpResponse:
    period, error = _period(request)
    community = _community(request)
    ids = selectors.scope(request.user, community)
    if error:
        return render(
            request,
            "insights/dashboard.html",
            {"error": error, "period": period, "communities": selectors.communities(request.user)},
            status=400,
        )
    dash = selectors.dashboard(request.user, ids, period)
    if request.GET.get("format") == "xlsx":
        return exports.dashboard_xlsx(dash)
    visible = selectors.communities(request.user)
    return render(
        request,
        "insights/dashboard.html",
        {
            "dash": dash,
            "period": period,
            "community": community,
            "communities": visible,
            "charts": section_charts(dash),
            "base_query": _base_query(period, community),
            "legend": legend(),
            "many": len(visible) > 1,
        },
    )


@policy.permission("insights.view")
@replica.reads
def compare(request: HttpRequest) -> HttpResponse:
    period, error = _period(request)
    ids = selectors.scope(request.user, None)
    if error:
        return render(request, "insights/compare.html", {"error": error, "period": period}, status=400)
    section_key = request.GET.get("section", "appeals")
    figure_key = request.GET.get("figure", "")
    cmp = selectors.comparison(request.user, ids, period, section_key, figure_key)
    sparks = {
        r.community.pk: charts.sparkline(
            r.spark,
            title=_("%(name)s month by month: %(values)s")
            % {"name": r.community.name, "values": ", ".join(charts.number_text(v) for v in r.spark)},
        )
        for r in cmp.rows
    }
    bars = charts.bars(
        [(r.community.name, r.values.get(cmp.figure.key)) for r in cmp.rows],
        title=_("%(figure)s by community") % {"figure": cmp.figure.label},
        chart_id="chart-compare",
        unit=cmp.figure.unit,
    )
    return render(
        request,
        "insights/compare.html",
        {
            "cmp": cmp,
            "period": period,
            "sparks": sparks,
            "bars": bars,
            "sections": registry.sections(),
            "base_query": period.as_query(),
        },
    )


@policy.permission("insights.view")
@replica.reads
def rows(request: HttpRequest, section: str, drill: str) -> HttpResponse:
    period, error = _period(request)
    community = _community(request)
    ids = selectors.scope(request.user, community)
    if error:
        return render(request, "insights/rows.html", {"error": error, "period": period}, status=400)
    arg = request.GET.get("arg", "")[:40]
    found, qs, columns = selectors.rows_behind(request.user, ids, period, section, drill, arg)
    figure = next((f for f in found.figures if f.drill == drill), None)
    page = paginate(request, qs)
    return render(
        request,
        "insights/rows.html",
        {
            "section": found,
            "figure": figure,
            "period": period,
            "page": page,
            "count": page.paginator.count,
            "columns": columns,
            "cells": [[c.get(obj) for c in columns] for obj in page.object_list],
            "query": query_without_page(request),
            "back": _base_query(period, community),
        },
    )
