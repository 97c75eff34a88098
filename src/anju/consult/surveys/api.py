"""Opinion collection over JSON: residents answer for themselves, volunteers and workers on a resident's behalf and
from paper forms, workers record a meeting's show of hands; results are counts only (never who chose what).
The same selectors and services as the pages."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.consult.models import Meeting, Survey, Topic
from anju.consult.models.surveys import Channel
from anju.consult.surveys import selectors, services
from anju.core import screening
from anju.core.api import ErrorOut
from anju.core.params import Id, OptionalId
from anju.orgs.models import OrgUnit
from anju.people import selectors as people_selectors
from anju.people.models import Resident

router = Router(tags=["consult"])


def _survey(request: HttpRequest, survey_id: int, action: str) -> Survey:
    return policy.get_for(request.user, action, selectors.surveys_for(request.user), pk=survey_id)


class OptionOut(Schema):
    id: int
    label: str


class QuestionOut(Schema):
    id: int
    kind: str = Field(..., description="single, multiple, rating or text")
    text: str
    required: bool
    rating_max: int | None = None
    options: list[OptionOut]


class SurveyOut(Schema):
    id: int
    community_id: int
    title: str
    description: str = Field(..., description="typed numbers masked")
    per: str = Field(..., description="household: one answer per household; person: one per resident")
    status: str = Field(..., description="draft, open or closed")
    topic_id: int | None


class SurveyDetailOut(SurveyOut):
    questions: list[QuestionOut]
    answered: bool = Field(..., description="the caller's household (or the caller, per person) has answered")


def _out(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "community_id": survey.community_id,
        "title": survey.title,
        "description": screening.masked(survey.description),
        "per": survey.per,
        "status": survey.status,
        "topic_id": survey.topic_id,
    }


def _detail(request: HttpRequest, survey: Survey) -> dict[str, Any]:
    return {
        **_out(survey),
        "answered": selectors.answered(survey, selectors.resident_for(request.user)),
        "questions": [
            {
                "id": q.pk,
                "kind": q.kind,
                "text": q.text,
                "required": q.required,
                "rating_max": q.rating_max if q.kind == "rating" else None,
                "options": [{"id": o.pk, "label": o.label} for o in q.options.all()],
            }
            for q in selectors.questions_of(survey)
        ],
    }


@router.get("/consult/surveys", response=list[SurveyOut], summary="Surveys of the communities within reach")
@policy.permission("consult.survey_view")
def surveys(request: HttpRequest, topic_id: OptionalId = None) -> Any:
    qs = selectors.surveys_for(request.user)
    if topic_id is not None:
        qs = qs.filter(topic_id=topic_id)
    return [_out(s) for s in qs[:200]]


class SurveyIn(Schema):
    community_id: int
    title: str
    per: str = Field("household", description="household or person")
    description: str = ""
    topic_id: int | None = None


@router.post(
    "/consult/surveys", response={201: SurveyDetailOut, 404: ErrorOut, 422: ErrorOut}, summary="Create a survey"
)
@policy.permission("consult.survey_manage")
def create(request: HttpRequest, payload: SurveyIn) -> Any:
    community = policy.get_for(
        request.user, "consult.survey_manage", OrgUnit.objects.communities(), pk=payload.community_id
    )
    topic = None
    if payload.topic_id is not None:
        topic = policy.get_for(
            request.user, "consult.survey_manage", Topic.objects.filter(community=community), pk=payload.topic_id
        )
    survey = services.survey_create(
        actor=request.user,
        community=community,
        title=payload.title,
        per=payload.per,
        description=payload.description,
        topic=topic,
        request=request,
    )
    return Status(201, _detail(request, survey))


@router.get(
    "/consult/surveys/{survey_id}",
    response={200: SurveyDetailOut, 404: ErrorOut},
    summary="A survey with its questions",
)
@policy.permission("consult.survey_view")
def detail(request: HttpRequest, survey_id: Id) -> Any:
    return _detail(request, _survey(request, survey_id, "consult.survey_view"))


class QuestionIn(Schema):
    kind: str = Field(..., description="single, multiple, rating or text")
    text: str
    options: list[str] = []
    rating_max: int = 5
    required: bool = True


@router.post(
    "/consult/surveys/{survey_id}/questions",
    response={201: SurveyDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a question to a draft survey",
)
@policy.permission("consult.survey_manage")
def add_question(request: HttpRequest, survey_id: Id, payload: QuestionIn) -> Any:
    survey = _survey(request, survey_id, "consult.survey_manage")
    services.question_add(
        actor=request.user,
        survey=survey,
        kind=payload.kind,
        text=payload.text,
        options=payload.options,
        rating_max=payload.rating_max,
        required=payload.required,
        request=request,
    )
    return Status(201, _detail(request, survey))


@router.post(
    "/consult/surveys/{survey_id}/open",
    response={200: SurveyDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Open a draft survey for answers",
)
@policy.permission("consult.survey_manage")
def open_survey(request: HttpRequest, survey_id: Id) -> Any:
    survey = services.survey_open(
        actor=request.user, survey=_survey(request, survey_id, "consult.survey_manage"), request=request
    )
    return _detail(request, survey)


@router.post(
    "/consult/surveys/{survey_id}/close",
    response={200: SurveyDetailOut, 404: ErrorOut, 422: ErrorOut},
    summary="Close a survey: no answer is taken after it",
)
@policy.permission("consult.survey_manage")
def close_survey(request: HttpRequest, survey_id: Id) -> Any:
    survey = services.survey_close(
        actor=request.user, survey=_survey(request, survey_id, "consult.survey_manage"), request=request
    )
    return _detail(request, survey)


class AnswerIn(Schema):
    question_id: int
    options: list[int] = Field([], description="the option ids chosen (one for a single choice)")
    rating: int | None = None
    text: str = ""


class AnswersIn(Schema):
    answers: list[AnswerIn]


class OnBehalfIn(AnswersIn):
    household_id: int
    resident_id: int | None = Field(None, description="who answers, when the survey takes one answer per person")


class ParticipationOut(Schema):
    survey_id: int
    household_id: int
    channel: str
    created_at: Any


def _answers(payload: AnswersIn) -> dict[int, services.Answer]:
    ids = [a.question_id for a in payload.answers]
    if len(set(ids)) != len(ids):
        raise ValidationError({"answers": [_("One answer per question.")]})
    return {
        a.question_id: services.Answer(options=tuple(a.options), rating=a.rating, text=a.text) for a in payload.answers
    }


def _participation_out(p: Any) -> dict[str, Any]:
    return {"survey_id": p.survey_id, "household_id": p.household_id, "channel": p.channel, "created_at": p.created_at}


@router.post(
    "/consult/surveys/{survey_id}/answers",
    response={201: ParticipationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Answer a survey online, for oneself (or one's household)",
)
@policy.permission("consult.survey_answer")
def answer(request: HttpRequest, survey_id: Id, payload: AnswersIn) -> Any:
    survey = _survey(request, survey_id, "consult.survey_answer")
    me = selectors.resident_for(request.user)
    if me is None or me.community_id != survey.community_id:
        raise ValidationError(
            _("Your account is not matched to a household of this community: ask a volunteer or the station.")
        )
    p = services.survey_answer(
        actor=request.user,
        survey=survey,
        household=me.household,
        resident=me,
        channel=Channel.ONLINE,
        answers=_answers(payload),
        request=request,
    )
    return Status(201, _participation_out(p))


def _on_behalf(request: HttpRequest, survey_id: int, payload: OnBehalfIn, channel: str, action: str) -> Any:
    survey = _survey(request, survey_id, action)
    household = policy.get_for(
        request.user,
        "consult.survey_assist",
        people_selectors.households_visible(request.user, "consult.survey_assist").filter(
            community_id=survey.community_id
        ),
        pk=payload.household_id,
    )
    resident = None
    if payload.resident_id is not None:
        resident = Resident.objects.filter(pk=payload.resident_id, household=household).first()
        if resident is None:
            raise ValidationError({"resident_id": [_("Choose a resident living in this household.")]})
    p = services.survey_answer(
        actor=request.user,
        survey=survey,
        household=household,
        resident=resident,
        channel=channel,
        answers=_answers(payload),
        request=request,
    )
    return Status(201, _participation_out(p))


@router.post(
    "/consult/surveys/{survey_id}/assisted",
    response={201: ParticipationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Answer on a resident's behalf (recorded as assisted, with who helped)",
)
@policy.permission("consult.survey_assist")
def assisted(request: HttpRequest, survey_id: Id, payload: OnBehalfIn) -> Any:
    return _on_behalf(request, survey_id, payload, Channel.ASSISTED, "consult.survey_assist")


@router.post(
    "/consult/surveys/{survey_id}/paper",
    response={201: ParticipationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Type in a paper form (the household by its door number's household id)",
)
@policy.permission("consult.survey_enter")
def paper(request: HttpRequest, survey_id: Id, payload: OnBehalfIn) -> Any:
    return _on_behalf(request, survey_id, payload, Channel.PAPER, "consult.survey_enter")


class TallyIn(Schema):
    question_id: int
    meeting_id: int | None = Field(None, description="one of consult's meetings of the survey's community")
    meeting: str = Field("", description="the meeting's name, e.g. 第二次板凳会 (default: the meeting's title)")
    held_on: date
    attendance: int = Field(..., description="people at the meeting (head count)")
    votes: dict[int, int] = Field(..., description="option id → hands raised")


class SurveyTallyOut(Schema):
    id: int
    question_id: int
    meeting_id: int | None
    meeting: str
    held_on: date
    attendance: int
    votes: dict[int, int]


@router.post(
    "/consult/surveys/{survey_id}/tallies",
    response={201: SurveyTallyOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a meeting's show of hands on a question (kept beside the households' answers)",
)
@policy.permission("consult.survey_enter")
def tally(request: HttpRequest, survey_id: Id, payload: TallyIn) -> Any:
    survey = _survey(request, survey_id, "consult.survey_enter")
    question = survey.questions.filter(pk=payload.question_id).first()
    if question is None:
        raise ValidationError({"question_id": [_("Choose a choice question of this survey.")]})
    meeting = None
    if payload.meeting_id is not None:
        meeting = policy.get_for(
            request.user,
            "consult.survey_enter",
            Meeting.objects.filter(community_id=survey.community_id),
            pk=payload.meeting_id,
        )
    t = services.tally_record(
        actor=request.user,
        survey=survey,
        question=question,
        meeting=meeting,
        meeting_label=payload.meeting,
        held_on=payload.held_on,
        attendance=payload.attendance,
        votes=payload.votes,
        request=request,
    )
    return Status(
        201,
        {
            "id": t.pk,
            "question_id": t.question_id,
            "meeting_id": t.meeting_id,
            "meeting": t.meeting_label,
            "held_on": t.held_on,
            "attendance": t.attendance,
            "votes": {c.option_id: c.votes for c in t.counts.all()},
        },
    )


class CountOut(Schema):
    label: str
    count: int
    share: int = Field(..., description="per cent")


class TallyResultOut(Schema):
    meeting: str
    held_on: date
    attendance: int
    counts: list[CountOut]


class QuestionResultOut(Schema):
    question_id: int
    text: str
    kind: str
    answers: int
    options: list[CountOut]
    ratings: list[CountOut]
    rating_average: float | None
    texts: list[str] = Field(..., description="free answers, typed numbers masked, in no particular order")
    tallies: list[TallyResultOut] = Field(..., description="shows of hands at meetings: never in the counts above")


class BuildingOut(Schema):
    unit_id: int
    name: str
    answered: int
    of: int


class ResultsOut(Schema):
    survey_id: int
    status: str
    counted: bool = Field(..., description="choices are counted once the survey is closed")
    participants: int = Field(..., description="households (or residents) that answered, every channel")
    of: int
    by_channel: list[CountOut]
    by_building: list[BuildingOut]
    questions: list[QuestionResultOut]


def _count(row: Any) -> dict[str, Any]:
    return {"label": row.label, "count": row.count, "share": row.share}


@router.get(
    "/consult/surveys/{survey_id}/results",
    response={200: ResultsOut, 404: ErrorOut},
    summary="A survey's results: counts by channel, building and option; shows of hands beside them",
)
@policy.permission("consult.survey_results")
def results(request: HttpRequest, survey_id: Id) -> Any:
    r = selectors.results(_survey(request, survey_id, "consult.survey_results"))
    return {
        "survey_id": r.survey.pk,
        "status": r.survey.status,
        "counted": r.counted,
        "participants": r.participants,
        "of": r.of,
        "by_channel": [_count(c) for c in r.by_channel],
        "by_building": [
            {"unit_id": b.unit_id, "name": b.name, "answered": b.answered, "of": b.of} for b in r.by_building
        ],
        "questions": [
            {
                "question_id": q.question.pk,
                "text": q.question.text,
                "kind": q.question.kind,
                "answers": q.answers,
                "options": [_count(o) for o in q.options],
                "ratings": [_count(o) for o in q.ratings],
                "rating_average": q.rating_average,
                "texts": q.texts,
                "tallies": [
                    {
                        "meeting": t.meeting,
                        "held_on": t.held_on,
                        "attendance": t.attendance,
                        "counts": [_count(c) for c in t.counts],
                    }
                    for t in q.tallies
                ],
            }
            for q in r.questions
        ],
    }


class SurveyHouseholdOut(Schema):
    household_id: int
    building: str
    address: str
    answered: int = Field(..., description="answers from the household (per person: its residents who answered)")
    channels: list[str]


@router.get(
    "/consult/surveys/{survey_id}/participation",
    response={200: list[SurveyHouseholdOut], 404: ErrorOut},
    summary="Which households within reach have answered (whom to visit); never what they chose",
)
@policy.permission("consult.survey_assist")
def participation(request: HttpRequest, survey_id: Id) -> Any:
    survey = _survey(request, survey_id, "consult.survey_assist")
    return [
        {
            "household_id": row.household.pk,
            "building": group.name,
            "address": str(row.household),
            "answered": row.answered,
            "channels": row.channels,
        }
        for group in selectors.participation(survey, request.user)
        for row in group.rows
    ]
