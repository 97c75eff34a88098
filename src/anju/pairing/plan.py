"""When a household is due a visit: its last contact plus its care level's cadence.

A cadence in weeks adds days; a cadence in months adds calendar months, kept on the same day of the month
or the month's last day when it is shorter (31 January + 1 month = 28 or 29 February, then 28 or 29 March:
each step is from the last contact, so no drift accumulates across month ends). A household never visited
is due from the day it was paired.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from anju.pairing.models import DEFAULT_CADENCES, CadenceUnit


@dataclass(frozen=True)
class Every:
    count: int
    unit: str

    def after(self, day: dt.date) -> dt.date:
        if self.unit == CadenceUnit.WEEKS:
            return day + dt.timedelta(weeks=self.count)
        return add_months(day, self.count)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def cadences(overrides: dict[str, tuple[int, str]] | None = None) -> dict[str, Every]:
    merged = {**DEFAULT_CADENCES, **(overrides or {})}
    return {level: Every(count, unit) for level, (count, unit) in merged.items()}


def due_on(*, last_contact: dt.date | None, paired_on: dt.date, every: Every) -> dt.date:
    """The day the next visit is due."""
    return every.after(last_contact) if last_contact is not None else paired_on


#: Six months without a visit and without coming to any activity: the household is flagged into the plan.
QUIET_DAYS = 183


def quiet(*, last_contact: dt.date | None, last_attended: dt.date | None, today: dt.date) -> bool:
    since = today - dt.timedelta(days=QUIET_DAYS)
    return (last_contact is None or last_contact < since) and (last_attended is None or last_attended < since)


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of ``day``'s week."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def within_cadence(*, last_contact: dt.date | None, every: Every, today: dt.date) -> bool:
    """Contacted within its cadence: the last contact is recent enough that the next one is not yet overdue."""
    return last_contact is not None and every.after(last_contact) >= today
