"""HTML forms of the registry. They parse input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.audit.reasons import RevealReasonForm
from anju.core.forms import DateInput
from anju.people.models import Relation, Resident


class ResidentFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        help_text=_("Name, pinyin initials (zs), or a full mobile or ID number"),
    )
    building = forms.TypedChoiceField(label=_("Building"), required=False, coerce=int, empty_value=None)
    tag = forms.TypedChoiceField(label=_("Tag"), required=False, coerce=int, empty_value=None)
    party = forms.ChoiceField(
        label=_("Party member"), required=False, choices=[("", _("All")), ("yes", _("Yes")), ("no", _("No"))]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("Living here")), ("archived", _("Archived")), ("all", _("All"))],
    )

    def __init__(self, *args: Any, buildings: Any, tags: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [("", _("All buildings"))] + [  # type: ignore[attr-defined]
            (b.pk, f"{b.community.name} {b.name}" if b.community else b.name) for b in buildings
        ]
        self.fields["tag"].choices = [("", _("All tags"))] + [(t.pk, t.label) for t in tags]  # type: ignore[attr-defined]


class ResidentForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=40)
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=Relation.choices)
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", _("From the ID number")), ("M", _("Male")), ("F", _("Female"))],
    )
    birth_date = forms.CharField(
        label=_("Birth date"), required=False, max_length=20, help_text=_("YYYY-MM-DD; empty: from the ID number")
    )
    mobile = forms.CharField(label=_("Mobile number"), required=False, max_length=30)
    tags = forms.MultipleChoiceField(label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple)
    is_party_member = forms.BooleanField(label=_("Party member"), required=False)
    party_branch = forms.CharField(label=_("Party branch"), required=False, max_length=60)

    def __init__(self, *args: Any, tags: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = [(str(t.pk), t.label) for t in tags]  # type: ignore[attr-defined]
        if editing:
            # The stored numbers are never put back into the page: empty means "unchanged".
            for name in ("id_number", "mobile"):
                self.fields[name].required = False
                self.fields[name].help_text = _("Leave empty to keep the current value.")


class HouseholdForm(forms.Form):
    building = forms.TypedChoiceField(label=_("Building"), coerce=int)
    entrance = forms.CharField(label=_("Entrance (单元)"), required=False, max_length=20)
    door = forms.CharField(label=_("Door number"), max_length=20)
    number = forms.CharField(
        label=_("Household number"),
        required=False,
        max_length=30,
        help_text=_("Only when several households share one door."),
    )
    is_central = forms.BooleanField(label=_("Party-member central household"), required=False)

    def __init__(self, *args: Any, buildings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [  # type: ignore[attr-defined]
            (b.pk, f"{b.community.name} {b.name}" if b.community else b.name) for b in buildings
        ]


class ArchiveForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why"),
        choices=[(Resident.Status.MOVED_OUT, _("Moved out")), (Resident.Status.DECEASED, _("Died"))],
    )
    on_date = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class RevealForm(RevealReasonForm):
    """Which number, and why (the purpose and reason every reveal asks for)."""

    field = forms.ChoiceField(choices=[("mobile", _("Mobile number")), ("id_number", _("ID number"))])


class ImportForm(forms.Form):
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    file = forms.FileField(label=_("Workbook (.xlsx)"))

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]  # type: ignore[attr-defined]


class TagForm(forms.Form):
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    name = forms.CharField(label=_("Tag"), max_length=20)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]  # type: ignore[attr-defined]


class ResidentNewForm(ResidentForm):
    """新增居民 from the residents page: where the resident lives, then who they are."""

    building = forms.TypedChoiceField(label=_("Building"), coerce=int)
    entrance = forms.CharField(label=_("Entrance (单元)"), required=False, max_length=20)
    door = forms.CharField(label=_("Door number"), max_length=20)
    number = forms.CharField(
        label=_("Household number"),
        required=False,
        max_length=30,
        help_text=_("Only when several households share one door."),
    )
    field_order = ["building", "entrance", "door", "number"]

    def __init__(self, *args: Any, buildings: Any, tags: Any, **kwargs: Any) -> None:
        super().__init__(*args, tags=tags, **kwargs)
        self.fields["building"].choices = [  # type: ignore[attr-defined]
            (b.pk, f"{b.community.name} {b.name}" if b.community else b.name) for b in buildings
        ]
        self.order_fields(self.field_order)
