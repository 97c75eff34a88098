"""The seats of shifts: sign-up, confirm, drop, cover requests, a coordinator's reassignment, and the standby
pool's offers (one person at a time, each offer once, with an expiry), with the worker's sweeps.

Every change of who holds a seat runs on the shift row locked for update (PostgreSQL; SQLite's IMMEDIATE
transaction serialises writers) and a partial unique index on (shift, seat) over the holding statuses is the
last guard: two people never hold one seat."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.masking import mask_name
from anju.core.text import local_minute
from anju.duty import notices, planning
from anju.duty.models import Assignment, Blackout, Roster, Shift, SwapRequest, Volunteer
from anju.duty.services import quarter_start

HOLDING = list(Assignment.HOLDING)


def volunteer_of(user: Any, community_id: int) -> Volunteer | None:
    """The user's active volunteer entry in a community, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Volunteer.objects.filter(user=user, community_id=community_id, is_active=True).first()


def _mine(actor: Any, community_id: int) -> Volunteer:
    volunteer = volunteer_of(actor, community_id)
    if volunteer is None:
        raise ValidationError({"__all__": [_("You are not enrolled as a volunteer of this community.")]})
    return volunteer


def _lock(shift: Shift) -> Shift:
    return Shift.objects.select_for_update().select_related("template", "roster").get(pk=shift.pk)


def overlapping(volunteer: Volunteer, shift: Shift) -> QuerySet[Assignment]:
    """The volunteer's held seats that overlap ``shift`` in time (any station), other than on it."""
    return Assignment.objects.filter(
        volunteer=volunteer,
        status__in=HOLDING,
        shift__starts_at__lt=shift.ends_at,
        shift__ends_at__gt=shift.starts_at,
    ).exclude(shift=shift)


def _free_seat(shift: Shift) -> int | None:
    taken = set(Assignment.objects.filter(shift=shift, status__in=HOLDING).values_list("seat", flat=True))
    return next((n for n in range(1, shift.seats + 1) if n not in taken), None)


def insert_holding(
    shift: Shift, seat: int, volunteer: Volunteer, status: str, source: str, **fields: Any
) -> Assignment:
    """Insert a holding row; the partial unique indexes refuse a taken seat or a second seat of one person."""
    try:
        with transaction.atomic():
            return Assignment.objects.create(
                community_id=shift.community_id,
                shift=shift,
                seat=seat,
                volunteer=volunteer,
                status=status,
                source=source,
                **fields,
            )
    except IntegrityError:
        raise ValidationError({"__all__": [_("No seat is free on this shift any more.")]}) from None


def _check_can_hold(volunteer: Volunteer, shift: Shift) -> None:
    if Assignment.objects.filter(shift=shift, volunteer=volunteer, status__in=HOLDING).exists():
        raise ValidationError({"__all__": [_("%(name)s is already on this shift.") % {"name": volunteer.name}]})
    if overlapping(volunteer, shift).exists():
        raise ValidationError({"__all__": [_("%(name)s is on another shift at that time.") % {"name": volunteer.name}]})


def shift_claim(
    *, actor: Any, shift: Shift, now: datetime | None = None, request: HttpRequest | None = None
) -> Assignment:
    """Sign oneself up for a free seat of a published shift, until its changes close."""
    now = now or timezone.now()
    volunteer = _mine(actor, shift.community_id)
    with transaction.atomic():
        locked = _lock(shift)
        if locked.roster.status != Roster.Status.PUBLISHED:
            raise ValidationError({"__all__": [_("This month's roster is not published yet.")]})
        if now >= locked.starts_at - timedelta(hours=locked.template.change_hours):
            raise ValidationError({"__all__": [_("Sign-up for this shift has closed.")]})
        _check_can_hold(volunteer, locked)
        month_held = Assignment.objects.filter(
            volunteer=volunteer, status__in=HOLDING, shift__roster__month=locked.roster.month
        ).count()
        if month_held >= volunteer.monthly_max:
            raise ValidationError(
                {
                    "__all__": [
                        _("You have reached your maximum of %(n)d shifts this month.") % {"n": volunteer.monthly_max}
                    ]
                }
            )
        seat = _free_seat(locked)
        if seat is None:
            raise ValidationError({"__all__": [_("No seat is free on this shift any more.")]})
        assignment = insert_holding(
            locked, seat, volunteer, Assignment.Status.CONFIRMED, Assignment.Source.SIGNUP, confirmed_at=now
        )
        record(
            Action.DUTY_SIGNED_UP, actor=actor, obj=assignment, request=request, data={"shift": locked.pk, "seat": seat}
        )
    return assignment


