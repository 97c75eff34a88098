"""``{% load appeal_list %}``: ``{% appeal_rows rows insider=… bulk=… now=… %}`` draws the rows of the appeal
list's table.

The one loop of the system that runs 25 times a page on the page workers open most: drawn by Django's template
engine a row cost 0.2-0.4 ms (a ``{% url %}``, a ``{% blocktrans %}``, two badges, a date filter and a dozen
variable lookups), about 8 ms a page; here it costs a few hundredths of that. The table's head stays in
``appeals/list.html``; each cell carries its column's name for the phone layout (``data-label``), with the same
translations as the head. Everything shown is escaped by ``format_html``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from anju.appeals.models import Appeal, Urgency
from anju.appeals.templatetags.appeal_badges import deadline_badge, status_badge

register = template.Library()

URGENCY_LABELS = dict(Urgency.choices)
#: The longest address a row shows before it is cut with an ellipsis.
ADDRESS_CHARS = 24
_PLACEHOLDER_ID = 987654321987


def _where(appeal: Appeal) -> str:
    place = appeal.location.name if appeal.location_id else ""
    if not appeal.address:
        return place
    return format_html("{} · {}", place, Truncator(appeal.address_masked).chars(ADDRESS_CHARS))


def _category(appeal: Appeal) -> str:
    if appeal.urgency == Urgency.GENERAL:
        return appeal.category.label
    urgency = URGENCY_LABELS.get(appeal.urgency, appeal.urgency)
    return format_html('{} <span class="badge badge-danger">{}</span>', appeal.category.label, urgency)


def _deadline(row: dict[str, Any], now: dt.datetime) -> str:
    appeal = row["appeal"]
    if not row["state"]:
        return "—"
    due = timezone.localtime(appeal.due_at)
    return format_html("{} {}", due.strftime("%m-%d %H:%M"), deadline_badge(appeal.due_at, now))


def _requester(contact: dict[str, Any] | None) -> str:
    contact = contact or {}
    if contact.get("mobile"):
        return format_html("{} {}", contact.get("name") or "—", contact["mobile"])
    return contact.get("name") or "—"


@register.simple_tag
def appeal_rows(rows: list[dict[str, Any]], *, insider: bool, bulk: bool, now: dt.datetime) -> SafeString:
    """The ``<tr>`` of each row (``{"appeal": …, "contact": masked contact or None, "state": deadline state}``)."""
    labels = {
        "status": _("Status"),
        "category": _("Category"),
        "where": _("Where"),
        "requester": _("Requester"),
        "deadline": _("Next deadline"),
        "department": _("Department"),
    }
    # One reverse for the page: the appeal page's address with a placeholder id, each row's id put in its place.
    detail = reverse("appeals:detail", args=[_PLACEHOLDER_ID])
    select = _("Select %(number)s")
    cells = []
    for row in rows:
        a = row["appeal"]
        pick = (
            format_html(
                '<td class="appeal-pick"><input type="checkbox" name="ids" value="{}" form="bulk" id="pick-{}"'
                ' aria-label="{}"></td>',
                a.pk,
                a.pk,
                select % {"number": a.number},
            )
            if bulk
            else ""
        )
        requester = (
            format_html('<td data-label="{}" data-requester>{}</td>', labels["requester"], _requester(row["contact"]))
            if insider
            else ""
        )
        department = a.department.name if a.department_id else "—"
        cells.append(
            (
                a.number,
                pick,
                detail.replace(str(_PLACEHOLDER_ID), str(a.pk)),
                a.number,
                labels["status"],
                status_badge(a),
                labels["category"],
                _category(a),
                labels["where"],
                _where(a),
                requester,
                labels["deadline"],
                _deadline(row, now),
                labels["department"],
                department or "—",
            )
        )
    return format_html_join(
        "\n",
        '<tr data-number="{}">{}<td class="appeal-number"><a href="{}">{}</a></td>'
        '<td class="appeal-status" data-label="{}">{}</td>'
        '<td class="appeal-category" data-label="{}">{}</td>'
        '<td data-label="{}">{}</td>{}'
        '<td class="nowrap" data-label="{}">{}</td>'
        '<td data-label="{}">{}</td></tr>',
        cells,
    )
