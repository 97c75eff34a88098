"""HTML forms of the appeals pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.appeals.models import ON_BEHALF_CHANNELS, Category, Channel, Urgency
from anju.core.forms import MultipleFileField
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
        label=_("Community"), queryset=OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True)
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True))
    address = forms.CharField(label=_("Address or landmark"), max_length=200)
    description = forms.CharField(
        label=_("What is the problem?"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.GENERAL)
    contact_name = forms.CharField(label=_("Your name"), max_length=60)
    contact_mobile = forms.CharField(label=_("Your mobile, for the callback"), max_length=20)
    photos = MultipleFileField(label=_("Photos (up to 9)"), required=False)


class HolidayForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    days = forms.CharField(
        label=_("Official days"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One per line: a date and “holiday” or “workday”, e.g. 2027-01-01 holiday."),
    )
