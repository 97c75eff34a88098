"""Mediation over JSON: the same fetch-and-authorise (404 outside a case's mediators and branch secretary;
the opener reads the status only), the same services and the same access-log row per read as the pages."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.core import screening
from anju.core.api import ErrorOut
from anju.core.params import Id
from anju.mediation import selectors, services
from anju.mediation.models import Case, FollowUp, Kind, Party, ReferredTo, Session, Urgency
from anju.orgs.models import OrgUnit
from anju.people.models import Resident
from anju.spaces.models import Space

router = Router(tags=["mediation"])


class StatusOut(Schema):
    id: int
    number: str
    status: str
    status_label: str


class PartyOut(Schema):
    id: int
    name: str
    role: str
    resident_id: int | None


class MediationSessionOut(Schema):
    id: int
    space_id: int
    starts_at: datetime
    ends_at: datetime
    held: bool
    attended: list[int]
    notes: str = Field(..., description="typed numbers masked")


class UndertakingOut(Schema):
    party_id: int
    text: str
    due_on: date


class FollowUpOut(Schema):
    id: int
    due_on: date
    result: str
    note: str


class CaseOut(Schema):
    id: int
    number: str
    community_id: int
    kind: str = Field(..., description=", ".join(Kind.values))
    source: str
    status: str
    urgency: str
    violence_risk: bool
    account: str = Field(..., description="typed numbers masked")
    appeal_id: int | None
    opened_at: datetime
    decided_at: datetime | None
    closed_at: datetime | None
    facts: str
    no_agreement_reason: str
    referred_to: str
    referral_reason: str
    reopened: int
    parties: list[PartyOut]
    mediators: list[int] = Field(..., description="user ids, the lead first")
    sessions: list[MediationSessionOut]
    undertakings: list[UndertakingOut]
    follow_ups: list[FollowUpOut]


def _status(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "number": case.number, "status": case.status, "status_label": str(case.get_status_display())}


def _out(case: Case) -> dict[str, Any]:
    case = selectors.case_detail(case)
    return {
        "id": case.pk,
        "number": case.number,
        "community_id": case.community_id,
        "kind": case.kind,
        "source": case.source,
        "status": case.status,
        "urgency": case.urgency,
        "violence_risk": case.violence_risk,
        "account": screening.masked(case.account),
        "appeal_id": case.appeal_id,
        "opened_at": case.opened_at,
        "decided_at": case.decided_at,
        "closed_at": case.closed_at,
        "facts": screening.masked(case.facts),
        "no_agreement_reason": screening.masked(case.no_agreement_reason),
        "referred_to": case.referred_to,
        "referral_reason": screening.masked(case.referral_reason),
        "reopened": case.reopened,
        "parties": [
            {"id": p.pk, "name": p.name, "role": p.role, "resident_id": p.resident_id} for p in case.parties.all()
        ],
        "mediators": [m.user_id for m in case.mediators.all()],
        "sessions": [
            {
                "id": s.pk,
                "space_id": s.space_id,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "held": s.held,
                "attended": [p.pk for p in s.attended.all()],
                "notes": screening.masked(s.notes),
            }
            for s in case.sessions.all()
        ],
        "undertakings": [
            {"party_id": u.party_id, "text": screening.masked(u.text), "due_on": u.due_on}
            for u in case.undertakings.all()
        ],
        "follow_ups": [
            {"id": f.pk, "due_on": f.due_on, "result": f.result, "note": screening.masked(f.note)}
            for f in case.follow_ups.all()
        ],
    }


def _case(request: HttpRequest, case_id: int, action: str = "mediation.read") -> Case:
    return policy.get_for(request.user, action, Case.objects.select_related("community"), pk=case_id)


def _read(request: HttpRequest, case: Case) -> dict[str, Any]:
    services.content_read(actor=request.user, case=case, what="case", request=request)
    return _out(case)


@router.get("/mediation/cases", response=list[StatusOut], summary="The cases one mediates, oversees or opened")
@policy.permission("mediation.list")
def cases(request: HttpRequest) -> Any:
    return [_status(r.case) for r in selectors.rows_for(request.user)]


class PartyIn(Schema):
    role: str = Field(..., description=", ".join(Party.Role.values))
    name: str = ""
    resident_id: int | None = None


class CaseIn(Schema):
    community_id: int
    kind: str = Field(..., description=", ".join(Kind.values))
    account: str = Field(..., max_length=4000)
    parties: list[PartyIn] = Field(..., max_length=20)
    lead_id: int
    co_mediator_ids: list[int] = Field(default_factory=list, max_length=10)
    urgency: str = Field(Urgency.NORMAL, description=", ".join(Urgency.values))
    violence_risk: bool = False
    appeal_id: int | None = None


@router.post(
    "/mediation/cases",
    response={201: StatusOut, 404: ErrorOut, 422: ErrorOut},
    summary="Open a case (at the desk or from an appeal)",
)
@policy.permission("mediation.open")
def open_case(request: HttpRequest, payload: CaseIn) -> Any:
    from anju.appeals.models import Appeal

    community = policy.get_for(request.user, "mediation.open", OrgUnit, pk=payload.community_id)
    appeal = None
    if payload.appeal_id is not None:
        appeal = policy.get_for(request.user, "appeal.triage", Appeal, pk=payload.appeal_id)
    eligible = {u.pk: u for u in services.eligible_choices(community)}
    parties = []
    for p in payload.parties:
        resident = None
        if p.resident_id is not None:
            resident = policy.get_for(
                request.user, "people.view", Resident.objects.filter(community=community), pk=p.resident_id
            )
        parties.append(services.PartyIn(role=p.role, name=p.name, resident=resident))
    case = services.case_open(
        actor=request.user,
        community=community,
        kind=payload.kind,
        account=payload.account,
        parties=parties,
        lead=eligible.get(payload.lead_id),
        co_mediators=[eligible[i] for i in payload.co_mediator_ids if i in eligible],
        urgency=payload.urgency,
        violence_risk=payload.violence_risk,
        appeal=appeal,
        request=request,
    )
    return Status(201, _status(case))


@router.get("/mediation/cases/{case_id}", response={200: CaseOut, 404: ErrorOut}, summary="One case (logged)")
@policy.permission("mediation.read")
def get_case(request: HttpRequest, case_id: Id) -> Any:
    return _read(request, _case(request, case_id))


@router.get(
    "/mediation/cases/{case_id}/status",
    response={200: StatusOut, 404: ErrorOut},
    summary="A case's number and status (also for the worker who opened it)",
)
@policy.permission("mediation.status")
def get_status(request: HttpRequest, case_id: Id) -> Any:
    return _status(_case(request, case_id, "mediation.status"))


class SessionIn(Schema):
    space_id: int
    starts_at: datetime
    ends_at: datetime


@router.post(
    "/mediation/cases/{case_id}/sessions",
    response={201: CaseOut, 404: ErrorOut, 422: ErrorOut},
    summary="Book a session in the mediation room",
)
@policy.permission("mediation.mediate")
def schedule(request: HttpRequest, case_id: Id, payload: SessionIn) -> Any:
    case = _case(request, case_id, "mediation.mediate")
    space = policy.get_for(
        request.user, "space.view", Space.objects.filter(community=case.community), pk=payload.space_id
    )
    services.session_schedule(
        actor=request.user,
        case=case,
        space=space,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        request=request,
    )
    return Status(201, _read(request, case))


class SessionRecordIn(Schema):
    attended: list[int] = Field(default_factory=list, max_length=20)
    notes: str = Field("", max_length=4000)


@router.post(
    "/mediation/cases/{case_id}/sessions/{mediation_session_id}",
    response={200: CaseOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record who attended a session and its notes",
)
@policy.permission("mediation.mediate")
def record_session(request: HttpRequest, case_id: Id, mediation_session_id: Id, payload: SessionRecordIn) -> Any:
    case = _case(request, case_id, "mediation.mediate")
    session = policy.get_for(
        request.user, "mediation.mediate", Session.objects.filter(case=case), pk=mediation_session_id
    )
    attended = list(Party.objects.filter(case=case, pk__in=payload.attended))
    services.session_record(
        actor=request.user, session=session, attended=attended, notes=payload.notes, request=request
    )
    return _read(request, case)


class UndertakingIn(Schema):
    party_id: int
    text: str = Field(..., max_length=2000)
    due_on: date


class AgreementIn(Schema):
    facts: str = Field(..., max_length=4000)
    undertakings: list[UndertakingIn] = Field(default_factory=list, max_length=20)


@router.post(
    "/mediation/cases/{case_id}/agreement",
    response={200: CaseOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record the agreement (调解协议书); schedules the follow-ups",
)
@policy.permission("mediation.mediate")
def agreement(request: HttpRequest, case_id: Id, payload: AgreementIn) -> Any:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    case = _case(request, case_id, "mediation.mediate")
    parties = {p.pk: p for p in case.parties.all()}
    items = []
    for u in payload.undertakings:
        if u.party_id not in parties:
            raise ValidationError({"undertakings": [_("Choose parties of this case.")]})
        items.append(services.UndertakingIn(parties[u.party_id], u.text, u.due_on))
    services.agreement_record(actor=request.user, case=case, facts=payload.facts, undertakings=items, request=request)
    return _read(request, case)


class MediationReasonIn(Schema):
    reason: str = Field(..., max_length=4000)


@router.post(
    "/mediation/cases/{case_id}/no-agreement",
    response={200: CaseOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record that no agreement was reached, with the reason",
)
@policy.permission("mediation.mediate")
def no_agreement(request: HttpRequest, case_id: Id, payload: MediationReasonIn) -> Any:
    case = _case(request, case_id, "mediation.mediate")
    services.no_agreement_record(actor=request.user, case=case, reason=payload.reason, request=request)
    return _read(request, case)


class ReferralIn(Schema):
    referred_to: str = Field(..., description=", ".join(ReferredTo.values))
    reason: str = Field(..., max_length=4000)


@router.post(
    "/mediation/cases/{case_id}/referral",
    response={200: CaseOut, 404: ErrorOut, 422: ErrorOut},
    summary="Refer the case on (司法所, 派出所, court), with why",
)
@policy.permission("mediation.mediate")
def referral(request: HttpRequest, case_id: Id, payload: ReferralIn) -> Any:
    case = _case(request, case_id, "mediation.mediate")
    services.referral_record(
        actor=request.user, case=case, referred_to=payload.referred_to, reason=payload.reason, request=request
    )
    return _read(request, case)


class FollowUpIn(Schema):
    result: str = Field(..., description=", ".join(FollowUp.Result.values))
    note: str = Field("", max_length=4000)


@router.post(
    "/mediation/cases/{case_id}/follow-ups/{follow_up_id}",
    response={200: CaseOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a follow-up (回访): kept, partly kept or broken",
)
@policy.permission("mediation.mediate")
def follow_up(request: HttpRequest, case_id: Id, follow_up_id: Id, payload: FollowUpIn) -> Any:
    case = _case(request, case_id, "mediation.mediate")
    item = policy.get_for(request.user, "mediation.mediate", FollowUp.objects.filter(case=case), pk=follow_up_id)
    services.follow_up_record(
        actor=request.user, follow_up=item, result=payload.result, note=payload.note, request=request
    )
    return _read(request, case)


@router.post(
    "/mediation/cases/{case_id}/reopen",
    response={200: CaseOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reopen a case whose agreement was broken",
)
@policy.permission("mediation.mediate")
def reopen(request: HttpRequest, case_id: Id) -> Any:
    case = _case(request, case_id, "mediation.mediate")
    services.case_reopen(actor=request.user, case=case, request=request)
    return _read(request, case)


class StatsOut(Schema):
    total: int
    decided: int
    average_days: float | None
    by_kind: dict[str, int]
    by_status: dict[str, int]
    by_month: dict[str, int]
    by_community: dict[str, int]
    follow_ups: dict[str, int]
    follow_ups_by_month: dict[str, dict[str, int]]


@router.get("/mediation/stats", response=StatsOut, summary="Counts of cases within reach (no personal data)")
@policy.permission("mediation.stats")
def stats(request: HttpRequest, start: date, end: date, community_id: int | None = None) -> Any:
    if not (1900 <= start.year <= 2999 and 1900 <= end.year <= 2999):
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError({"start": [_("Choose dates between 1900 and 2999.")]})
    s = selectors.stats_for(request.user, start=start, end=end, community_id=community_id)
    return {
        "total": s.total,
        "decided": s.decided,
        "average_days": s.average_days,
        "by_kind": s.by_kind,
        "by_status": s.by_status,
        "by_month": s.by_month,
        "by_community": {str(k): v for k, v in s.by_community.items()},
        "follow_ups": s.follow_ups,
        "follow_ups_by_month": s.follow_ups_by_month,
    }
