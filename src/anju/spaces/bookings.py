"""Booking a space once or on a recurrence, and a booking's life with staff: confirm, reject, cancel, claim a
skipped date. The overlap invariant is explained in :mod:`anju.spaces.rules`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.text import join_list
from anju.people.models import Household
from anju.spaces import notices
from anju.spaces.models import Booking, Series, Space
from anju.spaces.recurrence import Recurrence, expand
from anju.spaces.rules import (
    LIVE,
    SlotTaken,
    audience_error,
    booking_context,
    booking_household,
    check_aware,
    closed_reason,
    family_down,
    family_up,
    format_local,
    household_limit_errors,
    is_overlap_violation,
    lock_counted,
    locked_booking,
    notify_booking,
    occupy,
    only_own_household_message,
    opening_hours_error,
    require_staff,
    slot_taken,
    slot_taken_message,
    vacate,
)
from anju.spaces.series import RECONFIRM_DAYS


@dataclass
class BookingResult:
    bookings: list[Booking] = field(default_factory=list)  # made (pending or confirmed)
    skipped: list[Booking] = field(default_factory=list)  # taken dates kept as "skipped", claimable later
    closed: list[tuple[date, str]] = field(default_factory=list)  # series dates left out: the space is closed
    series: Series | None = None


def booking_create(
    *,
    actor: Any,
    space: Space,
    starts_at: Any,
    ends_at: Any,
    title: str,
    on_behalf_of: Any = None,
    household: Household | None = None,
    recurrence: Recurrence | None = None,
    on_conflict: str = "fail",
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> BookingResult:
    """Book ``space`` once or on a recurrence. ``on_conflict``: "fail" (nothing is written when any date is
    taken) or "skip" (taken dates are kept as skipped bookings the owner can claim later)."""
    now = now or timezone.now()
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    check_aware(errors, starts_at, ends_at)
    if errors:
        raise ValidationError(errors)
    reason = audience_error(actor, space)
    if reason:
        raise ValidationError({"space": [reason]})
    staff = policy.can(actor, "booking.manage", space)
    booker = actor if on_behalf_of is None else on_behalf_of
    if booker.pk != actor.pk and not staff:
        errors["on_behalf_of"] = [only_own_household_message()]
    household_error, household = booking_household(actor, booker, space, household, staff)
    if household_error:
        errors["household"] = [household_error]
    if not title:
        errors["title"] = [_("Say what the space is booked for.")]
    if on_conflict not in ("fail", "skip"):
        errors["on_conflict"] = [_("On a taken date, choose to fail or to skip it.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if errors:
        raise ValidationError(errors)
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes < space.min_minutes:
        errors["ends_at"] = [
            _("A booking of %(space)s lasts at least %(n)d minutes.") % {"space": space.name, "n": space.min_minutes}
        ]
    elif minutes > space.max_minutes:
        errors["ends_at"] = [
            _("A booking of %(space)s lasts at most %(n)d minutes.") % {"space": space.name, "n": space.max_minutes}
        ]
    if starts_at < now:
        errors["starts_at"] = [_("The start time has passed.")]
    elif not staff and starts_at > now + timedelta(days=space.max_days_ahead):
        errors["starts_at"] = [
            _("%(space)s can be booked at most %(n)d days ahead.") % {"space": space.name, "n": space.max_days_ahead}
        ]
    if errors:
        raise ValidationError(errors)
    occurrences = expand(recurrence, starts_at, ends_at) if recurrence else [(starts_at, ends_at)]
    ctx = booking_context(space, occurrences[0][0], occurrences[-1][1])
    result = BookingResult()
    wanted: list[tuple[datetime, datetime]] = []
    for start, end in occurrences:
        hours_error = opening_hours_error(ctx, start, end)
        if hours_error:
            raise ValidationError({"starts_at": [hours_error]})
        closed = closed_reason(ctx, start, end)
        if closed and recurrence is None:
            raise ValidationError(
                {"starts_at": [_("%(space)s is closed then: %(reason)s.") % {"space": space.name, "reason": closed}]}
            )
        if closed:
            result.closed.append((timezone.localtime(start).date(), closed))
        else:
            wanted.append((start, end))
    if not wanted:
        raise ValidationError({"recurrence": [_("The space is closed on every date of this recurrence.")]})
    status = Booking.Status.PENDING if space.requires_approval and not staff else Booking.Status.CONFIRMED
    if len(wanted) == 1 and slot_taken(ctx.down, *wanted[0]):
        # A plain read first: a slot visibly taken is answered without queueing for SQLite's write lock.
        # The authoritative check is the one inside the write transaction below.
        raise SlotTaken(slot_taken_message(space, wanted[0][0]))
    try:
        with transaction.atomic():
            if not staff:
                # Counted inside the write transaction, with the household (or the account) locked: two
                # members of one household booking at once are counted one after the other.
                lock_counted(booker, household)
                limit_errors = household_limit_errors(space, booker, household, wanted, now)
                if limit_errors:
                    raise ValidationError({"__all__": limit_errors})
            taken = [(s, e) for s, e in wanted if slot_taken(ctx.down, s, e)]
            if taken and len(wanted) == 1:
                raise SlotTaken(slot_taken_message(space, taken[0][0]))
            if taken and on_conflict == "fail":
                dates = join_list(format_local(s) for s, _e in taken[:10])
                raise SlotTaken(
                    _("%(space)s is already booked on %(n)d of these dates (%(dates)s). Nothing was booked.")
                    % {"space": space.name, "n": len(taken), "dates": dates}
                )
            if taken and len(taken) == len(wanted):
                raise SlotTaken(
                    _("%(space)s is already booked on every date of this recurrence. Nothing was booked.")
                    % {"space": space.name}
                )
            series = None
            if recurrence is not None:
                last = wanted[-1][0]
                series = Series.objects.create(
                    community_id=space.community_id,
                    space=space,
                    booker=booker,
                    title=title[:200],
                    rule=recurrence.as_dict(),
                    reconfirm_by=now + timedelta(days=RECONFIRM_DAYS)
                    if last > now + timedelta(days=RECONFIRM_DAYS)
                    else None,
                )
            taken_set = set(taken)
            rows = []
            for start, end in wanted:
                skipped = (start, end) in taken_set
                rows.append(
                    Booking(
                        community_id=space.community_id,
                        space=space,
                        series=series,
                        booker=booker,
                        created_by=actor,
                        household=household,
                        title=title[:200],
                        starts_at=start,
                        ends_at=end,
                        status=Booking.Status.SKIPPED if skipped else status,
                        reason=_("The time was already booked.") if skipped else "",
                        checkin_deadline=None
                        if skipped or status != Booking.Status.CONFIRMED
                        else start + timedelta(minutes=space.checkin_grace_minutes),
                    )
                )
            created = Booking.objects.bulk_create(rows)  # both backends return the new ids
            result.series = series
            result.bookings = [b for b in created if b.status != Booking.Status.SKIPPED]
            result.skipped = [b for b in created if b.status == Booking.Status.SKIPPED]
            confirmed = [b for b in result.bookings if b.status == Booking.Status.CONFIRMED]
            occupy(confirmed, ctx.down)
            data = {
                "space": space.name,
                "booker_id": booker.pk,
                "household_id": household.pk if household is not None else None,
                "status": status,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            }
            if series is not None:
                data |= {
                    "series_id": series.pk,
                    "made": len(result.bookings),
                    "skipped": [b.starts_at.isoformat() for b in result.skipped],
                    "closed": [d.isoformat() for d, _r in result.closed],
                }
                record(Action.BOOKING_SERIES_CREATED, actor=actor, obj=series, request=request, data=data)
            else:
                record(Action.BOOKING_CREATED, actor=actor, obj=result.bookings[0], request=request, data=data)
    except IntegrityError as exc:
        if is_overlap_violation(exc):
            raise SlotTaken(slot_taken_message(space, wanted[0][0])) from exc
        raise
    return result


def booking_confirm(*, actor: Any, booking: Booking, request: HttpRequest | None = None) -> Booking:
    """Staff confirm a pending booking; the pending ones it overlaps are rejected, with a notice to their owners."""
    require_staff(actor, booking)
    try:
        with transaction.atomic():
            booking = locked_booking(booking)
            if booking.status != Booking.Status.PENDING:
                raise ValidationError(_("Only a booking waiting for approval can be confirmed."))
            if booking.ends_at <= timezone.now():
                raise ValidationError(_("This booking is over."))
            down = family_down(booking.space)
            if slot_taken(down, booking.starts_at, booking.ends_at):
                raise SlotTaken(slot_taken_message(booking.space, booking.starts_at))
            booking.status = Booking.Status.CONFIRMED
            booking.checkin_deadline = booking.starts_at + timedelta(minutes=booking.space.checkin_grace_minutes)
            booking.save(update_fields=["status", "checkin_deadline"])
            occupy([booking], down)
            related = [*down, *family_up(booking.space)]
            losers = list(
                Booking.objects.filter(
                    status=Booking.Status.PENDING,
                    space_id__in=related,
                    starts_at__lt=booking.ends_at,
                    ends_at__gt=booking.starts_at,
                ).exclude(pk=booking.pk)
            )
            why = _("Another booking for %(when)s was confirmed.") % {"when": format_local(booking.starts_at)}
            # Pending bookings of this space, of its parts and of the wholes it is part of all need a
            # space this booking now holds.
            for loser in losers:
                loser.status = Booking.Status.REJECTED
                loser.reason = why[:300]
                loser.save(update_fields=["status", "reason"])
                notify_booking(notices.Kind.REJECTED, loser, loser.booker, why)
            notify_booking(notices.Kind.CONFIRMED, booking, booking.booker)
            record(
                Action.BOOKING_CONFIRMED,
                actor=actor,
                obj=booking,
                request=request,
                data={"rejected": [b.pk for b in losers]},
            )
    except IntegrityError as exc:
        if is_overlap_violation(exc):
            raise SlotTaken(slot_taken_message(booking.space, booking.starts_at)) from exc
        raise
    return booking


def booking_reject(*, actor: Any, booking: Booking, reason: str, request: HttpRequest | None = None) -> Booking:
    require_staff(actor, booking)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the rejection; the booker sees it.")]})
    with transaction.atomic():
        booking = locked_booking(booking)
        if booking.status != Booking.Status.PENDING:
            raise ValidationError(_("Only a booking waiting for approval can be rejected."))
        booking.status = Booking.Status.REJECTED
        booking.reason = reason[:300]
        booking.save(update_fields=["status", "reason"])
        notify_booking(notices.Kind.REJECTED, booking, booking.booker, reason)
        record(Action.BOOKING_REJECTED, actor=actor, obj=booking, request=request, data={"reason": reason})
    return booking


def booking_cancel(*, actor: Any, booking: Booking, reason: str = "", request: HttpRequest | None = None) -> Booking:
    """The owner or staff cancel a live booking; the owner gets a notice when someone else cancelled it."""
    staff = policy.can(actor, "booking.manage", booking)
    if booking.booker_id != actor.pk and not staff:
        raise ValidationError(_("Only the booker or station staff can cancel this booking."))
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = locked_booking(booking)
        if booking.status not in LIVE:
            raise ValidationError(_("This booking is no longer active."))
        if booking.ends_at <= timezone.now():
            raise ValidationError(_("This booking is over."))
        booking.status = Booking.Status.CANCELLED
        booking.reason = reason[:300]
        booking.checkin_deadline = None
        booking.save(update_fields=["status", "reason", "checkin_deadline"])
        vacate(booking)
        if booking.booker_id != actor.pk:
            notify_booking(notices.Kind.CANCELLED, booking, booking.booker, reason)
        record(Action.BOOKING_CANCELLED, actor=actor, obj=booking, request=request, data={"reason": reason})
    return booking


def booking_claim(*, actor: Any, booking: Booking, request: HttpRequest | None = None) -> Booking:
    """The owner takes back a skipped date of a recurring booking once the slot is free again."""
    if booking.booker_id != actor.pk and not policy.can(actor, "booking.manage", booking):
        raise ValidationError(_("Only the booker or station staff can claim this date."))
    space = booking.space
    staff = policy.can(actor, "booking.manage", space)
    try:
        with transaction.atomic():
            booking = locked_booking(booking)
            if booking.status != Booking.Status.SKIPPED:
                raise ValidationError(_("Only a skipped date can be claimed."))
            if booking.starts_at <= timezone.now():
                raise ValidationError(_("The start time has passed."))
            ctx = booking_context(space, booking.starts_at, booking.ends_at)
            closed = closed_reason(ctx, booking.starts_at, booking.ends_at)
            if closed:
                message = _("%(space)s is closed then: %(reason)s.") % {"space": space.name, "reason": closed}
                raise ValidationError(message)
            if slot_taken(ctx.down, booking.starts_at, booking.ends_at):
                raise SlotTaken(slot_taken_message(space, booking.starts_at))
            confirmed = not space.requires_approval or staff
            booking.status = Booking.Status.CONFIRMED if confirmed else Booking.Status.PENDING
            booking.reason = ""
            booking.checkin_deadline = (
                booking.starts_at + timedelta(minutes=space.checkin_grace_minutes) if confirmed else None
            )
            booking.save(update_fields=["status", "reason", "checkin_deadline"])
            if confirmed:
                occupy([booking], ctx.down)
            record(Action.BOOKING_CLAIMED, actor=actor, obj=booking, request=request, data={"status": booking.status})
    except IntegrityError as exc:
        if is_overlap_violation(exc):
            raise SlotTaken(slot_taken_message(space, booking.starts_at)) from exc
        raise
    return booking


def bookings_release(*, actor: Any, booking_ids: Iterable[int], reason: str = "") -> list[int]:
    """Cancel, for another domain's service, the bookings it made for its own purpose (an activity's
    sessions): those of ``booking_ids`` still live and to come are locked and cancelled, their rooms freed and
    their bookers told as by ``booking_cancel``, but no audit row is written: the calling service has
    authorised the actor and records its one audit row (listing the returned ids) in the same transaction.
    Returns the ids cancelled."""
    reason = (reason or "").strip()
    qs = Booking.objects.filter(pk__in=list(booking_ids), status__in=LIVE, ends_at__gt=timezone.now()).order_by("pk")
    released = []
    with transaction.atomic():
        if connection.features.has_select_for_update:
            qs = qs.select_for_update()
        for booking in qs:
            booking.status = Booking.Status.CANCELLED
            booking.reason = reason[:300]
            booking.checkin_deadline = None
            booking.save(update_fields=["status", "reason", "checkin_deadline"])
            vacate(booking)
            if booking.booker_id != actor.pk:
                notify_booking(notices.Kind.CANCELLED, booking, booking.booker, reason)
            released.append(booking.pk)
    return released
