"""Honours (评比) over JSON: the campaigns one may read with their criteria, nominees, scores (once on public
notice) and the public answers to objections; nominating, scoring, objecting and voting for one's household; the
staff's stage steps and answers. The same selectors (who sees what) and services (validation, audit) as the pages.
Objects of another community answer 404, like missing ones."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.consult.honours import selectors, services
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import Campaign, CampaignStatus, Nomination
from anju.core import screening
from anju.core.api import ErrorOut
from anju.core.params import Id, OptionalId
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Household, Resident

router = Router(tags=["consult"])

PUBLISHED_SCORES = (CampaignStatus.NOTICE, CampaignStatus.VOTING, CampaignStatus.FINAL)


class HonoursCriterionOut(Schema):
    id: int
    name: str
    weight: int


class HonoursNominationOut(Schema):
    id: int
    name: str
    reason: str = Field(..., description="typed numbers masked")
    area: str = Field(..., description="the area whose households score this nominee")
    status: str = Field(..., description="nominated, shortlisted, not_shortlisted, struck, honoured")
    sheets: int | None = Field(..., description="score sheets (published with the public notice)")
    score: Decimal | None = Field(..., description="out of 100 (published with the public notice)")
    votes: int | None = Field(..., description="votes (published with the results)")
    rank: int | None
    scored_by_me: bool = Field(..., description="whether the caller's household has scored this nominee")


class HonoursCampaignRow(Schema):
    id: int
    community_id: int
    title: str
    subject: str = Field(..., description="unit, household or person")
    status: str = Field(..., description="draft, nominating, scoring, notice, voting, final")
    period_start: date
    period_end: date


class HonoursCampaignOut(HonoursCampaignRow):
    description: str
    nominators: str = Field(..., description="staff or residents")
    places: int
    shortlist_size: int
    notice_days: int
    notice_from: date | None
    notice_until: date | None
    vote_round: bool
    vote_until: date | None
    points: int
    criteria: list[HonoursCriterionOut]
    nominations: list[HonoursNominationOut]
    voted: bool = Field(..., description="whether the caller's household has voted")


def _campaign(request: HttpRequest, campaign_id: int, action: str = "honours.view") -> Campaign:
    return policy.get_for(request.user, action, selectors.campaigns_visible(request.user), pk=campaign_id)


def _nomination(request: HttpRequest, nomination_id: int, action: str) -> Nomination:
    return policy.get_for(request.user, action, selectors.nominations_visible(request.user), pk=nomination_id)


def _nomination_out(n: Nomination, campaign: Campaign, mine: set[int]) -> dict[str, Any]:
    scores = campaign.status in PUBLISHED_SCORES
    return {
        "id": n.pk,
        "name": n.name,
        "reason": screening.masked(n.reason),
        "area": n.area.name,
        "status": n.status,
        "sheets": n.sheets if scores else None,
        "score": n.score if scores else None,
        "votes": n.votes if campaign.status == CampaignStatus.FINAL and campaign.vote_round else None,
        "rank": n.rank,
        "scored_by_me": n.pk in mine,
    }


def _row(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.pk,
        "community_id": c.community_id,
        "title": c.title,
        "subject": c.subject,
        "status": c.status,
        "period_start": c.period_start,
        "period_end": c.period_end,
    }


def _campaign_out(campaign: Campaign, user: Any) -> dict[str, Any]:
    household = services.household_of(user)
    mine = selectors.sheets_by(campaign, household)
    return {
        **_row(campaign),
        "description": campaign.description,
        "nominators": campaign.nominators,
        "places": campaign.places,
        "shortlist_size": campaign.shortlist_size,
        "notice_days": campaign.notice_days,
        "notice_from": campaign.notice_from,
        "notice_until": campaign.notice_until,
        "vote_round": campaign.vote_round,
        "vote_until": campaign.vote_until,
        "points": campaign.points,
        "criteria": list(campaign.criteria.order_by("position")),
        "nominations": [_nomination_out(n, campaign, mine) for n in selectors.nominations_of(campaign)],
        "voted": selectors.vote_of(campaign, household) is not None,
    }


@router.get("/consult/honours", response=list[HonoursCampaignRow], summary="Honours campaigns the caller may read")
@policy.permission("honours.view")
def list_campaigns(request: HttpRequest) -> Any:
    qs = selectors.campaigns_visible(request.user).order_by("community__path", "-period_end", "-id")[:200]
    return [_row(c) for c in qs]


class HonoursCriterionIn(Schema):
    name: str = ""
    weight: int = Field(0, ge=0, le=1000)


class HonoursCampaignIn(Schema):
    community_id: int = 0
    title: str = ""
    subject: str = Field("", description="unit (a lane or building), household or person")
    description: str = ""
    nominators: str = Field("residents", description="staff or residents")
    period_start: date | None = None
    period_end: date | None = None
    criteria: list[HonoursCriterionIn] = Field(default_factory=list, max_length=50)
    places: int = Field(3, ge=0, le=1000)
    shortlist_size: int = Field(5, ge=0, le=1000)
    notice_days: int = Field(7, ge=0, le=1000)
    vote_round: bool = False
    vote_days: int = Field(7, ge=0, le=1000)
    points: int = Field(0, ge=0, le=100000)


@router.post(
    "/consult/honours",
    response={201: HonoursCampaignOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create an honours campaign (a draft) with its weighted criteria",
)
@policy.permission("honours.manage")
def create(request: HttpRequest, payload: HonoursCampaignIn) -> Any:
    community = policy.get_for(
        request.user, "honours.manage", OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), pk=payload.community_id
    )
    campaign = services.campaign_create(
        actor=request.user,
        community=community,
        title=payload.title,
        subject=payload.subject,
        description=payload.description,
        nominators=payload.nominators,
        period_start=payload.period_start,  # type: ignore[arg-type]
        period_end=payload.period_end,  # type: ignore[arg-type]
        criteria=[(c.name, c.weight) for c in payload.criteria],
        places=payload.places,
        shortlist_size=payload.shortlist_size,
        notice_days=payload.notice_days,
        vote_round=payload.vote_round,
        vote_days=payload.vote_days,
        points=payload.points,
        request=request,
    )
    return Status(201, _campaign_out(campaign, request.user))


@router.get(
    "/consult/honours/{campaign_id}",
    response={200: HonoursCampaignOut, 404: ErrorOut},
    summary="One campaign: criteria, nominees, scores once on public notice, results",
)
@policy.permission("honours.view")
def get_campaign(request: HttpRequest, campaign_id: Id) -> Any:
    return _campaign_out(_campaign(request, campaign_id), request.user)


class HonoursStepIn(Schema):
    step: str = Field("", description="open_nominations, open_scoring, publish_notice, open_vote or publish_results")


STEPS: dict[str, Callable[..., Campaign]] = {
    "open_nominations": services.nominations_open,
    "open_scoring": services.scoring_open,
    "publish_notice": publicity.notice_publish,
    "open_vote": evaluation.vote_open,
    "publish_results": publicity.results_publish,
}


@router.post(
    "/consult/honours/{campaign_id}/steps",
    response={200: HonoursCampaignOut, 404: ErrorOut, 422: ErrorOut},
    summary="Move a campaign to its next stage (results refused while an objection waits for an answer)",
)
@policy.permission("honours.manage")
def step(request: HttpRequest, campaign_id: Id, payload: HonoursStepIn) -> Any:
    campaign = _campaign(request, campaign_id, "honours.manage")
    run = STEPS.get(payload.step)
    if run is None:
        raise ValidationError({"step": [_("Choose a step: %(steps)s.") % {"steps": ", ".join(STEPS)}]})
    campaign = run(actor=request.user, campaign=campaign, request=request)
    return _campaign_out(campaign, request.user)


class HonoursNominationIn(Schema):
    unit_id: OptionalId = Field(None, description="a lane, grid or building (campaigns honouring a unit)")
    household_id: OptionalId = Field(None, description="a household (campaigns honouring a household)")
    resident_id: OptionalId = Field(None, description="a person (campaigns honouring a person)")
    name: str = Field("", description="the name shown on the notice board and the certificate")
    reason: str = ""


@router.post(
    "/consult/honours/{campaign_id}/nominations",
    response={201: HonoursNominationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Nominate a lane, a household or a person, with the reason",
)
@policy.permission("honours.take_part")
def nominate(request: HttpRequest, campaign_id: Id, payload: HonoursNominationIn) -> Any:
    campaign = _campaign(request, campaign_id, "honours.take_part")
    scope = OrgUnit.objects.subtree_of(campaign.community)
    unit = scope.filter(pk=payload.unit_id).first() if payload.unit_id else None
    household = (
        Household.objects.filter(community=campaign.community, pk=payload.household_id).first()
        if payload.household_id
        else None
    )
    resident = (
        Resident.objects.filter(community=campaign.community, pk=payload.resident_id).first()
        if payload.resident_id
        else None
    )
    if any(
        given and found is None
        for given, found in (
            (payload.unit_id, unit),
            (payload.household_id, household),
            (payload.resident_id, resident),
        )
    ):
        raise ValidationError({"nominee": [_("Choose a nominee of the campaign's community.")]})
    nomination = services.nominate(
        actor=request.user,
        campaign=campaign,
        unit=unit,
        household=household,
        resident=resident,
        name=payload.name,
        reason=payload.reason,
        request=request,
    )
    return Status(201, _nomination_out(nomination, campaign, set()))


class HonoursSheetIn(Schema):
    scores: dict[int, int] = Field(default_factory=dict, description="criterion id → score from 1 to 5")
    household_id: OptionalId = Field(
        None,
        description="staff of the community only: the household whose paper sheet (scored at a bench meeting) "
        "this is; without it, the caller's own household scores",
    )


class HonoursSheetOut(Schema):
    id: int
    nomination_id: int
    total: Decimal = Field(..., description="the weighted mean of this sheet (1 to 5)")


@router.post(
    "/consult/honours/nominations/{nomination_id}/scores",
    response={201: HonoursSheetOut, 404: ErrorOut, 422: ErrorOut},
    summary="Score a nominee of one's area for one's household, or type in a household's paper sheet (staff); "
    "one sheet per household, never one's own",
)
@policy.permission("honours.take_part")
def score(request: HttpRequest, nomination_id: Id, payload: HonoursSheetIn) -> Any:
    nomination = _nomination(request, nomination_id, "honours.take_part")
    household = None
    if payload.household_id is not None:
        if not selectors.may_manage(request.user, nomination.campaign):
            raise ValidationError({"household": [_("Only the community's staff type in a paper score sheet.")]})
        household = Household.objects.select_related("unit").filter(pk=payload.household_id).first()
        if household is None:
            raise ValidationError({"household": [_("Choose a household of the campaign's community.")]})
    sheet = evaluation.sheet_submit(
        actor=request.user, nomination=nomination, scores=payload.scores, household=household, request=request
    )
    return Status(201, {"id": sheet.pk, "nomination_id": nomination.pk, "total": sheet.total})


class HonoursVoteOut(Schema):
    id: int
    campaign_id: int


@router.post(
    "/consult/honours/nominations/{nomination_id}/votes",
    response={201: HonoursVoteOut, 404: ErrorOut, 422: ErrorOut},
    summary="Vote for a shortlisted nominee (one vote per household and campaign)",
)
@policy.permission("honours.take_part")
def vote(request: HttpRequest, nomination_id: Id) -> Any:
    nomination = _nomination(request, nomination_id, "honours.take_part")
    cast = evaluation.vote_cast(actor=request.user, nomination=nomination, request=request)
    return Status(201, {"id": cast.pk, "campaign_id": cast.campaign_id})


class HonoursObjectionOut(Schema):
    id: int
    nominee: str = Field(..., description="the nominee objected to (empty: the campaign)")
    body: str = Field(..., description="typed numbers masked")
    status: str = Field(..., description="pending, upheld or rejected")
    answer: str = Field(..., description="the published answer; the objector is never shown")


class HonoursObjectionIn(Schema):
    nomination_id: OptionalId = None
    body: str = ""


@router.get(
    "/consult/honours/{campaign_id}/objections",
    response={200: list[HonoursObjectionOut], 404: ErrorOut},
    summary="The objections of a campaign and their public answers (never who objected)",
)
@policy.permission("honours.view")
def list_objections(request: HttpRequest, campaign_id: Id) -> Any:
    return selectors.objections_public(_campaign(request, campaign_id))


@router.post(
    "/consult/honours/{campaign_id}/objections",
    response={201: HonoursObjectionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Object during the public notice (about a nominee or the campaign)",
)
@policy.permission("honours.take_part")
def object_to(request: HttpRequest, campaign_id: Id, payload: HonoursObjectionIn) -> Any:
    campaign = _campaign(request, campaign_id, "honours.take_part")
    nomination = None
    if payload.nomination_id is not None:
        nomination = campaign.nominations.filter(pk=payload.nomination_id).first()
        if nomination is None:
            raise ValidationError({"nomination": [_("Choose a nominee of this campaign.")]})
    objection = publicity.objection_raise(
        actor=request.user, campaign=campaign, nomination=nomination, body=payload.body, request=request
    )
    return Status(201, _objection_out(objection))


def _objection_out(o: Any) -> dict[str, Any]:
    return {
        "id": o.pk,
        "nominee": o.nomination.name if o.nomination else "",
        "body": screening.masked(o.body),
        "status": o.status,
        "answer": o.answer,
    }


class HonoursAnswerIn(Schema):
    upheld: bool = False
    answer: str = ""


@router.post(
    "/consult/honours/objections/{objection_id}/answer",
    response={200: HonoursObjectionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Uphold (the nominee is struck off) or reject an objection, with a published answer",
)
@policy.permission("honours.manage")
def answer(request: HttpRequest, objection_id: Id, payload: HonoursAnswerIn) -> Any:
    objection = policy.get_for(
        request.user, "honours.manage", selectors.objections_visible(request.user), pk=objection_id
    )
    objection = publicity.objection_answer(
        actor=request.user, objection=objection, upheld=payload.upheld, answer=payload.answer, request=request
    )
    return _objection_out(objection)
