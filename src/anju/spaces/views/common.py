"""Fetch-and-authorise helpers the spaces pages share: 404 alike for a missing object and one out of reach."""

from __future__ import annotations

from django.http import HttpRequest

from anju.access import policy
from anju.spaces import selectors
from anju.spaces.models import Booking, Space


def space_for(request: HttpRequest, space_id: int) -> Space:
    space: Space = policy.get_for(request.user, "space.view", selectors.spaces_visible(request.user), pk=space_id)
    return space


def booking_for(request: HttpRequest, booking_id: int, action: str = "booking.view") -> Booking:
    qs = Booking.objects.select_related("space", "space__station", "series", "booker", "created_by")
    booking: Booking = policy.get_for(request.user, action, qs, pk=booking_id)
    return booking
