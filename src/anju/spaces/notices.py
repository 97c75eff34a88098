"""Messages to a booking's owner, through the shared inbox (:mod:`anju.inbox`).

Kinds are registered here (imported from ``AppConfig.ready()``); the title is
rendered in the reader's language when shown, from the parameters written
below. A staff member's free-text reason travels as the ``note`` parameter.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anju.core.text import local_minute
from anju.inbox.kinds import register
from anju.inbox.services import inbox_send
from anju.spaces.models import Booking, Series


class Kind:
    """What happened to the booking or series (the suffix of the inbox kind)."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    RELEASED = "released"
    RECONFIRM = "reconfirm"
    LAPSED = "lapsed"


BOOKING_KINDS = {
    Kind.CONFIRMED: "spaces.booking_confirmed",
    Kind.REJECTED: "spaces.booking_rejected",
    Kind.CANCELLED: "spaces.booking_cancelled",
    Kind.RELEASED: "spaces.booking_released",
}
SERIES_KINDS = {
    Kind.CANCELLED: "spaces.series_cancelled",
    Kind.RECONFIRM: "spaces.series_reconfirm",
    Kind.LAPSED: "spaces.series_lapsed",
}

register(BOOKING_KINDS[Kind.CONFIRMED], _("Your booking of {space} at {when} was confirmed"))
register(BOOKING_KINDS[Kind.REJECTED], _("Your booking of {space} at {when} was rejected"))
register(BOOKING_KINDS[Kind.CANCELLED], _("Your booking of {space} at {when} was cancelled"))
register(BOOKING_KINDS[Kind.RELEASED], _("Your booking of {space} at {when} was released: nobody checked in"))
register(SERIES_KINDS[Kind.CANCELLED], _("Your recurring booking of {space} ({title}) was cancelled"))
register(SERIES_KINDS[Kind.RECONFIRM], _("Please re-confirm your recurring booking of {space} ({title})"))
register(SERIES_KINDS[Kind.LAPSED], _("Your recurring booking of {space} ({title}) lapsed"))


def notify(kind: str, booking: Booking | None, recipient: Any, reason: str = "", series: Series | None = None) -> int:
    """Tell ``recipient`` what happened to ``booking`` (or, without one, to ``series``)."""
    if booking is not None:
        inbox_kind = BOOKING_KINDS[kind]
        params: dict[str, Any] = {
            "booking": booking.pk,
            "space": booking.space.name,
            "when": local_minute(booking.starts_at),
        }
        url = reverse("spaces:booking", args=[booking.pk])
        community_id = booking.community_id
    elif series is not None:
        inbox_kind = SERIES_KINDS[kind]
        params = {"series": series.pk, "space": series.space.name, "title": series.title}
        url = reverse("spaces:mine")
        community_id = series.community_id
    else:
        raise ValueError("a notice is about a booking or a series")
    if reason:
        params["note"] = reason[:300]
    return inbox_send(recipients=[recipient], kind=inbox_kind, community=community_id, params=params, url=url)


__all__ = ["BOOKING_KINDS", "SERIES_KINDS", "Kind", "notify"]
