"""``{% load appeal_deadlines %}``: ``{% deadline_badge appeal.due_at %}`` shows an appeal's next deadline as a
badge in words, red when overdue, amber when due soon (``selectors.DUE_SOON``), green otherwise, the same on
every page (list, appeal page, home card)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html

from anju.appeals import selectors
from anju.core import text

register = template.Library()

BADGES = {selectors.OVERDUE: "badge-danger", selectors.DUE_SOON_STATE: "badge-warn", selectors.ON_TIME: "badge-ok"}


@register.simple_tag
def deadline_badge(due: dt.datetime | None, now: dt.datetime | None = None) -> str:
    state = selectors.deadline_state(due, now)
    if not state:
        return ""
    return format_html(
        '<span class="badge {}" data-deadline="{}">{}</span>', BADGES[state], state, text.due_phrase(due, now)
    )
