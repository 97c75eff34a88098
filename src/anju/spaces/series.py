"""Recurring bookings after they are made: re-confirmation by their owner, cancellation, and the worker's
sweep that reminds owners and lapses series nobody re-confirmed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.spaces import notices
from anju.spaces.models import Booking, Series
from anju.spaces.rules import (
    LIVE,
    lock_due,
    notify_booking,
    vacate,
)

RECONFIRM_DAYS = 56
RECONFIRM_REMINDER_DAYS = 7


def series_reconfirm(*, actor: Any, series: Series, request: HttpRequest | None = None) -> Series:
    if series.booker_id != actor.pk and not policy.can(actor, "booking.manage", series):
        raise ValidationError(_("Only the booker or station staff can re-confirm this booking."))
    now = timezone.now()
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        if series.status != Series.Status.ACTIVE:
            raise ValidationError(_("This recurring booking is no longer active."))
        base = max(now, series.reconfirm_by or now)
        live = series.bookings.filter(status__in=LIVE).order_by("-starts_at")
        last = live.values_list("starts_at", flat=True).first()
        nxt = base + timedelta(days=RECONFIRM_DAYS)
        series.reconfirm_by = nxt if last is not None and last > nxt else None
        series.reconfirm_reminded_at = None
        series.save(update_fields=["reconfirm_by", "reconfirm_reminded_at"])
        record(
            Action.BOOKING_SERIES_RECONFIRMED,
            actor=actor,
            obj=series,
            request=request,
            data={"reconfirm_by": series.reconfirm_by.isoformat() if series.reconfirm_by else None},
        )
    return series


def series_cancel(*, actor: Any, series: Series, request: HttpRequest | None = None) -> int:
    """Cancel every future date of a recurring booking; returns how many."""
    if series.booker_id != actor.pk and not policy.can(actor, "booking.manage", series):
        raise ValidationError(_("Only the booker or station staff can cancel this booking."))
    now = timezone.now()
    with transaction.atomic():
        future = list(
            series.bookings.filter(status__in=[*LIVE, Booking.Status.SKIPPED], starts_at__gt=now).select_for_update()
            if connection.features.has_select_for_update
            else series.bookings.filter(status__in=[*LIVE, Booking.Status.SKIPPED], starts_at__gt=now)
        )
        for booking in future:
            booking.status = Booking.Status.CANCELLED
            booking.checkin_deadline = None
            booking.save(update_fields=["status", "checkin_deadline"])
            vacate(booking)
        Series.objects.filter(pk=series.pk).update(status=Series.Status.CANCELLED, reconfirm_by=None)
        if series.booker_id != actor.pk:
            notify_booking(notices.Kind.CANCELLED, None, series.booker, series=series)
        record(Action.BOOKING_CANCELLED, actor=actor, obj=series, request=request, data={"dates": len(future)})
    return len(future)


def series_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind owners whose recurring booking needs re-confirming soon; lapse those past the deadline.
    Returns (reminded, lapsed)."""
    now = now or timezone.now()
    reminded = lapsed = 0
    with transaction.atomic():
        for series in lock_due(
            Series.objects.filter(
                status=Series.Status.ACTIVE,
                reconfirm_reminded_at__isnull=True,
                reconfirm_by__lte=now + timedelta(days=RECONFIRM_REMINDER_DAYS),
                reconfirm_by__gt=now,
            )
        ):
            series.reconfirm_reminded_at = now
            series.save(update_fields=["reconfirm_reminded_at"])
            notify_booking(notices.Kind.RECONFIRM, None, series.booker, series=series)
            reminded += 1
    with transaction.atomic():
        for series in lock_due(Series.objects.filter(status=Series.Status.ACTIVE, reconfirm_by__lte=now)):
            future = list(series.bookings.filter(status__in=[*LIVE, Booking.Status.SKIPPED], starts_at__gt=now))
            for booking in future:
                booking.status = Booking.Status.LAPSED
                booking.checkin_deadline = None
                booking.save(update_fields=["status", "checkin_deadline"])
                vacate(booking)
            series.status = Series.Status.LAPSED
            series.save(update_fields=["status"])
            notify_booking(notices.Kind.LAPSED, None, series.booker, series=series)
            record(Action.BOOKING_SERIES_LAPSED, actor_label="anju worker", obj=series, data={"dates": len(future)})
            lapsed += 1
    return reminded, lapsed
