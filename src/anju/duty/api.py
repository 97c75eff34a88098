from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.core.api import ErrorOut
from anju.core.params import Id
from anju.duty import ledger, seats, selectors, services
from anju.duty import swaps as swap_service
from anju.duty.config import api as config_api
from anju.duty.models import Assignment, HoursEntry, Roster, StoreItem, SwapRequest, Volunteer

router = Router(tags=["duty"])


class SeatOut(Schema):
    seat: int
    name: str = Field(..., description="masked for other volunteers unless the reader manages duty; empty when free")
    mine: bool
    status: str | None


class ShiftOut(Schema):
    id: int
    name: str
    day: date
    starts_at: datetime
    ends_at: datetime
    seats: list[SeatOut]


class AssignmentOut(Schema):
    id: int
    shift_id: int
    shift: str
    starts_at: datetime
    ends_at: datetime
    seat: int
    status: str
    offer_expires_at: datetime | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class SwapOut(Schema):
    id: int
    kind: str = Field(..., description="cover (someone takes the seat) or swap (seats are exchanged)")
    want_id: int | None = Field(None, description="a swap offered for this one seat only")
    assignment_id: int
    shift: str
    starts_at: datetime
    note: str
    status: str


class DutyEntryOut(Schema):
    id: int
    volunteer_id: int
    source: str
    category: str
    day: date
    hours: Decimal
    note: str
    reverses_id: int | None


class DutyReasonIn(Schema):
    reason: str = Field(..., max_length=200)


class NoteIn(Schema):
    note: str = Field("", max_length=200)


class DoorIn(Schema):
    token: str = Field(..., max_length=64, description="the token of the station's duty QR code")


class RedeemIn(Schema):
    code: str = Field(..., max_length=16, description="the volunteer's code (their QR)")
    item_id: Id


class RedemptionOut(Schema):
    id: int
    volunteer_id: int
    item_id: int
    points: int
    balance: int


def _assignment_out(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "shift_id": a.shift_id,
        "shift": a.shift.template.name,
        "starts_at": a.shift.starts_at,
        "ends_at": a.shift.ends_at,
        "seat": a.seat,
        "status": a.status,
        "offer_expires_at": a.offer_expires_at,
        "checked_in_at": a.checked_in_at,
        "checked_out_at": a.checked_out_at,
    }


@router.get(
    "/duty/stations/{station_id}/week",
    response={200: list[ShiftOut], 404: ErrorOut, 422: ErrorOut},
    summary="A station's duty week (Monday to Sunday) with its seats",
)
@policy.permission("duty.view")
def week(request: HttpRequest, station_id: Id, start: date | None = None) -> Any:
    station = policy.get_for(request.user, "duty.view", selectors.stations(request.user), pk=station_id)
    if start is not None and not services.SANE_YEARS[0] <= start.year <= services.SANE_YEARS[1]:
        raise ValidationError({"start": [_("Choose a date within the years a roster can cover.")]})
    first = selectors.week_start(start or timezone.localdate())
    out = []
    for day in selectors.week(request.user, station, first):
        for s in day["shifts"]:
            out.append(
                {
                    "id": s.pk,
                    "name": s.template.name,
                    "day": s.day,
                    "starts_at": s.starts_at,
                    "ends_at": s.ends_at,
                    "seats": [
                        {
                            "seat": x["n"],
                            "name": x["name"],
                            "mine": x["mine"],
                            "status": x["assignment"].status if x["assignment"] else None,
                        }
                        for x in s.seat_rows
                    ],
                }
            )
    return out


