"""The statistics workbook: counts of cases by kind, status, community and month, follow-up results and the
average days to an outcome, read from :func:`selectors.stats_for`. Counts and labels only: no party, account,
note or case number is written (the workbook travels to supervisors and their spreadsheets)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from openpyxl import Workbook

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.excel import safe_row
from anju.mediation.models import FollowUp, Kind, Status
from anju.mediation.selectors import Stats


def stats_xlsx(
    *, actor: Any, stats: Stats, start: dt.date, end: dt.date, community: Any = None, request: HttpRequest | None = None
) -> bytes:
    """The workbook of ``stats`` (already scoped to the reader's reach); one audit row names the period."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")
    ws.append(safe_row([_("From"), start]))
    ws.append(safe_row([_("To"), end]))
    ws.append(safe_row([_("Community"), community.name if community is not None else _("All within reach")]))
    ws.append(safe_row([_("Cases opened"), stats.total]))
    ws.append(safe_row([_("Cases with an outcome"), stats.decided]))
    ws.append(safe_row([_("Average days to an outcome"), stats.average_days]))
    kinds = wb.create_sheet(_("By kind"))
    kinds.append(safe_row([_("Kind"), _("Cases")]))
    for code, label in Kind.choices:
        kinds.append(safe_row([label, stats.by_kind.get(code, 0)]))
    statuses = wb.create_sheet(_("By status"))
    statuses.append(safe_row([_("Status"), _("Cases")]))
    for code, label in Status.choices:
        statuses.append(safe_row([label, stats.by_status.get(code, 0)]))
    names = {c.pk: c.name for c in stats.communities}
    per = wb.create_sheet(_("By community"))
    per.append(safe_row([_("Community"), _("Cases")]))
    for cid, n in sorted(stats.by_community.items(), key=lambda kv: str(names.get(kv[0], kv[0]))):
        per.append(safe_row([names.get(cid, str(cid)), n]))
    months = wb.create_sheet(_("By month"))
    months.append(safe_row([_("Month"), _("Cases opened"), *[label for _code, label in FollowUp.Result.choices]]))
    for m in stats.months:
        results = stats.follow_ups_by_month.get(m, {})
        months.append(
            safe_row([m, stats.by_month.get(m, 0), *[results.get(code, 0) for code in FollowUp.Result.values]])
        )
    out = io.BytesIO()
    wb.save(out)
    with transaction.atomic():
        record(
            Action.MEDIATION_STATS_EXPORTED,
            actor=actor,
            request=request,
            obj=community,
            community=community,
            data={"from": start.isoformat(), "to": end.isoformat(), "cases": stats.total},
        )
    return out.getvalue()
