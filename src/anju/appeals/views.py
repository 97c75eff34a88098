"""Pages of appeals: intake, queues, the appeal with its timeline and steps, whistles, three rates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.accounts import policy
from anju.accounts.roles import Role
from anju.appeals import charts, exports, followers, forms, people_views, requesters, selectors, services, whistles
from anju.appeals.models import (
    ON_BEHALF_CHANNELS,
    Appeal,
    AppealFollower,
    AppealPhoto,
    Channel,
    HolidayDate,
    SatisfactionLevel,
    Status,
    Summons,
)
from anju.appeals.policies import STAFF, is_liaison_for, is_party, is_staff_for, liaison_departments
from anju.core.forms import apply_service_errors
from anju.core.pagination import paginate, query_without_page
from anju.orgs.models import Department, OrgUnit

_QS = Appeal.objects.select_related("community", "category", "location", "department")


def _communities_of(user: Any) -> list[OrgUnit]:
    """The communities the user files appeals in (their grants' communities)."""
    ids = [g.unit_id for g in policy.grants_of(user) if g.role in {Role.RESIDENT, Role.VOLUNTEER, *STAFF}]
    units = list(OrgUnit.objects.filter(pk__in=ids).select_related("community"))
    found = {u.community_id: u.community for u in units if u.community_id and u.community is not None}
    above = [u for u in units if u.community_id is None]
    if above:  # grants above community level: every community below them
        q = Q(pk__in=[])
        for u in above:
            q |= Q(path__startswith=u.path)
        found.update({c.pk: c for c in OrgUnit.objects.communities().filter(q)})
    return sorted(found.values(), key=lambda c: c.path)


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
    is_staff = any(r in policy.roles_of(user) for r in STAFF) or policy.is_superuser(user)
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
        if value and (value.isdigit() or name == "status"):
            filters[lookup] = value
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


def _locations(communities: list[OrgUnit]) -> Any:
    if not communities:
        return OrgUnit.objects.none()
    from django.db.models import Q

    q = Q()
    for c in communities:
        q |= Q(path__startswith=c.path)
    return OrgUnit.objects.filter(q, is_active=True).select_related("community", "parent").order_by("path")


@policy.permission("appeal.file")
def appeal_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    communities = _communities_of(user)
    roles = policy.roles_of(user)
    on_behalf = bool(roles & {Role.VOLUNTEER, *STAFF})
    form = forms.AppealForm(
        request.POST or None, request.FILES or None, locations=_locations(communities), on_behalf=on_behalf
    )
    suggestions: list[Appeal] = []
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
            suggestions = services.similar_open(data["category"], location)
        if suggestions:
            bound = request.POST.copy()
            bound["file_anyway"] = "1"
            form.data = bound
        else:
            community = location.community if location.community_id else location
            channel = data.get("channel") or Channel.APP
            try:
                appeal = services.appeal_file(
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
            appeal = services.appeal_file(
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
        except services.RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            return render(request, "appeals/reported.html", {"appeal": appeal})
    if request.method == "POST" and status == 200 and form.errors:
        status = 422
    return render(request, "appeals/report.html", {"form": form}, status=status)


def _contact(appeal: Appeal) -> dict[str, Any]:
    return requesters.contact_masked(appeal)


def _detail_context(request: HttpRequest, appeal: Appeal) -> dict[str, Any]:
    user = request.user
    staff = is_staff_for(user, appeal)
    liaison = is_liaison_for(user, appeal)
    party = is_party(user, appeal)
    internal = staff or liaison or policy.is_superuser(user)
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
        "timeline": selectors.timeline(appeal, internal=internal),
        "internal": internal,
        "staff": staff,
        "liaison": liaison,
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
        "photos": list(appeal.photos.all()),
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
    return list(Department.objects.filter(pk__in=[i for i in ids if i.isdigit()]).select_related("unit"))


ACTIONS: dict[str, str] = {
    "accept": "appeal.triage",
    "reject": "appeal.triage",
    "duplicate": "appeal.triage",
    "dispatch": "appeal.triage",
    "verify": "appeal.triage",
    "return": "appeal.triage",
    "close": "appeal.triage",
    "refer": "appeal.handle",
    "sign": "appeal.handle",
    "contact": "appeal.handle",
    "progress": "appeal.handle",
    "wait": "appeal.handle",
    "feedback": "appeal.handle",
    "callback": "appeal.callback",
    "note": "appeal.view",
}


def run_action(request: HttpRequest, user: Any, appeal: Appeal, action: str, data: Any, files: Any) -> Any:
    note = str(data.get("note", ""))
    kw: dict[str, Any] = {"actor": user, "appeal": appeal, "request": request}
    if action == "accept":
        return services.appeal_accept(note=note, **kw)
    if action == "reject":
        return services.appeal_reject(reason=note, **kw)
    if action == "duplicate":
        original = Appeal.objects.filter(pk=str(data.get("original", "0")).lstrip("A") or 0).first()
        if original is None:
            raise ValidationError({"original": [_("Enter the number of the original appeal.")]})
        return services.appeal_mark_duplicate(original=original, **kw)
    if action == "dispatch":
        dept_ids = [str(data.get("department", ""))]
        lead = _departments(dept_ids)
        assisting = _departments(
            list(data.getlist("assisting")) if hasattr(data, "getlist") else data.get("assisting", [])
        )
        return services.appeal_dispatch(department=lead[0] if lead else None, assisting=assisting, note=note, **kw)
    if action == "verify":
        return services.appeal_verify(note=note, **kw)
    if action == "return":
        return services.appeal_return(reason=note, **kw)
    if action == "close":
        return services.appeal_close_unresolved(reason=note, **kw)
    if action == "refer":
        return services.appeal_refer(reason=note, **kw)
    if action == "sign":
        return services.appeal_sign(note=note, **kw)
    if action == "contact":
        return services.appeal_contact(note=note, **kw)
    if action == "progress":
        return services.appeal_progress(note=note, **kw)
    if action == "wait":
        return services.appeal_wait(reason=note, **kw)
    if action == "feedback":
        photos = files.getlist("photos") if files is not None else []
        return services.appeal_feedback(note=note, photos=photos, **kw)
    if action == "callback":
        level = SatisfactionLevel.objects.filter(code=str(data.get("satisfaction", ""))).first()
        resolved = str(data.get("resolved", "")).lower() in ("1", "yes", "true", "on")
        if str(data.get("follower") or "").isdigit():  # a worker records a follower's answer
            follower = AppealFollower.objects.filter(appeal=appeal, user_id=int(data["follower"])).first()
            return followers.follower_callback(
                actor=user,
                appeal=appeal,
                follower=follower.user if follower else None,
                resolved=resolved,
                satisfaction=level,
                comment=str(data.get("comment", "")),
                request=request,
            )
        return services.appeal_callback(
            resolved=resolved, satisfaction=level, comment=str(data.get("comment", "")), **kw
        )
    if action == "note":
        return services.appeal_note(note=note, **kw)
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
    services.appeal_follow(actor=request.user, appeal=appeal, request=request)
    messages.success(
        request, _("You follow appeal %(number)s; you will be called back too.") % {"number": appeal.number}
    )
    return redirect("appeals:detail", pk=appeal.pk)


@policy.permission("appeal.view")
def photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    appeal = policy.get_for(request.user, "appeal.view", _QS, pk=pk)
    item = AppealPhoto.objects.filter(appeal=appeal, pk=photo_pk).first()
    if item is None:
        raise Http404
    return FileResponse(item.image.open("rb"), content_type="image/jpeg")


@policy.permission("appeal.triage")
@require_POST
def whistle_blow(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = policy.get_for(request.user, "appeal.triage", _QS, pk=pk)
    try:
        minutes = int(request.POST.get("minutes") or whistles.DEFAULT_ARRIVAL_MINUTES)
        whistles.whistle_blow(
            actor=request.user,
            appeal=appeal,
            departments=_departments(request.POST.getlist("departments")),
            minutes=minutes,
            note=request.POST.get("note", ""),
            request=request,
        )
    except (ValidationError, ValueError) as exc:
        context = _detail_context(request, appeal)
        context["error"] = " ".join(exc.messages) if isinstance(exc, ValidationError) else _("Enter minutes.")
        return render(request, "appeals/detail.html", context, status=422)
    except services.InvalidTransition as exc:
        context = _detail_context(request, appeal)
        context["error"] = exc.message
        return render(request, "appeals/detail.html", context, status=409)
    messages.success(request, _("Whistle blown; the departments are summoned."))
    return redirect("appeals:detail", pk=appeal.pk)


def _summons(user: Any, action: str, pk: int, summons_pk: int) -> Summons:
    appeal = policy.get_for(user, action, _QS, pk=pk)
    summons = Summons.objects.filter(whistle__appeal=appeal, pk=summons_pk).select_related("whistle__appeal").first()
    if summons is None:
        raise Http404
    return summons


def _checkin(request: HttpRequest, summons: Summons) -> HttpResponse:
    try:
        whistles.summons_checkin(actor=request.user, summons=summons, request=request)
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Arrival recorded."))
    return redirect("appeals:detail", pk=summons.whistle.appeal_id)


@policy.permission("appeal.handle")
@require_POST
def summons_checkin(request: HttpRequest, pk: int, summons_pk: int) -> HttpResponse:
    summons = _summons(request.user, "appeal.view", pk, summons_pk)
    if summons.department_id not in liaison_departments(request.user):
        raise Http404
    return _checkin(request, summons)


@policy.permission("appeal.triage")
@require_POST
def summons_rate(request: HttpRequest, pk: int, summons_pk: int) -> HttpResponse:
    summons = _summons(request.user, "appeal.triage", pk, summons_pk)
    try:
        whistles.summons_rate(
            actor=request.user,
            summons=summons,
            rating=int(request.POST.get("rating") or 0),
            comment=request.POST.get("comment", ""),
            request=request,
        )
    except (ValidationError, ValueError):
        messages.error(request, _("Rate from 1 to 5."))
    except services.InvalidTransition as exc:
        messages.error(request, exc.message)
    return redirect("appeals:detail", pk=pk)


def _period(request: HttpRequest) -> tuple[dt.date | None, dt.date | None]:
    out: list[dt.date | None] = []
    for name in ("start", "end"):
        try:
            out.append(dt.date.fromisoformat(request.GET[name]) if request.GET.get(name) else None)
        except ValueError:
            out.append(None)
    return out[0], out[1]


@policy.permission("appeal.rates")
def rates(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group", "department")
    if group not in selectors.GROUPS:
        group = "department"
    start, end = _period(request)
    report = selectors.rates_report(request.user, group=group, start=start, end=end)
    rows, total = report.rows, report.total
    if request.GET.get("format") == "xlsx":
        return exports.rates_xlsx(rows, total, group=group, start=start, end=end, months=report.months)
    group_label = {"department": _("Department"), "category": _("Category"), "community": _("Community")}.get(
        group, _("Grid")
    )
    return render(
        request,
        "appeals/rates.html",
        {
            "rows": rows,
            "total": total,
            "months": report.months,
            "bars_svg": charts.rate_bars(
                rows, title=_("Three rates by %(group)s, with counts") % {"group": group_label}
            ),
            "trend_svg": charts.rate_trend(report.months, title=_("The three rates month by month")),
            "legend": charts.legend_items(),
            "group": group,
            "groups": [
                ("department", _("Department")),
                ("category", _("Category")),
                ("community", _("Community")),
                ("grid", _("Grid")),
            ],
            "start": start,
            "end": end,
            "filter_name": {
                "department": "department",
                "category": "category",
                "community": "community",
                "grid": "grid",
            }[group],
        },
    )


@policy.permission("appeal.inbox")
def inbox(request: HttpRequest) -> HttpResponse:
    """The appeals inbox became the shared inbox (``anju.inbox``); the old address leads there."""
    return redirect("inbox:list")


@policy.permission("appeal.configure")
def holidays(request: HttpRequest) -> HttpResponse:
    form = forms.HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        days = []
        bad = []
        for n, line in enumerate(form.cleaned_data["days"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            try:
                kind = parts[1].lower() if len(parts) > 1 else HolidayDate.Kind.HOLIDAY
                days.append((dt.date.fromisoformat(parts[0]), kind))
            except ValueError:
                bad.append(_("Line %(n)d: write a date like 2027-01-01.") % {"n": n})
        if bad:
            form.add_error("days", bad)
        else:
            try:
                n = services.holidays_set(
                    actor=request.user, year=form.cleaned_data["year"], days=days, request=request
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Schedule saved; %(n)d open appeals had their deadlines recomputed.") % {"n": n}
                )
                return redirect("appeals:holidays")
    entered = HolidayDate.objects.order_by("-date")[:60]
    return render(request, "appeals/holidays.html", {"form": form, "entered": entered})
