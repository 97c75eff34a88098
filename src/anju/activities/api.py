from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from anju.access import policy
from anju.accounts.models import User
from anju.activities import attendance, selectors, services, volunteer_hours
from anju.activities.models import Helper, Registration, Session
from anju.core.api import ErrorOut, Pagination
from anju.core.params import Id
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Resident, Tag
from anju.spaces.models import Space
from anju.spaces.recurrence import Recurrence

router = Router(tags=["activities"])


class SessionOut(Schema):
    id: int
    status: str = Field(..., description="open or cancelled")
    cancel_reason: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    taken: int = Field(..., description="places held (confirmed and offered)")


class ActivityOut(Schema):
    id: int
    title: str
    description: str
    category: str
    status: str = Field(..., description="open or cancelled")
    cancel_reason: str
    poster_url: str | None = Field(None, description="the poster image (JPEG without metadata), when there is one")
    poster_width: int
    poster_height: int
    space_id: int | None
    capacity: int
    registration_opens_at: datetime
    registration_closes_at: datetime
    household_limit: int
    guardian_checkout: bool
    offer_hours: int
    target_tags: list[str]
    sessions: list[SessionOut]


class RegistrationIn(Schema):
    resident_id: Id | None = Field(None, description="a member of one's household; staff: any resident within reach")
    reason: str = Field("", max_length=200, description="staff: why a resident outside the target group is registered")


class RegistrationOut(Schema):
    id: int
    session_id: int
    activity_id: int
    name: str
    status: str = Field(..., description="confirmed, offered, waitlisted or cancelled")
    waitlist_position: int | None
    offer_expires_at: datetime | None


class SeriesIn(Schema):
    freq: Literal["daily", "weekly", "monthly"]
    interval: int = Field(1, ge=1, le=52)
    weekdays: list[int] = Field([], description="weekly: 0 = Monday … 6 = Sunday; empty = the first date's weekday")
    monthly_by: Literal["date", "weekday"] = "date"
    until: date | None = None
    count: int | None = Field(None, ge=1, le=52)


class ActivityIn(Schema):
    community_id: Id
    title: str = Field(..., max_length=200)
    description: str = ""
    category: str = "other"
    target_tag_ids: list[Id] = []
    space_id: Id | None = Field(None, description="books this station space for every session")
    starts_at: datetime = Field(..., description="first session, with its time zone")
    ends_at: datetime
    weeks: int = Field(1, ge=1, le=52, description="1 = one-off; n = a session every week for n weeks")
    series: SeriesIn | None = Field(None, description="instead of weeks: any recurrence (every 2 weeks, daily …)")
    capacity: int = Field(..., ge=1)
    registration_opens_at: datetime
    registration_closes_at: datetime
    household_limit: int = Field(0, ge=0)
    guardian_checkout: bool = False
    offer_hours: int = Field(24, ge=1)


class ActivityReasonIn(Schema):
    reason: str = Field("", max_length=200)


class ActivityPatch(Schema):
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    category: str | None = None
    target_tag_ids: list[Id] | None = None
    capacity: int | None = Field(None, ge=1, description="every session still to come; not below the places held")
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    household_limit: int | None = Field(None, ge=0)
    guardian_checkout: bool | None = None
    offer_hours: int | None = Field(None, ge=1)
    remove_poster: bool = False


class HelperIn(Schema):
    user_id: Id | None = Field(None, description="an account with a volunteer or staff role in the community")
    resident_id: Id | None = Field(None, description="or a resident of the registry")
    session_id: Id | None = Field(None, description="empty: the activity as a whole")
    hours: Decimal = Field(
        ...,
        gt=0,
        le=volunteer_hours.MAX_ENTRY_HOURS,
        description="e.g. 2 or 1.5; at most 24 for a session, 24 per session for the activity as a whole",
    )
    task: str = Field("", max_length=200)


class HelperOut(Schema):
    id: int
    activity_id: int
    session_id: int | None
    user_id: int | None
    resident_id: int | None
    name: str
    hours: Decimal
    task: str
    recorded_by_id: int
    created_at: datetime