@router.post(
    "/duty/shifts/{shift_id}/claim",
    response={201: AssignmentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Sign oneself up for a free seat (exactly one of many at once gets the last seat)",
)
@policy.permission("duty.take")
def claim(request: HttpRequest, shift_id: Id) -> Any:
    shift = policy.get_for(request.user, "duty.take", selectors.shifts(request.user), pk=shift_id)
    a = seats.shift_claim(actor=request.user, shift=shift, request=request)
    return Status(201, _assignment_out(Assignment.objects.select_related("shift__template").get(pk=a.pk)))


@router.get("/duty/mine", response=list[AssignmentOut], summary="My seats to come (held, confirmed, offered)")
@policy.permission("duty.view")
def mine(request: HttpRequest) -> Any:
    return [_assignment_out(a) for a in selectors.my_assignments(request.user)[:100]]


STEPS = {"confirm": seats.assignment_confirm, "accept": seats.offer_accept, "decline": seats.offer_decline}


class DutyStepIn(Schema):
    step: Literal["confirm", "accept", "decline", "drop", "checkin", "checkout"]


@router.post(
    "/duty/assignments/{assignment_id}/steps",
    response={200: AssignmentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Confirm a seat, accept or decline an offer, give a seat up, check in or out of one's own shift",
)
@policy.permission("duty.take")
def step(request: HttpRequest, assignment_id: Id, payload: DutyStepIn) -> Any:
    step = payload.step
    a = policy.get_for(
        request.user, "duty.own", Assignment.objects.select_related("volunteer", "shift"), pk=assignment_id
    )
    if step in STEPS:
        STEPS[step](actor=request.user, assignment=a, request=request)
    elif step == "drop":
        seats.assignment_drop(actor=request.user, assignment=a, request=request)
    elif step == "checkin":
        ledger.check_in(actor=request.user, assignment=a, request=request)
    else:
        ledger.check_out(actor=request.user, assignment=a, request=request)
    return _assignment_out(Assignment.objects.select_related("shift__template").get(pk=a.pk))


@router.post(
    "/duty/assignments/{assignment_id}/cover-requests",
    response={201: SwapOut, 404: ErrorOut, 422: ErrorOut},
    summary="Ask for cover: those free then hear of it; the first to take it wins",
)
@policy.permission("duty.take")
def cover(request: HttpRequest, assignment_id: Id, payload: NoteIn) -> Any:
    a = policy.get_for(
        request.user, "duty.own", Assignment.objects.select_related("volunteer", "shift"), pk=assignment_id
    )
    s = seats.cover_ask(actor=request.user, assignment=a, note=payload.note, request=request)
    return Status(201, _swap_out(SwapRequest.objects.select_related("assignment__shift__template").get(pk=s.pk)))


def _swap_out(s: SwapRequest) -> dict[str, Any]:
    return {
        "id": s.pk,
        "kind": s.kind,
        "want_id": s.want_id,
        "assignment_id": s.assignment_id,
        "shift": s.assignment.shift.template.name,
        "starts_at": s.assignment.shift.starts_at,
        "note": s.note,
        "status": s.status,
    }


@router.get("/duty/swaps", response=list[SwapOut], summary="Open cover requests one could take")
@policy.permission("duty.view")
def swaps(request: HttpRequest) -> Any:
    return [_swap_out(s) for s in selectors.open_swaps(request.user)[:100]]


@router.post(
    "/duty/swaps/{swap_id}/take",
    response={200: AssignmentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Take an open cover request (the first acceptance wins)",
)
@policy.permission("duty.take")
def take(request: HttpRequest, swap_id: Id) -> Any:
    s = policy.get_for(request.user, "duty.take", selectors.swaps_reachable(request.user), pk=swap_id)
    a = seats.cover_take(actor=request.user, swap=s, request=request)
    return _assignment_out(Assignment.objects.select_related("shift__template").get(pk=a.pk))


class SwapOfferIn(Schema):
    want_id: Id | None = Field(
        None, description="another volunteer's seat (an assignment) to swap with; empty: any seat a taker holds"
    )
    note: str = Field("", max_length=200)


class SwapAcceptIn(Schema):
    give_id: Id = Field(..., description="the caller's own seat (an assignment) given in exchange")


class SwapDoneOut(Schema):
    mine: AssignmentOut = Field(..., description="the caller's new seat")
    theirs_id: int = Field(..., description="the offerer's new seat (an assignment)")


@router.post(
    "/duty/assignments/{assignment_id}/swap-offers",
    response={201: SwapOut, 404: ErrorOut, 422: ErrorOut},
    summary="Offer one's seat in exchange for another volunteer's (a named seat, or any a taker holds)",
)
@policy.permission("duty.take")
def swap_offer(request: HttpRequest, assignment_id: Id, payload: SwapOfferIn) -> Any:
    a = policy.get_for(
        request.user, "duty.own", Assignment.objects.select_related("volunteer", "shift"), pk=assignment_id
    )
    want = None
    if payload.want_id is not None:
        want = policy.get_for(request.user, "duty.take", selectors.seats_reachable(request.user), pk=payload.want_id)
    s = swap_service.swap_offer(actor=request.user, assignment=a, want=want, note=payload.note, request=request)
    return Status(201, _swap_out(SwapRequest.objects.select_related("assignment__shift__template").get(pk=s.pk)))


@router.post(
    "/duty/swaps/{swap_id}/accept",
    response={200: SwapDoneOut, 404: ErrorOut, 422: ErrorOut},
    summary="Accept a swap by giving one of one's own seats: both seats change hands at once; the first wins",
)
@policy.permission("duty.take")
def swap_accept(request: HttpRequest, swap_id: Id, payload: SwapAcceptIn) -> Any:
    s = policy.get_for(request.user, "duty.take", selectors.swaps_reachable(request.user), pk=swap_id)
    give = policy.get_for(
        request.user, "duty.own", Assignment.objects.select_related("volunteer", "shift"), pk=payload.give_id
    )
    mine, theirs = swap_service.swap_accept(actor=request.user, swap=s, give=give, request=request)
    return {
        "mine": _assignment_out(Assignment.objects.select_related("shift__template").get(pk=mine.pk)),
        "theirs_id": theirs.pk,
    }


@router.post(
    "/duty/swaps/{swap_id}/decline",
    response={200: SwapOut, 404: ErrorOut, 422: ErrorOut},
    summary="Decline a swap offered for one's own named seat; the asker hears of it",
)
@policy.permission("duty.take")
def swap_decline(request: HttpRequest, swap_id: Id) -> Any:
    s = policy.get_for(request.user, "duty.take", selectors.swaps_reachable(request.user), pk=swap_id)
    swap_service.swap_decline(actor=request.user, swap=s, request=request)
    return _swap_out(SwapRequest.objects.select_related("assignment__shift__template").get(pk=s.pk))


@router.post(
    "/duty/swaps/{swap_id}/withdraw",
    response={200: SwapOut, 404: ErrorOut, 422: ErrorOut},
    summary="Withdraw one's own open cover request or swap offer",
)
@policy.permission("duty.take")
def swap_withdraw(request: HttpRequest, swap_id: Id) -> Any:
    s = policy.get_for(
        request.user, "duty.own", SwapRequest.objects.select_related("assignment__volunteer"), pk=swap_id
    )
    seats.cover_withdraw(actor=request.user, swap=s, request=request)
    return _swap_out(SwapRequest.objects.select_related("assignment__shift__template").get(pk=s.pk))


class AttendanceIn(Schema):
    checked_in_at: datetime = Field(..., description="when the volunteer arrived")
    checked_out_at: datetime | None = Field(None, description="when they left (the hours go to the ledger)")


@router.post(
    "/duty/assignments/{assignment_id}/attendance",
    response={200: AssignmentOut, 404: ErrorOut, 422: ErrorOut},
    summary="At the desk: a coordinator records a volunteer's arrival (and departure) on a seat",
)
@policy.permission("duty.manage")
def attendance(request: HttpRequest, assignment_id: Id, payload: AttendanceIn) -> Any:
    a = policy.get_for(
        request.user, "duty.manage", Assignment.objects.select_related("volunteer", "shift"), pk=assignment_id
    )
    ledger.attendance_mark(actor=request.user, assignment=a, **payload.dict(), request=request)
    return _assignment_out(Assignment.objects.select_related("shift__template").get(pk=a.pk))


@router.post(
    "/duty/door",
    response={200: AssignmentOut, 422: ErrorOut},
    summary="The station's duty QR code was scanned: check the caller in to (or out of) their shift there",
)
@policy.permission("duty.take")
def door(request: HttpRequest, payload: DoorIn) -> Any:
    a = ledger.door_scan(actor=request.user, token=payload.token, request=request)
    return _assignment_out(Assignment.objects.select_related("shift__template").get(pk=a.pk))


@router.get(
    "/duty/ledger", response=list[DutyEntryOut], summary="Hours entries: one's own, or (staff) all within reach"
)
@policy.permission("duty.view")
def ledger_list(request: HttpRequest) -> Any:
    return list(selectors.ledger(request.user).order_by("-day", "-pk")[:500])


@router.post(
    "/duty/entries/{entry_id}/reverse",
    response={201: DutyEntryOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reverse an hours entry with a reason (the ledger is append-only)",
)
@policy.permission("duty.manage")
def reverse(request: HttpRequest, entry_id: Id, payload: DutyReasonIn) -> Any:
    entry = policy.get_for(request.user, "duty.manage", HoursEntry.objects.select_related("volunteer"), pk=entry_id)
    return Status(201, ledger.hours_reverse(actor=request.user, entry=entry, reason=payload.reason, request=request))


@router.post(
    "/duty/redemptions",
    response={201: RedemptionOut, 404: ErrorOut, 422: ErrorOut},
    summary="At the counter: redeem one store item with a volunteer's points",
)
@policy.permission("duty.manage")
def redeem(request: HttpRequest, payload: RedeemIn) -> Any:
    item = policy.get_for(request.user, "duty.manage", StoreItem.objects.all(), pk=payload.item_id)
    r = ledger.redeem(actor=request.user, code=payload.code, item=item, request=request)
    return Status(
        201,
        {
            "id": r.pk,
            "volunteer_id": r.volunteer_id,
            "item_id": item.pk,
            "points": r.points,
            "balance": selectors.balance(r.volunteer),
        },
    )


class RosterIn(Schema):
    month: date = Field(..., description="any day of the month to generate (this month or later)")


class RosterOut(Schema):
    id: int
    station_id: int
    month: date
    status: str = Field(..., description="draft or published")
    holes: int = Field(..., description="seats no one holds")


@router.post(
    "/duty/stations/{station_id}/rosters",
    response={201: RosterOut, 404: ErrorOut, 422: ErrorOut},
    summary="Generate (or regenerate, while a draft) a station's roster for a month",
)
@policy.permission("duty.manage")
def generate(request: HttpRequest, station_id: Id, payload: RosterIn) -> Any:
    station = policy.get_for(
        request.user, "duty.manage", selectors.stations(request.user, "duty.manage"), pk=station_id
    )
    return Status(
        201, services.roster_generate(actor=request.user, station=station, month=payload.month, request=request)
    )


@router.post(
    "/duty/rosters/{roster_id}/publish",
    response={200: RosterOut, 404: ErrorOut, 422: ErrorOut},
    summary="Publish a draft roster: its volunteers are asked to confirm their seats",
)
@policy.permission("duty.manage")
def publish(request: HttpRequest, roster_id: Id) -> Any:
    roster = policy.get_for(request.user, "duty.manage", Roster.objects.all(), pk=roster_id)
    return services.roster_publish(actor=request.user, roster=roster, request=request)


class AvailabilityIO(Schema):
    weekdays: list[int] = Field(..., description="0 = Monday … 6 = Sunday")
    earliest: time | None = None
    latest: time | None = None
    monthly_max: int = Field(..., ge=0, le=31)
    away: list[date] = Field([], max_length=120, description="dates away")
    standby: bool = True
    leaderboard: bool = False


def _availability_out(v: Volunteer) -> dict[str, Any]:
    return {
        "weekdays": v.weekdays,
        "earliest": v.earliest,
        "latest": v.latest,
        "monthly_max": v.monthly_max,
        "away": list(v.blackouts.order_by("day").values_list("day", flat=True)),
        "standby": v.standby,
        "leaderboard": v.leaderboard,
    }


@router.get(
    "/duty/volunteers/{volunteer_id}/availability",
    response={200: AvailabilityIO, 404: ErrorOut},
    summary="A volunteer's availability (one's own; staff: within reach)",
)
@policy.permission("duty.take")
def availability_get(request: HttpRequest, volunteer_id: Id) -> Any:
    return _availability_out(policy.get_for(request.user, "duty.own", Volunteer.objects.all(), pk=volunteer_id))


@router.put(
    "/duty/volunteers/{volunteer_id}/availability",
    response={200: AvailabilityIO, 404: ErrorOut, 422: ErrorOut},
    summary="Set a volunteer's weekdays, hours, dates away, monthly maximum, standby and leaderboard choice",
)
@policy.permission("duty.take")
def availability_put(request: HttpRequest, volunteer_id: Id, payload: AvailabilityIO) -> Any:
    volunteer = policy.get_for(request.user, "duty.own", Volunteer.objects.all(), pk=volunteer_id)
    volunteer = services.availability_set(actor=request.user, volunteer=volunteer, **payload.dict(), request=request)
    return _availability_out(volunteer)


router.add_router("", config_api.router)
