"""HTML forms of the appeals pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.appeals.models import ON_BEHALF_CHANNELS, Category, Channel, Status, Urgency
from anju.core.forms import DateInput, KeptChoices, MultipleFileField, QuickSelect
from anju.orgs.models import OrgUnit, UnitKind


class AppealForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), empty_label=_("Choose…")
    )
    location = forms.ModelChoiceField(label=_("Where"), queryset=OrgUnit.objects.none(), empty_label=_("Choose…"))
    address = forms.CharField(label=_("Address or landmark"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What is the problem?"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.GENERAL)
    photos = MultipleFileField(
        label=_("Photos (up to 9)"),
        required=False,
    )
    channel = forms.ChoiceField(label=_("How did it reach you?"), choices=(), required=False)
    contact_name = forms.CharField(label=_("Resident's name"), max_length=60, required=False)
    contact_mobile = forms.CharField(label=_("Resident's mobile"), max_length=20, required=False)
    consent = forms.BooleanField(label=_("The resident agreed that I file this for them"), required=False)
    file_anyway = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, locations: Any, on_behalf: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["location"].label_from_instance = lambda u: f"{u.name} · {u.get_kind_display()}"  # type: ignore[attr-defined]
        if on_behalf:
            choices = [(c.value, c.label) for c in Channel if c in ON_BEHALF_CHANNELS] + [
                (Channel.APP.value, _("My own appeal"))
            ]
            self.fields["channel"].choices = choices  # type: ignore[attr-defined]
            self.fields["channel"].required = True
        else:
            for name in ("channel", "contact_name", "contact_mobile", "consent"):
                del self.fields[name]


class AnonymousAppealForm(forms.Form):
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True),
        empty_label=_("Choose…"),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True), empty_label=_("Choose…")
    )
    address = forms.CharField(label=_("Address or landmark"), max_length=200)
    description = forms.CharField(
        label=_("What is the problem?"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.GENERAL)
    contact_name = forms.CharField(label=_("Your name"), max_length=60)
    contact_mobile = forms.CharField(label=_("Your mobile, for the callback"), max_length=20)
    photos = MultipleFileField(label=_("Photos (up to 9)"), required=False)


class ProgressLookupForm(forms.Form):
    """The public progress lookup: the appeal number from the thank-you page and the mobile given with it."""

    number = forms.CharField(
        label=_("Appeal number"),
        max_length=12,
        help_text=_("As on the thank-you page, e.g. A00000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "autocapitalize": "characters"}),
    )
    mobile = forms.CharField(
        label=_("Your mobile, for the callback"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class HolidayForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    days = forms.CharField(
        label=_("Official days"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One per line: a date and “holiday” or “workday”, e.g. 2027-01-01 holiday."),
    )


class AppealFilterForm(forms.Form):
    """The appeal list's search and filters, read from the URL (GET). A value that is not one of the choices
    (a hand-edited link) is left out of the filter and said next to its field."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=QuickSelect)
    category = forms.ChoiceField(label=_("Category"), required=False, widget=QuickSelect)
    department = forms.ChoiceField(label=_("Department"), required=False, widget=QuickSelect)
    urgency = forms.ChoiceField(label=_("Urgency"), required=False, widget=QuickSelect)
    grid = forms.ChoiceField(label=_("Grid"), required=False, widget=QuickSelect)
    deadline = forms.ChoiceField(label=_("Deadline"), required=False, widget=QuickSelect)
    start = forms.DateField(label=_("Received from"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Received until"), required=False, widget=DateInput())

    def __init__(
        self,
        *args: Any,
        departments: Sequence[tuple[int, str]],
        grids: Sequence[tuple[int, str]],
        categories: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]

        def choices(name: str, items: Any) -> None:
            kept = KeptChoices(anything + [(str(k), v) for k, v in items])
            self.fields[name].choices = kept  # type: ignore[attr-defined]

        choices("status", Status.choices)
        choices("category", categories)
        choices("department", departments)
        choices("urgency", Urgency.choices)
        choices("grid", grids)
        choices("deadline", [("overdue", _("Overdue")), ("soon", _("Due soon")), ("on_time", _("On time"))])
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Number, requester, text or address")})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        return data

    def value(self, name: str) -> Any:
        """The valid value of ``name``, else empty (an invalid one is not applied)."""
        if not hasattr(self, "cleaned_data"):
            return None
        return self.cleaned_data.get(name) or None