def assignment_confirm(*, actor: Any, assignment: Assignment, request: HttpRequest | None = None) -> Assignment:
    """Confirm one's own assigned seat (before the shift starts)."""
    now = timezone.now()
    with transaction.atomic():
        a = Assignment.objects.select_for_update().select_related("volunteer", "shift").get(pk=assignment.pk)
        if a.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift.")]})
        if a.status != Assignment.Status.ASSIGNED or a.shift.starts_at <= now:
            raise ValidationError({"__all__": [_("This seat is not waiting for your confirmation.")]})
        Assignment.objects.filter(pk=a.pk, status=Assignment.Status.ASSIGNED).update(
            status=Assignment.Status.CONFIRMED, confirmed_at=now
        )
        record(Action.DUTY_CONFIRMED, actor=actor, obj=a, request=request)
    a.refresh_from_db()
    return a


def end_holding(a: Assignment, status: str, now: datetime, *, expected: tuple[str, ...] = Assignment.HOLDING) -> bool:
    """End a holding row (a conditional update: of two at once, one wins)."""
    return bool(
        Assignment.objects.filter(pk=a.pk, status__in=list(expected)).update(
            status=status, ended_at=now, offer_expires_at=None
        )
    )


def assignment_drop(
    *, actor: Any, assignment: Assignment, reason: str = "", request: HttpRequest | None = None
) -> Assignment:
    """Give up one's seat before changes close; the seat goes to the standby pool."""
    now = timezone.now()
    reason = (reason or "").strip()[:200]
    with transaction.atomic():
        shift = _lock(assignment.shift)
        a = Assignment.objects.select_related("volunteer").get(pk=assignment.pk)
        if a.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift.")]})
        if now >= shift.starts_at - timedelta(hours=shift.template.change_hours):
            raise ValidationError({"__all__": [_("Changes to this shift have closed: ask for cover instead.")]})
        if not end_holding(a, Assignment.Status.DROPPED, now):
            raise ValidationError({"__all__": [_("You no longer hold this seat.")]})
        SwapRequest.objects.filter(assignment=a, status=SwapRequest.Status.OPEN).update(
            status=SwapRequest.Status.CLOSED, closed_at=now
        )
        record(Action.DUTY_DROPPED, actor=actor, obj=a, request=request, data={"reason": reason})
        offer_seat(shift, a.seat, now)
    a.refresh_from_db()
    return a


