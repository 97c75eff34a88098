"""Pages of activities and registrations: parse → fetch and authorise → service → redirect with a message."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.accounts.tokens import token_readable
from anju.activities import attendance as attendance_report
from anju.activities import forms, selectors, services, volunteer_hours
from anju.activities.models import Activity, Helper, Registration, Session
from anju.core.api import Conflict
from anju.core.forms import apply_service_errors
from anju.core.images import image_response
from anju.core.params import parse_id
from anju.core.security import no_store
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import selectors as people_selectors
from anju.people.models import Resident


def _activity(request: HttpRequest, activity_id: int) -> Activity:
    activity: Activity = policy.get_for(
        request.user, "activity.view", selectors.activities_visible(request.user), pk=activity_id
    )
    return activity


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@policy.permission("activity.view")
def activity_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "activities/list.html",
        {
            "activities": selectors.upcoming(request.user),
            "registrations": list(selectors.my_registrations(request.user)),
            "can_create": policy.can(request.user, "activity.manage"),
        },
    )


@policy.permission("activity.view")
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _activity(request, activity_id)
    members = people_selectors.household_members_of(request.user)
    mine = [
        (reg, services.waitlist_position(reg))
        for reg in selectors.my_registrations(request.user).filter(session__activity=activity)
    ]
    staff = policy.can(request.user, "activity.register_for", activity)
    manage = policy.can(request.user, "activity.manage", activity)
    return render(
        request,
        "activities/detail.html",
        {
            "activity": activity,
            "sessions": list(selectors.sessions_of(activity)),
            "members": [(m, services.suits(activity, m)) for m in members],
            "mine": mine,
            "can_register": policy.can(request.user, "activity.register", activity),
            "on_behalf": staff,
            "manage": manage,
            "checkin": policy.can(request.user, "activity.checkin", activity),
            "tags": [t.label for t in activity.target_tags.all()],
            "reason_form": forms.ReasonForm() if manage else None,
        },
    )


@policy.permission("activity.register")
@require_POST
def session_register(request: HttpRequest, session_id: int) -> HttpResponse:
    session: Session = policy.get_for(
        request.user, "activity.view", Session.objects.select_related("activity"), pk=session_id
    )
    resident = None
    raw = request.POST.get("resident", "").strip()
    if raw:
        resident = Resident.objects.filter(pk=parse_id(raw) or 0, community_id=session.community_id).first()
        if resident is None:
            messages.error(request, _("No such resident."))
            return redirect("activities:detail", activity_id=session.activity_id)
    try:
        reg = services.registration_create(
            actor=request.user,
            session=session,
            resident=resident,
            reason=request.POST.get("reason", "")[:200],
            request=request,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if reg.status == Registration.Status.CONFIRMED:
            messages.success(request, _("%(name)s is registered.") % {"name": reg.name})
        else:
            messages.info(
                request,
                _("The session is full: %(name)s is number %(n)d on the waiting list.")
                % {"name": reg.name, "n": services.waitlist_position(reg) or 0},
            )
    return redirect("activities:detail", activity_id=session.activity_id)


def _registration(request: HttpRequest, registration_id: int) -> Registration:
    reg: Registration = policy.get_for(
        request.user, "registration.view", selectors.registrations_visible(request.user), pk=registration_id
    )
    return reg


def _run(request: HttpRequest, reg: Registration, call: Any, done: str) -> HttpResponse:
    try:
        call()
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, done)
    return redirect("activities:detail", activity_id=reg.session.activity_id)


@policy.permission("registration.view")
@require_POST
def registration_cancel(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = _registration(request, registration_id)
    reason = request.POST.get("reason", "")[:200]
    return _run(
        request,
        reg,
        lambda: services.registration_cancel(actor=request.user, registration=reg, reason=reason, request=request),
        _("The registration was cancelled."),
    )


@policy.permission("registration.view")
@require_POST
def registration_accept(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = _registration(request, registration_id)
    return _run(
        request,
        reg,
        lambda: services.registration_accept(actor=request.user, registration=reg, request=request),
        _("The place is yours."),
    )


@policy.permission("activity.manage")
def session_roster(request: HttpRequest, session_id: int) -> HttpResponse:
    session: Session = policy.get_for(
        request.user, "activity.manage", Session.objects.select_related("activity"), pk=session_id
    )
    regs = list(
        session.registrations.select_related("registered_by", "checked_in_by").order_by("status", "created_at", "pk")
    )
    over = session.ends_at <= timezone.now()
    return render(request, "activities/roster.html", {"session": session, "registrations": regs, "over": over})


# --- at the door ---------------------------------------------------------------------------------------------


def _door_session(request: HttpRequest, session_id: int) -> Session:
    session: Session = policy.get_for(
        request.user, "activity.checkin", Session.objects.select_related("activity"), pk=session_id
    )
    return session


def _door_registration(request: HttpRequest, registration_id: int) -> Registration:
    reg: Registration = policy.get_for(
        request.user,
        "activity.checkin",
        Registration.objects.select_related("session", "session__activity"),
        pk=registration_id,
    )
    return reg


@policy.permission("activity.checkin")
def session_door(request: HttpRequest, session_id: int) -> HttpResponse:
    """Check-in page: scan (camera or a scanner that types) or type the short code, tick the list, walk-ins."""
    session = _door_session(request, session_id)
    result = None
    status = 200
    if request.method == "POST":
        try:
            result = services.checkin_scan(
                actor=request.user, session=session, code=request.POST.get("code", ""), request=request
            )
        except ValidationError as exc:
            _errors(request, exc)
            status = 422
        else:
            if result.already:
                messages.warning(request, _("%(name)s is already checked in.") % {"name": result.registration.name})
            else:
                messages.success(request, _("%(name)s is checked in.") % {"name": result.registration.name})
    regs = list(
        session.registrations.exclude(status__in=[Registration.Status.CANCELLED, Registration.Status.WAITLISTED])
        .select_related("checked_in_by")
        .order_by("name", "pk")
    )
    return render(
        request,
        "activities/door.html",
        {
            "session": session,
            "registrations": regs,
            "attendance": services.attendance(session),
            "result": result,
            "door_shut": services.checkin_refusal(session, timezone.now()),
        },
        status=status,
    )


def _back_to_door(reg: Registration) -> HttpResponse:
    return redirect("activities:door", session_id=reg.session_id)


@policy.permission("activity.checkin")
@require_POST
def registration_tick(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = _door_registration(request, registration_id)
    try:
        result = services.checkin_tick(actor=request.user, registration=reg, request=request)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if result.already:
            messages.warning(request, _("%(name)s is already checked in.") % {"name": reg.name})
        else:
            messages.success(request, _("%(name)s is checked in.") % {"name": reg.name})
    return _back_to_door(reg)


@policy.permission("activity.checkin")
@require_POST
def registration_checkout(request: HttpRequest, registration_id: int) -> HttpResponse:
    reg = _door_registration(request, registration_id)
    try:
        services.checkout(
            actor=request.user, registration=reg, guardian=request.POST.get("guardian", ""), request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("%(name)s is checked out.") % {"name": reg.name})
    return _back_to_door(reg)


@policy.permission("activity.checkin")
@require_POST
def session_walk_in(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _door_session(request, session_id)
    try:
        reg = services.walk_in_add(
            actor=request.user, session=session, name=request.POST.get("name", ""), request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Walk-in %(name)s is added and checked in.") % {"name": reg.name})
    return redirect("activities:door", session_id=session.pk)


@policy.permission("activity.checkin")
def activity_attendance(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity: Activity = policy.get_for(
        request.user, "activity.checkin", selectors.activities_visible(request.user), pk=activity_id
    )
    staff = attendance_report.may_see_households(request.user, activity)
    if request.GET.get("format") == "xlsx":
        if not staff:  # names and addresses: the organisers only
            raise Http404
        data = attendance_report.attendance_xlsx(actor=request.user, activity=activity, request=request)
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="attendance-{activity.pk}.xlsx"'
        return no_store(response)  # names and addresses
    report = attendance_report.attendance_report(activity, households=staff)
    return render(request, "activities/attendance.html", {"activity": activity, "report": report})


@policy.permission("registration.view")
def registration_pass(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The check-in pass: a QR of the signed code and the short code (printable for the elderly)."""
    reg = _registration(request, registration_id)
    token = services.checkin_token(reg)
    qr = segno.make(token, error="m").svg_inline(scale=6, title=_("Check-in code"))
    return render(
        request,
        "activities/pass.html",
        {"registration": reg, "qr": mark_safe(qr), "token": token},  # noqa: S308  segno's own SVG of our token
    )


