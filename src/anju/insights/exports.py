"""The Excel workbook of the dashboard's figures (openpyxl): one sheet of every figure for the period, the one
before and a year earlier, and one sheet per breakdown. The annual report's workbook is the same for its year."""

from __future__ import annotations

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from anju.core.excel import safe_cell, safe_row
from anju.core.security import no_store
from anju.insights.selectors import Dashboard

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(dash: Dashboard, *, title: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover  (a new workbook always has a sheet)
        ws = wb.create_sheet()
    ws.title = _("Figures")[:31]
    ws.append(safe_row([title or _("The station at a glance"), dash.period.label()]))
    ws.append(
        [
            _("Section"),
            _("Figure"),
            _("Unit"),
            dash.period.label(),
            dash.previous.label(),
            dash.last_year.label(),
            _("Change on the period before %"),
            _("Change on a year earlier %"),
        ]
    )
    for s in dash.sections:
        for r in s.rows:
            ws.append(
                [
                    safe_cell(s.section.title),
                    safe_cell(r.figure.label),
                    r.figure.unit,
                    r.now,
                    r.previous,
                    r.last_year,
                    r.vs_previous,
                    r.vs_last_year,
                ]
            )
    for s in dash.sections:
        for b in s.breakdowns:
            sheet = wb.create_sheet(str(b.title)[:31])
            sheet.append([safe_cell(b.title), dash.period.label()])
            for label, value, _q in b.rows:
                sheet.append([safe_cell(label), value])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def dashboard_xlsx(dash: Dashboard) -> HttpResponse:
    response = HttpResponse(workbook_bytes(dash), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="insights-{dash.period.start:%Y%m%d}-{dash.period.end:%Y%m%d}.xlsx"'
    )
    return no_store(response)
