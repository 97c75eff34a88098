import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import BaseModel

from anju.access import policy
from anju.appeals import privacy, selectors, steps
from anju.appeals.callback import followers
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, Category, Channel, Urgency
from anju.appeals.rates import selectors as rate_selectors
from anju.appeals.requesters import services as requesters
from anju.appeals.whistles import sitecode
from anju.audit.reasons import Purpose
from anju.core import replica
from anju.core.api import Answered, BoundedPagination, ErrorOut
from anju.core.params import Id
from anju.orgs.models import OrgUnit

router = Router(tags=["appeals"])


class CategoryOut(Schema):
    code: str
    name: str
    group: str


# A plain pydantic model validated from the values :func:`appeal_out` reads, not a ``Schema`` read off the model
# through django-ninja's getter: the getter cost a list of 50 appeals 8.6 ms, the plain values 2 ms.
class AppealOut(BaseModel):
    """An appeal as the API answers it."""

    id: int
    number: str
    status: str
    category: str = Field(..., description="the category's code")
    description: str = Field(..., description="numbers masked; empty in a follower's public view")
    community_id: int
    location_id: int
    urgency: str
    is_complex: bool
    reopen_count: int
    department_id: int | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    dispatch_due: dt.datetime | None
    sign_due: dt.datetime | None
    contact_due: dt.datetime | None
    feedback_due: dt.datetime | None
    deadlines_provisional: bool


def appeal_out(user: Any, appeal: Appeal) -> dict[str, Any]:
    """What :class:`AppealOut` answers of ``appeal`` for ``user`` (read with its category and community)."""
    return {
        "id": appeal.pk,
        "number": appeal.number,
        "status": appeal.status,
        "category": appeal.category.code,
        "description": privacy.description_for(user, appeal),
        "community_id": appeal.community_id,
        "location_id": appeal.location_id,
        "urgency": appeal.urgency,
        "is_complex": appeal.is_complex,
        "reopen_count": appeal.reopen_count,
        "department_id": appeal.department_id,
        "received_at": appeal.received_at,
        "due_at": appeal.due_at,
        "dispatch_due": appeal.dispatch_due,
        "sign_due": appeal.sign_due,
        "contact_due": appeal.contact_due,
        "feedback_due": appeal.feedback_due,
        "deadlines_provisional": appeal.deadlines_provisional,
    }


class AppealIn(Schema):
    category: str = Field(..., max_length=40)
    description: str = Field(..., min_length=1, max_length=2000)
    location_id: Id
    urgency: Urgency = Urgency.GENERAL
    address: str = Field("", max_length=200)
    channel: Channel = Channel.API
    contact_name: str = Field("", max_length=60)
    contact_mobile: str = Field("", max_length=20)
    consent: bool = False
    requester_resident_id: Id | None = Field(
        None, description="On someone's behalf: the resident picked from the registry (instead of a contact)"
    )


class StepIn(Schema):
    action: str = Field(..., max_length=20)
    note: str = Field("", max_length=2000)
    department: Id | None = None
    assisting: list[Id] = []
    original: Id | None = None
    resolved: bool | None = None
    satisfaction: str = ""
    comment: str = Field("", max_length=1000)
    follower: Id | None = Field(None, description="callback: a worker records this follower's answer (user id)")


class AppealFilter(Schema):
    status: str = ""


class RateOut(Schema):
    key: int
    label: str
    counts: dict[str, int]
    pending_callback: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    routing_rate: float | None  # the community's routing accuracy (docs/rates.md); counts: dispatches, misrouted


@router.get("/appeals/categories", response=list[CategoryOut], summary="The dispatch catalogue")
@policy.permission("appeal.view")
def list_categories(request: HttpRequest) -> Any:
    return Category.objects.filter(is_active=True)