def assignment_reassign(
    *, actor: Any, shift: Shift, seat: int, volunteer: Volunteer | None, request: HttpRequest | None = None
) -> Assignment | None:
    """A coordinator puts ``volunteer`` on a seat (or empties it with None), whoever held it."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(shift)
        if not 1 <= int(seat) <= locked.seats:
            raise ValidationError({"seat": [_("Choose a seat of this shift.")]})
        if locked.ends_at <= now:
            raise ValidationError({"__all__": [_("This shift is over.")]})
        if volunteer is not None:
            if volunteer.community_id != locked.community_id or not volunteer.is_active:
                raise ValidationError({"volunteer": [_("Choose an active volunteer of this community.")]})
            _check_can_hold(volunteer, locked)
        current = Assignment.objects.filter(shift=locked, seat=seat, status__in=HOLDING).first()
        if current is not None:
            end_holding(current, Assignment.Status.REMOVED, now)
        new = None
        if volunteer is not None:
            new = insert_holding(
                locked, int(seat), volunteer, Assignment.Status.ASSIGNED, Assignment.Source.COORDINATOR
            )
            if locked.roster.status == Roster.Status.PUBLISHED:
                notices.send(
                    kind=notices.ASSIGNED,
                    recipients=[volunteer.user_id],
                    community=locked.community_id,
                    params=notices.shift_params(locked),
                    url_name="duty:mine",
                )
        record(
            Action.DUTY_REASSIGNED,
            actor=actor,
            obj=locked,
            request=request,
            data={
                "seat": int(seat),
                "from": current.volunteer_id if current else None,
                "to": volunteer.pk if volunteer else None,
            },
        )
    return new


# --- cover requests -------------------------------------------------------------------------------------------


def cover_candidates(shift: Shift, *, exclude: Volunteer | None = None) -> list[Volunteer]:
    """Active volunteers of the community free at that time and available that day."""
    busy = Assignment.objects.filter(
        status__in=HOLDING, shift__starts_at__lt=shift.ends_at, shift__ends_at__gt=shift.starts_at
    ).values("volunteer_id")
    away = Blackout.objects.filter(day=shift.day).values("volunteer_id")
    qs = (
        Volunteer.objects.filter(community_id=shift.community_id, is_active=True)
        .exclude(pk__in=busy)
        .exclude(pk__in=away)
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    seat = seat_of(shift)
    return [v for v in qs.order_by("pk")[:500] if planning.can_sit(person_of(v), seat)]


def seat_of(shift: Shift) -> planning.Seat:
    """A shift as the planner reads a seat of it (its day, hours, template and skill)."""
    return planning.Seat(
        key=(shift.pk, 0),
        day=shift.day,
        starts=shift.template.starts,
        ends=shift.template.ends,
        template=shift.template_id,
        skill=shift.template.skill,
    )


def person_of(v: Volunteer) -> planning.Person:
    """A volunteer as the planner reads a person (weekdays, hours, skills; no dates away, no load)."""
    return planning.Person(
        id=v.pk, weekdays=frozenset(v.weekdays), earliest=v.earliest, latest=v.latest, skills=frozenset(v.skills)
    )


def cover_ask(*, actor: Any, assignment: Assignment, note: str = "", request: HttpRequest | None = None) -> SwapRequest:
    """Ask for someone to take one's seat; those who can take it hear of it; the first to accept wins."""
    now = timezone.now()
    note = (note or "").strip()[:200]
    with transaction.atomic():
        shift = _lock(assignment.shift)
        a = Assignment.objects.select_related("volunteer").get(pk=assignment.pk)
        if a.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift.")]})
        if a.status not in Assignment.HOLDING or shift.starts_at <= now:
            raise ValidationError({"__all__": [_("You no longer hold this seat.")]})
        if SwapRequest.objects.filter(assignment=a, status=SwapRequest.Status.OPEN).exists():
            raise ValidationError({"__all__": [_("You have already asked for cover for this shift.")]})
        swap = SwapRequest.objects.create(community_id=a.community_id, assignment=a, note=note)
        notices.send(
            kind=notices.COVER_ASKED,
            recipients=[v.user_id for v in cover_candidates(shift, exclude=a.volunteer)],
            community=shift.community_id,
            params={**notices.shift_params(shift), "name": mask_name(a.volunteer.name), "swap": swap.pk},
            url_name="duty:swaps",
        )
        record(Action.DUTY_COVER_ASKED, actor=actor, obj=a, request=request, data={"swap": swap.pk, "note": note})
    return swap


def cover_take(*, actor: Any, swap: SwapRequest, request: HttpRequest | None = None) -> Assignment:
    """Take an open cover request: the seat passes to the actor (confirmed); the first acceptance wins."""
    now = timezone.now()
    with transaction.atomic():
        shift = _lock(swap.assignment.shift)
        volunteer = _mine(actor, shift.community_id)
        s = SwapRequest.objects.select_related("assignment", "assignment__volunteer").get(pk=swap.pk)
        old = s.assignment
        if s.kind != SwapRequest.Kind.COVER:
            raise ValidationError({"__all__": [_("This is a swap: give one of your shifts in exchange.")]})
        if old.volunteer_id == volunteer.pk:
            raise ValidationError({"__all__": [_("You cannot cover your own shift.")]})
        if s.status != SwapRequest.Status.OPEN or shift.starts_at <= now:
            raise ValidationError({"__all__": [_("Someone else has already taken this shift.")]})
        _check_can_hold(volunteer, shift)
        if not SwapRequest.objects.filter(pk=s.pk, status=SwapRequest.Status.OPEN).update(
            status=SwapRequest.Status.TAKEN, taken_by=volunteer, closed_at=now
        ):
            raise ValidationError({"__all__": [_("Someone else has already taken this shift.")]})
        if not end_holding(old, Assignment.Status.HANDED_OVER, now):
            raise ValidationError({"__all__": [_("Someone else has already taken this shift.")]})
        new = insert_holding(
            shift, old.seat, volunteer, Assignment.Status.CONFIRMED, Assignment.Source.COVER, confirmed_at=now
        )
        notices.send(
            kind=notices.COVER_TAKEN,
            recipients=[old.volunteer.user_id],
            community=shift.community_id,
            params={**notices.shift_params(shift), "name": mask_name(volunteer.name), "swap": s.pk},
            url_name="duty:mine",
        )
        record(Action.DUTY_COVER_TAKEN, actor=actor, obj=new, request=request, data={"swap": s.pk, "from": old.pk})
    return new


