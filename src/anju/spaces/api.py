from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.access import policy
from anju.accounts.models import User
from anju.core.api import ErrorOut, Pagination
from anju.core.params import Id
from anju.people.models import Household
from anju.spaces import selectors, services, setup
from anju.spaces.models import Booking, Series, Space
from anju.spaces.recurrence import Recurrence

router = Router(tags=["spaces"])
MAX_RANGE_DAYS = 62


class SpaceOut(Schema):
    id: int
    station_id: int
    name: str
    kind: str
    capacity: int
    area_m2: int | None
    equipment: str
    key_location: str
    bookable_by: str
    part_of_id: int | None
    requires_approval: bool
    min_minutes: int
    max_minutes: int
    max_days_ahead: int
    weekly_limit: int
    description: str
    is_active: bool
    closed_on_holidays: bool
    checkin_grace_minutes: int
    no_show_limit: int


class HoursIn(Schema):
    weekday: int = Field(..., ge=0, le=6, description="0 = Monday … 6 = Sunday")
    opens: time
    closes: time


class SpaceUpdateIn(Schema):
    """Only the fields sent are changed; ``hours`` (when sent) replaces every bookable span."""

    name: str | None = Field(None, max_length=100)
    kind: Space.Kind | None = None
    capacity: int | None = None
    area_m2: int | None = None
    description: str | None = None
    equipment: str | None = None
    key_location: str | None = Field(None, max_length=200)
    is_active: bool | None = None
    bookable_by: Space.Audience | None = None
    requires_approval: bool | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None
    max_days_ahead: int | None = None
    weekly_limit: int | None = Field(None, description="bookings per household per week; 0 = no limit")
    closed_on_holidays: bool | None = None
    checkin_grace_minutes: int | None = None
    no_show_limit: int | None = None
    hours: list[HoursIn] | None = None


class BusyOut(Schema):
    starts_at: datetime
    ends_at: datetime
    status: str = Field(..., description="confirmed (holds the space) or pending (waits for staff)")
    booking_id: int


class ClosedOut(Schema):
    starts_at: datetime
    ends_at: datetime
    reason: str


class AvailabilityOut(Schema):
    space: SpaceOut
    busy: list[BusyOut]
    closed: list[ClosedOut]


class RangeIn(Schema):
    start: datetime
    end: datetime
    station_id: Id | None = None


class RecurrenceIn(Schema):
    freq: Literal["daily", "weekly", "monthly"]
    interval: int = Field(1, ge=1, le=52)
    weekdays: list[int] = Field([], description="weekly: 0 = Monday … 6 = Sunday; empty = the first date's weekday")
    monthly_by: Literal["date", "weekday"] = "date"
    until: date | None = None
    count: int | None = Field(None, ge=1)


class BookingIn(Schema):
    space_id: Id
    starts_at: datetime = Field(..., description="with its time zone, e.g. 2026-12-05T14:00+08:00")
    ends_at: datetime
    title: str = Field(..., max_length=200)
    on_behalf_of: Id | None = Field(None, description="staff only: the user the booking is for")
    household_id: Id | None = Field(
        None,
        description="the household the booking counts against (weekly limit, no-shows); by default the booker's "
        "own household in the registry. Residents may name only their own; staff any of the space's community.",
    )
    recurrence: RecurrenceIn | None = None
    on_conflict: Literal["fail", "skip"] = "fail"


class BookingOut(Schema):
    id: int
    space_id: int
    space_name: str = Field(..., alias="space.name")
    series_id: int | None
    booker_id: int
    household_id: int | None
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    reason: str
    checked_in_at: datetime | None


class ClosedDateOut(Schema):
    date: date
    reason: str


class BookingCreatedOut(Schema):
    bookings: list[BookingOut]
    skipped: list[BookingOut] = Field(..., description="dates already taken, kept as claimable skipped bookings")
    closed: list[ClosedDateOut] = Field(..., description="series dates left out because the space is closed")
    series_id: int | None


class ReasonIn(Schema):
    reason: str = Field("", max_length=300)


class SeriesOut(Schema):
    id: int
    space_id: int
    title: str
    status: str
    reconfirm_by: datetime | None


