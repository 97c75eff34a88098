"""The worker's sweeps for duty: standby offers that expire, seats not confirmed in time, the day-before
reminder, no-shows, activity helpers' hours into the ledger, and the yearly expiry of points. Each is safe to
run twice or at once."""

from __future__ import annotations

from anju.duty import ledger, points, seats
from anju.jobs.registry import periodic


@periodic("duty.offers", every_seconds=60)
def offers() -> None:
    seats.offers_expire()
    seats.confirmations_lapse()


@periodic("duty.reminders", every_seconds=600)
def reminders() -> None:
    seats.reminders_send()
    seats.no_shows_mark()


@periodic("duty.activity_hours", every_seconds=3600)
def activity_hours() -> None:
    ledger.activity_hours_import()


@periodic("duty.points_expiry", every_seconds=6 * 3600)
def points_expiry() -> None:
    points.points_expire_year()
