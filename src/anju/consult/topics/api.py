"""Topics, proposals and supports, and the 每月一题 candidates over JSON: the same selectors and services as the
pages."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.consult.grouping import services as grouping
from anju.consult.models import Candidate, Proposal, Topic
from anju.consult.topics import selectors, services
from anju.core.api import ErrorOut
from anju.core.params import Id, OptionalId
from anju.orgs.models import OrgUnit

router = Router(tags=["consult"])


class TopicOut(Schema):
    id: int
    community_id: int
    title: str
    body: str
    status: str = Field(..., description=", ".join(Topic.Status.values))
    origin: str = Field(..., description=", ".join(Topic.Origin.values))
    created_at: datetime


class TopicIn(Schema):
    community_id: Id
    title: str
    body: str = ""


class ProposalOut(Schema):
    id: int
    community_id: int
    title: str
    body: str
    status: str = Field(..., description=", ".join(Proposal.Status.values))
    threshold: int = Field(..., description="households needed to put it on the agenda")
    support_count: int = Field(..., description="households supporting it")
    supported: bool = Field(False, description="the caller's household supports it")
    topic_id: int | None = Field(None, description="the topic it became at its threshold")
    created_at: datetime


class ProposalIn(Schema):
    title: str
    body: str = ""
    community_id: OptionalId = Field(None, description="default: the caller's household's community")


class CandidateOut(Schema):
    id: int
    community_id: int
    unit_id: int
    title: str
    category_name: str
    keywords: list[str]
    appeal_ids: list[int]
    first_at: datetime
    last_at: datetime
    status: str
    topic_id: int | None


@router.get("/consult/topics", response=list[TopicOut], summary="Topics within reach, newest first")
@policy.permission("consult.view")
def list_topics(request: HttpRequest) -> Any:
    return selectors.topics_for(request.user).order_by("-created_at", "-id")[:200]


@router.post("/consult/topics", response={201: TopicOut, 404: ErrorOut, 422: ErrorOut}, summary="Open a topic")
@policy.permission("consult.manage")
def open_topic(request: HttpRequest, payload: TopicIn) -> Any:
    community = policy.get_for(
        request.user,
        "consult.manage",
        selectors.communities_for(request.user, "consult.manage"),
        pk=payload.community_id,
    )
    return Status(
        201,
        services.topic_open(
            actor=request.user, community=community, title=payload.title, body=payload.body, request=request
        ),
    )


@router.get("/consult/topics/{topic_id}", response={200: TopicOut, 404: ErrorOut}, summary="One topic")
@policy.permission("consult.view")
def get_topic(request: HttpRequest, topic_id: Id) -> Any:
    return policy.get_for(request.user, "consult.view", selectors.topics_for(request.user), pk=topic_id)


@router.get("/consult/proposals", response=list[ProposalOut], summary="Proposals within reach, newest first")
@policy.permission("consult.view")
def list_proposals(request: HttpRequest) -> Any:
    return selectors.proposals_for(request.user).order_by("-created_at", "-id")[:200]


@router.post(
    "/consult/proposals",
    response={201: ProposalOut, 422: ErrorOut},
    summary="Make a proposal in one's community (one's household supports it)",
)
@policy.permission("consult.propose")
def make_proposal(request: HttpRequest, payload: ProposalIn) -> Any:
    community = OrgUnit.objects.filter(pk=payload.community_id).first() if payload.community_id else None
    if payload.community_id and community is None:
        community = OrgUnit(pk=0)  # refused below as another community, like one outside reach
    made = services.proposal_make(
        actor=request.user, title=payload.title, body=payload.body, community=community, request=request
    )
    return Status(201, selectors.proposals_for(request.user).get(pk=made.pk))


@router.post(
    "/consult/proposals/{proposal_id}/supports",
    response={201: ProposalOut, 404: ErrorOut, 422: ErrorOut},
    summary="Support a proposal for one's household (once); at its threshold it becomes a topic on the agenda",
)
@policy.permission("consult.propose")
def support_proposal(request: HttpRequest, proposal_id: Id) -> Any:
    proposal = policy.get_for(request.user, "consult.propose", selectors.proposals_for(request.user), pk=proposal_id)
    services.proposal_support(actor=request.user, proposal=proposal, request=request)
    return Status(201, selectors.proposals_for(request.user).get(pk=proposal.pk))


@router.get(
    "/consult/candidates",
    response=list[CandidateOut],
    summary="每月一题 candidates drawn from recurring appeals (suggested ones)",
)
@policy.permission("consult.manage")
def list_candidates(request: HttpRequest) -> Any:
    return selectors.candidates_for(request.user).filter(status=Candidate.Status.SUGGESTED).order_by("-last_at")[:200]


@router.post(
    "/consult/candidates/{candidate_id}/accept",
    response={201: TopicOut, 404: ErrorOut, 422: ErrorOut},
    summary="Make a topic of a candidate",
)
@policy.permission("consult.manage")
def accept_candidate(request: HttpRequest, candidate_id: Id) -> Any:
    candidate = policy.get_for(request.user, "consult.manage", selectors.candidates_for(request.user), pk=candidate_id)
    return Status(201, grouping.candidate_accept(actor=request.user, candidate=candidate, request=request))
