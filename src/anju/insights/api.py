"""The figures of insights as JSON: the station's figures for a period (compared with the period before and a year
earlier) and the communities side by side."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema

from anju.access import policy
from anju.core import replica
from anju.core.api import ErrorOut
from anju.core.params import OptionalId
from anju.insights import periods, selectors
from anju.insights.periods import Period, PeriodError

router = Router(tags=["insights"])


class PeriodOut(Schema):
    start: dt.date
    end: dt.date


class FigureOut(Schema):
    key: str
    label: str
    unit: str = Field(..., description='"%" for a rate, "h" for hours, "" for a count')
    live: bool = Field(..., description="a figure of now, not of the period (not compared)")
    value: float | None
    previous: float | None
    last_year: float | None
    change_previous: float | None = Field(..., description="change on the period before, in per cent")
    change_last_year: float | None = Field(..., description="change on the same period a year earlier, in per cent")


class BreakdownRowOut(Schema):
    label: str
    value: float


class BreakdownOut(Schema):
    key: str
    title: str
    rows: list[BreakdownRowOut]


class SectionOut(Schema):
    key: str
    title: str
    figures: list[FigureOut]
    breakdowns: list[BreakdownOut]


class FiguresOut(Schema):
    period: PeriodOut
    previous: PeriodOut
    last_year: PeriodOut
    communities: list[int]
    sections: list[SectionOut]


class CommunityOut(Schema):
    id: int
    name: str
    rank: int = Field(..., description="0: not ranked (nothing counted)")
    values: dict[str, float | None]
    previous: float | None
    months: list[float]


class ComparisonOut(Schema):
    period: PeriodOut
    section: str
    figure: str
    months: list[dt.date]
    communities: list[CommunityOut]


def _period(start: dt.date | None, end: dt.date | None) -> Period:
    try:
        return periods.parse(start.isoformat() if start else None, end.isoformat() if end else None)
    except PeriodError as exc:
        raise ValidationError({"end": [str(exc)]}) from None


def _p(p: Period) -> dict[str, Any]:
    return {"start": p.start, "end": p.end}


@router.get(
    "/insights/figures",
    response={200: FiguresOut, 404: ErrorOut, 422: ErrorOut},
    summary="The station's figures for a period, with the period before and a year earlier",
)
@policy.permission("insights.view")
@replica.reads
def figures(
    request: HttpRequest, start: dt.date | None = None, end: dt.date | None = None, community: OptionalId = None
) -> Any:
    period = _period(start, end)
    ids = selectors.scope(request.user, community)
    dash = selectors.dashboard(request.user, ids, period)
    return {
        "period": _p(dash.period),
        "previous": _p(dash.previous),
        "last_year": _p(dash.last_year),
        "communities": ids,
        "sections": [
            {
                "key": s.section.key,
                "title": str(s.section.title),
                "figures": [
                    {
                        "key": r.figure.key,
                        "label": str(r.figure.label),
                        "unit": r.figure.unit,
                        "live": r.figure.live,
                        "value": r.now,
                        "previous": r.previous,
                        "last_year": r.last_year,
                        "change_previous": r.vs_previous,
                        "change_last_year": r.vs_last_year,
                    }
                    for r in s.rows
                ],
                "breakdowns": [
                    {"key": b.key, "title": str(b.title), "rows": [{"label": lb, "value": v} for lb, v, _a in b.rows]}
                    for b in s.breakdowns
                ],
            }
            for s in dash.sections
        ],
    }


@router.get(
    "/insights/communities",
    response={200: ComparisonOut, 422: ErrorOut},
    summary="Every community within reach side by side, ranked by one figure, with its month by month",
)
@policy.permission("insights.view")
@replica.reads
def communities(
    request: HttpRequest,
    start: dt.date | None = None,
    end: dt.date | None = None,
    section: str = "appeals",
    figure: str = "",
) -> Any:
    period = _period(start, end)
    ids = selectors.scope(request.user, None)
    cmp = selectors.comparison(request.user, ids, period, section[:40], figure[:40])
    return {
        "period": _p(period),
        "section": cmp.section.key,
        "figure": cmp.figure.key,
        "months": cmp.months,
        "communities": [
            {
                "id": r.community.pk,
                "name": r.community.name,
                "rank": r.rank,
                "values": r.values,
                "previous": r.previous,
                "months": r.spark,
            }
            for r in cmp.rows
        ],
    }
