"""Bookings: one's own, the approvals queue, a booking's page and its actions, QR check-in."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.core.pagination import paginate
from anju.spaces import forms, selectors, services
from anju.spaces.models import Booking, Series
from anju.spaces.recurrence import describe
from anju.spaces.views.common import booking_for


@policy.permission("booking.view")
def my_bookings(request: HttpRequest) -> HttpResponse:
    upcoming = list(selectors.my_bookings(request.user, upcoming=True)[:200])
    past = paginate(request, selectors.my_bookings(request.user, upcoming=False), per_page=20)
    series = Series.objects.filter(booker_id=request.user.pk, status=Series.Status.ACTIVE).select_related("space")
    token = services.feed_token(user=request.user)
    past_list = list(past.object_list)
    households = selectors.household_labels(request.user, [*upcoming, *past_list])
    return render(
        request,
        "spaces/my_bookings.html",
        {
            "upcoming": [(b, households.get(b.pk, "")) for b in upcoming],
            "past": [(b, households.get(b.pk, "")) for b in past_list],
            "page": past,
            "series": [(s, describe(s.rule)) for s in series],
            "notices": selectors.notices_for(request.user),
            "feed_url": request.build_absolute_uri(reverse("spaces:user_feed", args=[token])),
            "pending_count": selectors.pending_for(request.user).count()
            if policy.can(request.user, "booking.manage")
            else 0,
        },
    )


@policy.permission("booking.view")
@require_POST
def feed_reset(request: HttpRequest) -> HttpResponse:
    services.feed_reset(actor=request.user, user=request.user, request=request)
    messages.success(request, _("Your calendar address was renewed; the old one no longer works."))
    return redirect("spaces:mine")


@policy.permission("booking.manage")
def approvals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "spaces/approvals.html",
        {"page": paginate(request, selectors.pending_for(request.user)), "reject_form": forms.ReasonForm()},
    )


@policy.permission("booking.view")
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_for(request, booking_id)
    staff = policy.can(request.user, "booking.manage", booking)
    qr = ""
    checkin_url = ""
    if booking.status == Booking.Status.CONFIRMED and booking.checked_in_at is None:
        checkin_url = request.build_absolute_uri(reverse("spaces:qr_checkin", args=[services.checkin_token(booking)]))
        qr = segno.make(checkin_url, error="m").svg_inline(scale=5, title=_("Check-in code"))
    return render(
        request,
        "spaces/booking_detail.html",
        {
            "booking": booking,
            "staff": staff,
            "mine": booking.booker_id == request.user.pk,
            "qr": mark_safe(qr),  # noqa: S308  segno's own SVG from our URL
            "checkin_url": checkin_url,
            "checkin_now": services.checkin_possible(booking),
            "checkin_opens": services.checkin_opens_at(booking),
            "checkin_later": timezone.now() < services.checkin_opens_at(booking),
            "rule": describe(booking.series.rule) if booking.series else "",
            "household": selectors.household_labels(request.user, [booking]).get(booking.pk, ""),
            "reject_form": forms.ReasonForm(),
        },
    )


def _run(request: HttpRequest, booking: Booking, call: Any, done: str) -> HttpResponse:
    try:
        call()
    except services.SlotTaken as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    target = request.POST.get("next", "")
    if target == "approvals":
        return redirect("spaces:approvals")
    return redirect("spaces:booking", booking_id=booking.pk)


@policy.permission("booking.view")
@require_POST
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Cancelling cannot be undone (the slot may go to someone else at once): the first post shows what will
    happen and who will be told; the second, with ``confirmed``, cancels."""
    booking = booking_for(request, booking_id)
    reason = request.POST.get("reason", "")[:300]
    if request.POST.get("confirmed") != "1":
        return render(
            request,
            "spaces/confirm_cancel.html",
            {"booking": booking, "reason": reason, "tell_booker": booking.booker_id != request.user.pk},
        )
    if booking.booker_id != request.user.pk:
        done = _("The booking was cancelled; %(name)s was notified.") % {"name": booking.booker}
    else:
        done = _("Your booking was cancelled; the time is free for others.")
    return _run(
        request,
        booking,
        lambda: services.booking_cancel(actor=request.user, booking=booking, reason=reason, request=request),
        done,
    )


@policy.permission("booking.manage")
@require_POST
def booking_confirm(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_for(request, booking_id, "booking.manage")
    return _run(
        request,
        booking,
        lambda: services.booking_confirm(actor=request.user, booking=booking, request=request),
        _("The booking was confirmed; overlapping requests were rejected."),
    )


@policy.permission("booking.manage")
@require_POST
def booking_reject(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_for(request, booking_id, "booking.manage")
    reason = request.POST.get("reason", "")[:300]
    return _run(
        request,
        booking,
        lambda: services.booking_reject(actor=request.user, booking=booking, reason=reason, request=request),
        _("The booking was rejected."),
    )


@policy.permission("booking.view")
@require_POST
def booking_check_in(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_for(request, booking_id)
    return _run(
        request,
        booking,
        lambda: services.booking_check_in(actor=request.user, booking=booking, request=request),
        _("Checked in. Enjoy the space."),
    )


@policy.permission("booking.view")
@require_POST
def booking_claim(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = booking_for(request, booking_id)
    return _run(
        request,
        booking,
        lambda: services.booking_claim(actor=request.user, booking=booking, request=request),
        _("The date is yours again."),
    )


@policy.permission("booking.view")
@require_POST
def series_reconfirm(request: HttpRequest, series_id: int) -> HttpResponse:
    series = policy.get_for(request.user, "booking.view", Series.objects.all(), pk=series_id)
    try:
        services.series_reconfirm(actor=request.user, series=series, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Thank you: the recurring booking goes on."))
    return redirect("spaces:mine")


@policy.permission("booking.view")
@require_POST
def series_cancel(request: HttpRequest, series_id: int) -> HttpResponse:
    series = policy.get_for(request.user, "booking.view", Series.objects.all(), pk=series_id)
    if request.POST.get("confirmed") != "1":  # asked first: the later dates cannot be brought back
        return render(request, "spaces/confirm_cancel.html", {"series": series})
    try:
        count = services.series_cancel(actor=request.user, series=series, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d dates were cancelled.") % {"n": count})
    return redirect("spaces:mine")


@policy.permission("booking.view")
def qr_check_in(request: HttpRequest, token: str) -> HttpResponse:
    """Where a booking's QR code leads: the owner (or staff) confirms the check-in with one button."""
    booking_id = services.checkin_booking_id(token)
    if booking_id is None:
        raise Http404
    booking = booking_for(request, booking_id)
    if request.method == "POST":
        return booking_check_in(request, booking.pk)
    return render(
        request,
        "spaces/checkin.html",
        {
            "booking": booking,
            "checkin_now": services.checkin_possible(booking),
            "checkin_opens": services.checkin_opens_at(booking),
            "checkin_later": timezone.now() < services.checkin_opens_at(booking),
        },
    )
