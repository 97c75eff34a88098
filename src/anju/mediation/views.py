"""Pages of mediation: the list, intake (at the desk or from an appeal), the case (content for its mediators
and the branch secretary, the number and status for the worker who opened it, 404 for everyone else), the
steps of mediation, the printable agreement (调解协议书) and the statistics.

Every page that shows a case's content writes an access-log row (``services.content_read``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.appeals.models import Appeal
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import printing, screening
from anju.core.forms import apply_service_errors
from anju.core.params import parse_id
from anju.core.security import no_store
from anju.mediation import forms, reports, selectors, services
from anju.mediation.models import Case, FollowUp, Kind, Party, Session, Status
from anju.orgs.models import OrgUnit, UnitKind
from anju.pairing import selectors as pairing_selectors
from anju.pairing.models import Visit
from anju.people.models import Resident
from anju.spaces.models import Space


def _case(request: HttpRequest, case_id: int, action: str = "mediation.read") -> Case:
    return policy.get_for(request.user, action, Case.objects.select_related("community"), pk=case_id)


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


@policy.permission("mediation.list")
def index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    return render(
        request,
        "mediation/index.html",
        {
            "rows": selectors.rows_for(request.user, status=status),
            "status": status,
            "statuses": Status.choices,
            "may_open": policy.can(request.user, "mediation.open"),
            "may_stats": policy.can(request.user, "mediation.stats"),
        },
    )


def _communities(user: Any) -> list[OrgUnit]:
    return list(
        policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True), user, "mediation.open", "path")
    )


@policy.permission("mediation.open")
def case_new(request: HttpRequest) -> HttpResponse:
    appeal: Appeal | None = None
    appeal_id = parse_id(request.GET.get("appeal") or request.POST.get("appeal"))
    if appeal_id is not None:
        appeal = policy.get_for(request.user, "appeal.triage", Appeal.objects.select_related("community"), pk=appeal_id)
    visit: Visit | None = None
    visit_id = parse_id(request.GET.get("visit") or request.POST.get("visit"))
    if appeal is None and visit_id is not None:
        visit = policy.get_for(
            request.user, "mediation.open", Visit.objects.select_related("community", "household"), pk=visit_id
        )
    communities = [appeal.community] if appeal else [visit.community] if visit else _communities(request.user)
    community_id = parse_id(request.POST.get("community") or request.GET.get("community"))
    community = next((c for c in communities if c.pk == community_id), communities[0] if communities else None)
    if community is None:
        raise Http404
    mediators = services.eligible_choices(community)
    initial = {"account": screening.masked(visit.note)} if visit is not None else {}
    form = forms.CaseForm(request.POST or None, mediators=mediators, initial=initial)
    rows = forms.party_rows(request.POST if request.method == "POST" else None)
    if visit is not None and request.method != "POST":
        head = pairing_selectors.heads_of([visit.household_id]).get(visit.household_id)
        if head is not None:  # the visited household's head, as the applicant: the worker adds the other side
            rows[0].update(name=head.name, role=Party.Role.APPLICANT, resident=head.pk)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_id = {u.pk: u for u in mediators}
        parties = []
        for row in rows:
            resident = None
            if row["resident"] is not None:
                resident = Resident.objects.filter(pk=row["resident"], community=community).first()
                if resident is None:
                    errors.append(
                        _("Resident number %(n)s is not in the registry of this community.") % {"n": row["resident"]}
                    )
                    continue
            if row["name"] or resident is not None:
                parties.append(services.PartyIn(role=row["role"], name=row["name"], resident=resident))
        if not errors:
            try:
                case = services.case_open(
                    actor=request.user,
                    community=community,
                    kind=data["kind"],
                    account=data["account"],
                    parties=parties,
                    lead=by_id.get(data["lead"]),
                    co_mediators=[by_id[i] for i in data["co_mediators"] if i in by_id],
                    urgency=data["urgency"],
                    violence_risk=data["violence_risk"],
                    appeal=appeal,
                    visit_ref=visit.pk if visit is not None else None,
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
                return redirect("mediation:case", case_id=case.pk)
    context = {
        "form": form,
        "rows": rows,
        "roles": Party.Role.choices,
        "appeal": appeal,
        "visit": visit,
        "community": community,
        "communities": communities,
        "errors": errors,
    }
    return render(request, "mediation/new.html", context, status=422 if request.method == "POST" else 200)


def _case_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    case = selectors.case_detail(case)
    mediate = policy.can(request.user, "mediation.mediate", case)
    rooms = services.mediation_rooms(case.community)
    parties = list(case.parties.all())
    context: dict[str, Any] = {
        "case": case,
        "account": screening.masked(case.account),
        "facts": screening.masked(case.facts),
        "parties": parties,
        "mediators": list(case.mediators.all()),
        "sessions": [(s, screening.masked(s.notes), {p.pk for p in s.attended.all()}) for s in case.sessions.all()],
        "follow_ups": [(f, screening.masked(f.note)) for f in case.follow_ups.all()],
        "undertakings": [(u, screening.masked(u.text)) for u in case.undertakings.select_related("party")],
        "mediate": mediate,
        "assign": policy.can(request.user, "mediation.assign", case),
        "S": Status,
        "now": timezone.now(),
        "session_form": forms.SessionForm(rooms=rooms),
        "reason_form": forms.ReasonForm(),
        "referral_form": forms.ReferralForm(),
        "follow_up_form": forms.FollowUpForm(),
        "eligible": services.eligible_choices(case.community),
        "may_reopen": case.status in (Status.AGREED, Status.CLOSED)
        and any(f.result == FollowUp.Result.BROKEN for f in case.follow_ups.all()),
        "errors": [],
    }
    context.update(extra)
    return context


@policy.permission("mediation.status")
def case(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.status")
    if not policy.can(request.user, "mediation.read", obj):
        return render(request, "mediation/status.html", {"case": obj})
    services.content_read(actor=request.user, case=obj, what="case", request=request)
    return render(request, "mediation/case.html", _case_context(request, obj))


def _failed(request: HttpRequest, case: Case, exc: ValidationError) -> HttpResponse:
    services.content_read(actor=request.user, case=case, what="case", request=request)
    context = _case_context(request, case, errors=_errors(exc))
    return render(request, "mediation/case.html", context, status=422)


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("mediation:case", case_id=case.pk)


@policy.permission("mediation.assign")
@require_POST
def mediators(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.assign")
    eligible = {u.pk: u for u in services.eligible_choices(obj.community)}
    lead = eligible.get(parse_id(request.POST.get("lead")) or 0)
    co = [eligible[i] for i in (parse_id(v) for v in request.POST.getlist("co_mediators")) if i in eligible]
    try:
        services.mediators_set(actor=request.user, case=obj, lead=lead, co_mediators=co, request=request)
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Mediators saved."))


@policy.permission("mediation.mediate")
@require_POST
def session_new(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    rooms = services.mediation_rooms(obj.community)
    form = forms.SessionForm(request.POST, rooms=rooms)
    if not form.is_valid():
        return _failed(request, obj, ValidationError([m for e in form.errors.values() for m in e]))
    data = form.cleaned_data
    space = Space.objects.get(pk=data["space"])
    try:
        services.session_schedule(
            actor=request.user,
            case=obj,
            space=space,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            request=request,
        )
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Session booked in %(room)s.") % {"room": space.name})


@policy.permission("mediation.mediate")
@require_POST
def session(request: HttpRequest, case_id: int, session_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    sess = policy.get_for(request.user, "mediation.mediate", Session.objects.filter(case=obj), pk=session_id)
    ids = {i for i in (parse_id(v) for v in request.POST.getlist("attended")) if i is not None}
    attended = list(Party.objects.filter(case=obj, pk__in=ids))
    try:
        services.session_record(
            actor=request.user, session=sess, attended=attended, notes=request.POST.get("notes", ""), request=request
        )
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Session recorded."))


@policy.permission("mediation.mediate")
def agreement(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    services.content_read(actor=request.user, case=obj, what="agreement", request=request)
    parties = list(obj.parties.all())
    rows = forms.undertaking_rows(request.POST if request.method == "POST" else None)
    errors: list[str] = []
    facts = request.POST.get("facts", "") if request.method == "POST" else ""
    if request.method == "POST":
        by_id = {p.pk: p for p in parties}
        items = []
        for row in rows:
            if not row["text"]:
                continue
            if row["party"] not in by_id:
                errors.append(_("Choose the party of each undertaking."))
                break
            if row["due"] is None:
                errors.append(_("Each undertaking needs a date from today on."))
                break
            items.append(services.UndertakingIn(by_id[row["party"]], row["text"], row["due"]))
        if not errors:
            try:
                services.agreement_record(
                    actor=request.user, case=obj, facts=facts, undertakings=items, request=request
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                return _done(request, obj, _("Agreement recorded; follow-ups are scheduled."))
    context = {"case": obj, "parties": parties, "rows": rows, "facts": facts, "errors": errors}
    return render(request, "mediation/agreement.html", context, status=422 if errors else 200)


@policy.permission("mediation.read")
def agreement_print(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id)
    if obj.status not in (Status.AGREED, Status.CLOSED) and not obj.undertakings.exists():
        raise Http404
    fmt = printing.wanted_format(request)
    services.content_read(actor=request.user, case=obj, what="agreement_print", request=request)
    parties = list(obj.parties.all())
    with_text = [(u, screening.masked(u.text)) for u in obj.undertakings.select_related("party")]
    from django.db import transaction

    with transaction.atomic():
        record(Action.MEDIATION_PRINTED, actor=request.user, obj=obj, request=request, data={"format": fmt})
    context = {
        "case": obj,
        "parties": parties,
        "facts": screening.masked(obj.facts),
        "undertakings": with_text,
        "mediators": selectors.mediators_of(obj),
    }
    return printing.print_response(request, "mediation/print_agreement.html", context, filename=obj.number, fmt=fmt)


@policy.permission("mediation.mediate")
@require_POST
def no_agreement(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    try:
        services.no_agreement_record(
            actor=request.user, case=obj, reason=request.POST.get("reason", ""), request=request
        )
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Recorded: no agreement."))


@policy.permission("mediation.mediate")
@require_POST
def refer(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    try:
        services.referral_record(
            actor=request.user,
            case=obj,
            referred_to=request.POST.get("referred_to", ""),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Case referred on."))


@policy.permission("mediation.mediate")
@require_POST
def follow_up(request: HttpRequest, case_id: int, follow_up_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    item = policy.get_for(request.user, "mediation.mediate", FollowUp.objects.filter(case=obj), pk=follow_up_id)
    try:
        services.follow_up_record(
            actor=request.user,
            follow_up=item,
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
            request=request,
        )
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Follow-up recorded."))


@policy.permission("mediation.mediate")
@require_POST
def reopen(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    try:
        services.case_reopen(actor=request.user, case=obj, request=request)
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Case reopened."))


@policy.permission("mediation.mediate")
@require_POST
def risk(request: HttpRequest, case_id: int) -> HttpResponse:
    obj = _case(request, case_id, "mediation.mediate")
    try:
        services.case_flag_risk(actor=request.user, case=obj, request=request)
    except ValidationError as exc:
        return _failed(request, obj, exc)
    return _done(request, obj, _("Risk of violence flagged; the secretary and the police liaison are told."))


def parse_month(raw: str | None, default: Any) -> Any:
    import datetime as dt

    try:
        year, month = (int(x) for x in (raw or "").split("-"))
        if 1900 <= year <= 2999 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    return default


@policy.permission("mediation.stats")
def stats(request: HttpRequest) -> HttpResponse:
    import datetime as dt

    today = timezone.localdate()
    start = parse_month(request.GET.get("from"), today.replace(month=1, day=1))
    end_month = parse_month(request.GET.get("to"), today.replace(day=1))
    end = (end_month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    community_id = parse_id(request.GET.get("community"))
    data = selectors.stats_for(request.user, start=start, end=end, community_id=community_id)
    names = {c.pk: c.name for c in data.communities}
    if request.GET.get("format") == "xlsx":
        community = next((c for c in data.communities if c.pk == community_id), None)
        body = reports.stats_xlsx(
            actor=request.user, stats=data, start=start, end=end, community=community, request=request
        )
        response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="mediation-stats-{start:%Y-%m}-{end:%Y-%m}.xlsx"'
        return no_store(response)
    return render(
        request,
        "mediation/stats.html",
        {
            "s": data,
            "start": start,
            "end": end,
            "kinds": [(label, data.by_kind.get(code, 0)) for code, label in Kind.choices],
            "statuses": [(label, data.by_status.get(code, 0)) for code, label in Status.choices],
            "results": [(label, data.follow_ups.get(code, 0)) for code, label in FollowUp.Result.choices],
            "per_community": [(names.get(cid, cid), n) for cid, n in data.by_community.items()],
            "follow_months": [
                (m, [data.follow_ups_by_month.get(m, {}).get(code, 0) for code in FollowUp.Result.values])
                for m in data.months
            ],
            "result_labels": [label for _code, label in FollowUp.Result.choices],
            "community_id": community_id,
            "back": reverse("mediation:index"),
        },
    )
