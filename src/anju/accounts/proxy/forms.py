"""The family-proxy forms: a resident grants; a worker records a grant with the resident's consent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.accounts import acting
from anju.accounts.models import ProxyGrant
from anju.core.forms import DateInput


def end_of_day(day: dt.date | None) -> dt.datetime | None:
    """The end of ``day`` in the display zone (a grant "until 5 June" holds all of 5 June)."""
    if day is None:
        return None
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start, timezone.get_default_timezone())


class GrantForm(forms.Form):
    proxy = forms.CharField(
        label=_("Your family member's username"),
        max_length=40,
        help_text=_("They find it on their own account page (我的账户)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What they may do for you"), choices=(), widget=forms.CheckboxSelectMultiple, required=False
    )
    valid_until = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty to keep it until you end it."),
    )

    error_aliases = {"valid_from": "valid_until"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = acting.scope_choices()  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("scopes", [name for name, _label in acting.scope_choices()])

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "proxy_username": data["proxy"],
            "scopes": list(data["scopes"]),
            "valid_until": end_of_day(data.get("valid_until")),
        }


class RecordForm(GrantForm):
    """A worker records a grant for a resident who gave consent in person, on paper or by phone."""

    resident = forms.CharField(
        label=_("The resident's username"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    consent_method = forms.ChoiceField(
        label=_("How the resident consented"),
        choices=[("", _("Choose…")), *ProxyGrant.Consent.choices],
        required=False,  # the service says what is missing
    )
    consent_note = forms.CharField(
        label=_("Consent note (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example where the signed form is kept. Do not type ID or phone numbers."),
    )

    field_order = ["resident", "proxy", "scopes", "valid_until", "consent_method", "consent_note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["proxy"].label = _("The family member's username")
        self.fields["scopes"].label = _("What they may do for the resident")
        self.order_fields(self.field_order)

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        kwargs["consent_method"] = self.cleaned_data["consent_method"]
        kwargs["consent_note"] = self.cleaned_data.get("consent_note", "")
        return kwargs
