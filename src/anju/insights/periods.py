"""The period a dashboard or report is asked for, and the two it is compared with: the period just before it (as
long) and the same period a year earlier. Parsed from ``?start=&end=`` with a clear error for a bad one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

#: The longest period a dashboard reads: five years.
MAX_DAYS = 5 * 366
#: Dates outside these years are refused (no month arithmetic falls off the calendar).
FIRST_YEAR, LAST_YEAR = 1900, 2999


class PeriodError(ValueError):
    """A period that cannot be read; ``str()`` is the message in the user's language."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """As long as this one, just before it (across a year boundary when it starts in January)."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def last_year(self) -> Period:
        return Period(year_back(self.start), year_back(self.end))

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        out = [self.start.replace(day=1)]
        while True:
            nxt = month_add(out[-1], 1)
            if nxt > self.end:
                return out
            out.append(nxt)

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def as_query(self) -> str:
        return f"start={self.start:%Y-%m-%d}&end={self.end:%Y-%m-%d}"


def year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def month_add(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def year(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31))


def default(today: dt.date | None = None) -> Period:
    """This year up to today."""
    today = today or timezone.localdate()
    return Period(today.replace(month=1, day=1), today)


def _date(raw: str, name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise PeriodError(_("The %(name)s date is not a date (YYYY-MM-DD).") % {"name": name}) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError(
            _("Dates must lie between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return day


def parse(start: str | None, end: str | None, *, today: dt.date | None = None) -> Period:
    """The period of ``start`` and ``end`` (ISO dates; either may be missing): a missing start is 1 January of
    the end's year, a missing end is today (or the start's year end if that is earlier). Raises
    :class:`PeriodError` for an end before the start or a period longer than five years."""
    today = today or timezone.localdate()
    if not start and not end:
        return default(today)
    end_day = _date(end, _("end")) if end else None
    start_day = _date(start, _("start")) if start else (end_day or today).replace(month=1, day=1)
    if end_day is None:
        end_day = (
            min(today, start_day.replace(month=12, day=31))
            if start_day <= today
            else start_day.replace(month=12, day=31)
        )
    if end_day < start_day:
        raise PeriodError(_("The period ends before it starts."))
    if (end_day - start_day).days + 1 > MAX_DAYS:
        raise PeriodError(_("A period may span at most five years."))
    return Period(start_day, end_day)
