"""Meetings and decisions over JSON: the same selectors and services as the pages."""

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.accounts.models import User
from anju.consult.meetings import selectors, services
from anju.consult.models import Decision, Meeting, Topic
from anju.consult.topics import selectors as topic_selectors
from anju.core.api import ErrorOut
from anju.core.params import Id, OptionalId
from anju.spaces.models import Space

router = Router(tags=["consult"])


class MeetingOut(Schema):
    id: int
    community_id: int
    kind: str = Field(..., description=", ".join(Meeting.Kind.values))
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    space_id: int | None
    booking_id: int | None
    status: str = Field(..., description=", ".join(Meeting.Status.values))
    head_count: int | None
    checked_in: int = 0
    minutes: str
    summary: str
    notice_id: int | None
    topic_ids: list[int] = []

    @staticmethod
    def resolve_topic_ids(obj: Meeting) -> list[int]:
        return [a.topic_id for a in obj.agenda.all()]


class MeetingIn(Schema):
    community_id: Id
    kind: str = Field(..., description=", ".join(Meeting.Kind.values))
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    space_id: OptionalId = Field(None, description="book this space of the community for the meeting")
    topic_ids: list[Id] = Field(default_factory=list, description="the agenda")


class CheckinIn(Schema):
    code: str = Field("", max_length=64, description="the code of the meeting's QR poster")


class MinutesIn(Schema):
    minutes: str = ""
    head_count: int | None = Field(None, ge=0, le=services.MAX_HEAD_COUNT)


class DecisionOut(Schema):
    id: int
    meeting_id: int
    topic_id: int
    text: str
    owner_id: int
    owner: str
    due_on: date
    status: str = Field(..., description=", ".join(Decision.Status.values))
    done_at: datetime | None
    done_note: str

    @staticmethod
    def resolve_owner(obj: Decision) -> str:
        return str(obj.owner)


class MeetingDecisionIn(Schema):
    topic_id: OptionalId = None
    text: str = ""
    owner_id: OptionalId = Field(None, description="who carries it out (required)")
    due_on: date | None = Field(None, description="required")


class DoneIn(Schema):
    note: str = Field("", description="what was done (required)")


class SummaryIn(Schema):
    summary: str = ""


def _meeting(request: HttpRequest, meeting_id: int, action: str = "consult.view") -> Meeting:
    meeting: Meeting = policy.get_for(request.user, action, selectors.meetings_for(request.user), pk=meeting_id)
    return meeting


def _out(request: HttpRequest, meeting: Meeting) -> Meeting:
    return selectors.meetings_for(request.user).prefetch_related("agenda").get(pk=meeting.pk)


@router.get("/consult/meetings", response=list[MeetingOut], summary="Meetings within reach, latest first")
@policy.permission("consult.view")
def list_meetings(request: HttpRequest) -> Any:
    return selectors.meetings_for(request.user).prefetch_related("agenda").order_by("-starts_at", "-id")[:200]


