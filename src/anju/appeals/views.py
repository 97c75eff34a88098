"""Pages of one appeal and the appeal list: the queue, the appeal with its timeline and steps, following,
photos. Intake pages are in ``intake.views``, whistles in ``whistles.views``, the three rates in
``rates.views``, settings and the holiday schedule in ``config.views``, the people around an appeal in
``requesters.views``."""

from __future__ import annotations

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

from anju.access import policy
from anju.appeals import notify, privacy, referrals, selectors, services, steps
from anju.appeals.callback import followers
from anju.appeals.dispatch import services as dispatch
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, AppealPhoto, SatisfactionLevel, Status
from anju.appeals.policies import (
    holds,
    is_party,
    liaison_departments,
)
from anju.appeals.requesters import services as requesters
from anju.appeals.requesters import views as requester_views
from anju.audit import services as audit_services
from anju.core import printing
from anju.core.images import image_response
from anju.core.params import parse_id, parse_ids
from anju.orgs.models import Department

APPEALS = Appeal.objects.select_related("community", "category", "location", "department")


def _contact(appeal: Appeal) -> dict[str, Any]:
    return requesters.contact_masked(appeal)


def detail_context(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    user = request.user
    staff = policy.can(user, "appeal.triage", appeal)
    liaison = policy.can(user, "appeal.handle", appeal)
    lead = policy.can(user, "appeal.lead", appeal)
    # Whether the viewer is a party (requester, filer, follower: a query) matters only to someone who is not
    # staff here: a member of staff may call back and sees her working page whatever she follows.
    party = not staff and is_party(user, appeal)
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
        "may_callback": (staff or party)
        and appeal.status == Status.VERIFIED
        and not followers.is_follower(appeal, user),
        "deadlines": [{"label": label, "due": due, "done": done} for label, due, done in deadlines if due],
        "contact": _contact(appeal) if internal else None,
        "photos": list(appeal.photos.all()) if not public and holds(appeal, "photos") else [],
        "departments": departments,
        "assists": (
            [a.department for a in appeal.assists.select_related("department")] if holds(appeal, "assists") else []
        ),
        "levels": SatisfactionLevel.objects.all(),
        "summonses": [
            {
                "s": s,
                "may_checkin": s.department_id in my_depts and s.arrived_at is None,
            }
            for s in summonses
        ],
        "S": Status,
        "referrals": referrals.referrals_of(appeal, user) if internal else [],
        "referral_offers": referrals.offers_for(appeal, user) if staff else [],
        "escalations": list(appeal.escalations.all()) if internal and holds(appeal, "escalations") else [],
        "arrival_escalations": (
            list(appeal.arrival_escalations.select_related("summons__department"))
            if internal and holds(appeal, "arrival_escalations")
            else []
        ),
        **step_menu(appeal, staff=staff, liaison=liaison, lead=lead, internal=internal),
        **(duplicate_search(request, appeal) if staff and appeal.status in DUPLICABLE else {}),
        **requester_views.detail_extra(request, appeal, staff=staff, internal=internal),
        **({} if internal else resident_extra(user, appeal, party=party)),
    }


def resident_extra(user: Any, appeal: Appeal, *, party: bool) -> dict[str, Any]:
    """What the resident's page adds: the plain progress line and the few things she can do here."""
    return {
        "line": selectors.progress_line(appeal),
        "may_add_info": appeal.is_open and policy.can(user, "appeal.add_info", appeal),
        "may_follow": appeal.is_open and not party and policy.can(user, "appeal.file"),
        "follow_offer": privacy.offer_token(user, appeal) if appeal.is_open and not party else "",
    }


