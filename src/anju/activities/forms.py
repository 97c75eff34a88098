"""Forms of the organiser's pages: they parse input; the services decide what is valid."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.accounts.models import User
from anju.activities.models import Activity, Session
from anju.core.forms import DateTimeInput
from anju.orgs.models import OrgUnit
from anju.people.models import Tag
from anju.spaces.models import Space
from anju.spaces.recurrence import Recurrence

REPEAT_CHOICES = [
    ("", _("Once (a single session)")),
    ("weekly", _("Every week")),
    ("biweekly", _("Every two weeks")),
    ("daily", _("Every day")),
    ("monthly", _("Every month (same date)")),
]


def _dt(label: Any, **kw: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
        **kw,
    )


class _Details(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    poster = forms.FileField(
        label=_("Poster image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text=_("JPEG, PNG, WebP or GIF; location data in the photo is removed."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Activity.Category.choices)
    target_tags = forms.ModelMultipleChoiceField(
        label=_("Target group"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Registry tags; leave empty for everyone."),
    )
    capacity = forms.IntegerField(label=_("Places per session"), min_value=1, max_value=10000)
    registration_opens_at = _dt(_("Registration opens"))
    registration_closes_at = _dt(_("Registration closes"))
    household_limit = forms.IntegerField(
        label=_("Places per household"), min_value=0, initial=0, help_text=_("0 = no limit")
    )
    guardian_checkout = forms.BooleanField(label=_("A guardian must check the child out"), required=False)
    offer_hours = forms.IntegerField(label=_("Hours to answer a freed place"), min_value=1, max_value=720, initial=24)


class ActivityCreateForm(_Details):
    community: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Community"), queryset=OrgUnit.objects.none(), empty_label=None
    )
    space = forms.ModelChoiceField(
        label=_("Place (a station space, booked for every session)"), queryset=Space.objects.none(), required=False
    )
    starts_at = _dt(_("First session starts"))
    ends_at = _dt(_("First session ends"))
    repeat = forms.ChoiceField(label=_("Repeat"), choices=REPEAT_CHOICES, required=False)
    times = forms.IntegerField(
        label=_("Number of sessions"), min_value=1, max_value=52, initial=1, help_text=_("e.g. 8 for eight weeks")
    )

    field_order = [
        "community", "title", "description", "poster", "category", "target_tags", "space", "starts_at", "ends_at",
        "repeat", "times", "capacity", "registration_opens_at", "registration_closes_at", "household_limit",
        "guardian_checkout", "offer_hours",
    ]  # fmt: skip

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]
        paths = [c.path for c in communities]
        self.fields["target_tags"].queryset = Tag.objects.filter(community__in=communities)  # type: ignore[attr-defined]
        self.fields["space"].queryset = Space.objects.filter(  # type: ignore[attr-defined]
            community__in=communities
        ).select_related("station")
        self.fields["space"].label_from_instance = lambda s: f"{s.station.name} · {s.name}"  # type: ignore[attr-defined]
        if len(paths) == 1:
            self.fields["community"].widget = forms.HiddenInput()
            self.fields["community"].initial = communities[0].pk
        if not self.is_bound:
            start = (timezone.localtime() + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
            self.initial.setdefault("starts_at", start)
            self.initial.setdefault("ends_at", start + timedelta(hours=1, minutes=30))
            self.initial.setdefault("registration_opens_at", timezone.localtime().replace(second=0, microsecond=0))
            self.initial.setdefault("registration_closes_at", start - timedelta(hours=2))

    def recurrence(self) -> Recurrence | None:
        repeat = self.cleaned_data.get("repeat") or ""
        times = self.cleaned_data.get("times") or 1
        if not repeat or times <= 1:
            return None
        if repeat == "biweekly":
            return Recurrence(freq="weekly", interval=2, count=times)
        return Recurrence(freq=repeat, count=times)


class ActivityEditForm(_Details):
    remove_poster = forms.BooleanField(label=_("Remove the poster"), required=False)

    def __init__(self, *args: Any, activity: Activity, **kwargs: Any) -> None:
        initial = {
            name: getattr(activity, name)
            for name in (
                "title", "description", "category", "capacity", "registration_opens_at", "registration_closes_at",
                "household_limit", "guardian_checkout", "offer_hours",
            )
        }  # fmt: skip
        initial["registration_opens_at"] = timezone.localtime(activity.registration_opens_at)
        initial["registration_closes_at"] = timezone.localtime(activity.registration_closes_at)
        initial["target_tags"] = list(activity.target_tags.all())
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["target_tags"].queryset = Tag.objects.filter(community_id=activity.community_id)  # type: ignore[attr-defined]
        self.fields["poster"].widget = forms.FileInput(attrs={"accept": "image/*"})
        if not activity.poster:
            del self.fields["remove_poster"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (the participants are told)"), max_length=200)


class HelperForm(forms.Form):
    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Volunteer (account)"), queryset=User.objects.none(), required=False
    )
    resident = forms.IntegerField(
        label=_("Or a resident's number"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 6}),
    )
    session: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Session"), queryset=Session.objects.none(), required=False, empty_label=_("The whole activity")
    )
    hours = forms.DecimalField(label=_("Hours"), min_value=0, max_digits=5, decimal_places=1)
    task = forms.CharField(label=_("What they did"), max_length=200, required=False)

    def __init__(self, *args: Any, candidates: Any, sessions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["user"].label_from_instance = lambda u: u.display_name or u.username  # type: ignore[attr-defined]
        self.fields["session"].queryset = sessions  # type: ignore[attr-defined]
        self.fields["session"].label_from_instance = lambda s: timezone.localtime(s.starts_at).strftime(  # type: ignore[attr-defined]
            "%Y-%m-%d %H:%M"
        )
