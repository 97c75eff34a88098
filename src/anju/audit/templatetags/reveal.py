"""``{% reveal_reason_fields "prefix" %}``: the purpose and reason fields of every reveal form."""

from __future__ import annotations

from typing import Any

from django import template

from anju.audit.reasons import MAX_LENGTH, Purpose

register = template.Library()


@register.inclusion_tag("audit/_reveal_reason_fields.html")
def reveal_reason_fields(prefix: str = "reveal") -> dict[str, Any]:
    return {"prefix": prefix, "purposes": Purpose.choices, "max_length": MAX_LENGTH}
