"""iCalendar (RFC 5545) feeds of bookings, made with the ``icalendar`` library."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from anju.spaces.models import Booking


def feed(name: str, bookings: Iterable[Booking], *, show_titles: bool) -> bytes:
    """A calendar of confirmed and pending bookings. ``show_titles`` is off for feeds of a whole space, which
    say only that the space is booked (not by whom or for what)."""
    cal = Calendar()
    cal.add("prodid", "-//Anju//Station spaces//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    for booking in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.pk}@anju")
        event.add("dtstamp", stamp)
        event.add("dtstart", timezone.localtime(booking.starts_at))
        event.add("dtend", timezone.localtime(booking.ends_at))
        summary = f"{booking.space.name}: {booking.title}" if show_titles else f"{booking.space.name}: {_('booked')}"
        event.add("summary", summary)
        event.add("location", f"{booking.space.station.name} {booking.space.name}")
        event.add("status", "CONFIRMED" if booking.status == Booking.Status.CONFIRMED else "TENTATIVE")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
