import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.accounts import policy
from anju.appeals import selectors, services
from anju.appeals.models import Appeal, Category, Channel, Urgency
from anju.appeals.views import ACTIONS, run_action
from anju.core.api import ErrorOut, Pagination
from anju.orgs.models import OrgUnit

router = Router(tags=["appeals"])


class CategoryOut(Schema):
    code: str
    name: str
    group: str


class AppealOut(Schema):
    id: int
    number: str
    status: str
    category: str = Field(..., alias="category.code")
    description: str
    community_id: int
    location_id: int
    urgency: str
    department_id: int | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    dispatch_due: dt.datetime | None
    sign_due: dt.datetime | None
    contact_due: dt.datetime | None
    feedback_due: dt.datetime | None
    deadlines_provisional: bool


class AppealIn(Schema):
    category: str = Field(..., max_length=40)
    description: str = Field(..., min_length=1, max_length=2000)
    location_id: int
    urgency: Urgency = Urgency.GENERAL
    address: str = Field("", max_length=200)
    channel: Channel = Channel.API
    contact_name: str = Field("", max_length=60)
    contact_mobile: str = Field("", max_length=20)
    consent: bool = False


class StepIn(Schema):
    action: str = Field(..., max_length=20)
    note: str = Field("", max_length=2000)
    department: int | None = None
    assisting: list[int] = []
    original: int | None = None
    resolved: bool | None = None
    satisfaction: str = ""
    comment: str = Field("", max_length=1000)


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


@router.get("/appeals/categories", response=list[CategoryOut], summary="The dispatch catalogue")
@policy.permission("appeal.view")
def list_categories(request: HttpRequest) -> Any:
    return Category.objects.filter(is_active=True)


@router.get("/appeals", response=list[AppealOut], summary="Appeals within reach")
@paginate(Pagination)
@policy.permission("appeal.view")
def list_appeals(request: HttpRequest, filters: Query[AppealFilter]) -> Any:
    qs = selectors.appeals_visible(request.user).order_by("-received_at", "-id")
    return qs.filter(status=filters.status) if filters.status else qs


@router.get("/appeals/rates", response=list[RateOut], summary="Three rates by department, category, community or grid")
@policy.permission("appeal.rates")
def get_rates(
    request: HttpRequest, group: str = "department", start: dt.date | None = None, end: dt.date | None = None
) -> Any:
    rows, _total = selectors.rates(request.user, group=group, start=start, end=end)
    return rows


@router.get("/appeals/{appeal_id}", response={200: AppealOut, 404: ErrorOut}, summary="One appeal")
@policy.permission("appeal.view")
def get_appeal(request: HttpRequest, appeal_id: int) -> Any:
    return policy.get_for(
        request.user, "appeal.view", Appeal.objects.select_related("category", "community"), pk=appeal_id
    )


@router.post("/appeals", response={201: AppealOut, 403: ErrorOut, 422: ErrorOut}, summary="File an appeal")
@policy.permission("appeal.file")
def create_appeal(request: HttpRequest, payload: AppealIn) -> Any:
    location = OrgUnit.objects.filter(pk=payload.location_id).first()
    community = OrgUnit.objects.filter(pk=location.community_id).first() if location and location.community_id else None
    if community is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"location_id": ["Choose a place inside a community."]})
    appeal = services.appeal_file(
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
        request=request,
    )
    return Status(201, appeal)


@router.post(
    "/appeals/{appeal_id}/steps",
    response={200: AppealOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Take the next step (accept, dispatch, sign, contact, progress, wait, feedback, verify, callback …)",
)
@policy.permission("appeal.view")
def take_step(request: HttpRequest, appeal_id: int, payload: StepIn) -> Any:
    qs = Appeal.objects.select_related("category", "community", "location")
    appeal = policy.get_for(request.user, "appeal.view", qs, pk=appeal_id)
    perm = ACTIONS.get(payload.action, "appeal.view")
    if not policy.can(request.user, perm, appeal):
        from django.http import Http404

        raise Http404
    data: dict[str, Any] = payload.dict()
    data["department"] = str(payload.department or "")
    data["assisting"] = [str(i) for i in payload.assisting]
    data["original"] = str(payload.original or "")
    data["resolved"] = "yes" if payload.resolved else "no"
    run_action(request, request.user, appeal, payload.action, data, None)
    appeal.refresh_from_db()
    return appeal