@router.get("/appeals", response=list[AppealOut], summary="Appeals within reach")
@paginate(BoundedPagination)
@policy.permission("appeal.view")
def list_appeals(request: HttpRequest, filters: Query[AppealFilter]) -> Any:
    # Joined: the category (its code is shown) and the community (whether the reader is an insider there); not
    # the place and the department, which are shown by id. Their whole rows cost a page of 50 about 4 ms.
    user = request.user
    qs = (
        selectors.appeals_visible(user)
        .select_related(None)
        .select_related("category", "community")
        .order_by("-received_at", "-id")
    )
    return Answered(qs.filter(status=filters.status) if filters.status else qs, lambda a: appeal_out(user, a))


@router.get("/appeals/rates", response=list[RateOut], summary="Three rates by department, category, community or grid")
@policy.permission("appeal.rates")
@replica.reads
def get_rates(
    request: HttpRequest, group: str = "department", start: dt.date | None = None, end: dt.date | None = None
) -> Any:
    rows, _total = rate_selectors.rates(request.user, group=group, start=start, end=end)
    return rows


@router.get("/appeals/{appeal_id}", response={200: AppealOut, 404: ErrorOut}, summary="One appeal")
@policy.permission("appeal.view")
def get_appeal(request: HttpRequest, appeal_id: Id) -> Any:
    appeal = policy.get_for(
        request.user, "appeal.view", Appeal.objects.select_related("category", "community"), pk=appeal_id
    )
    return appeal_out(request.user, appeal)


@router.post("/appeals", response={201: AppealOut, 403: ErrorOut, 422: ErrorOut}, summary="File an appeal")
@policy.permission("appeal.file")
def create_appeal(request: HttpRequest, payload: AppealIn) -> Any:
    location = OrgUnit.objects.select_related("community", "parent").filter(pk=payload.location_id).first()
    community = location.community if location and location.community_id else None
    if community is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"location_id": ["Choose a place inside a community."]})
    appeal = intake.appeal_file(
        actor=request.user,
        community=community,
        category=Category.objects.filter(code=payload.category).first(),
        description=payload.description,
        location=location,
        channel=payload.channel,
        urgency=payload.urgency,
        address=payload.address,
        contact_name=payload.contact_name,
        contact_mobile=payload.contact_mobile,
        consent=payload.consent,
        requester_resident=requesters.resident_pick(request.user, payload.requester_resident_id),
        request=request,
    )
    return Status(201, appeal_out(request.user, appeal))