class AttendanceRowOut(Schema):
    label: str
    registered: int
    checked_in: int
    walk_ins: int
    checked_out: int


class AttendanceSessionOut(AttendanceRowOut):
    session_id: int


class AttendanceOut(Schema):
    sessions: list[AttendanceSessionOut]
    households: list[AttendanceRowOut] | None = Field(
        None, description="by address; null unless the reader may manage the activity (volunteers may not)"
    )
    tags: list[AttendanceRowOut]
    total: AttendanceRowOut
    helper_hours: Decimal


def _activity_out(activity: Any) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "title": activity.title,
        "description": activity.description,
        "category": activity.category,
        "status": activity.status,
        "cancel_reason": activity.cancel_reason,
        "poster_url": reverse("activities:poster", args=[activity.pk]) if activity.poster else None,
        "poster_width": activity.poster_width,
        "poster_height": activity.poster_height,
        "space_id": activity.space_id,
        "capacity": activity.capacity,
        "registration_opens_at": activity.registration_opens_at,
        "registration_closes_at": activity.registration_closes_at,
        "household_limit": activity.household_limit,
        "guardian_checkout": activity.guardian_checkout,
        "offer_hours": activity.offer_hours,
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
        recurrence=Recurrence(**payload.series.dict()) if payload.series else None,
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
def get_activity(request: HttpRequest, activity_id: Id) -> Any:
    activity = policy.get_for(request.user, "activity.view", selectors.activities_visible(request.user), pk=activity_id)
    return _activity_out(activity)


