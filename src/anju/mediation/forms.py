"""Forms of the mediation pages: they parse; the services validate and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from anju.core.params import parse_id
from anju.mediation.models import FollowUp, Kind, ReferredTo, Urgency

PARTY_ROWS = 4
UNDERTAKING_ROWS = 4


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of dispute"), choices=Kind.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    violence_risk = forms.BooleanField(label=_("Risk of violence"), required=False)
    account = forms.CharField(
        label=_("Short account"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the dispute is about, in a few sentences. Phone and ID numbers are hidden."),
    )
    lead = forms.TypedChoiceField(label=_("Lead mediator"), coerce=int)
    co_mediators = forms.TypedMultipleChoiceField(
        label=_("Co-mediators"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, mediators: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        choices = [(u.pk, u.display_name or u.username) for u in mediators]
        self.fields["lead"].choices = [("", "—"), *choices]  # type: ignore[attr-defined]
        self.fields["co_mediators"].choices = choices  # type: ignore[attr-defined]


def party_rows(data: Any) -> list[dict[str, Any]]:
    """The party rows of the intake form (``party_name_N``, ``party_role_N``, ``party_resident_N``)."""
    rows = []
    for n in range(PARTY_ROWS):
        rows.append(
            {
                "n": n,
                "name": (data.get(f"party_name_{n}") or "").strip()[:60] if data else "",
                "role": (data.get(f"party_role_{n}") or "") if data else "",
                "resident": parse_id(data.get(f"party_resident_{n}")) if data else None,
            }
        )
    return rows


def undertaking_rows(data: Any) -> list[dict[str, Any]]:
    rows = []
    for n in range(UNDERTAKING_ROWS):
        raw = (data.get(f"due_{n}") or "") if data else ""
        rows.append(
            {
                "n": n,
                "party": parse_id(data.get(f"party_{n}")) if data else None,
                "text": (data.get(f"text_{n}") or "").strip() if data else "",
                "due": parse_date(raw) if raw and len(raw) == 10 and _plausible(raw) else None,
                "due_raw": raw[:10],
            }
        )
    return rows


def _plausible(raw: str) -> bool:
    try:
        return 1900 <= int(raw[:4]) <= 2999 and parse_date(raw) is not None
    except ValueError:
        return False


class SessionForm(forms.Form):
    space = forms.TypedChoiceField(label=_("Room"), coerce=int)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )

    def __init__(self, *args: Any, rooms: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [(s.pk, s.name) for s in rooms]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if isinstance(value, dt.datetime) and not (1900 <= value.year <= 2999):
                self.add_error(name, _("Enter a valid date/time."))
            elif isinstance(value, dt.datetime) and timezone.is_naive(value):
                data[name] = timezone.make_aware(value)
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReferralForm(forms.Form):
    referred_to = forms.ChoiceField(label=_("Referred to"), choices=ReferredTo.choices)
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Was the agreement kept?"), choices=FollowUp.Result.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
