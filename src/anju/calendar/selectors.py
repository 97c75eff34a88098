"""What the holiday-schedule page shows: the entered years and which years the holiday library knows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import chinese_calendar
from django.utils import timezone

from anju.calendar.models import HolidayDate, HolidayYear


def entered_days(limit: int = 60) -> Any:
    return HolidayDate.objects.order_by("-date")[:limit]


def years() -> list[HolidayYear]:
    """The entered years, newest first, with their recompute state; ``in_library`` says whether the entry
    overrides a year the holiday library knows too (the entry wins) or fills one it does not know."""
    known = set(library_years())
    rows = list(HolidayYear.objects.order_by("-year")[:10])
    for row in rows:
        row.in_library = row.year in known  # type: ignore[attr-defined]
    return rows


def recent_years(n: int = 5) -> list[int]:
    return list(HolidayYear.objects.order_by("-year").values_list("year", flat=True)[:n])


def library_years() -> list[int]:
    """The years whose official schedule the holiday library (``chinesecalendar``) has, ascending."""
    return sorted({day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays})


def year_ranges(values: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive years folded into (first, last) ranges: [2004…2026] → [(2004, 2026)]."""
    ranges: list[tuple[int, int]] = []
    for year in sorted(set(values)):
        if ranges and year == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], year)
        else:
            ranges.append((year, year))
    return ranges


def coverage(today: dt.date | None = None) -> dict[str, Any]:
    """What the holidays page shows about known years: the library's, the entered ones, and this year or
    next year when neither knows it (their deadlines count weekends only and are marked provisional)."""
    today = today or timezone.localdate()
    library = library_years()
    entered = set(HolidayYear.objects.values_list("year", flat=True))
    return {
        "library_ranges": year_ranges(library),
        "library_version": getattr(chinese_calendar, "__version__", ""),
        "unknown": [y for y in (today.year, today.year + 1) if y not in library and y not in entered],
    }
