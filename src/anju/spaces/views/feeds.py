"""iCalendar feeds of a space and of one's own bookings."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.core.security import no_store
from anju.spaces import ical, selectors, services
from anju.spaces.models import Booking, Occupancy, Space
from anju.spaces.views.common import space_for

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 366


def _feed_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return no_store(response)  # a person's bookings: no browser or proxy keeps them


def _feed_window() -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    today = datetime.combine(timezone.localdate(), time(0), zone)
    return today - timedelta(days=FEED_DAYS_BACK), today + timedelta(days=FEED_DAYS_AHEAD)


def _space_bookings(space: Space) -> Any:
    start, end = _feed_window()
    down = services.family_down(space)
    ids = set(
        Occupancy.objects.filter(active=True, space_id__in=down, starts_at__lt=end, ends_at__gt=start).values_list(
            "booking_id", flat=True
        )
    )
    return Booking.objects.filter(pk__in=ids).select_related("space", "space__station").order_by("starts_at")


@policy.permission("space.view")
def space_feed(request: HttpRequest, space_id: int) -> HttpResponse:
    space = space_for(request, space_id)
    return _feed_response(ical.feed(space.name, _space_bookings(space), show_titles=False), f"space-{space.pk}.ics")


@policy.public
def user_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A user's bookings for calendar apps, which cannot sign in: the signed secret in the URL is the login
    (services.feed_user checks it; a renewed secret revokes old URLs). Unknown secrets answer 404."""
    user = services.feed_user(token)
    if user is None:
        raise Http404
    start, end = _feed_window()
    bookings = (
        Booking.objects.filter(
            booker=user,
            status__in=[Booking.Status.CONFIRMED, Booking.Status.PENDING],
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("space", "space__station")
        .order_by("starts_at")
    )
    return _feed_response(ical.feed(_("My bookings"), bookings, show_titles=True), "my-bookings.ics")


@policy.public
def token_space_feed(request: HttpRequest, token: str, space_id: int) -> HttpResponse:
    """A space's calendar for calendar apps, authorised by the user's feed secret like :func:`user_feed`."""
    user = services.feed_user(token)
    if user is None:
        raise Http404
    space: Space = policy.get_for(user, "space.view", selectors.spaces_visible(user), pk=space_id)
    return _feed_response(ical.feed(space.name, _space_bookings(space), show_titles=False), f"space-{space.pk}.ics")
