"""Pages of one appeal and the appeal list: the queue, the appeal with its timeline and steps, following,
photos. Intake pages are in ``intake.views``, whistles in ``whistles.views``, the three rates in
``rates.views``, settings and the holiday schedule in ``config.views``, the people around an appeal in
``requesters.views``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.accounts import policy
from anju.appeals import privacy, selectors, services, steps
from anju.appeals.callback import followers
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, AppealPhoto, SatisfactionLevel, Status
from anju.appeals.policies import (
    is_party,
    liaison_departments,
)
from anju.appeals.requesters import services as requesters
from anju.appeals.requesters import views as requester_views
from anju.core import printing
from anju.core.images import image_response
from anju.core.pagination import paginate, query_without_page
from anju.core.params import parse_id, parse_ids
from anju.orgs.models import Department

APPEALS = Appeal.objects.select_related("community", "category", "location", "department")


def _remaining(due: dt.datetime | None) -> dict[str, Any] | None:
    if due is None:
        return None
    seconds = int((due - timezone.now()).total_seconds())
    hours, rest = divmod(abs(seconds), 3600)
    text = _("%(h)d h %(m)d min") % {"h": hours, "m": rest // 60}
    return {"overdue": seconds < 0, "text": text}


@policy.permission("appeal.view")
def appeal_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    is_staff = policy.can(user, "appeal.triage")
    is_liaison = bool(liaison_departments(user))
    tabs = []
    if is_staff:
        tabs.append(("worker", _("Community queue")))
    if is_liaison:
        tabs.append(("department", _("Department queue")))
    tabs.append(("mine", _("My appeals")))
    tabs.append(("all", _("All I can see")))
    view = request.GET.get("view") or tabs[0][0]
    if view == "worker" and is_staff:
        qs = selectors.worker_queue(user)
    elif view == "department" and is_liaison:
        qs = selectors.department_queue(user)
    elif view == "mine":
        qs = selectors.my_appeals(user)
    else:
        view = "all"
        qs = selectors.appeals_visible(user).order_by("-received_at")
    filters: dict[str, Any] = {}
    for name, lookup in (
        ("department", "department_id"),
        ("category", "category_id"),
        ("community", "community_id"),
        ("grid", "grid_id"),
        ("status", "status"),
    ):
        value = request.GET.get(name, "")
        parsed = value if name == "status" else parse_id(value)
        if parsed:
            filters[lookup] = parsed
    for name, lookup in (("start", "received_at__date__gte"), ("end", "received_at__date__lte")):
        try:
            if request.GET.get(name):
                filters[lookup] = dt.date.fromisoformat(request.GET[name])
        except ValueError:
            pass
    if request.GET.get("pending") == "1":
        filters["status__in"] = [Status.HANDLED, Status.VERIFIED]
    qs = qs.filter(**filters)
    page = paginate(request, qs)
    rows = [{"appeal": a, "remaining": _remaining(a.due_at)} for a in page.object_list]
    return render(
        request,
        "appeals/list.html",
        {
            "page": page,
            "rows": rows,
            "tabs": tabs,
            "view": view,
            "query": query_without_page(request),
            "may_file": policy.can(user, "appeal.file"),
        },
    )


def _contact(appeal: Appeal) -> dict[str, Any]:
    return requesters.contact_masked(appeal)


def detail_context(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    user = request.user
    staff = policy.can(user, "appeal.triage", appeal)
    liaison = policy.can(user, "appeal.handle", appeal)
    lead = policy.can(user, "appeal.lead", appeal)
    party = is_party(user, appeal)
    internal = staff or liaison or policy.is_superuser(user)
    public = privacy.public_view(user, appeal)  # a follower: what the public may see (``privacy``)
    deadlines = [
        (_("Dispatch"), appeal.dispatch_due, appeal.dispatched_at),
        (_("Signing"), appeal.sign_due, appeal.signed_at),
        (_("Contact"), appeal.contact_due, appeal.contacted_at),
        (_("Feedback"), appeal.feedback_due, appeal.handled_at),
    ]
    departments = Department.objects.filter(is_active=True, unit__path__in=[*appeal.community.ancestor_paths])
    summonses = list(selectors.summonses_for(appeal))
    my_depts = liaison_departments(user)
    return {
        "appeal": appeal,
        "timeline": privacy.timeline_for(user, appeal, selectors.timeline(appeal, internal=internal)),
        "internal": internal,
        "public": public,
        "area": privacy.area_of(appeal) if public else None,
        "staff": staff,
        "liaison": liaison,
        "lead": lead,
        "party": party,
        "may_callback": (staff or party)
        and appeal.status == Status.VERIFIED
        and not followers.is_follower(appeal, user),
        "deadlines": [
            {"label": label, "due": due, "done": done, "remaining": None if done else _remaining(due)}
            for label, due, done in deadlines
            if due
        ],
        "remaining": _remaining(appeal.due_at),
        "contact": _contact(appeal) if internal else None,
        "photos": [] if public else list(appeal.photos.all()),
        "departments": departments,
        "assists": [a.department for a in appeal.assists.select_related("department")],
        "levels": SatisfactionLevel.objects.all(),
        "summonses": [
            {
                "s": s,
                "may_checkin": s.department_id in my_depts and s.arrived_at is None,
            }
            for s in summonses
        ],
        "S": Status,
        "escalations": list(appeal.escalations.all()) if internal else [],
        **requester_views.detail_extra(request, appeal, staff=staff, internal=internal),
    }


@policy.permission("appeal.view")
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(request.user, "appeal.view", APPEALS, pk=pk)
    return render(request, "appeals/detail.html", detail_context(request, appeal))


@policy.permission("appeal.inside")
def appeal_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The work order (办件单) on paper: the appeal as insiders read it (requester masked), its deadlines,
    the steps so far, and boxes to write the handling in by hand. Recorded as an export of personal data."""
    appeal = policy.get_for(request.user, "appeal.inside", APPEALS, pk=pk)
    fmt = printing.wanted_format(request)
    printing.print_recorded(actor=request.user, document="work_order", obj=appeal, people=1, fmt=fmt, request=request)
    context = detail_context(request, appeal)
    context["contact"] = _contact(appeal)  # masked, whatever the viewer may reveal on screen
    return printing.print_response(
        request, "appeals/print_work_order.html", context, filename=f"work-order-{appeal.number}", fmt=fmt
    )


