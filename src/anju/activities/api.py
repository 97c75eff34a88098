from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from anju.accounts import policy
from anju.activities import selectors, services
from anju.activities.models import Registration, Session
from anju.core.api import ErrorOut, Pagination
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Resident, Tag
from anju.spaces.models import Space

router = Router(tags=["activities"])


class SessionOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int = Field(..., description="places held (confirmed and offered)")


class ActivityOut(Schema):
    id: int
    title: str
    description: str
    category: str
    space_id: int | None
    capacity: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    household_limit: int
    guardian_checkout: bool
    target_tags: list[str]
    sessions: list[SessionOut]


class RegistrationIn(Schema):
    resident_id: int | None = Field(None, description="a member of one's household; staff: any resident within reach")
    reason: str = Field("", max_length=200, description="staff: why a resident outside the target group is registered")


class RegistrationOut(Schema):
    id: int
    session_id: int
    activity_id: int
    name: str
    status: str = Field(..., description="confirmed, offered, waitlisted or cancelled")
    waitlist_position: int | None
    offer_expires_at: datetime | None


class ActivityIn(Schema):
    community_id: int
    title: str = Field(..., max_length=200)
    description: str = ""
    category: str = "other"
    target_tag_ids: list[int] = []
    space_id: int | None = Field(None, description="books this station space for every session")
    starts_at: datetime = Field(..., description="first session, with its time zone")
    ends_at: datetime
    weeks: int = Field(1, ge=1, le=52, description="1 = one-off; n = a session every week for n weeks")
    capacity: int = Field(..., ge=1)
    registration_opens_at: datetime
    registration_closes_at: datetime
    household_limit: int = Field(0, ge=0)
    guardian_checkout: bool = False
    offer_hours: int = Field(24, ge=1)


class ReasonIn(Schema):
    reason: str = Field("", max_length=200)


def _activity_out(activity: Any) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "title": activity.title,
        "description": activity.description,
        "category": activity.category,
        "space_id": activity.space_id,
        "capacity": activity.capacity,
        "registration_opens_at": activity.registration_opens_at,
        "registration_closes_at": activity.registration_closes_at,
        "household_limit": activity.household_limit,
        "guardian_checkout": activity.guardian_checkout,
        "target_tags": [t.name for t in activity.target_tags.all()],
        "sessions": list(activity.sessions.all()),
    }


def _registration_out(reg: Registration) -> dict[str, Any]:
    return {
        "id": reg.pk,
        "session_id": reg.session_id,
        "activity_id": reg.session.activity_id,
        "name": reg.name,
        "status": reg.status,
        "waitlist_position": services.waitlist_position(reg),
        "offer_expires_at": reg.offer_expires_at,
    }


@router.get("/activities", response=list[ActivityOut], summary="Upcoming activities (for residents: those that suit)")
@paginate(Pagination)
@policy.permission("activity.view")
def list_activities(request: HttpRequest) -> Any:
    return [_activity_out(a) for a in selectors.upcoming(request.user)]


@router.post(
    "/activities",
    response={201: ActivityOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create an activity (books its space; 409 when the space is taken)",
)
@policy.permission("activity.manage")
def create_activity(request: HttpRequest, payload: ActivityIn) -> Any:
    community = policy.get_for(
        request.user, "activity.manage", OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), pk=payload.community_id
    )
    space = None
    if payload.space_id is not None:
        space = Space.objects.filter(pk=payload.space_id, community=community).first()
        if space is None:
            raise ValidationError({"space_id": [_("No such space in this community.")]})
    tags = list(Tag.objects.filter(pk__in=payload.target_tag_ids, community=community))
    if len(tags) != len(set(payload.target_tag_ids)):
        raise ValidationError({"target_tag_ids": [_("Choose tags of the activity's community.")]})
    activity = services.activity_create(
        actor=request.user,
        community=community,
        title=payload.title,
        description=payload.description,
        category=payload.category,
        target_tags=tags,
        space=space,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        weeks=payload.weeks,
        capacity=payload.capacity,
        registration_opens_at=payload.registration_opens_at,
        registration_closes_at=payload.registration_closes_at,
        household_limit=payload.household_limit,
        guardian_checkout=payload.guardian_checkout,
        offer_hours=payload.offer_hours,
        request=request,
    )
    return Status(201, _activity_out(activity))


@router.get("/activities/{activity_id}", response={200: ActivityOut, 404: ErrorOut}, summary="One activity")
@policy.permission("activity.view")
def get_activity(request: HttpRequest, activity_id: int) -> Any:
    activity = policy.get_for(request.user, "activity.view", selectors.activities_visible(request.user), pk=activity_id)
    return _activity_out(activity)


@router.post(
    "/activity-sessions/{session_id}/registrations",
    response={201: RegistrationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Register oneself, a household member, or (staff) a resident on their behalf",
)
@policy.permission("activity.register")
def register(request: HttpRequest, session_id: int, payload: RegistrationIn) -> Any:
    """A free place is confirmed at once; otherwise the registration joins the waiting list (201 either way)."""
    session = policy.get_for(request.user, "activity.view", Session.objects.select_related("activity"), pk=session_id)
    resident = None
    if payload.resident_id is not None:
        resident = Resident.objects.filter(pk=payload.resident_id, community_id=session.community_id).first()
        if resident is None:
            raise ValidationError({"resident_id": [_("No such resident.")]})
    reg = services.registration_create(
        actor=request.user, session=session, resident=resident, reason=payload.reason, request=request
    )
    return Status(201, _registration_out(reg))


@router.get("/registrations", response=list[RegistrationOut], summary="One's registrations still to come")
@paginate(Pagination)
@policy.permission("registration.view")
def list_registrations(request: HttpRequest) -> Any:
    return [_registration_out(r) for r in selectors.my_registrations(request.user)]


def _registration(request: HttpRequest, registration_id: int) -> Registration:
    reg: Registration = policy.get_for(
        request.user, "registration.view", selectors.registrations_visible(request.user), pk=registration_id
    )
    return reg


@router.post(
    "/registrations/{registration_id}/cancel",
    response={200: RegistrationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Cancel a registration (a held place goes to the next on the waiting list)",
)
@policy.permission("registration.view")
def cancel_registration(request: HttpRequest, registration_id: int, payload: ReasonIn) -> Any:
    reg = services.registration_cancel(
        actor=request.user, registration=_registration(request, registration_id), reason=payload.reason, request=request
    )
    return _registration_out(reg)


@router.post(
    "/registrations/{registration_id}/accept",
    response={200: RegistrationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Take up a place offered from the waiting list",
)
@policy.permission("registration.view")
def accept_offer(request: HttpRequest, registration_id: int) -> Any:
    reg = services.registration_accept(
        actor=request.user, registration=_registration(request, registration_id), request=request
    )
    return _registration_out(reg)
