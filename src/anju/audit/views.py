"""Browsing the audit trail and the personal-data access log."""

from __future__ import annotations

from datetime import date

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from anju.access import policy
from anju.audit import describe, selectors
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.core.forms import DateInput
from anju.core.pagination import paginate_bounded, query_without_page


class EventFilter(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    community = forms.ModelChoiceField(
        label=_("Community"), required=False, queryset=AuditEvent.objects.none()
    )  # set in __init__
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: object, communities: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        prefixes = sorted({a.split(".")[0] for a in Action.values})
        self.fields["action"].choices = [  # type: ignore[attr-defined]
            ("", _("All actions")),
            *[(p, f"{p}.*") for p in prefixes],
            *Action.choices,
        ]
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if isinstance(since, date) and isinstance(until, date) and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data


@policy.permission("audit.view")
def events(request: HttpRequest) -> HttpResponse:
    communities = selectors.communities_for_filter(request.user)
    form = EventFilter(request.GET or None, communities=communities)
    qs = selectors.events_visible(request.user).none()
    if not request.GET:
        qs = selectors.event_search(request.user)
    elif form.is_valid():
        data = form.cleaned_data
        qs = selectors.event_search(
            request.user,
            action=data["action"] or "",
            actor=data["actor"] or "",
            community_id=data["community"].pk if data["community"] else None,
            since=data["since"],
            until=data["until"],
        )
    page = paginate_bounded(request, qs.select_related("community"), per_page=50)
    for event in page.object_list:
        event.data_text = describe.describe(event.action, event.data)
    return render(request, "audit/events.html", {"form": form, "page": page, "query": query_without_page(request)})


@policy.permission("pii.log.view")
def pii_log(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = selectors.pii_accesses_visible(request.user)
    if q:
        qs = qs.filter(actor__username__icontains=q) | qs.filter(subject_label__icontains=q)
    page = paginate_bounded(request, qs, per_page=50)
    for access in page.object_list:
        access.field_text = describe.field_text(access.field)
    return render(request, "audit/pii.html", {"page": page, "q": q, "query": query_without_page(request)})