@router.post(
    "/appeals/{appeal_id}/steps",
    response={200: AppealOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Take the next step (accept, dispatch, sign, contact, feedback, verify, callback, complex …)",
)
@policy.permission("appeal.view")
def take_step(request: HttpRequest, appeal_id: Id, payload: StepIn) -> Any:
    qs = Appeal.objects.select_related("category", "community", "location")
    appeal = policy.get_for(request.user, "appeal.view", qs, pk=appeal_id)
    data = steps.StepInput(
        note=payload.note,
        department_id=payload.department,
        assisting_ids=tuple(payload.assisting),
        original_id=payload.original,
        resolved=bool(payload.resolved),
        satisfaction=payload.satisfaction,
        comment=payload.comment,
        follower_id=payload.follower,
    )
    steps.step_take(actor=request.user, appeal=appeal, step=payload.action, data=data, request=request)
    appeal.refresh_from_db()
    return appeal_out(request.user, appeal)


# --- the requester's number, callbacks, check-in by site code -------------------------------------


class AppealRevealIn(Schema):
    purpose: Purpose = Field(..., description="What the number is needed for")
    reason: str = Field(
        ..., max_length=300, description="Why, in words a reviewer can read (written to the access log)"
    )
    field: str = Field(
        "contact_mobile",
        max_length=40,
        description="contact_mobile, or a screened text whose numbers to reveal: description, address",
    )


class AppealRevealOut(Schema):
    id: int
    field: str = "contact_mobile"
    value: str


@router.post(
    "/appeals/{appeal_id}/reveal",
    response={200: AppealRevealOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reveal the requester's contact number, giving a reason (written to the access log)",
)
@policy.permission("appeal.view")
def reveal_contact(request: HttpRequest, appeal_id: Id, payload: AppealRevealIn, response: HttpResponse) -> Any:
    qs = Appeal.objects.select_related("community", "requester", "requester_resident")
    appeal = policy.get_for(request.user, "appeal.reveal", qs, pk=appeal_id)
    if payload.field == "contact_mobile":
        value = requesters.contact_reveal(
            actor=request.user, appeal=appeal, purpose=payload.purpose, reason=payload.reason, request=request
        )
    else:
        value = privacy.text_reveal(
            actor=request.user,
            appeal=appeal,
            field=payload.field,
            purpose=payload.purpose,
            reason=payload.reason,
            request=request,
        )
    patch_cache_control(response, no_store=True, private=True)  # never kept by a cache
    return {"id": appeal.pk, "field": payload.field, "value": value}


class RequesterLinkIn(Schema):
    resident_id: Id | None = Field(
        ..., description="The registry resident of the appeal's community to link; null removes the link"
    )


class RequesterLinkOut(Schema):
    id: int
    requester_resident_id: int | None


@router.put(
    "/appeals/{appeal_id}/requester-resident",
    response={200: RequesterLinkOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Link a filed appeal to the requester's registry entry, or unlink it (null)",
)
@policy.permission("appeal.link_requester")
def link_requester(request: HttpRequest, appeal_id: Id, payload: RequesterLinkIn) -> Any:
    qs = Appeal.objects.select_related("community")
    appeal = policy.get_for(request.user, "appeal.link_requester", qs, pk=appeal_id)
    if payload.resident_id is None:
        requesters.requester_unlink(actor=request.user, appeal=appeal, request=request)
    else:
        resident = requesters.resident_pick(request.user, payload.resident_id)
        requesters.requester_link(actor=request.user, appeal=appeal, resident=resident, request=request)
    return {"id": appeal.pk, "requester_resident_id": appeal.requester_resident_id}


class CallbackOut(Schema):
    id: int
    follower: bool = Field(..., alias="is_follower")
    respondent_id: int | None
    recorded_by_id: int | None
    resolved: bool
    satisfaction: str = Field(..., alias="satisfaction.code")
    comment: str
    at: dt.datetime


@router.get(
    "/appeals/{appeal_id}/callbacks",
    response={200: list[CallbackOut], 404: ErrorOut},
    summary="Callback answers of an appeal: the requester's and the followers' (one's own only, for residents)",
)
@policy.permission("appeal.view")
def list_callbacks(request: HttpRequest, appeal_id: Id) -> Any:
    appeal = policy.get_for(request.user, "appeal.view", Appeal.objects.select_related("community"), pk=appeal_id)
    found = followers.callbacks_for(request.user, appeal)
    return sorted([*found["requester"], *found["followers"]], key=lambda c: (c.at, c.pk))


class SiteCodeIn(Schema):
    code: str = Field(..., max_length=500, description="The token of the site code's check-in link")


class ArrivalOut(Schema):
    summons_id: int
    department_id: int
    arrived_at: dt.datetime | None
    on_time: bool | None
    recorded_now: bool


@router.post(
    "/appeals/site-codes/checkin",
    response={200: list[ArrivalOut], 404: ErrorOut, 409: ErrorOut, 410: ErrorOut},
    summary="Check in on site with the whistle's site code (idempotent: one arrival per department)",
)
@policy.permission("appeal.handle")
def checkin_by_code(request: HttpRequest, payload: SiteCodeIn) -> Any:
    try:
        site = sitecode.checkin_by_code(actor=request.user, token=payload.code, request=request)
    except sitecode.Refused as exc:
        code = {404: "not_found", 409: "conflict", 410: "expired"}.get(exc.status, "refused")
        return Status(exc.status, {"error": {"code": code, "message": exc.message, "details": []}})
    recorded = {s.pk for s in site.recorded}
    return [
        {
            "summons_id": s.pk,
            "department_id": s.department_id,
            "arrived_at": s.arrived_at,
            "on_time": s.on_time,
            "recorded_now": s.pk in recorded,
        }
        for s in site.mine
    ]