def departments_by_ids(ids: list[str]) -> list[Department]:
    """The departments a form names by id (invalid ids dropped)."""
    return list(Department.objects.filter(pk__in=parse_ids(ids)).select_related("unit"))


def _flag(raw: str | None) -> bool:
    return str(raw or "").lower() in ("1", "yes", "true", "on")


def step_input(data: QueryDict, files: MultiValueDict[str, UploadedFile] | None) -> steps.StepInput:
    """The step form's fields as the step table's typed input. An appeal number may carry its ``A``."""
    return steps.StepInput(
        note=data.get("note", ""),
        department_id=parse_id(data.get("department", "")),
        assisting_ids=tuple(parse_ids(data.getlist("assisting"))),
        original_id=parse_id(str(data.get("original", "")).lstrip("A")),
        resolved=_flag(data.get("resolved")),
        satisfaction=data.get("satisfaction", ""),
        comment=data.get("comment", ""),
        follower_id=parse_id(data.get("follower") or ""),
        shared=_flag(data.get("shared")),
        photos=tuple(files.getlist("photos")) if files is not None else (),
    )


@policy.permission("appeal.view")
@require_POST
def appeal_act(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(request.user, "appeal.view", APPEALS, pk=pk)
    data = step_input(request.POST, request.FILES)
    try:
        # Someone else's callback, or a step of another role, answers 404 like a missing appeal (``steps``).
        steps.step_take(
            actor=request.user, appeal=appeal, step=request.POST.get("action", ""), data=data, request=request
        )
    except services.InvalidTransition as exc:
        context = detail_context(request, appeal)
        context["error"] = exc.message
        return render(request, "appeals/detail.html", context, status=409)
    except ValidationError as exc:
        context = detail_context(request, appeal)
        context["error"] = " ".join(exc.messages)
        return render(request, "appeals/detail.html", context, status=422)
    messages.success(request, _("Saved."))
    return redirect("appeals:detail", pk=appeal.pk)


@policy.permission("appeal.file")
@require_POST
def appeal_follow(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(
        request.user, "appeal.file", APPEALS.filter(status__in=list(selectors.OPEN_STATUSES)), pk=pk
    )
    intake.appeal_follow(actor=request.user, appeal=appeal, offer=request.POST.get("offer", ""), request=request)
    messages.success(
        request, _("You follow appeal %(number)s; you will be called back too.") % {"number": appeal.number}
    )
    return redirect("appeals:detail", pk=appeal.pk)


@policy.permission("appeal.view")
def photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    appeal = policy.get_for(request.user, "appeal.view", APPEALS, pk=pk)
    item = AppealPhoto.objects.filter(appeal=appeal, pk=photo_pk).first()
    if item is None or privacy.public_view(request.user, appeal):  # followers see no photos unless shared
        raise Http404
    return image_response(item.image)  # never cached: a resident's photo


@policy.permission("appeal.inbox")
def inbox(request: HttpRequest) -> HttpResponse:
    """The appeals inbox became the shared inbox (``anju.inbox``); the old address leads there."""
    return redirect("inbox:list")