# --- the organiser's pages -----------------------------------------------------------------------------------


def _communities(request: HttpRequest) -> Any:
    return policy.visible(
        OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True), request.user, "activity.manage", "path"
    ).order_by("path")


def _managed(request: HttpRequest, activity_id: int) -> Activity:
    activity: Activity = policy.get_for(
        request.user, "activity.manage", selectors.activities_visible(request.user), pk=activity_id
    )
    return activity


@policy.permission("activity.manage")
def activity_new(request: HttpRequest) -> HttpResponse:
    communities = list(_communities(request))
    if not communities:
        raise Http404
    form = forms.ActivityCreateForm(request.POST or None, request.FILES or None, communities=_communities(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_create(
                actor=request.user,
                community=data["community"],
                title=data["title"],
                description=data["description"],
                category=data["category"],
                target_tags=list(data["target_tags"]),
                space=data["space"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                recurrence=form.recurrence(),
                capacity=data["capacity"],
                registration_opens_at=data["registration_opens_at"],
                registration_closes_at=data["registration_closes_at"],
                household_limit=data["household_limit"],
                guardian_checkout=data["guardian_checkout"],
                offer_hours=data["offer_hours"],
                poster=data["poster"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Conflict as exc:
            form.add_error("space", exc.message)
        else:
            messages.success(request, _("The activity %(title)s is created.") % {"title": activity.title})
            return redirect("activities:detail", activity_id=activity.pk)
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "activities/form.html", {"form": form, "activity": None}, status=status)


@policy.permission("activity.manage")
def activity_edit(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _managed(request, activity_id)
    form = forms.ActivityEditForm(request.POST or None, request.FILES or None, activity=activity)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        tags = list(data.pop("target_tags"))
        poster = data.pop("poster")
        remove = bool(data.pop("remove_poster", False))
        try:
            services.activity_update(
                actor=request.user,
                activity=activity,
                target_tags=tags,
                poster=poster,
                remove_poster=remove,
                request=request,
                **data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The activity is saved."))
            return redirect("activities:detail", activity_id=activity.pk)
    status = 422 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "activities/form.html",
        {"form": form, "activity": activity, "sessions": list(selectors.sessions_of(activity))},
        status=status,
    )


def _ask_first(request: HttpRequest, reason: str, can_happen: bool) -> bool:
    """Cancelling cannot be undone: ask first, once the step could happen (a reason given, still open);
    otherwise the service says what is wrong straight away."""
    return request.POST.get("confirmed") != "1" and bool(reason.strip()) and can_happen


@policy.permission("activity.manage")
@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = _managed(request, activity_id)
    reason = request.POST.get("reason", "")[:200]
    if _ask_first(request, reason, activity.status == Activity.Status.OPEN):
        return render(request, "activities/confirm_cancel.html", {"activity": activity, "reason": reason})
    try:
        services.activity_cancel(
            actor=request.user, activity=activity, reason=request.POST.get("reason", "")[:200], request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The activity is cancelled; the participants are told."))
    return redirect("activities:detail", activity_id=activity.pk)


@policy.permission("activity.manage")
@require_POST
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    session: Session = policy.get_for(
        request.user, "activity.manage", Session.objects.select_related("activity"), pk=session_id
    )
    reason = request.POST.get("reason", "")[:200]
    if _ask_first(request, reason, session.status == Session.Status.OPEN):
        return render(
            request,
            "activities/confirm_cancel.html",
            {"activity": session.activity, "session": session, "reason": reason},
        )
    try:
        services.session_cancel(
            actor=request.user, session=session, reason=request.POST.get("reason", "")[:200], request=request
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The session is cancelled; the participants are told."))
    return redirect("activities:detail", activity_id=session.activity_id)


@token_readable
@policy.permission("activity.view")
def activity_poster(request: HttpRequest, activity_id: int) -> FileResponse:
    return image_response(_activity(request, activity_id).poster)


@policy.permission("activity.manage")
def activity_helpers(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Volunteers who helped: record who, at which session, for how many hours (for the hours ledger)."""
    activity = _managed(request, activity_id)
    form = forms.HelperForm(
        request.POST or None,
        candidates=volunteer_hours.helper_candidates(activity),
        sessions=selectors.sessions_of(activity),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = None
        if data.get("resident"):
            resident = Resident.objects.filter(pk=data["resident"], community_id=activity.community_id).first()
            if resident is None:
                form.add_error("resident", _("No such resident."))
        if not form.errors:
            try:
                helper = volunteer_hours.helper_record(
                    actor=request.user,
                    activity=activity,
                    session=data["session"],
                    user=data["user"],
                    resident=resident,
                    hours=data["hours"],
                    task=data["task"],
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("%(name)s: %(hours)s hours recorded.") % {"name": helper.name, "hours": helper.hours}
                )
                return redirect("activities:helpers", activity_id=activity.pk)
    status = 422 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "activities/helpers.html",
        {"activity": activity, "form": form, "helpers": list(volunteer_hours.helpers_of(activity))},
        status=status,
    )


@policy.permission("activity.manage")
@require_POST
def helper_remove(request: HttpRequest, helper_id: int) -> HttpResponse:
    helper: Helper = policy.get_for(
        request.user, "activity.manage", Helper.objects.select_related("activity"), pk=helper_id
    )
    volunteer_hours.helper_remove(actor=request.user, helper=helper, request=request)
    messages.success(request, _("The entry is removed."))
    return redirect("activities:helpers", activity_id=helper.activity_id)
