"""HTML forms of the booking pages. They only parse input; the services validate the rules."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.forms import DateInput, DateTimeInput, MultipleFileField, TimeInput
from anju.people.models import Household
from anju.spaces.models import Space
from anju.spaces.recurrence import MAX_OCCURRENCES, Recurrence
from anju.spaces.setup import EDIT_FIELDS, weekday_names

REPEAT_CHOICES = [
    ("", _("Does not repeat")),
    ("daily", _("Every day")),
    ("weekly", _("Every week (or every N weeks)")),
    ("monthly_date", _("Every month on the same date")),
    ("monthly_weekday", _("Every month on the same weekday (e.g. 2nd Tuesday)")),
]


class BookingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    starts = forms.TimeField(label=_("From"), widget=TimeInput(attrs={"step": 900}))
    ends = forms.TimeField(label=_("Until"), widget=TimeInput(attrs={"step": 900}))
    title = forms.CharField(label=_("What for"), max_length=200)
    repeat = forms.ChoiceField(label=_("Repeat"), choices=REPEAT_CHOICES, required=False)
    interval = forms.IntegerField(
        label=_("Every how many days, weeks or months"), min_value=1, max_value=52, initial=1, required=False
    )
    until = forms.DateField(label=_("Repeat until"), required=False, widget=DateInput())
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

    household: forms.ModelChoiceField[Household] = forms.ModelChoiceField(
        label=_("Counts against household"),
        queryset=Household.objects.none(),
        required=False,
        help_text=_(
            "Staff only: the household whose weekly limit the booking uses. Empty: the household of the person "
            "it is for (nobody's when you book for the station)."
        ),
    )

    REPEAT_FIELDS = ("repeat", "interval", "until", "count", "on_conflict")
    # The service's errors about the repetition show on the fields of the folded "Repeat" part.
    error_aliases = {
        "recurrence": "repeat",
        "recurrence.freq": "repeat",
        "recurrence.weekdays": "repeat",
        "recurrence.monthly_by": "repeat",
        "recurrence.interval": "interval",
        "recurrence.until": "until",
        "recurrence.count": "count",
    }

    def __init__(self, *args: Any, staff: bool = False, households: QuerySet[Household] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.staff = staff
        if not staff:  # a resident books one date; repeating bookings are set up by staff
            del self.fields["on_behalf_of"]
            for name in self.REPEAT_FIELDS:
                del self.fields[name]
        if not staff or households is None:
            del self.fields["household"]
        else:
            self.fields["household"].queryset = households  # type: ignore[attr-defined]

    def main_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields() if f.name not in self.REPEAT_FIELDS]

    def repeat_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.REPEAT_FIELDS if name in self.fields]

    def repeat_open(self) -> bool:
        """The "Repeat" part starts folded; it opens when the form comes back with an error in it."""
        return self.is_bound and any(name in self.errors for name in self.REPEAT_FIELDS)

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
    starts = forms.DateTimeField(label=_("Closed from"), widget=DateTimeInput())
    ends = forms.DateTimeField(label=_("Until"), widget=DateTimeInput())
    reason = forms.CharField(label=_("Reason"), max_length=200)
    whole_station = forms.BooleanField(label=_("Close the whole station"), required=False)


HOURS_HELP = _("e.g. 08:30-12:00, 14:00-20:30; leave empty when the space cannot be booked that day.")


def _clock(text: str) -> time:
    """Read "9", "9:30", "09:30" or "9：30" as a time; raises ValueError."""
    hour, _sep, minute = text.replace("：", ":").partition(":")
    if not hour.isdigit() or (minute and not minute.isdigit()):
        raise ValueError(text)
    return time(int(hour), int(minute or 0))


def _parse_spans(text: str) -> list[tuple[time, time]]:
    """Read "08:30-12:00, 14:00-20:30" as [(08:30, 12:00), (14:00, 20:30)]; raises ValidationError."""
    spans = []
    for part in text.replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        bits = [b.strip() for b in part.replace("–", "-").replace("～", "-").replace("~", "-").split("-")]
        try:
            if len(bits) != 2:
                raise ValueError(part)
            opens, closes = (_clock(b) for b in bits)
        except ValueError:
            raise forms.ValidationError(
                _("Write each time span as 08:30-12:00, separated by commas (%(part)s).") % {"part": part}
            ) from None
        spans.append((opens, closes))
    return spans


SpaceFieldsForm: type[forms.Form] = type(
    "SpaceFieldsForm", (forms.Form,), forms.fields_for_model(Space, fields=list(EDIT_FIELDS))
)


class SpaceForm(SpaceFieldsForm):  # type: ignore[valid-type,misc]
    """A space's details, booking rules and bookable hours (one text field per weekday)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, name in enumerate(weekday_names()):
            self.fields[f"hours_{weekday}"] = forms.CharField(
                label=_("Bookable hours on %(day)s") % {"day": name},
                required=False,
                max_length=200,
                help_text=HOURS_HELP if weekday == 0 else "",
            )
        self.fields["key_location"].required = False

    @staticmethod
    def initial_for(space: Space) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(space, name) for name in EDIT_FIELDS}
        rows = list(space.hours.all())
        for weekday in range(7):
            spans = [f"{h.opens:%H:%M}-{h.closes:%H:%M}" for h in rows if h.weekday == weekday]
            data[f"hours_{weekday}"] = ", ".join(spans) if rows else "08:00-21:00"
        return data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: list[tuple[int, time, time]] = []
        for weekday in range(7):
            try:
                spans = _parse_spans(data.get(f"hours_{weekday}") or "")
            except forms.ValidationError as exc:
                self.add_error(f"hours_{weekday}", exc)
                continue
            hours.extend((weekday, opens, closes) for opens, closes in spans)
        data["hours"] = hours
        return data

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDIT_FIELDS}


class PhotoForm(forms.Form):
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, up to 10 MB each; location data in the files is removed."),
    )
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)