def cover_withdraw(*, actor: Any, swap: SwapRequest, request: HttpRequest | None = None) -> SwapRequest:
    with transaction.atomic():
        s = SwapRequest.objects.select_related("assignment__volunteer").get(pk=swap.pk)
        if s.assignment.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift.")]})
        if not SwapRequest.objects.filter(pk=s.pk, status=SwapRequest.Status.OPEN).update(
            status=SwapRequest.Status.WITHDRAWN, closed_at=timezone.now()
        ):
            raise ValidationError({"__all__": [_("This request is no longer open.")]})
        record(Action.DUTY_COVER_WITHDRAWN, actor=actor, obj=s.assignment, request=request, data={"swap": s.pk})
    s.refresh_from_db()
    return s


# --- the standby pool -----------------------------------------------------------------------------------------


def _next_standby(shift: Shift) -> Volunteer | None:
    """The next standby volunteer for a seat: never offered this shift before (each person once), free then,
    available that day; the one with the fewest shifts this quarter first."""
    asked = Assignment.objects.filter(shift=shift).values("volunteer_id")
    seen = set(asked.values_list("volunteer_id", flat=True))
    candidates = [v for v in cover_candidates(shift) if v.standby and v.pk not in seen]
    if not candidates:
        return None
    q0 = quarter_start(shift.day)
    loads = dict(
        Assignment.objects.filter(
            volunteer__in=candidates,
            status__in=HOLDING,
            shift__day__gte=q0,
            shift__day__lt=shift.day + timedelta(days=100),
        )
        .values_list("volunteer_id")
        .annotate(n=Count("pk"))
    )
    return min(candidates, key=lambda v: (loads.get(v.pk, 0), v.pk))


def offer_seat(shift: Shift, seat: int, now: datetime) -> Assignment | None:
    """Offer a freed seat of a locked shift to the next standby volunteer (inside the caller's transaction)."""
    if shift.starts_at <= now or shift.roster.status != Roster.Status.PUBLISHED:
        return None
    nxt = _next_standby(shift)
    if nxt is None:
        return None
    until = min(now + timedelta(hours=shift.template.offer_hours), shift.starts_at)
    offer = insert_holding(
        shift, seat, nxt, Assignment.Status.OFFERED, Assignment.Source.STANDBY, offer_expires_at=until
    )
    notices.send(
        kind=notices.OFFER,
        recipients=[nxt.user_id],
        community=shift.community_id,
        params={**notices.shift_params(shift), "deadline": local_minute(until), "offer": offer.pk},
        url_name="duty:mine",
    )
    record(Action.DUTY_OFFERED, actor=None, obj=offer, actor_label="worker", data={"until": until.isoformat()})
    return offer


def offer_accept(*, actor: Any, assignment: Assignment, request: HttpRequest | None = None) -> Assignment:
    now = timezone.now()
    with transaction.atomic():
        a = Assignment.objects.select_for_update().select_related("volunteer").get(pk=assignment.pk)
        if a.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift.")]})
        if a.status != Assignment.Status.OFFERED or (a.offer_expires_at and a.offer_expires_at <= now):
            raise ValidationError({"__all__": [_("This seat is no longer offered to you.")]})
        Assignment.objects.filter(pk=a.pk, status=Assignment.Status.OFFERED).update(
            status=Assignment.Status.CONFIRMED, confirmed_at=now, offer_expires_at=None
        )
        record(Action.DUTY_OFFER_ACCEPTED, actor=actor, obj=a, request=request)
    a.refresh_from_db()
    return a


