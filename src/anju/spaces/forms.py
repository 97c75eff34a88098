"""HTML forms of the booking pages. They only parse input; the services validate the rules."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.spaces.recurrence import MAX_OCCURRENCES, Recurrence

REPEAT_CHOICES = [
    ("", _("Does not repeat")),
    ("daily", _("Every day")),
    ("weekly", _("Every week (or every N weeks)")),
    ("monthly_date", _("Every month on the same date")),
    ("monthly_weekday", _("Every month on the same weekday (e.g. 2nd Tuesday)")),
]


class BookingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    ends = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    title = forms.CharField(label=_("What for"), max_length=200)
    repeat = forms.ChoiceField(label=_("Repeat"), choices=REPEAT_CHOICES, required=False)
    interval = forms.IntegerField(
        label=_("Every how many days, weeks or months"), min_value=1, max_value=52, initial=1, required=False
    )
    until = forms.DateField(label=_("Repeat until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(
        label=_("Or: how many times"),
        min_value=1,
        max_value=10_000,
        required=False,
        help_text=_("At most %(n)d dates.") % {"n": MAX_OCCURRENCES},
    )
    on_conflict = forms.ChoiceField(
        label=_("If a date is already taken"),
        choices=[("fail", _("Book nothing")), ("skip", _("Skip that date and show it to me"))],
        initial="fail",
        required=False,
    )
    on_behalf_of = forms.CharField(
        label=_("Book for (username)"),
        required=False,
        max_length=150,
        help_text=_("Staff only: the resident the booking is for."),
    )

    def __init__(self, *args: Any, staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["on_behalf_of"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        zone = timezone.get_current_timezone()
        day = data["date"]
        ends: time = data["ends"]
        data["starts_at"] = datetime.combine(day, data["starts"], zone)
        data["ends_at"] = datetime.combine(day, ends, zone)
        repeat = data.get("repeat") or ""
        data["recurrence"] = None
        if repeat:
            if not data.get("until") and not data.get("count"):
                self.add_error("until", _("Give an end date or a number of times."))
                return data
            freq = "monthly" if repeat.startswith("monthly") else repeat
            data["recurrence"] = Recurrence(
                freq=freq,
                interval=data.get("interval") or 1,
                monthly_by="weekday" if repeat == "monthly_weekday" else "date",
                until=data.get("until") if not data.get("count") else None,
                count=data.get("count"),
            )
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class ClosureForm(forms.Form):
    starts = forms.DateTimeField(label=_("Closed from"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)
    whole_station = forms.BooleanField(label=_("Close the whole station"), required=False)
