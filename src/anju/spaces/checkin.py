"""Check-in (QR code or staff button) and the worker's release of bookings nobody checked in to."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.spaces import notices
from anju.spaces.models import Booking
from anju.spaces.rules import (
    lock_due,
    locked_booking,
    notify_booking,
    vacate,
)

CHECKIN_EARLY_MINUTES = 15
CHECKIN_SALT = "anju.spaces.checkin"


def checkin_opens_at(booking: Booking) -> datetime:
    """When the booking's check-in button starts to work (a few minutes before the start)."""
    return booking.starts_at - timedelta(minutes=CHECKIN_EARLY_MINUTES)


def checkin_possible(booking: Booking, *, now: datetime | None = None) -> bool:
    """Whether checking in would work right now: confirmed, not yet checked in, between opening and the end."""
    now = now or timezone.now()
    return (
        booking.status == Booking.Status.CONFIRMED
        and booking.checked_in_at is None
        and checkin_opens_at(booking) <= now < booking.ends_at
    )


def booking_check_in(*, actor: Any, booking: Booking, request: HttpRequest | None = None) -> Booking:
    """Check in by scanning the booking's QR code (the owner) or with the staff button. Twice is harmless."""
    if booking.booker_id != actor.pk and not policy.can(actor, "booking.manage", booking):
        raise ValidationError(_("Only the booker or station staff can check in this booking."))
    now = timezone.now()
    with transaction.atomic():
        booking = locked_booking(booking)
        if booking.checked_in_at is not None:
            return booking
        if booking.status != Booking.Status.CONFIRMED:
            raise ValidationError(_("Only a confirmed booking can be checked in."))
        if now < booking.starts_at - timedelta(minutes=CHECKIN_EARLY_MINUTES):
            raise ValidationError(_("Check-in opens %(n)d minutes before the start.") % {"n": CHECKIN_EARLY_MINUTES})
        if now >= booking.ends_at:
            raise ValidationError(_("This booking is over."))
        booking.checked_in_at = now
        booking.checkin_deadline = None
        booking.save(update_fields=["checked_in_at", "checkin_deadline"])
        record(Action.BOOKING_CHECKED_IN, actor=actor, obj=booking, request=request)
    return booking


def bookings_release_no_shows(*, now: datetime | None = None, batch: int = 100) -> int:
    """Release confirmed bookings nobody checked in to within the grace period; the space is free again."""
    now = now or timezone.now()
    released = 0
    while True:
        with transaction.atomic():
            rows = list(
                lock_due(
                    Booking.objects.filter(
                        status=Booking.Status.CONFIRMED, checked_in_at__isnull=True, checkin_deadline__lte=now
                    ).order_by("checkin_deadline", "id")
                )[:batch]
            )
            for booking in rows:
                booking.status = Booking.Status.RELEASED
                booking.checkin_deadline = None
                booking.save(update_fields=["status", "checkin_deadline"])
                vacate(booking)
                notify_booking(notices.Kind.RELEASED, booking, booking.booker)
                record(Action.BOOKING_RELEASED, actor_label="anju worker", obj=booking)
            released += len(rows)
        if len(rows) < batch:
            return released


def checkin_token(booking: Booking) -> str:
    return signing.dumps(booking.pk, salt=CHECKIN_SALT)


def checkin_booking_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=CHECKIN_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None
