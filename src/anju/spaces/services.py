"""State changes of stations, spaces and bookings, by sub-domain:

- :mod:`anju.spaces.setup` — stations and spaces set up by staff: details, rules, hours, closures, photos;
- :mod:`anju.spaces.rules` — who may book what, opening hours, holidays, limits, the occupancy invariant;
- :mod:`anju.spaces.bookings` — booking once or on a recurrence; confirm, reject, cancel, claim;
- :mod:`anju.spaces.series` — re-confirming, cancelling and lapsing recurring bookings;
- :mod:`anju.spaces.checkin` — check-in and the release of no-shows;
- :mod:`anju.spaces.feeds` — the secrets of calendar feed URLs.

This module re-exports their public names, so callers keep writing ``services.booking_create(...)``.
"""

from __future__ import annotations

from anju.spaces.bookings import (
    BookingResult,
    booking_cancel,
    booking_claim,
    booking_confirm,
    booking_create,
    booking_reject,
    bookings_release,
)
from anju.spaces.checkin import (
    CHECKIN_EARLY_MINUTES,
    CHECKIN_SALT,
    booking_check_in,
    bookings_release_no_shows,
    checkin_booking_id,
    checkin_opens_at,
    checkin_possible,
    checkin_token,
)
from anju.spaces.feeds import FEED_SALT, feed_reset, feed_token, feed_user
from anju.spaces.rules import (
    DEFAULT_HOURS,
    LIVE,
    NO_SHOW_WINDOW_DAYS,
    OVERLAP_CONSTRAINT,
    SlotTaken,
    audience_error,
    family_down,
    family_up,
    holiday_name,
    household_refusal,
    only_own_household_message,
)
from anju.spaces.series import (
    RECONFIRM_DAYS,
    RECONFIRM_REMINDER_DAYS,
    series_cancel,
    series_reconfirm,
    series_sweep,
)
from anju.spaces.setup import (
    RULE_FIELDS,
    closed_period_add,
    closed_period_remove,
    space_create,
    space_photo_add,
    space_photo_remove,
    space_set_hours,
    space_set_rules,
    space_update,
    station_create,
)

__all__ = [
    "CHECKIN_EARLY_MINUTES",
    "CHECKIN_SALT",
    "DEFAULT_HOURS",
    "FEED_SALT",
    "LIVE",
    "NO_SHOW_WINDOW_DAYS",
    "OVERLAP_CONSTRAINT",
    "RECONFIRM_DAYS",
    "RECONFIRM_REMINDER_DAYS",
    "RULE_FIELDS",
    "BookingResult",
    "SlotTaken",
    "audience_error",
    "booking_cancel",
    "booking_check_in",
    "booking_claim",
    "booking_confirm",
    "booking_create",
    "booking_reject",
    "bookings_release",
    "bookings_release_no_shows",
    "checkin_booking_id",
    "checkin_opens_at",
    "checkin_possible",
    "checkin_token",
    "closed_period_add",
    "closed_period_remove",
    "family_down",
    "family_up",
    "feed_reset",
    "feed_token",
    "feed_user",
    "holiday_name",
    "household_refusal",
    "only_own_household_message",
    "series_cancel",
    "series_reconfirm",
    "series_sweep",
    "space_create",
    "space_photo_add",
    "space_photo_remove",
    "space_set_hours",
    "space_set_rules",
    "space_update",
    "station_create",
]
