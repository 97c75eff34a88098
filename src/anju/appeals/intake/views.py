"""Intake pages: filing an appeal (for oneself or on someone's behalf, with similar open appeals to follow
instead) and the anonymous report form."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import forms, privacy, selectors
from anju.appeals.intake import services as intake
from anju.appeals.models import ON_BEHALF_CHANNELS, Channel
from anju.appeals.requesters import services as requesters
from anju.core import printing
from anju.core.forms import apply_service_errors
from anju.orgs import selectors as org_selectors
from anju.orgs.models import OrgUnit


def _communities_of(user: Any) -> list[OrgUnit]:
    """The communities the user files appeals in (their grants' communities)."""
    return list(org_selectors.communities_in_reach(user, action="appeal.file").order_by("path"))


def _locations(communities: list[OrgUnit]) -> Any:
    if not communities:
        return OrgUnit.objects.none()
    q = Q(pk__in=[])
    for c in communities:
        q |= OrgUnit.subtree_q(c)
    return OrgUnit.objects.filter(q, is_active=True).select_related("community", "parent").order_by("path")


@policy.permission("appeal.file")
def appeal_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    communities = _communities_of(user)
    on_behalf = policy.can(user, "appeal.file_for_others")
    form = forms.AppealForm(
        request.POST or None, request.FILES or None, locations=_locations(communities), on_behalf=on_behalf
    )
    suggestions: list[dict[str, Any]] = []
    picked = None
    if request.method == "POST" and on_behalf:
        try:
            picked = requesters.resident_pick(user, request.POST.get("requester_resident"))
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        location = data["location"]
        if not data.get("file_anyway"):
            # Offered as the public would see them (category, area, date: never a neighbour's words), each
            # with a token that lets this user, and only this user, follow it (``privacy``).
            suggestions = [
                {"appeal": a, "area": privacy.area_of(a), "offer": privacy.offer_token(user, a)}
                for a in intake.similar_open(data["category"], location)
            ]
        if suggestions:
            bound = request.POST.copy()
            bound["file_anyway"] = "1"
            form.data = bound
        else:
            community = location.community if location.community_id else location
            channel = data.get("channel") or Channel.APP
            try:
                appeal = intake.appeal_file(
                    actor=user,
                    community=community,
                    category=data["category"],
                    description=data["description"],
                    location=location,
                    channel=channel,
                    urgency=data["urgency"],
                    address=data["address"],
                    contact_name=data.get("contact_name", ""),
                    contact_mobile=data.get("contact_mobile", ""),
                    consent=bool(data.get("consent")),
                    requester_resident=picked,
                    photos=data["photos"],
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Appeal %(number)s filed.") % {"number": appeal.number})
                return redirect("appeals:detail", pk=appeal.pk)
    status = 422 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "appeals/new.html",
        {
            "form": form,
            "suggestions": suggestions,
            "on_behalf": on_behalf,
            "behalf_channels": list(ON_BEHALF_CHANNELS),
            "may_pick": on_behalf and policy.can(user, "people.view"),
            "picked": requesters.resident_choice(user, picked) if picked else None,
        },
        status=status,
    )


@policy.permission(policy.PUBLIC)
def appeal_report(request: HttpRequest) -> HttpResponse:
    """Anonymous intake with a contact number, rate-limited per address."""
    form = forms.AnonymousAppealForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeal = intake.appeal_file(
                actor=None,
                community=data["community"],
                category=data["category"],
                description=data["description"],
                location=data["community"],
                channel=Channel.ANONYMOUS,
                urgency=data["urgency"],
                address=data["address"],
                contact_name=data["contact_name"],
                contact_mobile=data["contact_mobile"],
                photos=data["photos"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except intake.RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            return render(request, "appeals/reported.html", {"appeal": appeal})
    if request.method == "POST" and status == 200 and form.errors:
        status = 422
    return render(request, "appeals/report.html", {"form": form}, status=status)


@policy.permission(policy.PUBLIC)
def appeal_progress(request: HttpRequest) -> HttpResponse:
    """Where a report without an account stands: the appeal number and the callback mobile give the status
    line and its dates, nothing else (no names, no text). Not found and wrong mobile read the same; every
    attempt counts against the address's hourly limit."""
    form = forms.ProgressLookupForm(request.POST or None)
    status = 200
    found = None
    if request.method == "POST" and form.is_valid():
        try:
            found = intake.progress_lookup(
                number=form.cleaned_data["number"], mobile=form.cleaned_data["mobile"], request=request
            )
        except intake.RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            if found is None:
                form.add_error(None, _("No appeal matches this number and mobile. Check both and try again."))
                status = 422
    elif request.method == "POST":
        status = 422
    return render(
        request,
        "appeals/progress.html",
        {
            "form": form,
            "appeal": found,
            "line": selectors.progress_line(found) if found else [],
        },
        status=status,
    )


@policy.permission("appeal.poster")
def report_poster(request: HttpRequest) -> HttpResponse:
    """An A4 poster for the station door: a QR code of the no-account report page, and the progress lookup."""
    report_url = request.build_absolute_uri(reverse("appeals:report"))
    qr = segno.make(report_url, error="m").svg_inline(scale=10, title=_("QR code of the report page"))
    return printing.print_response(
        request,
        "appeals/print_report_poster.html",
        {
            "qr": mark_safe(qr),  # noqa: S308  segno's own SVG of our URL
            "report_url": report_url,
            "progress_url": request.build_absolute_uri(reverse("appeals:progress")),
        },
        filename="report-poster",
    )