class BookingFilter(Schema):
    mine: bool = False
    status: Booking.Status | None = None


def _check_range(start: datetime, end: datetime) -> None:
    errors: dict[str, list[str]] = {}
    for name, value in (("start", start), ("end", end)):
        if timezone.is_naive(value):
            example = "2026-12-05T00:00+08:00"
            errors[name] = [_("Give the time with its time zone, e.g. %(example)s.") % {"example": example}]
    if not errors and end <= start:
        errors["end"] = [_("The end must be after the start.")]
    if not errors and end - start > timedelta(days=MAX_RANGE_DAYS):
        errors["end"] = [_("Ask for at most %(n)d days at a time.") % {"n": MAX_RANGE_DAYS}]
    if errors:
        raise ValidationError(errors)


def _availability_out(items: list[selectors.Availability]) -> list[dict[str, Any]]:
    return [
        {
            "space": item.space,
            "busy": [b.__dict__ for b in item.busy],
            "closed": [{"starts_at": s, "ends_at": e, "reason": r} for s, e, r in item.closed],
        }
        for item in items
    ]


@router.get("/spaces", response={200: list[AvailabilityOut], 422: ErrorOut}, summary="Spaces and their availability")
@policy.permission("space.view")
def list_spaces(request: HttpRequest, filters: Query[RangeIn]) -> Any:
    """Every bookable space within reach, with what holds it between ``start`` and ``end`` (at most 62 days)."""
    _check_range(filters.start, filters.end)
    qs = selectors.spaces_visible(request.user)
    if filters.station_id is not None:
        qs = qs.filter(station_id=filters.station_id)
    return _availability_out(selectors.availability(list(qs), filters.start, filters.end))


@router.get(
    "/spaces/{space_id}/availability",
    response={200: AvailabilityOut, 404: ErrorOut, 422: ErrorOut},
    summary="One space's availability",
)
@policy.permission("space.view")
def space_availability(request: HttpRequest, space_id: Id, filters: Query[RangeIn]) -> Any:
    space = policy.get_for(request.user, "space.view", selectors.spaces_visible(request.user), pk=space_id)
    _check_range(filters.start, filters.end)
    return _availability_out(selectors.availability([space], filters.start, filters.end))[0]


