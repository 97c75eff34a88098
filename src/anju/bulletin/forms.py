from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anju.bulletin.models import Notice
from anju.core.forms import DateTimeInput, MultipleFileField
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Tag


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=Notice.Category.choices)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}), max_length=50_000)
    pinned = forms.BooleanField(label=_("Pinned"), required=False)
    publish_at = forms.DateTimeField(label=_("Publish from"), required=False, widget=DateTimeInput())
    expires_at = forms.DateTimeField(label=_("Expires"), required=False, widget=DateTimeInput())
    audience = forms.ChoiceField(label=_("Audience"), choices=Notice.Audience.choices)
    area = forms.ModelChoiceField(label=_("Area"), queryset=OrgUnit.objects.none(), required=False)
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.none(), required=False)
    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
        help_text=_("A photo (JPEG, PNG, WebP or GIF) of at most 10 MB; its location data is removed."),
    )

    def __init__(self, *args: Any, community: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field: Any = self.fields["area"]
        tag_field: Any = self.fields["tag"]
        areas = OrgUnit.objects.subtree_of(community).filter(kind__in=[UnitKind.AREA, UnitKind.GRID])
        area_field.queryset = areas.order_by("path")
        tag_field.queryset = Tag.objects.filter(community=community, is_active=True).order_by("sort_order", "name")

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments of ``notice_create`` / ``notice_update``: every field of the form."""
        return {name: self.cleaned_data[name] for name in self.fields}


class NoticeEditForm(NoticeForm):
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)


class SummaryForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 8}), max_length=50_000)
    photos = MultipleFileField(
        label=_("Photos (1 to 9)"),
        required=False,
        help_text=_("Location data is removed from every photo."),
    )


class NoticeFilterForm(forms.Form):
    """The board's filters; the API's ``GET /notices`` takes the same (category, pinned, q)."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All categories")), *Notice.Category.choices], required=False
    )
    pinned = forms.BooleanField(label=_("Pinned only"), required=False)
