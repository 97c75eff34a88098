"""The month's hours workbook (Excel) and the 志愿服务时长证明 (a printable certificate, PDF on request)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import printing
from anju.core.excel import safe_row
from anju.duty import selectors
from anju.duty.models import HoursEntry, Volunteer
from anju.duty.services import next_month


def month_xlsx(
    *, actor: Any, community: Any, entries: QuerySet[HoursEntry], month: date, request: HttpRequest | None = None
) -> bytes:
    """Two sheets: one community's entries of the month, and the totals per volunteer."""
    of_month = entries.filter(community_id=community.pk, day__gte=month, day__lt=next_month(month))
    rows = list(of_month.order_by("day", "pk").select_related("volunteer"))
    wb = Workbook()
    ws = wb.active
    ws.title = _("Entries")
    ws.append(safe_row([_("Date"), _("Volunteer"), _("Source"), _("Category"), _("Hours"), _("Note")]))
    for e in rows:
        ws.append(safe_row([e.day, e.volunteer.name, e.get_source_display(), e.category, float(e.hours), e.note]))
    totals = wb.create_sheet(_("Totals"))
    totals.append(safe_row([_("Volunteer"), _("Hours")]))
    for row in selectors.hours_by_volunteer(of_month):
        totals.append(safe_row([row["volunteer__name"], float(row["total"])]))
    out = io.BytesIO()
    wb.save(out)
    with transaction.atomic():
        record(
            Action.DUTY_REPORT_EXPORTED,
            actor=actor,
            request=request,
            obj=community,
            community=community,
            data={"month": f"{month:%Y-%m}", "rows": len(rows)},
        )
    return out.getvalue()


def certificate_response(request: HttpRequest, *, volunteer: Volunteer, start: date, end: date) -> HttpResponse:
    if end < start:
        start, end = end, start
    entries = HoursEntry.objects.filter(volunteer=volunteer, day__gte=start, day__lt=end + timedelta(days=1))
    by_source = list(entries.values("source").annotate(total=Sum("hours")).order_by("source"))
    labels = dict(HoursEntry.Source.choices)
    total = sum((row["total"] for row in by_source), start=0)
    fmt = printing.wanted_format(request)
    with transaction.atomic():
        record(
            Action.DUTY_REPORT_EXPORTED,
            actor=request.user,
            obj=volunteer,
            request=request,
            data={"certificate": True, "from": start.isoformat(), "to": end.isoformat(), "format": fmt},
        )
    return printing.print_response(
        request,
        "duty/certificate.html",
        {
            "volunteer": volunteer,
            "start": start,
            "end": end,
            "rows": [
                {"source": labels.get(r["source"], r["source"]), "total": r["total"]} for r in by_source if r["total"]
            ],
            "total": total,
        },
        filename=f"volunteer-hours-{volunteer.pk}",
    )
