"""Recurring bookings: a small rule (daily, weekly, every N weeks, monthly by date or by nth weekday; until a
date or N times) expanded with dateutil's rrule in the station's local time."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from dateutil import rrule  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from anju.core.text import join_list, phrase_separator

MAX_OCCURRENCES = 100
HORIZON_DAYS = 366
FREQS = {"daily": rrule.DAILY, "weekly": rrule.WEEKLY, "monthly": rrule.MONTHLY}
WEEKDAYS = [rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU]


@dataclass
class Recurrence:
    freq: str  # daily | weekly | monthly
    interval: int = 1
    weekdays: list[int] = field(default_factory=list)  # weekly: 0 = Monday; empty = the first date's weekday
    monthly_by: str = "date"  # monthly: "date" (the 31st …) or "weekday" (the 2nd Tuesday …, 5th = last)
    until: date | None = None
    count: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "interval": self.interval,
            "weekdays": list(self.weekdays),
            "monthly_by": self.monthly_by,
            "until": self.until.isoformat() if self.until else None,
            "count": self.count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recurrence:
        until = data.get("until")
        return cls(
            freq=data["freq"],
            interval=int(data.get("interval") or 1),
            weekdays=[int(w) for w in data.get("weekdays") or []],
            monthly_by=data.get("monthly_by") or "date",
            until=date.fromisoformat(until) if isinstance(until, str) else until,
            count=data.get("count"),
        )


def _validate(rec: Recurrence, first: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if rec.freq not in FREQS:
        errors["recurrence.freq"] = [_("Choose daily, weekly or monthly.")]
    if not 1 <= rec.interval <= 52:
        errors["recurrence.interval"] = [_("Repeat every 1 to 52 days, weeks or months.")]
    if any(not 0 <= w <= 6 for w in rec.weekdays):
        errors["recurrence.weekdays"] = [_("Weekdays are 0 (Monday) to 6 (Sunday).")]
    if rec.monthly_by not in ("date", "weekday"):
        errors["recurrence.monthly_by"] = [_("Repeat monthly by date or by weekday.")]
    if (rec.until is None) == (rec.count is None):
        errors["recurrence.until"] = [_("Give either an end date or a number of times, not both.")]
    if rec.count is not None and not 1 <= rec.count <= MAX_OCCURRENCES:
        errors["recurrence.count"] = [
            ngettext(
                "A recurring booking has at most %(max)d date.",
                "A recurring booking has at most %(max)d dates.",
                MAX_OCCURRENCES,
            )
            % {"max": MAX_OCCURRENCES}
        ]
    if rec.until is not None and rec.until < first.date():
        errors["recurrence.until"] = [_("The end date is before the first date.")]
    if errors:
        raise ValidationError(errors)


def expand(rec: Recurrence, starts_at: datetime, ends_at: datetime) -> list[tuple[datetime, datetime]]:
    """The (start, end) of every occurrence, aware, in the current time zone's wall time; raises
    ValidationError when the rule is malformed or gives more than MAX_OCCURRENCES dates."""
    zone = timezone.get_current_timezone()
    first = timezone.localtime(starts_at, zone).replace(tzinfo=None)
    duration = ends_at - starts_at
    _validate(rec, first)
    kwargs: dict[str, Any] = {"dtstart": first, "interval": rec.interval}
    if rec.freq == "weekly":
        kwargs["byweekday"] = [WEEKDAYS[w] for w in (rec.weekdays or [first.weekday()])]
    elif rec.freq == "monthly":
        if rec.monthly_by == "weekday":
            nth = (first.day - 1) // 7 + 1
            kwargs["byweekday"] = WEEKDAYS[first.weekday()](-1 if nth == 5 else nth)
        else:
            kwargs["bymonthday"] = first.day  # months without that date are left out (RFC 5545)
    if rec.count is not None:
        kwargs["count"] = rec.count
    if rec.until is not None:
        kwargs["until"] = datetime.combine(rec.until, first.time())
    rule = rrule.rrule(FREQS[rec.freq], **kwargs)
    local = list(itertools.islice(rule, MAX_OCCURRENCES + 1))
    if len(local) > MAX_OCCURRENCES:
        raise ValidationError(
            {
                "recurrence": [
                    _("This recurrence gives more than %(max)d dates. Choose an earlier end date or fewer times.")
                    % {"max": MAX_OCCURRENCES}
                ]
            }
        )
    if not local:
        raise ValidationError({"recurrence": [_("This recurrence gives no date at all.")]})
    if local[-1] - first > timedelta(days=HORIZON_DAYS):
        raise ValidationError(
            {"recurrence": [_("A recurring booking may reach at most one year ahead of its first date.")]}
        )
    out = []
    for start in local:
        aware = timezone.make_aware(start, zone)
        out.append((aware, aware + duration))
    return out


def describe(data: dict[str, Any]) -> str:
    """A short description of a stored rule, in the reader's language."""
    rec = Recurrence.from_dict(data)
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    if rec.freq == "daily":
        text = _("every day") if rec.interval == 1 else _("every %(n)d days") % {"n": rec.interval}
    elif rec.freq == "weekly":
        text = _("every week") if rec.interval == 1 else _("every %(n)d weeks") % {"n": rec.interval}
        if rec.weekdays:
            text += " (" + join_list(names[w] for w in rec.weekdays) + ")"
    else:
        text = _("every month") if rec.interval == 1 else _("every %(n)d months") % {"n": rec.interval}
        text += " " + (_("on the same date") if rec.monthly_by == "date" else _("on the same weekday"))
    if rec.count:
        text += phrase_separator() + _("%(n)d times") % {"n": rec.count}
    elif rec.until:
        text += phrase_separator() + _("until %(date)s") % {"date": rec.until.isoformat()}
    return text
