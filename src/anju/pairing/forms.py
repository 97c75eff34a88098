"""Forms of the pairing pages: they parse; the services validate and write."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.core.forms import DateInput
from anju.pairing.models import CadenceUnit, CareLevel, Visit


class VisitForm(forms.Form):
    client_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    visited_on = forms.DateField(label=_("Date"), widget=DateInput())
    method = forms.ChoiceField(label=_("How"), choices=Visit.Method.choices, widget=forms.RadioSelect)
    met = forms.CharField(label=_("Whom you met"), max_length=60, required=False)
    condition = forms.ChoiceField(label=_("How things are"), choices=Visit.Condition.choices, widget=forms.RadioSelect)
    needs = forms.MultipleChoiceField(
        label=_("Needs found"), choices=Visit.Need.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("What you found"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.ChoiceField(
        label=_("What happens next"),
        choices=[
            ("", _("Nothing to follow up")),
            (Visit.FollowUp.APPEAL, _("File it as an appeal now")),
            (Visit.FollowUp.WORKER, _("Ask the community worker to follow up")),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    category = forms.TypedChoiceField(label=_("Appeal category"), coerce=int, required=False, empty_value=None)
    photos = forms.FileField(label=_("Photos (for the appeal)"), required=False)

    def __init__(self, *args: Any, categories: Any = (), **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"client_key": uuid.uuid4().hex, "visited_on": timezone.localdate(), "method": Visit.Method.DOOR},
        )
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *((c.pk, c.name) for c in categories)]  # type: ignore[attr-defined]
        self.fields["photos"].widget.attrs.update({"accept": "image/*", "multiple": True})


class CareForm(forms.Form):
    level = forms.ChoiceField(label=_("Care level"), choices=CareLevel.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PairForm(forms.Form):
    central = forms.TypedChoiceField(label=_("Central household"), coerce=int)
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)

    def __init__(self, *args: Any, centrals: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["central"].choices = [(c.pk, str(c.household.address)) for c in centrals]  # type: ignore[attr-defined]


class EndForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)


class CentralForm(forms.Form):
    member = forms.TypedChoiceField(label=_("Party member (and their household)"), coerce=int)
    area = forms.TypedChoiceField(label=_("Area served"), coerce=int)
    capacity = forms.IntegerField(label=_("Capacity"), initial=10, min_value=1, max_value=50)
    carrier = forms.TypedChoiceField(label=_("Carried on the phone by"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, members: Any = (), areas: Any = (), carriers: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [(m.pk, f"{m.name} · {m.household.address}") for m in members]  # type: ignore[attr-defined]
        self.fields["area"].choices = [(a.pk, a.name) for a in areas]  # type: ignore[attr-defined]
        self.fields["carrier"].choices = [("", "—"), *((u.pk, u.display_name or u.username) for u in carriers)]  # type: ignore[attr-defined]


class CentralEditForm(forms.Form):
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=50)


class CadenceForm(forms.Form):
    level = forms.ChoiceField(label=_("Care level"), choices=CareLevel.choices)
    every = forms.IntegerField(label=_("Every"), min_value=1, max_value=52)
    unit = forms.ChoiceField(label=_("Unit"), choices=CadenceUnit.choices)
