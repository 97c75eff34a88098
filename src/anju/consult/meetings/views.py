"""Pages of meetings: planning (staff), a meeting (its agenda; for staff invitations, the check-in QR code,
minutes and head count, decisions, the summary), check-in by the QR code, and a decision reported done."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.consult.meetings import forms, selectors, services
from anju.consult.models import Decision, Meeting, Topic
from anju.consult.topics import selectors as topic_selectors
from anju.core.forms import apply_service_errors
from anju.orgs.models import OrgUnit
from anju.spaces.models import Space


def _meeting(request: HttpRequest, meeting_id: int, action: str = "consult.view") -> Meeting:
    meeting: Meeting = policy.get_for(request.user, action, selectors.meetings_for(request.user), pk=meeting_id)
    return meeting


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


def _open_topics(community: OrgUnit) -> Any:
    return Topic.objects.filter(community=community).exclude(status=Topic.Status.CLOSED).order_by("-created_at")


@policy.permission("consult.manage")
def meeting_new(request: HttpRequest) -> HttpResponse:
    communities = list(topic_selectors.communities_for(request.user, "consult.manage"))
    if not communities:
        raise PermissionDenied
    wanted = request.GET.get("community") or request.POST.get("community")
    community = next((c for c in communities if str(c.pk) == wanted), communities[0])
    spaces = Space.objects.filter(community=community, is_active=True).order_by("name")
    topics = _open_topics(community)
    form = forms.MeetingForm(request.POST or None, spaces=spaces, topics=topics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_plan(
                actor=request.user,
                community=community,
                kind=data["kind"],
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                place=data["place"],
                space=spaces.filter(pk=data["space"]).first() if data["space"] else None,
                topics=list(topics.filter(pk__in=data["topics"])),
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Meeting planned."))
            return redirect("consult:meeting", meeting_id=meeting.pk)
    return render(request, "consult/meeting_form.html", {"form": form, "community": community})


@policy.permission("consult.view")
def meeting(request: HttpRequest, meeting_id: int) -> HttpResponse:
    obj = _meeting(request, meeting_id)
    staff = policy.can(request.user, "consult.manage", obj)
    agenda = [a.topic for a in obj.agenda.select_related("topic")]
    context: dict[str, Any] = {
        "meeting": obj,
        "agenda": agenda,
        "decisions": list(obj.decisions.select_related("owner", "topic").order_by("id")),
        "staff": staff,
        "attended": obj.attendances.filter(user_id=request.user.pk or 0).exists(),
    }
    if staff:
        url = request.build_absolute_uri(
            reverse("consult:checkin", kwargs={"meeting_id": obj.pk}) + f"?code={obj.checkin_token}"
        )
        context.update(
            qr=mark_safe(segno.make(url, error="m").svg_inline(scale=5, title=_("Check-in code"))),  # noqa: S308  segno's own SVG
            checkin_url=url,
            invited=obj.invitations.count(),
            minutes_form=forms.MinutesForm(initial={"minutes": obj.minutes, "head_count": obj.head_count}),
            decision_form=forms.DecisionForm(topics=agenda, owners=selectors.owners_for(obj.community)),
            summary_form=forms.SummaryForm(),
        )
    return render(request, "consult/meeting.html", context)


@policy.permission("consult.manage")
@require_POST
def meeting_act(request: HttpRequest, meeting_id: int, step: str) -> HttpResponse:
    obj = _meeting(request, meeting_id, "consult.manage")
    try:
        if step == "invite":
            n = services.meeting_invite(actor=request.user, meeting=obj, request=request)
            messages.success(request, _("%(n)d residents invited through their inbox.") % {"n": n})
        elif step == "minutes":
            form = forms.MinutesForm(request.POST)
            if not form.is_valid():
                raise ValidationError([e for errs in form.errors.values() for e in errs])
            services.meeting_minutes(
                actor=request.user,
                meeting=obj,
                minutes=form.cleaned_data["minutes"],
                head_count=form.cleaned_data["head_count"],
                request=request,
            )
            messages.success(request, _("Minutes saved."))
        elif step == "decision":
            dform = forms.DecisionForm(
                request.POST, topics=[a.topic for a in obj.agenda.all()], owners=selectors.owners_for(obj.community)
            )
            if not dform.is_valid():
                raise ValidationError([e for errs in dform.errors.values() for e in errs])
            data = dform.cleaned_data
            services.decision_record(
                actor=request.user,
                meeting=obj,
                topic=Topic.objects.filter(pk=data["topic"], community=obj.community).first()
                if data["topic"]
                else None,
                text=data["text"],
                owner=selectors.owners_for(obj.community).filter(pk=data["owner"]).first() if data["owner"] else None,
                due_on=data["due_on"],
                request=request,
            )
            messages.success(request, _("Decision recorded; its owner is told."))
        elif step == "publish":
            sform = forms.SummaryForm(request.POST)
            if not sform.is_valid():
                raise ValidationError(_("Write the summary."))
            services.summary_publish(
                actor=request.user, meeting=obj, summary=sform.cleaned_data["summary"], request=request
            )
            messages.success(request, _("The summary is on the notice board."))
        elif step == "cancel":
            services.meeting_cancel(
                actor=request.user, meeting=obj, reason=request.POST.get("reason", ""), request=request
            )
            messages.success(request, _("Meeting cancelled."))
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("consult:meeting", meeting_id=obj.pk)


@policy.permission("consult.checkin")
def checkin(request: HttpRequest, meeting_id: int) -> HttpResponse:
    obj = _meeting(request, meeting_id)
    code = request.POST.get("code") or request.GET.get("code", "")
    if request.method == "POST":
        try:
            services.meeting_checkin(actor=request.user, meeting=obj, token=code, request=request)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("You are checked in. Welcome!"))
            return redirect("consult:meeting", meeting_id=obj.pk)
    return render(request, "consult/checkin.html", {"meeting": obj, "code": code[:64]})


@policy.permission("consult.view")
@require_POST
def decision_done(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision: Decision = policy.get_for(
        request.user, "consult.view", selectors.decisions_for(request.user), pk=decision_id
    )
    if decision.owner_id != request.user.pk and not policy.can(request.user, "consult.manage", decision):
        raise Http404
    form = forms.DoneForm(request.POST)
    try:
        services.decision_done(actor=request.user, decision=decision, note=form.data.get("note", ""), request=request)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Marked done: residents see what was done."))
    return redirect("consult:topic", topic_id=decision.topic_id)
