"""Excel export of the appeal list: exactly the rows the filtered list shows (all its pages), with personal data
masked as on the page (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from anju.appeals.models import Appeal
from anju.appeals.requesters import services as requesters
from anju.core.excel import safe_row
from anju.core.security import no_store
from anju.core.text import due_phrase

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def headers(*, insider: bool) -> list[str]:
    cols = [
        _("Number"),
        _("Received"),
        _("Status"),
        _("Category"),
        _("Urgency"),
        _("Where"),
        _("Address or landmark"),
        _("Problem"),
    ]
    if insider:
        cols += [_("Requester"), _("Mobile")]
    return [*cols, _("Department"), _("Next deadline"), _("Deadline")]


def row(appeal: Appeal, *, insider: bool, now: Any) -> list[Any]:
    cells: list[Any] = [
        appeal.number,
        timezone.localtime(appeal.received_at).strftime("%Y-%m-%d %H:%M"),
        appeal.get_status_display(),
        appeal.category.label,
        appeal.get_urgency_display(),
        appeal.location.name,
        appeal.address_masked,
        appeal.description_masked,
    ]
    if insider:
        contact = requesters.contact_masked(appeal)
        cells += [contact["name"], contact["mobile"]]
    due = appeal.due_at if appeal.is_open else None
    cells += [
        appeal.department.name if appeal.department else "",
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "",
        due_phrase(due, now),
    ]
    return cells


def appeals_xlsx(appeals: Iterable[Appeal], *, insider: bool) -> tuple[HttpResponse, int]:
    """The workbook as a download, and how many appeals it holds."""
    wb = Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover  (a new workbook always has a sheet)
        ws = wb.create_sheet()
    ws.title = _("Appeals")[:31]
    ws.append(headers(insider=insider))
    now = timezone.now()
    count = 0
    for appeal in appeals:
        ws.append(safe_row(row(appeal, insider=insider, now=now)))  # what residents typed stays text
        count += 1
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="appeals-{stamp}.xlsx"'
    return no_store(response), count
