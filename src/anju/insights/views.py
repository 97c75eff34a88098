"""Pages of insights: the station at a glance, the communities side by side, the rows behind a figure, and the
annual reports (asked for here, written by the worker, downloaded as PDF)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.core import replica
from anju.core.pagination import paginate, query_without_page
from anju.core.params import parse_id
from anju.core.security import no_store
from anju.insights import charts, exports, periods, selectors, services
from anju.insights import sections as registry
from anju.insights.models import Report
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
            "reports": policy.can(request.user, services.ACTION),
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


#: How many of the latest reports the reports page lists.
REPORT_ROWS = 20


def _report_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    units = selectors.communities(request.user, action=services.ACTION)
    reports = list(
        policy.visible(
            Report.objects.select_related("community"), request.user, services.ACTION, "community__path"
        ).order_by("-created_at", "-id")[:REPORT_ROWS]
    )
    this_year = timezone.localdate().year
    return render(
        request,
        "insights/reports.html",
        {
            "communities": units,
            "reports": reports,
            "running": any(r.is_running for r in reports),
            "years": list(range(this_year, max(services.FIRST_YEAR, this_year - 9) - 1, -1)),
            "error": error,
        },
        status=status,
    )


@policy.permission(services.ACTION)
def reports(request: HttpRequest) -> HttpResponse:
    """The annual reports of the communities within reach, and the form asking for one (the worker writes it;
    the list shows its progress until the PDF can be downloaded)."""
    if request.method != "POST":
        return _report_page(request)
    community_id = parse_id(request.POST.get("community"))
    community = next(
        (u for u in selectors.communities(request.user, action=services.ACTION) if u.pk == community_id), None
    )
    if community is None:
        raise Http404
    try:
        report, created = services.report_request(
            actor=request.user, community=community, year=request.POST.get("year"), request=request
        )
    except ValidationError as exc:
        return _report_page(request, error=" ".join(exc.messages), status=400)
    if created:
        messages.success(request, _("The report is being written: it appears below when it is ready."))
    else:
        messages.info(request, _("This report is already being written."))
    return redirect(f"{request.path}#report-{report.pk}")


@policy.permission(services.ACTION)
def report_pdf(request: HttpRequest, report_id: int) -> FileResponse:
    """A finished report's PDF (404 while it is being written, and for a report outside reach)."""
    report = policy.get_for(request.user, services.ACTION, Report.objects.select_related("community"), pk=report_id)
    if report.status != Report.Status.DONE or not report.file:
        raise Http404
    services.report_downloaded(actor=request.user, report=report, request=request)
    filename = f"annual-report-{report.community_id}-{report.year}.pdf"
    return no_store(
        FileResponse(report.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")
    )