@router.post(
    "/activity-sessions/{session_id}/registrations",
    response={201: RegistrationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Register oneself, a household member, or (staff) a resident on their behalf",
)
@policy.permission("activity.register")
def register(request: HttpRequest, session_id: Id, payload: RegistrationIn) -> Any:
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


def _registration(request: HttpRequest, registration_id: Id) -> Registration:
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
def cancel_registration(request: HttpRequest, registration_id: Id, payload: ActivityReasonIn) -> Any:
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
def accept_offer(request: HttpRequest, registration_id: Id) -> Any:
    reg = services.registration_accept(
        actor=request.user, registration=_registration(request, registration_id), request=request
    )
    return _registration_out(reg)


def _managed(request: HttpRequest, activity_id: Id) -> Any:
    return policy.get_for(request.user, "activity.manage", selectors.activities_visible(request.user), pk=activity_id)


@router.patch(
    "/activities/{activity_id}",
    response={200: ActivityOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change an activity (a capacity below the places held is refused)",
)
@policy.permission("activity.manage")
def update_activity(request: HttpRequest, activity_id: Id, payload: ActivityPatch) -> Any:
    activity = _managed(request, activity_id)
    data = payload.dict(exclude_unset=True)
    tag_ids = data.pop("target_tag_ids", None)
    remove = bool(data.pop("remove_poster", False))
    changes = {k: v for k, v in data.items() if v is not None}
    tags = None
    if tag_ids is not None:
        tags = list(Tag.objects.filter(pk__in=tag_ids, community_id=activity.community_id))
        if len(tags) != len(set(tag_ids)):
            raise ValidationError({"target_tag_ids": [_("Choose tags of the activity's community.")]})
    activity = services.activity_update(
        actor=request.user, activity=activity, target_tags=tags, remove_poster=remove, request=request, **changes
    )
    return _activity_out(activity)


@router.post(
    "/activities/{activity_id}/poster",
    response={200: ActivityOut, 404: ErrorOut, 422: ErrorOut},
    summary="Upload the poster (multipart; a file that is not an image is refused, EXIF is removed)",
)
@policy.permission("activity.manage")
def upload_poster(request: HttpRequest, activity_id: Id, poster: File[UploadedFile]) -> Any:
    activity = services.activity_update(
        actor=request.user, activity=_managed(request, activity_id), poster=poster, request=request
    )
    return _activity_out(activity)


@router.post(
    "/activities/{activity_id}/cancel",
    response={200: ActivityOut, 404: ErrorOut, 422: ErrorOut},
    summary="Cancel the activity (every session to come; the participants are told)",
)
@policy.permission("activity.manage")
def cancel_activity(request: HttpRequest, activity_id: Id, payload: ActivityReasonIn) -> Any:
    activity = services.activity_cancel(
        actor=request.user, activity=_managed(request, activity_id), reason=payload.reason, request=request
    )
    return _activity_out(activity)


@router.post(
    "/activity-sessions/{session_id}/cancel",
    response={200: SessionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Cancel one session (its registrations and booking; the participants are told)",
)
@policy.permission("activity.manage")
def cancel_session(request: HttpRequest, session_id: Id, payload: ActivityReasonIn) -> Any:
    session = policy.get_for(request.user, "activity.manage", Session.objects.select_related("activity"), pk=session_id)
    return services.session_cancel(actor=request.user, session=session, reason=payload.reason, request=request)


@router.get(
    "/activities/{activity_id}/attendance",
    response={200: AttendanceOut, 404: ErrorOut},
    summary="Attendance per session, household and tag",
)
@policy.permission("activity.checkin")
def get_attendance(request: HttpRequest, activity_id: Id) -> Any:
    activity = policy.get_for(
        request.user, "activity.checkin", selectors.activities_visible(request.user), pk=activity_id
    )
    staff = attendance.may_see_households(request.user, activity)
    report = attendance.attendance_report(activity, households=staff)

    def row(r: attendance.Row) -> dict[str, Any]:
        return {
            "label": r.label,
            "registered": r.registered,
            "checked_in": r.checked_in,
            "walk_ins": r.walk_ins,
            "checked_out": r.checked_out,
        }

    return {
        "sessions": [row(r) | {"session_id": r.key.pk} for r in report.sessions],
        "households": [row(r) for r in report.households] if staff else None,
        "tags": [row(r) for r in report.tags],
        "total": row(report.total),
        "helper_hours": report.helper_hours,
    }


@router.get(
    "/activities/{activity_id}/helpers",
    response={200: list[HelperOut], 404: ErrorOut},
    summary="Volunteers who helped and their hours",
)
@policy.permission("activity.manage")
def list_helpers(request: HttpRequest, activity_id: Id) -> Any:
    return list(volunteer_hours.helpers_of(_managed(request, activity_id)))


@router.post(
    "/activities/{activity_id}/helpers",
    response={201: HelperOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a volunteer's hours at the activity or one session",
)
@policy.permission("activity.manage")
def record_helper(request: HttpRequest, activity_id: Id, payload: HelperIn) -> Any:
    activity = _managed(request, activity_id)
    session = None
    if payload.session_id is not None:
        session = Session.objects.filter(pk=payload.session_id, activity=activity).first()
        if session is None:
            raise ValidationError({"session_id": [_("Choose a session of this activity.")]})
    user = None
    if payload.user_id is not None:
        user = User.objects.filter(pk=payload.user_id).first()
        if user is None:
            raise ValidationError({"user_id": [_("No such account.")]})
    resident = None
    if payload.resident_id is not None:
        resident = Resident.objects.filter(pk=payload.resident_id, community_id=activity.community_id).first()
        if resident is None:
            raise ValidationError({"resident_id": [_("No such resident.")]})
    helper = volunteer_hours.helper_record(
        actor=request.user,
        activity=activity,
        session=session,
        user=user,
        resident=resident,
        hours=payload.hours,
        task=payload.task,
        request=request,
    )
    return Status(201, helper)


@router.delete(
    "/activity-helpers/{helper_id}",
    response={204: None, 404: ErrorOut},
    summary="Remove a recorded volunteer entry",
)
@policy.permission("activity.manage")
def remove_helper(request: HttpRequest, helper_id: Id) -> Any:
    helper = policy.get_for(request.user, "activity.manage", Helper.objects.select_related("activity"), pk=helper_id)
    volunteer_hours.helper_remove(actor=request.user, helper=helper, request=request)
    return Status(204, None)
