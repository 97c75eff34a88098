"""Template filters of :mod:`anju.core.text`: ``{% load anju_text %}``.

``{{ when|near_date:"D H:i" }}`` shows "07-05 周一 09:00" within the current year and "2027-07-05 周一 09:00"
otherwise; ``{{ names|join_list }}`` joins with the language's list separator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template

from anju.core import text

register = template.Library()


@register.filter
def near_date(value: date | datetime | None, rest: str = "") -> str:
    return text.near_date(value, rest)


@register.filter
def join_list(value: Any) -> str:
    return text.join_list(value)


@register.simple_tag
def list_separator() -> str:
    return text.list_separator()


@register.simple_tag
def clause_separator() -> str:
    return text.clause_separator()


@register.filter
def due_phrase(value: datetime | None) -> str:
    """``{{ appeal.due_at|due_phrase }}``: "已逾期 89 天" / "剩余 2 天 3 小时" (``core.text.due_phrase``)."""
    return text.due_phrase(value)