def render_detail(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """The appeal's page: staff, departments and supervisors get the working page; a resident (requester or
    follower) gets her own plain one (``detail_resident.html``: a progress line and only her actions)."""
    template = "appeals/detail.html" if context["internal"] else "appeals/detail_resident.html"
    return render(request, template, context, status=status)


# --- the staff and department steps: one primary for the state and the role, the rest folded ---------------

DUPLICABLE = frozenset({Status.RECEIVED, Status.ACCEPTED})
HANDLING = frozenset({Status.SIGNED, Status.IN_PROGRESS, Status.WAITING})
STAFF_PRIMARY = {
    Status.RECEIVED: "accept",
    Status.ACCEPTED: "dispatch",
    Status.REFERRED: "dispatch",
    Status.HANDLED: "verify",
}
# Steps that cannot be undone: the page asks first (a confirmation page, no script needed).
IRREVERSIBLE = frozenset({"reject", "close", "duplicate"})


def step_menu(appeal: Appeal, *, staff: bool, liaison: bool, lead: bool, internal: bool) -> dict[str, Any]:
    """Which step blocks (``appeals/steps/_<name>.html``) the staff branch of the appeal page shows: the one
    primary next step for the appeal's state and the viewer's role, and the others, folded. The resident's
    callback forms are not here (the page shows them as before)."""
    status = appeal.status
    blocks: list[str] = []
    if staff:
        if status == Status.RECEIVED:
            blocks.append("accept")
        if status in (Status.RECEIVED, Status.ACCEPTED, Status.REFERRED, Status.DISPATCHED):
            blocks.append("dispatch")
        if status == Status.HANDLED:
            blocks += ["verify", "return"]
        if status in dispatch.REMINDABLE and appeal.department_id:
            blocks.append("remind")
    if liaison:
        if lead and status in (Status.DISPATCHED, Status.REOPENED):
            blocks.append("sign")
        if status in HANDLING:
            blocks.append("handle")
        if lead and status in (Status.DISPATCHED, Status.SIGNED):
            blocks.append("refer")
    if (staff or lead) and not appeal.is_complex and status in services.COMPLEXABLE:
        blocks.append("complex")
    if staff:
        if appeal.is_open:
            blocks.append("whistle")
        if status in DUPLICABLE:
            blocks += ["duplicate", "reject"]
        if status in (Status.HANDLED, Status.VERIFIED):
            blocks.append("close")
        blocks.append("share")
    if internal:
        blocks.append("note")
    primary = ""
    if staff:
        primary = STAFF_PRIMARY.get(Status(status), "")
    if not primary and liaison:
        primary = "sign" if "sign" in blocks else ("handle" if "handle" in blocks else "")
    if not primary and "remind" in blocks and appeal.due_at and appeal.due_at < timezone.now():
        primary = "remind"  # the department is late: the worker's next step is to remind it
    if primary not in blocks:
        primary = ""
    return {
        "primary_step": f"appeals/steps/_{primary}.html" if primary else "",
        "primary_name": primary,
        "other_steps": [f"appeals/steps/_{b}.html" for b in blocks if b != primary],
        "handle_actions": handle_actions(appeal, lead=lead) if "handle" in blocks else [],
    }


def handle_actions(appeal: Appeal, *, lead: bool) -> list[tuple[str, str]]:
    """The choices of a department's one handling form, the likeliest first."""
    actions: list[tuple[str, str]] = []
    if lead and not appeal.contacted_at:
        actions.append(("contact", _("Contacted the requester")))
    actions.append(("progress", _("Record progress")))
    if lead and appeal.status != Status.WAITING:
        actions.append(("wait", _("Mark waiting (for parts, another party …)")))
    if lead:
        actions.append(("feedback", _("Handled: submit feedback for the community to verify")))
    return actions


DUPLICATE_CANDIDATES = 8


def duplicate_search(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    """Candidates for "same problem as …": what the worker searched for (``dup_q``: a number, words of the
    text or the address) among the appeals of the same community, else the recent ones of the same category
    and place."""
    text = request.GET.get("dup_q", "").strip()[:100]
    qs = (
        selectors.appeals_visible(request.user)
        .filter(community_id=appeal.community_id)
        .exclude(pk=appeal.pk)
        .exclude(status=Status.DUPLICATE)
    )
    if text:
        qs = qs.filter(selectors.search_q(text, insider=True))
    else:
        qs = qs.filter(category_id=appeal.category_id, location_id=appeal.location_id)
    return {
        "dup_q": text,
        "dup_candidates": list(qs.order_by("-received_at", "-id")[:DUPLICATE_CANDIDATES]),
    }


@policy.permission("appeal.view")
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(request.user, "appeal.view", selectors.with_page_lists(APPEALS), pk=pk)
    return render_detail(request, detail_context(request, appeal))


@policy.permission("appeal.inside")
def appeal_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The work order (办件单) on paper: the appeal as insiders read it (requester masked), its deadlines,
    the steps so far, and boxes to write the handling in by hand. Recorded as an export of personal data."""
    appeal = policy.get_for(request.user, "appeal.inside", APPEALS, pk=pk)
    fmt = printing.wanted_format(request)
    audit_services.print_recorded(
        actor=request.user, document="work_order", obj=appeal, people=1, fmt=fmt, request=request
    )
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
    step = request.POST.get("action", "")
    data = step_input(request.POST, request.FILES)
    if step in IRREVERSIBLE and request.POST.get("confirmed") != "1":
        return confirm_step(request, appeal, step, data)
    try:
        # Someone else's callback, or a step of another role, answers 404 like a missing appeal (``steps``).
        steps.step_take(actor=request.user, appeal=appeal, step=step, data=data, request=request)
    except services.InvalidTransition as exc:
        context = detail_context(request, appeal)
        context["error"] = exc.message
        return render_detail(request, context, status=409)
    except ValidationError as exc:
        context = detail_context(request, appeal)
        context["error"] = " ".join(exc.messages)
        return render_detail(request, context, status=422)
    messages.success(request, step_done_message(step, appeal))
    return redirect("appeals:detail", pk=appeal.pk)


def confirm_step(request: HttpRequest, appeal: Appeal, step: str, data: steps.StepInput) -> HttpResponse:
    """Ask before a step that cannot be undone: what will happen, who will be told, the reason still editable."""
    found = steps.STEPS[step]
    if not policy.can(request.user, found.action, appeal):
        raise Http404
    original = None
    if step == "duplicate" and data.original_id:
        original = selectors.appeals_visible(request.user).filter(pk=data.original_id).first()
    if step == "duplicate" and original is None:
        context = detail_context(request, appeal)
        context["error"] = _("Enter the number of the original appeal.")
        return render(request, "appeals/detail.html", context, status=422)
    return render(
        request,
        "appeals/confirm.html",
        {"appeal": appeal, "step": step, "note": data.note, "original": original},
    )


def step_done_message(step: str, appeal: Appeal) -> str:
    """What happened, and who was told, in a sentence (the flash message after a step)."""
    number = appeal.number
    department = appeal.department.name if appeal.department_id and appeal.department else ""
    liaisons = len(notify.liaisons_of([appeal.department_id])) if department else 0
    if step == "dispatch":
        if liaisons:
            return _("Dispatched to %(department)s; its liaisons were notified.") % {"department": department}
        return _("Dispatched to %(department)s. It has no liaison with an account yet: call them.") % {
            "department": department
        }
    if step == "remind":
        return _("Reminder sent to %(department)s; its liaisons were notified.") % {"department": department}
    texts = {
        "accept": _("Appeal %(number)s accepted. Next: dispatch it to a department."),
        "reject": _("Appeal %(number)s rejected; the requester sees the reason on the appeal's page."),
        "duplicate": _("Appeal %(number)s closed as a duplicate; its requester now follows the original."),
        "verify": _("Verified; the requester was asked whether the problem is resolved."),
        "return": _("Returned to the department with what is still wrong."),
        "close": _("Appeal %(number)s closed unresolved."),
        "share": _("Saved: what followers see of this appeal has changed."),
        "sign": _("Signed for; the community sees that your department has it."),
        "contact": _("Saved: the requester was contacted."),
        "progress": _("Progress recorded; the community sees it on the timeline."),
        "wait": _("Marked waiting; the reason is shown on the appeal."),
        "feedback": _("Feedback submitted; the community workers were notified to verify it."),
        "refer": _("Referred back to the community for re-dispatch."),
        "callback": _("Thank you: your answer was recorded."),
        "add_info": _("Added to appeal %(number)s; the community worker sees it on the timeline."),
        "note": _("Internal note added (staff and departments only)."),
        "complex": _("Appeal %(number)s marked complex: its feedback deadline now follows the complex policy."),
    }
    return texts.get(step, _("Saved.")) % {"number": number}


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
