"""Excel export of the three rates (openpyxl)."""

from __future__ import annotations

import datetime as dt
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from anju.appeals.rates.selectors import RateRow
from anju.core.excel import safe_cell
from anju.core.security import no_store


def _rate_headers() -> list[str]:
    """The columns both sheets share, after the first (name or month)."""
    return [
        _("Dispatched"),
        _("Responded on time"),
        _("Response rate %"),
        _("Callbacks completed"),
        _("Resolved"),
        _("Resolution rate %"),
        _("Ratings"),
        _("Satisfied or basically satisfied"),
        _("Satisfaction rate %"),
        _("Dispatches to a department"),
        _("Re-routed or rightly referred back"),
        _("Routing accuracy %"),
        _("Reopened"),
        _("Marked complex"),
        _("Awaiting callback"),
    ]


def _rate_cells(r: RateRow) -> list[object]:
    c = r.counts
    return [
        c.get("dispatched", 0),
        c.get("responded", 0),
        r.response_rate,
        c.get("completed", 0),
        c.get("resolved", 0),
        r.resolution_rate,
        c.get("ratings", 0),
        c.get("satisfied", 0),
        r.satisfaction_rate,
        c.get("dispatches", 0),
        c.get("misrouted", 0),
        r.routing_rate,
        c.get("reopened", 0),
        c.get("complex_marked", 0),
        r.pending_callback,
    ]


def rates_xlsx(
    rows: list[RateRow],
    total: RateRow,
    *,
    group: str,
    start: dt.date | None,
    end: dt.date | None,
    months: list[RateRow] | None = None,
) -> HttpResponse:
    wb = Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover  (a new workbook always has a sheet)
        ws = wb.create_sheet()
    ws.title = _("Three rates")[:31]
    period = f"{start or '…'} – {end or '…'}"
    ws.append([_("Three rates"), period])
    ws.append(
        [
            _("Name"),
            *_rate_headers(),
            _("Summoned by whistle"),
            _("Arrived on time"),
            _("Arrivals: scanned the site code"),
            _("Arrivals: confirmed on site"),
            _("Arrivals: self-declared (not counted)"),
        ]
    )
    for r in [*rows, total]:
        ws.append(
            [
                safe_cell(r.label or _("Total")),  # a unit name is written as text, never a formula
                *_rate_cells(r),
                r.counts.get("summoned", 0),
                r.counts.get("arrived_on_time", 0),
                r.counts.get("arrived_scanned", 0),
                r.counts.get("arrived_confirmed", 0),
                r.counts.get("arrived_self_declared", 0),
            ]
        )
    if months:
        ms = wb.create_sheet(_("Month by month")[:31])
        ms.append([_("Month"), *_rate_headers()])
        for m in months:
            ms.append([m.label, *_rate_cells(m)])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="three-rates-{group}.xlsx"'
    return no_store(response)