@router.post(
    "/consult/meetings",
    response={201: MeetingOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Plan a meeting (booking its space through spaces), its agenda from topics",
)
@policy.permission("consult.manage")
def plan_meeting(request: HttpRequest, payload: MeetingIn) -> Any:
    community = policy.get_for(
        request.user,
        "consult.manage",
        topic_selectors.communities_for(request.user, "consult.manage"),
        pk=payload.community_id,
    )
    space = Space.objects.filter(pk=payload.space_id).first() if payload.space_id else None
    topics = list(Topic.objects.filter(pk__in=payload.topic_ids))
    if len(topics) != len(set(payload.topic_ids)):
        topics.append(Topic(community_id=0))  # an unknown topic is refused like another community's
    meeting = services.meeting_plan(
        actor=request.user,
        community=community,
        kind=payload.kind,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        place=payload.place,
        space=space if space is not None or not payload.space_id else Space(community_id=0),
        topics=topics,
        request=request,
    )
    return Status(201, _out(request, meeting))


@router.get("/consult/meetings/{meeting_id}", response={200: MeetingOut, 404: ErrorOut}, summary="One meeting")
@policy.permission("consult.view")
def get_meeting(request: HttpRequest, meeting_id: Id) -> Any:
    return _out(request, _meeting(request, meeting_id))


@router.post(
    "/consult/meetings/{meeting_id}/checkin",
    response={200: MeetingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Check in with the code of the meeting's QR poster",
)
@policy.permission("consult.checkin")
def checkin(request: HttpRequest, meeting_id: Id, payload: CheckinIn) -> Any:
    meeting = _meeting(request, meeting_id, "consult.checkin")
    services.meeting_checkin(actor=request.user, meeting=meeting, token=payload.code, request=request)
    return _out(request, meeting)


@router.post(
    "/consult/meetings/{meeting_id}/invitations",
    response={200: MeetingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Invite the community's residents through their inbox (each once)",
)
@policy.permission("consult.manage")
def invite(request: HttpRequest, meeting_id: Id) -> Any:
    meeting = _meeting(request, meeting_id, "consult.manage")
    services.meeting_invite(actor=request.user, meeting=meeting, request=request)
    return _out(request, meeting)


@router.put(
    "/consult/meetings/{meeting_id}/minutes",
    response={200: MeetingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Save the minutes and the head count",
)
@policy.permission("consult.manage")
def minutes(request: HttpRequest, meeting_id: Id, payload: MinutesIn) -> Any:
    meeting = _meeting(request, meeting_id, "consult.manage")
    services.meeting_minutes(
        actor=request.user, meeting=meeting, minutes=payload.minutes, head_count=payload.head_count, request=request
    )
    return _out(request, meeting)


@router.post(
    "/consult/meetings/{meeting_id}/decisions",
    response={201: DecisionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a decision with its owner and due date",
)
@policy.permission("consult.manage")
def record_decision(request: HttpRequest, meeting_id: Id, payload: MeetingDecisionIn) -> Any:
    meeting = _meeting(request, meeting_id, "consult.manage")
    topic = Topic.objects.filter(pk=payload.topic_id).first() if payload.topic_id else None
    owner: User | None = None
    if payload.owner_id:
        owner = User.objects.filter(pk=payload.owner_id).first() or User(pk=0, is_active=False)
    return Status(
        201,
        services.decision_record(
            actor=request.user,
            meeting=meeting,
            topic=topic,
            text=payload.text,
            owner=owner,
            due_on=payload.due_on,
            request=request,
        ),
    )


@router.post(
    "/consult/meetings/{meeting_id}/summary",
    response={200: MeetingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Publish the summary on the notice board (once)",
)
@policy.permission("consult.manage")
def publish(request: HttpRequest, meeting_id: Id, payload: SummaryIn) -> Any:
    meeting = _meeting(request, meeting_id, "consult.manage")
    services.summary_publish(actor=request.user, meeting=meeting, summary=payload.summary, request=request)
    return _out(request, meeting)


@router.get(
    "/consult/decisions", response=list[DecisionOut], summary="Decisions within reach and what was done (每件事有回音)"
)
@policy.permission("consult.view")
def list_decisions(request: HttpRequest) -> Any:
    return selectors.decisions_for(request.user).order_by("-id")[:200]


@router.post(
    "/consult/decisions/{decision_id}/done",
    response={200: DecisionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Report a decision done (its owner or staff), saying what was done",
)
@policy.permission("consult.view")
def done(request: HttpRequest, decision_id: Id, payload: DoneIn) -> Any:
    decision = policy.get_for(request.user, "consult.view", selectors.decisions_for(request.user), pk=decision_id)
    if decision.owner_id != request.user.pk and not policy.can(request.user, "consult.manage", decision):
        raise Http404
    return services.decision_done(actor=request.user, decision=decision, note=payload.note, request=request)
