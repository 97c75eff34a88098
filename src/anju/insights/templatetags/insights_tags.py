"""Filters of the insights pages: a figure with its unit, a change in per cent with its sign."""

from __future__ import annotations

from django import template

from anju.insights.charts import number_text

register = template.Library()


@register.filter
def figure(value: float | None, unit: str = "") -> str:
    return number_text(value, unit)


@register.filter
def change(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}%"
