from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.orgs.models import Department, OrgUnit, UnitKind


class OrgUnitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=32, required=False)


class OrgUnitUpdateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=32, required=False)
    is_active = forms.BooleanField(label=pgettext_lazy("enabled flag", "Active"), required=False)


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Department.Kind.choices)
    unit = forms.ModelChoiceField(label=_("Belongs to"), queryset=OrgUnit.objects.none())
    phone = forms.CharField(label=_("Duty phone"), max_length=32, required=False)

    def __init__(self, *args: object, units: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class TaskForceForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    purpose = forms.CharField(label=_("Purpose"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: object, communities: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]


class TaskForceMemberForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=100)
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=100,
        help_text=_("e.g. party branch, residents' committee, owners' committee, property company"),
    )
    role = forms.CharField(label=_("Role in the team"), max_length=60, required=False)