@router.patch(
    "/spaces/{space_id}",
    response={200: SpaceOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a space's details, booking rules and bookable hours (staff)",
)
@policy.permission("space.manage")
def update_space(request: HttpRequest, space_id: Id, payload: SpaceUpdateIn) -> Any:
    qs = policy.visible(Space.objects.select_related("station"), request.user, "space.manage", "community__path")
    space = policy.get_for(request.user, "space.manage", qs, pk=space_id)
    fields = payload.dict(exclude_unset=True)
    hours = fields.pop("hours", None)
    for name in ("kind", "bookable_by"):
        if fields.get(name) is not None:
            fields[name] = str(fields[name])
    return setup.space_update(
        actor=request.user,
        space=space,
        hours=[(h["weekday"], h["opens"], h["closes"]) for h in hours] if hours is not None else None,
        request=request,
        **fields,
    )


@router.post(
    "/bookings",
    response={201: BookingCreatedOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Book a space, once or recurring",
)
@policy.permission("booking.create")
def create_booking(request: HttpRequest, payload: BookingIn) -> Any:
    """Answers 409 when the time is taken (with ``on_conflict: "skip"`` a recurring booking skips taken dates
    instead and lists them), 422 when a rule is broken."""
    space = policy.get_for(request.user, "space.view", selectors.spaces_visible(request.user), pk=payload.space_id)
    on_behalf_of = None
    if payload.on_behalf_of not in (None, request.user.pk) and not policy.can(request.user, "booking.manage", space):
        raise ValidationError({"on_behalf_of": [services.only_own_household_message()]})
    if payload.on_behalf_of is not None:
        on_behalf_of = User.objects.filter(pk=payload.on_behalf_of, is_active=True).first()
        if on_behalf_of is None:
            raise ValidationError({"on_behalf_of": [_("No such user.")]})
    household = None
    if payload.household_id is not None:
        household = Household.objects.filter(pk=payload.household_id).first()
        if household is None:  # the same answer as for a household one may not name
            staff = policy.can(request.user, "booking.manage", space)
            raise ValidationError({"household": [services.household_refusal(space, staff=staff)]})
    recurrence = Recurrence(**payload.recurrence.dict()) if payload.recurrence else None
    result = services.booking_create(
        actor=request.user,
        space=space,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        title=payload.title,
        on_behalf_of=on_behalf_of,
        household=household,
        recurrence=recurrence,
        on_conflict=payload.on_conflict,
        request=request,
    )
    return Status(
        201,
        {
            "bookings": result.bookings,
            "skipped": result.skipped,
            "closed": [{"date": d, "reason": r} for d, r in result.closed],
            "series_id": result.series.pk if result.series else None,
        },
    )


@router.get("/bookings", response=list[BookingOut], summary="Bookings: one's own, and for staff all within reach")
@paginate(Pagination)
@policy.permission("booking.view")
def list_bookings(request: HttpRequest, filters: Query[BookingFilter]) -> Any:
    qs = selectors.bookings_visible(request.user)
    if filters.mine:
        qs = qs.filter(booker_id=request.user.pk)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-starts_at", "-id")


def _booking(request: HttpRequest, booking_id: Id) -> Booking:
    booking: Booking = policy.get_for(
        request.user, "booking.view", Booking.objects.select_related("space"), pk=booking_id
    )
    return booking


@router.get("/bookings/{booking_id}", response={200: BookingOut, 404: ErrorOut}, summary="One booking")
@policy.permission("booking.view")
def get_booking(request: HttpRequest, booking_id: Id) -> Any:
    return _booking(request, booking_id)


@router.post(
    "/bookings/{booking_id}/confirm",
    response={200: BookingOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Confirm a pending booking (staff); the pending ones it overlaps are rejected",
)
@policy.permission("booking.manage")
def confirm_booking(request: HttpRequest, booking_id: Id) -> Any:
    booking = policy.get_for(request.user, "booking.manage", Booking.objects.select_related("space"), pk=booking_id)
    return services.booking_confirm(actor=request.user, booking=booking, request=request)


@router.post(
    "/bookings/{booking_id}/reject",
    response={200: BookingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reject a pending booking with a reason (staff)",
)
@policy.permission("booking.manage")
def reject_booking(request: HttpRequest, booking_id: Id, payload: ReasonIn) -> Any:
    booking = policy.get_for(request.user, "booking.manage", Booking.objects.select_related("space"), pk=booking_id)
    return services.booking_reject(actor=request.user, booking=booking, reason=payload.reason, request=request)


@router.post(
    "/bookings/{booking_id}/cancel",
    response={200: BookingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Cancel a booking (its owner, or staff with notice to the owner)",
)
@policy.permission("booking.view")
def cancel_booking(request: HttpRequest, booking_id: Id, payload: ReasonIn) -> Any:
    booking = _booking(request, booking_id)
    return services.booking_cancel(actor=request.user, booking=booking, reason=payload.reason, request=request)


@router.post(
    "/bookings/{booking_id}/checkin",
    response={200: BookingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Check in (the owner, or staff)",
)
@policy.permission("booking.view")
def check_in_booking(request: HttpRequest, booking_id: Id) -> Any:
    booking = _booking(request, booking_id)
    return services.booking_check_in(actor=request.user, booking=booking, request=request)


@router.post(
    "/bookings/{booking_id}/claim",
    response={200: BookingOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Claim a skipped date of a recurring booking once it is free",
)
@policy.permission("booking.view")
def claim_booking(request: HttpRequest, booking_id: Id) -> Any:
    booking = _booking(request, booking_id)
    return services.booking_claim(actor=request.user, booking=booking, request=request)


@router.post(
    "/series/{series_id}/reconfirm",
    response={200: SeriesOut, 404: ErrorOut, 422: ErrorOut},
    summary="Re-confirm a long recurring booking so it does not lapse",
)
@policy.permission("booking.view")
def reconfirm_series(request: HttpRequest, series_id: Id) -> Any:
    series = policy.get_for(request.user, "booking.view", Series.objects.all(), pk=series_id)
    return services.series_reconfirm(actor=request.user, series=series, request=request)
