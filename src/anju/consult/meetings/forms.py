from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.consult.models import Meeting
from anju.core.forms import ISO_DATETIME_INPUT_FORMATS, DateInput, DateTimeInput


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput(), input_formats=ISO_DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DateTimeInput(), input_formats=ISO_DATETIME_INPUT_FORMATS)
    space = forms.TypedChoiceField(label=_("Book a space"), required=False, coerce=int, empty_value=None)
    place = forms.CharField(label=_("Or the place (a lane, a courtyard)"), max_length=200, required=False)
    topics = forms.TypedMultipleChoiceField(
        label=_("Agenda"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, spaces: Any = (), topics: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "—"), *((s.pk, s.name) for s in spaces)]  # type: ignore[attr-defined]
        self.fields["topics"].choices = [(t.pk, t.title) for t in topics]  # type: ignore[attr-defined]


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}))
    head_count = forms.IntegerField(label=_("Head count"), required=False, min_value=0, max_value=10_000)


class DecisionForm(forms.Form):
    topic = forms.TypedChoiceField(label=_("Topic"), coerce=int, required=False, empty_value=None)
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    due_on = forms.DateField(label=_("Due"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, topics: Any = (), owners: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "—"), *((t.pk, t.title) for t in topics)]  # type: ignore[attr-defined]
        self.fields["owner"].choices = [("", "—"), *((u.pk, str(u)) for u in owners)]  # type: ignore[attr-defined]


class SummaryForm(forms.Form):
    summary = forms.CharField(label=_("Summary for the notice board"), widget=forms.Textarea(attrs={"rows": 5}))


class DoneForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
