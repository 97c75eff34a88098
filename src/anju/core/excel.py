"""Helpers for the Excel workbooks the apps export.

A text cell whose value begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
spreadsheet programs skip before reading one of those) is taken for a formula when the workbook is
opened: a resident who types ``=HYPERLINK(...)`` as their name must not run it on a worker's computer
(CSV/formula injection, OWASP). Every text written into an export that came from a person goes through
:func:`safe_cell`, which quotes such a value with a leading apostrophe, the way Excel itself shows
"text that looks like a formula"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write into a cell: text that would start a formula is quoted; anything else (numbers,
    dates, None, other text) is returned unchanged. Lazy translations are written as plain text."""
    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, Promise):  # a lazy translation
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` of each value of a row."""
    return [safe_cell(v) for v in values]
