"""True shift swaps: a volunteer offers their seat in exchange for another volunteer's seat (one named seat, or
any seat the taker holds); the taker accepts by giving one of theirs, and both seats change hands in one
transaction. The first acceptance wins.

Both shifts are locked for update in id order (no deadlock between two swaps of the same pair); the request's
conditional update from open to taken decides who was first; the partial unique indexes on (shift, seat) and
(shift, volunteer) stand behind it. Each side must be able to take the other's seat: weekday, hours, dates away
and skill (as the roster planner reads them), the monthly maximum of the month it moves into, and no other
shift that day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.masking import mask_name
from anju.duty import notices, planning, seats
from anju.duty.models import Assignment, Blackout, Roster, Shift, SwapRequest, Volunteer

#: The statuses of a seat one may swap away (an offer from the standby pool is taken up first).
SWAPPABLE = (Assignment.Status.ASSIGNED, Assignment.Status.CONFIRMED)


def _refuse(message: str) -> ValidationError:
    return ValidationError({"__all__": [message]})


def _lock_both(a: Shift, b: Shift) -> tuple[Shift, Shift]:
    """Lock two shifts for update in id order; returns them in the order asked."""
    locked = {
        s.pk: s
        for s in Shift.objects.select_for_update()
        .select_related("template", "roster")
        .filter(pk__in=sorted({a.pk, b.pk}))
        .order_by("pk")
    }
    return locked[a.pk], locked[b.pk]


def _open_for_swap(a: Assignment, shift: Shift, now: datetime) -> None:
    if a.status not in SWAPPABLE:
        raise _refuse(_("You no longer hold this seat."))
    if shift.starts_at <= now:
        raise _refuse(_("This shift has started: it can no longer be swapped."))
    if shift.roster.status != Roster.Status.PUBLISHED:
        raise _refuse(_("This month's roster is not published yet."))


def swap_check(volunteer: Volunteer, *, gets: Shift, leaves: Assignment) -> None:
    """Refuse (a ValidationError) when ``volunteer``, giving up ``leaves``, may not take a seat of ``gets``."""
    person = seats.person_of(volunteer)
    person.away = frozenset(Blackout.objects.filter(volunteer=volunteer, day=gets.day).values_list("day", flat=True))
    if not volunteer.is_active or not planning.can_sit(person, seats.seat_of(gets)):
        raise _refuse(
            _("%(name)s cannot come at that time (availability, dates away or skill).") % {"name": volunteer.name}
        )
    held = Assignment.objects.filter(volunteer=volunteer, status__in=list(Assignment.HOLDING)).exclude(pk=leaves.pk)
    if held.filter(shift__day=gets.day).exists():
        raise _refuse(_("%(name)s already has a shift on that day.") % {"name": volunteer.name})
    if held.filter(shift__starts_at__lt=gets.ends_at, shift__ends_at__gt=gets.starts_at).exists():
        raise _refuse(_("%(name)s is on another shift at that time.") % {"name": volunteer.name})
    if held.filter(shift__roster__month=gets.roster.month).count() + 1 > volunteer.monthly_max:
        raise _refuse(
            _("%(name)s would go over their maximum of %(n)d shifts that month.")
            % {"name": volunteer.name, "n": volunteer.monthly_max}
        )


def swap_offer(
    *,
    actor: Any,
    assignment: Assignment,
    want: Assignment | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> SwapRequest:
    """Offer one's seat in exchange for ``want`` (another volunteer's seat: only its holder hears of it and may
    accept) or, without ``want``, for any seat of a volunteer who could take this one (they hear of it)."""
    now = timezone.now()
    note = (note or "").strip()[:200]
    with transaction.atomic():
        if want is not None:
            shift, _other = _lock_both(assignment.shift, want.shift)
        else:
            shift = Shift.objects.select_for_update().select_related("template", "roster").get(pk=assignment.shift_id)
        a = Assignment.objects.select_related("volunteer").get(pk=assignment.pk)
        if a.volunteer.user_id != actor.pk:
            raise _refuse(_("This is not your shift."))
        _open_for_swap(a, shift, now)
        if SwapRequest.objects.filter(assignment=a, status=SwapRequest.Status.OPEN).exists():
            raise _refuse(_("You have already asked for cover or a swap for this shift: withdraw it first."))
        if want is not None:
            w = Assignment.objects.select_related("volunteer", "shift", "shift__roster").get(pk=want.pk)
            if w.community_id != a.community_id or w.volunteer_id == a.volunteer_id:
                raise ValidationError({"want": [_("Choose another volunteer's seat in this community.")]})
            if w.status not in SWAPPABLE or w.shift.starts_at <= now:
                raise ValidationError({"want": [_("That seat can no longer be swapped.")]})
            swap_check(a.volunteer, gets=w.shift, leaves=a)
            swap_check(w.volunteer, gets=shift, leaves=w)
            recipients = [w.volunteer.user_id]
        else:
            future = Assignment.objects.filter(
                status__in=list(SWAPPABLE), shift__starts_at__gt=now, community_id=a.community_id
            ).values("volunteer_id")
            recipients = [
                v.user_id
                for v in seats.cover_candidates(shift, exclude=a.volunteer)
                if v.pk in set(future.values_list("volunteer_id", flat=True))
            ]
        swap = SwapRequest.objects.create(
            community_id=a.community_id, assignment=a, kind=SwapRequest.Kind.SWAP, want=want, note=note
        )
        notices.send(
            kind=notices.SWAP_ASKED,
            recipients=recipients,
            community=shift.community_id,
            params={**notices.shift_params(shift), "name": mask_name(a.volunteer.name), "swap": swap.pk},
            url_name="duty:swaps",
        )
        record(
            Action.DUTY_SWAP_OFFERED,
            actor=actor,
            obj=a,
            request=request,
            data={"swap": swap.pk, "want": want.pk if want else None, "note": note},
        )
    return swap


def swap_accept(
    *, actor: Any, swap: SwapRequest, give: Assignment, request: HttpRequest | None = None
) -> tuple[Assignment, Assignment]:
    """Accept a swap by giving ``give`` (one's own seat): the offerer takes that seat and the actor theirs, both
    confirmed, in one transaction; the first acceptance wins. Returns (the actor's new seat, the offerer's)."""
    now = timezone.now()
    with transaction.atomic():
        s = SwapRequest.objects.select_related("assignment").get(pk=swap.pk)
        if s.kind != SwapRequest.Kind.SWAP:
            raise _refuse(_("This is a request for cover, not a swap."))
        theirs_shift, mine_shift = _lock_both(s.assignment.shift, give.shift)
        theirs = Assignment.objects.select_related("volunteer").get(pk=s.assignment_id)
        mine = Assignment.objects.select_related("volunteer").get(pk=give.pk)
        s.refresh_from_db()
        if s.status != SwapRequest.Status.OPEN:
            raise _refuse(_("Someone else has already taken this swap."))
        if mine.volunteer.user_id != actor.pk or mine.community_id != s.community_id:
            raise ValidationError({"give": [_("Choose one of your own shifts to give in exchange.")]})
        if mine.volunteer_id == theirs.volunteer_id:
            raise _refuse(_("You cannot swap with yourself."))
        if s.want_id is not None and s.want_id != mine.pk:
            raise ValidationError({"give": [_("This swap was offered for another seat.")]})
        _open_for_swap(theirs, theirs_shift, now)
        _open_for_swap(mine, mine_shift, now)
        swap_check(mine.volunteer, gets=theirs_shift, leaves=mine)
        swap_check(theirs.volunteer, gets=mine_shift, leaves=theirs)
        if not SwapRequest.objects.filter(pk=s.pk, status=SwapRequest.Status.OPEN).update(
            status=SwapRequest.Status.TAKEN, taken_by=mine.volunteer, given=mine, closed_at=now
        ):
            raise _refuse(_("Someone else has already taken this swap."))
        for a in (theirs, mine):
            if not seats.end_holding(a, Assignment.Status.HANDED_OVER, now):
                raise _refuse(_("Someone else has already taken this swap."))
        # what else was open on either seat (a cover request, another swap naming it) closes with it
        SwapRequest.objects.filter(status=SwapRequest.Status.OPEN, assignment__in=[theirs, mine]).update(
            status=SwapRequest.Status.CLOSED, closed_at=now
        )
        SwapRequest.objects.filter(status=SwapRequest.Status.OPEN, want__in=[theirs, mine]).update(
            status=SwapRequest.Status.CLOSED, closed_at=now
        )
        mine_new = seats.insert_holding(
            theirs_shift,
            theirs.seat,
            mine.volunteer,
            Assignment.Status.CONFIRMED,
            Assignment.Source.SWAP,
            confirmed_at=now,
        )
        theirs_new = seats.insert_holding(
            mine_shift,
            mine.seat,
            theirs.volunteer,
            Assignment.Status.CONFIRMED,
            Assignment.Source.SWAP,
            confirmed_at=now,
        )
        notices.send(
            kind=notices.SWAP_TAKEN,
            recipients=[theirs.volunteer.user_id],
            community=s.community_id,
            params={
                **notices.shift_params(mine_shift),
                "name": mask_name(mine.volunteer.name),
                "gave": theirs_shift.template.name,
                "swap": s.pk,
            },
            url_name="duty:mine",
        )
        record(
            Action.DUTY_SWAP_ACCEPTED,
            actor=actor,
            obj=s,
            request=request,
            data={
                "swap": s.pk,
                "ended": [theirs.pk, mine.pk],
                "new": [mine_new.pk, theirs_new.pk],
                "shifts": [theirs_shift.pk, mine_shift.pk],
            },
        )
    return mine_new, theirs_new


def swap_decline(*, actor: Any, swap: SwapRequest, request: HttpRequest | None = None) -> SwapRequest:
    """The holder of the seat a swap names turns it down: the offer closes as declined and its asker hears of it
    (only the named seat's holder may decline; an offer open to anyone is simply not taken)."""
    now = timezone.now()
    with transaction.atomic():
        s = (
            SwapRequest.objects.select_for_update(of=("self",))  # "want" is nullable: lock this row only
            .select_related("assignment__volunteer", "assignment__shift__template", "want__volunteer")
            .get(pk=swap.pk)
        )
        if s.kind != SwapRequest.Kind.SWAP or s.want is None or s.want.volunteer.user_id != actor.pk:
            raise _refuse(_("Only the person this swap was offered to can decline it."))
        if s.status != SwapRequest.Status.OPEN:
            raise _refuse(_("This swap offer is no longer open."))
        SwapRequest.objects.filter(pk=s.pk).update(status=SwapRequest.Status.DECLINED, closed_at=now)
        s.status, s.closed_at = SwapRequest.Status.DECLINED, now
        notices.send(
            kind=notices.SWAP_DECLINED,
            recipients=[s.assignment.volunteer.user_id],
            community=s.community_id,
            params={
                **notices.shift_params(s.assignment.shift),
                "name": mask_name(s.want.volunteer.name),
                "swap": s.pk,
            },
            url_name="duty:mine",
        )
        record(Action.DUTY_SWAP_DECLINED, actor=actor, obj=s, request=request, data={"swap": s.pk, "want": s.want_id})
    return s


def swap_partners(assignment: Assignment, *, limit: int = 60) -> list[Assignment]:
    """Other volunteers' seats to come in the same community, soonest first, that the holder of ``assignment``
    may name in a swap offer (the offer itself checks both sides' availability, dates away and maximums)."""
    return list(
        Assignment.objects.filter(
            community_id=assignment.community_id,
            status__in=list(SWAPPABLE),
            shift__starts_at__gt=timezone.now(),
            shift__roster__status=Roster.Status.PUBLISHED,
            volunteer__is_active=True,
        )
        .exclude(volunteer_id=assignment.volunteer_id)
        .exclude(shift_id=assignment.shift_id)
        .select_related("volunteer", "shift", "shift__template", "shift__template__station")
        .order_by("shift__starts_at", "seat")[:limit]
    )


def my_swappable(user: Any) -> list[Assignment]:
    """The reader's own seats to come that they could give in exchange for a swap (one query)."""
    return list(
        Assignment.objects.filter(
            volunteer__user=user,
            status__in=list(SWAPPABLE),
            shift__starts_at__gt=timezone.now(),
            shift__roster__status=Roster.Status.PUBLISHED,
        )
        .select_related("shift", "shift__template")
        .order_by("shift__starts_at")[:50]
    )


def givable(swap: SwapRequest, mine: list[Assignment]) -> list[Assignment]:
    """Of the reader's seats (:func:`my_swappable`), those they may give for ``swap``."""
    return [
        a
        for a in mine
        if a.community_id == swap.community_id
        and a.pk != swap.assignment_id
        and (swap.want_id is None or a.pk == swap.want_id)
    ]
