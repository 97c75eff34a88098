"""Working days: China's statutory holidays and make-up working days.

``chinesecalendar`` knows the years the State Council has announced; for a
later year it raises ``NotImplementedError``. Then an administrator's entered
schedule (:class:`HolidayDate` for a :class:`HolidayYear`) is used, and
failing that weekends only, with the answer flagged *provisional*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import chinese_calendar
from django.utils import timezone
from django.utils.translation import get_language

from anju.calendar.models import HolidayDate, HolidayYear

WORKDAYS = "workdays"  # the unit name of working days (appeals' ``SlaUnit.WORKDAYS``); any other unit is hours


@dataclass
class Calendar:
    """One lookup of the entered schedule, reused for many dates."""

    entered: dict[dt.date, str] = field(default_factory=dict)
    entered_years: set[int] = field(default_factory=set)
    provisional: bool = False
    entered_names: dict[dt.date, str] = field(default_factory=dict)
    # Each day's answer once asked (a sweep asks about the same few weeks thousands of times), and whether
    # it was a guess (a hit on a provisional answer marks the calendar provisional again).
    _workdays: dict[dt.date, tuple[bool, bool]] = field(default_factory=dict, repr=False, compare=False)
    _after: dict[tuple[dt.date, int], tuple[dt.date, bool]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls) -> Calendar:
        rows = list(HolidayDate.objects.values_list("date", "kind", "name"))
        return cls(
            entered={day: kind for day, kind, _name in rows},
            entered_years=set(HolidayYear.objects.values_list("year", flat=True)),
            entered_names={day: name for day, _kind, name in rows if name},
        )

    def is_workday(self, day: dt.date) -> bool:
        known = self._workdays.get(day)
        if known is None:
            before, self.provisional = self.provisional, False
            known = self._workdays[day] = (self._is_workday(day), self.provisional)
            self.provisional = before
        if known[1]:
            self.provisional = True
        return known[0]

    def _is_workday(self, day: dt.date) -> bool:
        kind = self.entered.get(day)
        if kind is not None:
            return kind == HolidayDate.Kind.WORKDAY
        if day.year in self.entered_years:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self.provisional = True
            return day.weekday() < 5

    def holiday(self, day: dt.date) -> str | None:
        """The name of the statutory holiday ``day`` is part of, or None when it is none. The library's names
        are in the reader's language; a day of the administrator's schedule has its entered name, or "" when
        entered without one. Weekends and make-up working days are not holidays. Spaces close on these days."""
        kind = self.entered.get(day)
        if kind is not None:
            if kind != HolidayDate.Kind.HOLIDAY:
                return None
            return self.entered_names.get(day, "")
        if day.year in self.entered_years:
            return None
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:  # a year neither the library nor an administrator has entered yet
            self.provisional = True
            return None
        if not on_holiday or name is None:
            return None
        holiday = chinese_calendar.Holiday._value2member_map_.get(name)
        if holiday is not None and (get_language() or "").startswith("zh"):
            return str(holiday.chinese)
        return str(name)

    def add_workdays(self, start: dt.datetime, days: int) -> dt.datetime:
        """``days`` working days after ``start``, at the same local time of day."""
        local = timezone.localtime(start)
        known = self._after.get((local.date(), days))
        if known is not None:
            if known[1]:
                self.provisional = True
            day = known[0]
            return local.replace(year=day.year, month=day.month, day=day.day)
        before, self.provisional = self.provisional, False
        day = local.date()
        remaining = days
        while remaining > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        self._after[(local.date(), days)] = (day, self.provisional)
        self.provisional = self.provisional or before
        return local.replace(year=day.year, month=day.month, day=day.day)

    def add(self, start: dt.datetime, value: int, unit: str) -> dt.datetime:
        if unit == WORKDAYS:
            return self.add_workdays(start, value)
        return start + dt.timedelta(hours=value)

    def workdays_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working days strictly after ``start``'s date up to ``end``'s date."""
        a, b = timezone.localtime(start).date(), timezone.localtime(end).date()
        n = 0
        while a < b:
            a += dt.timedelta(days=1)
            if self.is_workday(a):
                n += 1
        return n
