"""Pages of one appeal and the appeal list: the queue, the appeal with its timeline and steps, following,
photos. Intake pages are in ``views_intake``, whistles in ``views_whistles``, the three rates in
``views_rates``, settings and the holiday schedule in ``views_config``, the people around an appeal in
``people_views``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.accounts import policy
from anju.appeals import (
    callback,
    dispatch,
    followers,
    handling,
    intake,
    people_views,
    privacy,
    requesters,
    selectors,
    services,
)
from anju.appeals.models import Appeal, AppealFollower, AppealPhoto, SatisfactionLevel, Status
from anju.appeals.policies import (
    is_party,
    liaison_departments,
)
from anju.core.images import image_response
from anju.core.pagination import paginate, query_without_page
from anju.core.params import parse_id, parse_ids
from anju.orgs.models import Department

_QS = Appeal.objects.select_related("community", "category", "location", "department")


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


def _detail_context(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
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
        **people_views.detail_extra(request, appeal, staff=staff, internal=internal),
    }


@policy.permission("appeal.view")
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(request.user, "appeal.view", _QS, pk=pk)
    return render(request, "appeals/detail.html", _detail_context(request, appeal))


def _departments(ids: list[str]) -> list[Department]:
    return list(Department.objects.filter(pk__in=parse_ids(ids)).select_related("unit"))


ACTIONS: dict[str, str] = {
    "accept": "appeal.triage",
    "reject": "appeal.triage",
    "duplicate": "appeal.triage",
    "dispatch": "appeal.triage",
    "verify": "appeal.triage",
    "return": "appeal.triage",
    "close": "appeal.triage",
    "refer": "appeal.lead",
    "sign": "appeal.lead",
    "contact": "appeal.lead",
    "progress": "appeal.handle",
    "wait": "appeal.lead",
    "feedback": "appeal.lead",
    "callback": "appeal.callback",
    "note": "appeal.view",
    "share": "appeal.triage",
}


def run_action(request: HttpRequest, user: Any, appeal: Appeal, action: str, data: Any, files: Any) -> Any:
    note = str(data.get("note", ""))
    kw: dict[str, Any] = {"actor": user, "appeal": appeal, "request": request}
    if action == "accept":
        return dispatch.appeal_accept(note=note, **kw)
    if action == "reject":
        return dispatch.appeal_reject(reason=note, **kw)
    if action == "duplicate":
        original = Appeal.objects.filter(pk=str(data.get("original", "0")).lstrip("A") or 0).first()
        if original is None:
            raise ValidationError({"original": [_("Enter the number of the original appeal.")]})
        return dispatch.appeal_mark_duplicate(original=original, **kw)
    if action == "dispatch":
        dept_ids = [str(data.get("department", ""))]
        lead = _departments(dept_ids)
        assisting = _departments(
            list(data.getlist("assisting")) if hasattr(data, "getlist") else data.get("assisting", [])
        )
        return dispatch.appeal_dispatch(department=lead[0] if lead else None, assisting=assisting, note=note, **kw)
    if action == "verify":
        return dispatch.appeal_verify(note=note, **kw)
    if action == "return":
        return dispatch.appeal_return(reason=note, **kw)
    if action == "close":
        return dispatch.appeal_close_unresolved(reason=note, **kw)
    if action == "refer":
        return dispatch.appeal_refer(reason=note, **kw)
    if action == "sign":
        return handling.appeal_sign(note=note, **kw)
    if action == "contact":
        return handling.appeal_contact(note=note, **kw)
    if action == "progress":
        return handling.appeal_progress(note=note, **kw)
    if action == "wait":
        return handling.appeal_wait(reason=note, **kw)
    if action == "feedback":
        photos = files.getlist("photos") if files is not None else []
        return handling.appeal_feedback(note=note, photos=photos, **kw)
    if action == "callback":
        level = SatisfactionLevel.objects.filter(code=str(data.get("satisfaction", ""))).first()
        resolved = str(data.get("resolved", "")).lower() in ("1", "yes", "true", "on")
        follower_id = parse_id(str(data.get("follower") or ""))
        if follower_id is not None:  # a worker records a follower's answer
            follower = AppealFollower.objects.filter(appeal=appeal, user_id=follower_id).first()
            return followers.follower_callback(
                actor=user,
                appeal=appeal,
                follower=follower.user if follower else None,
                resolved=resolved,
                satisfaction=level,
                comment=str(data.get("comment", "")),
                request=request,
            )
        return callback.appeal_callback(
            resolved=resolved, satisfaction=level, comment=str(data.get("comment", "")), **kw
        )
    if action == "note":
        return services.appeal_note(note=note, **kw)
    if action == "share":
        shared = str(data.get("shared", "")).lower() in ("1", "yes", "true", "on")
        return privacy.appeal_share(shared=shared, **kw)
    raise ValidationError({"action": [_("Unknown step.")]})


@policy.permission("appeal.view")
@require_POST
def appeal_act(request: HttpRequest, pk: int) -> HttpResponse:
    action = request.POST.get("action", "")
    perm = ACTIONS.get(action, "appeal.view")
    appeal = policy.get_for(request.user, "appeal.view", _QS, pk=pk)
    if perm != "appeal.view" and not policy.can(request.user, perm, appeal):
        # Someone else's callback, or a step of another role: the same answer as a missing appeal.
        raise Http404
    try:
        run_action(request, request.user, appeal, action, request.POST, request.FILES)
    except services.InvalidTransition as exc:
        context = _detail_context(request, appeal)
        context["error"] = exc.message
        return render(request, "appeals/detail.html", context, status=409)
    except ValidationError as exc:
        context = _detail_context(request, appeal)
        context["error"] = " ".join(exc.messages)
        return render(request, "appeals/detail.html", context, status=422)
    messages.success(request, _("Saved."))
    return redirect("appeals:detail", pk=appeal.pk)


@policy.permission("appeal.file")
@require_POST
def appeal_follow(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(request.user, "appeal.file", _QS.filter(status__in=list(selectors.OPEN_STATUSES)), pk=pk)
    intake.appeal_follow(actor=request.user, appeal=appeal, offer=request.POST.get("offer", ""), request=request)
    messages.success(
        request, _("You follow appeal %(number)s; you will be called back too.") % {"number": appeal.number}
    )
    return redirect("appeals:detail", pk=appeal.pk)


@policy.permission("appeal.view")
def photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    appeal = policy.get_for(request.user, "appeal.view", _QS, pk=pk)
    item = AppealPhoto.objects.filter(appeal=appeal, pk=photo_pk).first()
    if item is None or privacy.public_view(request.user, appeal):  # followers see no photos unless shared
        raise Http404
    return image_response(item.image)  # never cached: a resident's photo


@policy.permission("appeal.inbox")
def inbox(request: HttpRequest) -> HttpResponse:
    """The appeals inbox became the shared inbox (``anju.inbox``); the old address leads there."""
    return redirect("inbox:list")