def offer_decline(*, actor: Any, assignment: Assignment, request: HttpRequest | None = None) -> Assignment:
    now = timezone.now()
    with transaction.atomic():
        shift = _lock(assignment.shift)
        a = Assignment.objects.select_related("volunteer").get(pk=assignment.pk)
        if a.volunteer.user_id != actor.pk:
            raise ValidationError({"__all__": [_("This is not your shift.")]})
        if not end_holding(a, Assignment.Status.DECLINED, now, expected=(Assignment.Status.OFFERED,)):
            raise ValidationError({"__all__": [_("This seat is no longer offered to you.")]})
        record(Action.DUTY_OFFER_DECLINED, actor=actor, obj=a, request=request)
        offer_seat(shift, a.seat, now)
    a.refresh_from_db()
    return a


def offers_expire(*, now: datetime | None = None, batch: int = 100) -> int:
    """Unanswered offers pass to the next standby volunteer (the worker; harmless to run twice or at once)."""
    now = now or timezone.now()
    ids = list(
        Assignment.objects.filter(status=Assignment.Status.OFFERED, offer_expires_at__lte=now).values_list(
            "pk", flat=True
        )[:batch]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            a = Assignment.objects.get(pk=pk)
            shift = _lock(a.shift)
            if not end_holding(a, Assignment.Status.DECLINED, now, expected=(Assignment.Status.OFFERED,)):
                continue  # answered or passed on meanwhile (another worker)
            record(Action.DUTY_OFFER_EXPIRED, actor=None, obj=a, actor_label="worker")
            offer_seat(shift, a.seat, now)
            done += 1
    return done


def confirmations_lapse(*, now: datetime | None = None, batch: int = 100) -> int:
    """Seats not confirmed by their shift's confirm-by time go to the standby pool (published rosters only)."""
    now = now or timezone.now()
    ids = list(
        Assignment.objects.filter(
            status=Assignment.Status.ASSIGNED,
            shift__confirm_by__lte=now,
            shift__starts_at__gt=now,
            shift__roster__status=Roster.Status.PUBLISHED,
        ).values_list("pk", flat=True)[:batch]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            a = Assignment.objects.select_related("volunteer").get(pk=pk)
            shift = _lock(a.shift)
            if not end_holding(a, Assignment.Status.LAPSED, now, expected=(Assignment.Status.ASSIGNED,)):
                continue
            notices.send(
                kind=notices.LAPSED,
                recipients=[a.volunteer.user_id],
                community=shift.community_id,
                params=notices.shift_params(shift),
                url_name="duty:mine",
            )
            record(Action.DUTY_LAPSED, actor=None, obj=a, actor_label="worker")
            offer_seat(shift, a.seat, now)
            done += 1
    return done


def reminders_send(*, now: datetime | None = None, batch: int = 200) -> int:
    """The day-before reminder: once per shift (a conditional update marks it), to those holding a seat."""
    now = now or timezone.now()
    shifts = list(
        Shift.objects.filter(
            reminded_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=24),
            roster__status=Roster.Status.PUBLISHED,
        ).select_related("template")[:batch]
    )
    sent = 0
    for shift in shifts:
        with transaction.atomic():
            if not Shift.objects.filter(pk=shift.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            users = Assignment.objects.filter(
                shift=shift, status__in=[Assignment.Status.ASSIGNED, Assignment.Status.CONFIRMED]
            ).values_list("volunteer__user_id", flat=True)
            notices.send(
                kind=notices.REMINDER,
                recipients=list(users),
                community=shift.community_id,
                params=notices.shift_params(shift),
                url_name="duty:mine",
            )
            sent += 1
    return sent


def no_shows_mark(*, now: datetime | None = None) -> int:
    """Held seats of shifts over for an hour with no check-in are marked no-show (once)."""
    now = now or timezone.now()
    rows = list(
        Assignment.objects.filter(
            status__in=[Assignment.Status.ASSIGNED, Assignment.Status.CONFIRMED],
            checked_in_at__isnull=True,
            no_show=False,
            shift__ends_at__lte=now - timedelta(hours=1),
        ).values_list("pk", flat=True)[:500]
    )
    done = 0
    for pk in rows:
        with transaction.atomic():
            if Assignment.objects.filter(pk=pk, no_show=False, checked_in_at__isnull=True).update(no_show=True):
                a = Assignment.objects.get(pk=pk)
                record(Action.DUTY_NO_SHOW, actor=None, obj=a, actor_label="worker")
                done += 1
    return done
