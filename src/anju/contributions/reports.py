"""The numbered receipt (收据, a print page and its PDF) and the public Excel of a project (the same as its
公示 page: totals, the money ledger with its running balance, contributors by name or "anonymous")."""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from anju.audit.actions import Action
from anju.audit.services import record
from anju.contributions import selectors
from anju.contributions.models import Contribution, Kind, MoneyEntry, Project, Unit
from anju.contributions.services import yuan
from anju.core import printing
from anju.core.excel import safe_row


def receipt_response(request: HttpRequest, *, contribution: Contribution) -> HttpResponse:
    """The receipt for the contributor (staff print it and hand it over; it carries the real name even when
    the public sees "anonymous")."""
    fmt = printing.wanted_format(request)
    c = contribution
    if c.kind == Kind.MONEY:
        what = f"¥{yuan(int(c.quantity * 100))}"
    else:
        what = f"{c.get_kind_display()} {selectors.quantity_label(c.quantity, c.unit)}"
    with transaction.atomic():
        record(
            Action.DOCUMENT_PRINTED,
            actor=request.user,
            obj=c.project,
            request=request,
            data={"document": "contribution_receipt", "receipt": c.receipt_no, "format": fmt},
        )
    return printing.print_response(
        request,
        "contributions/receipt.html",
        {
            "c": c,
            "what": what,
            "value": f"¥{yuan(c.value_fen)}" if c.value_fen and c.kind != Kind.MONEY else "",
            "pending": c.money_entry is not None
            and c.money_entry.needs_approval
            and not hasattr(c.money_entry, "approval"),
        },
        filename=f"receipt-{c.receipt_no}",
    )


def public_rows(project: Project) -> dict[str, list[list[Any]]]:
    """The sheets of the public Excel as rows (headers first). Contributors come only from
    ``selectors.public_contributors``: an anonymous one is "anonymous" here as on the page."""
    totals: list[list[Any]] = [[_("Kind"), _("Unit"), _("Gathered"), _("Goal"), _("Progress (%)")]]
    for t in selectors.totals(project):
        totals.append(
            [
                t.kind_label,
                str(Unit(t.unit).label),
                float(t.quantity),
                float(t.goal) if t.goal else None,
                t.percent,
            ]
        )
    ledger: list[list[Any]] = [
        [_("Date"), _("Type"), _("What for"), _("In (yuan)"), _("Out (yuan)"), _("Balance (yuan)")]
    ]
    types = dict(MoneyEntry.Type.choices)
    for e in reversed(selectors.ledger(project, limit=None)):
        amount = e.amount_fen / 100
        ledger.append(
            [
                e.day,
                str(types.get(e.type, e.type)),
                e.purpose,
                amount if amount > 0 else None,
                -amount if amount < 0 else None,
                e.running_fen / 100,  # type: ignore[attr-defined]
            ]
        )
    kinds = dict(Kind.choices)
    people: list[list[Any]] = [[_("Receipt number"), _("Date"), _("Contributor"), _("Kind"), _("Quantity"), _("Unit")]]
    for row in reversed(selectors.public_contributors(project, limit=None)):
        people.append(
            [
                row["receipt_no"],
                row["day"],
                row["name"],
                str(kinds.get(row["kind"], row["kind"])),
                float(row["quantity"]),
                str(Unit(row["unit"]).label),
            ]
        )
    return {str(_("Totals")): totals, str(_("Money")): ledger, str(_("Contributors")): people}


def public_xlsx(*, project: Project) -> bytes:
    wb = Workbook(write_only=True)
    for title, rows in public_rows(project).items():
        ws = wb.create_sheet(title[:31])
        for row in rows:
            ws.append(safe_row(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
