"""Forms of the appeals configuration pages. They parse input; the services in ``config.services`` validate it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.appeals.models import Category, SlaBasis, SlaPolicy, SlaUnit, Urgency
from anju.orgs.models import Department, OrgUnit


class CategoryForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Lower-case letters, digits and hyphens, e.g. street-lamp. It is the Open311 service_code."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    group = forms.CharField(label=_("Group"), max_length=60, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    department_kind = forms.ChoiceField(
        label=_("Usual kind of department"),
        required=False,
        choices=[("", _("Any")), *Department.Kind.choices],
    )
    default_urgency = forms.ChoiceField(label=_("Default urgency"), choices=Urgency.choices, initial=Urgency.GENERAL)
    sort_order = forms.IntegerField(label=_("Order"), initial=0)


class RouteForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True))
    department = forms.ModelChoiceField(label=_("Default department"), queryset=Department.objects.none())

    def __init__(self, *args: Any, units: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["unit"].label_from_instance = lambda u: f"{u.name}（{u.kind_label}）"  # type: ignore[attr-defined]
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["department"].label_from_instance = (  # type: ignore[attr-defined]
            lambda d: f"{d.name}（{d.unit.name}）"
        )


def _value(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label)


def _unit(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=SlaUnit.choices, initial=SlaUnit.HOURS)


def _basis(label: Any, stage: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=SlaBasis.choices,
        initial=SlaPolicy.DEFAULT_BASES[stage],
        required=False,  # not given: the policy's own (or, for a new one, DESIGN.md's default)
        help_text=_("The step before signing, contact and feedback is the dispatch; before the dispatch, the receipt."),
    )


class SlaForm(forms.Form):
    dispatch_value = _value(_("Dispatch within"))
    dispatch_unit = _unit(_("Dispatch: unit"))
    dispatch_basis = _basis(_("Dispatch: counted"), "dispatch")
    sign_value = _value(_("Department signs within"))
    sign_unit = _unit(_("Signing: unit"))
    sign_basis = _basis(_("Signing: counted"), "sign")
    contact_value = _value(_("Requester contacted within"))
    contact_unit = _unit(_("Contact: unit"))
    contact_basis = _basis(_("Contact: counted"), "contact")
    feedback_value = _value(_("Feedback to the requester within"))
    feedback_unit = _unit(_("Feedback: unit"))
    feedback_basis = _basis(_("Feedback: counted"), "feedback")

    def deadlines(self) -> dict[str, Any]:
        values = {k: v for k, v in self.cleaned_data.items() if k.endswith(("_value", "_unit"))}
        return values | {k: v for k, v in self.cleaned_data.items() if k.endswith("_basis") and v}


class SlaCreateForm(SlaForm):
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("All categories (default)"),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    complex = forms.BooleanField(label=_("For appeals marked complex"), required=False)

    field_order = ["category", "urgency", "complex"]


class SatisfactionForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=40)
    counts_as_satisfied = forms.BooleanField(label=_("Counts as satisfied"), required=False)
    sort_order = forms.IntegerField(label=_("Order"), initial=0)


class SatisfactionCreateForm(SatisfactionForm):
    code = forms.CharField(
        label=_("Code"), max_length=20, help_text=_("Lower-case letters, digits and hyphens, e.g. very-satisfied.")
    )

    field_order = ["code", "label", "counts_as_satisfied", "sort_order"]


class PublicationForm(forms.Form):
    """What a community publishes of its appeals (``appeals.privacy.publication_set`` validates)."""

    level = forms.ChoiceField(
        label=_("Publish on Open311 and public pages"),
        choices=[
            ("off", _("Nothing: the community's appeals are not listed")),
            ("basic", _("Category and status (and dates)")),
        ],
        widget=forms.RadioSelect,
    )
    area = forms.BooleanField(
        label=_("Also the area (片区 or grid): never the building, address or door"), required=False
    )
    summary = forms.BooleanField(label=_("Also a summary of the description, numbers masked"), required=False)
    followers_counted = forms.BooleanField(
        label=_("Count followers' (me too) callback answers in the three rates"), required=False
    )
