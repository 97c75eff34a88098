"""Pages of the station's spaces and bookings: parse → fetch and authorise → service → render."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from anju.accounts import policy
from anju.accounts.models import User
from anju.core.forms import apply_service_errors
from anju.core.images import image_response, token_readable
from anju.core.pagination import paginate
from anju.core.security import no_store
from anju.core.text import join_list
from anju.people import selectors as people_selectors
from anju.people.models import Household
from anju.spaces import forms, ical, selectors, services, setup
from anju.spaces.models import Booking, ClosedPeriod, Occupancy, Series, Space, SpacePhoto
from anju.spaces.recurrence import describe

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 366


def _day(request: HttpRequest) -> date:
    """The day a calendar page shows: ``?date=``, today when missing or unreadable, and within 2000–2100 (a
    week or month around ``0001-01-01`` would leave the calendar)."""
    raw = request.GET.get("date", "")
    try:
        day = date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()
    return min(max(day, date(2000, 1, 1)), date(2100, 12, 31))


def _space(request: HttpRequest, space_id: int) -> Space:
    space: Space = policy.get_for(request.user, "space.view", selectors.spaces_visible(request.user), pk=space_id)
    return space


def _booking(request: HttpRequest, booking_id: int, action: str = "booking.view") -> Booking:
    qs = Booking.objects.select_related("space", "space__station", "series", "booker", "created_by")
    booking: Booking = policy.get_for(request.user, action, qs, pk=booking_id)
    return booking


@policy.permission("space.view")
def station_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "spaces/stations.html",
        {"stations": selectors.stations_visible(request.user), "today": timezone.localdate()},
    )


@policy.permission("space.view")
def station_day(request: HttpRequest, station_id: int) -> HttpResponse:
    station = policy.get_for(request.user, "space.view", selectors.stations_visible(request.user), pk=station_id)
    day = _day(request)
    rows = selectors.station_day(station, day, request.user)  # spans the spaces' opening hours
    return render(
        request,
        "spaces/station_day.html",
        {
            "station": station,
            "day": day,
            "rows": rows,
            "hours": [cell.start for cell in rows[0][1][::2]] if rows else [],
            "prev": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


def _space_page(request: HttpRequest, space: Space, form: forms.BookingForm | None = None, status: int = 200) -> Any:
    day = _day(request)
    week = request.GET.get("view") == "week"
    days = [day - timedelta(days=day.weekday()) + timedelta(days=i) for i in range(7)] if week else [day]
    columns = selectors.space_days(space, days, request.user)  # spans the space's opening hours
    staff = services.is_staff_for(request.user, space)
    step = timedelta(days=7 if week else 1)
    times = [cell.start for cell in columns[0][1]]
    grid = [(times[i], [cells[i] for _d, cells in columns]) for i in range(len(times))]
    context = {
        "space": space,
        "day": day,
        "week": week,
        "days": days,
        "grid": grid,
        "prev": day - step,
        "next": day + step,
        "form": form or forms.BookingForm(staff=staff, households=_households(request, space), initial={"date": day}),
        "cannot_book": services.audience_error(request.user, space),
        "staff": staff,
        "closure_form": forms.ClosureForm() if staff else None,
        "hours": _hours_text(space),
        "parts": space.parts.filter(is_active=True),
        "photos": list(space.photos.all()),
        "may_edit": policy.can(request.user, "space.manage", space),
    }
    return render(request, "spaces/space_detail.html", context, status=status)


def _households(request: HttpRequest, space: Space) -> Any:
    """The households staff may count a booking against: active ones of the space's community within reach."""
    if not services.is_staff_for(request.user, space):
        return None
    return (
        people_selectors.households_visible(request.user, "booking.manage")
        .filter(community_id=space.community_id, status=Household.Status.ACTIVE)
        .select_related("address__unit")
    )


def _hours_text(space: Space) -> list[tuple[str, str]]:
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    rows = list(space.hours.all())
    if not rows:
        return [(_("Every day"), "08:00–21:00")]
    return [
        (names[d], join_list(f"{h.opens:%H:%M}–{h.closes:%H:%M}" for h in rows if h.weekday == d)) for d in range(7)
    ]


@policy.permission("space.view")
def space_detail(request: HttpRequest, space_id: int) -> HttpResponse:
    return _space_page(request, _space(request, space_id))


@policy.permission("booking.create")
def space_book(request: HttpRequest, space_id: int) -> HttpResponse:
    space = _space(request, space_id)
    if request.method != "POST":
        return redirect("spaces:space", space_id=space.pk)
    staff = services.is_staff_for(request.user, space)
    form = forms.BookingForm(request.POST, staff=staff, households=_households(request, space))
    if not form.is_valid():
        return _space_page(request, space, form, status=422)
    data = form.cleaned_data
    on_behalf_of = None
    if staff and data.get("on_behalf_of"):
        on_behalf_of = User.objects.filter(username=data["on_behalf_of"].strip(), is_active=True).first()
        if on_behalf_of is None:
            form.add_error("on_behalf_of", _("No account has this username."))
            return _space_page(request, space, form, status=422)
    try:
        result = services.booking_create(
            actor=request.user,
            space=space,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            title=data["title"],
            on_behalf_of=on_behalf_of,
            household=data.get("household"),
            recurrence=data["recurrence"],
            on_conflict=data.get("on_conflict") or "fail",
            request=request,
        )
    except services.SlotTaken as exc:
        form.add_error(None, exc.message)
        return _space_page(request, space, form, status=409)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _space_page(request, space, form, status=422)
    made = result.bookings
    if made and made[0].status == Booking.Status.PENDING:
        messages.success(request, _("Your request is waiting for the station staff to confirm it."))
    else:
        messages.success(request, _("Booked."))
    if result.skipped:
        messages.warning(
            request,
            _("These dates were already taken and were skipped: %(dates)s. You can claim them if they free up.")
            % {"dates": join_list(timezone.localtime(b.starts_at).strftime("%Y-%m-%d") for b in result.skipped)},
        )
    if result.closed:
        messages.info(
            request,
            _("The space is closed on these dates, which were left out: %(dates)s.")
            % {"dates": join_list(f"{d.isoformat()} ({r})" for d, r in result.closed)},
        )
    if result.series is None:
        return redirect("spaces:booking", booking_id=made[0].pk)
    return redirect("spaces:mine")


@policy.permission("booking.manage")
@require_POST
def space_close(request: HttpRequest, space_id: int) -> HttpResponse:
    space = policy.get_for(request.user, "booking.manage", selectors.spaces_visible(request.user), pk=space_id)
    form = forms.ClosureForm(request.POST)
    if form.is_valid():
        zone = timezone.get_current_timezone()
        starts, ends = form.cleaned_data["starts"], form.cleaned_data["ends"]
        try:
            services.closed_period_add(
                actor=request.user,
                station=space.station,
                space=None if form.cleaned_data["whole_station"] else space,
                starts_at=starts if timezone.is_aware(starts) else timezone.make_aware(starts, zone),
                ends_at=ends if timezone.is_aware(ends) else timezone.make_aware(ends, zone),
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The closed period was added."))
    else:
        messages.error(request, _("Give the start, the end and the reason of the closure."))
    if request.POST.get("next") == "edit":
        return redirect("spaces:edit", space_id=space.pk)
    return redirect("spaces:space", space_id=space.pk)


# --- set-up by station staff: details, rules, hours, closed periods, photos ------------------


def _managed_space(request: HttpRequest, space_id: int) -> Space:
    qs = policy.visible(
        Space.objects.select_related("station", "part_of"), request.user, "space.manage", "community__path"
    )
    space: Space = policy.get_for(request.user, "space.manage", qs, pk=space_id)
    return space


def _edit_page(
    request: HttpRequest,
    space: Space,
    form: forms.SpaceForm | None = None,
    photo_form: forms.PhotoForm | None = None,
    status: int = 200,
) -> HttpResponse:
    closures = (
        ClosedPeriod.objects.filter(station_id=space.station_id, ends_at__gt=timezone.now())
        .filter(Q(space__isnull=True) | Q(space=space))
        .select_related("space")
        .order_by("starts_at")
    )
    return render(
        request,
        "spaces/space_edit.html",
        {
            "space": space,
            "form": form or forms.SpaceForm(initial=forms.SpaceForm.initial_for(space)),
            "photo_form": photo_form or forms.PhotoForm(),
            "photos": list(space.photos.all()),
            "max_photos": setup.MAX_PHOTOS,
            "closures": list(closures),
            "closure_form": forms.ClosureForm(),
        },
        status=status,
    )


@policy.permission("space.manage")
def space_edit(request: HttpRequest, space_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    if request.method != "POST":
        return _edit_page(request, space)
    form = forms.SpaceForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, space, form=form, status=422)
    try:
        setup.space_update(
            actor=request.user,
            space=space,
            hours=form.cleaned_data["hours"],
            request=request,
            **form.service_fields(),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        space.refresh_from_db()
        return _edit_page(request, space, form=form, status=422)
    messages.success(request, _("The space was saved."))
    return redirect("spaces:edit", space_id=space.pk)


@policy.permission("space.manage")
@require_POST
def space_photo_add(request: HttpRequest, space_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    form = forms.PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _edit_page(request, space, photo_form=form, status=422)
    try:
        added = setup.space_photo_add(
            actor=request.user,
            space=space,
            files=form.cleaned_data["photos"],
            caption=form.cleaned_data["caption"],
            request=request,
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _edit_page(request, space, photo_form=form, status=422)
    messages.success(
        request, ngettext("%(n)d photo was added.", "%(n)d photos were added.", len(added)) % {"n": len(added)}
    )
    return redirect("spaces:edit", space_id=space.pk)


@policy.permission("space.manage")
@require_POST
def space_photo_remove(request: HttpRequest, space_id: int, photo_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    photo = SpacePhoto.objects.filter(space=space, pk=photo_id).first()
    if photo is None:
        raise Http404
    setup.space_photo_remove(actor=request.user, photo=photo, request=request)
    messages.success(request, _("The photo was removed."))
    return redirect("spaces:edit", space_id=space.pk)


@policy.permission("space.manage")
@require_POST
def closure_remove(request: HttpRequest, space_id: int, closure_id: int) -> HttpResponse:
    space = _managed_space(request, space_id)
    period = (
        ClosedPeriod.objects.filter(station_id=space.station_id, pk=closure_id)
        .filter(Q(space__isnull=True) | Q(space=space))
        .first()
    )
    if period is None:
        raise Http404
    setup.closed_period_remove(actor=request.user, period=period, request=request)
    messages.success(request, _("The closed period was removed."))
    return redirect("spaces:edit", space_id=space.pk)


@token_readable
@policy.permission("space.view")
def space_photo(request: HttpRequest, space_id: int, photo_id: int) -> FileResponse:
    space = _space(request, space_id)
    photo = SpacePhoto.objects.filter(space=space, pk=photo_id).first()
    if photo is None:
        raise Http404
    return image_response(photo.image)


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
    booking = _booking(request, booking_id)
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
    booking = _booking(request, booking_id)
    reason = request.POST.get("reason", "")[:300]
    return _run(
        request,
        booking,
        lambda: services.booking_cancel(actor=request.user, booking=booking, reason=reason, request=request),
        _("The booking was cancelled."),
    )


@policy.permission("booking.manage")
@require_POST
def booking_confirm(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id, "booking.manage")
    return _run(
        request,
        booking,
        lambda: services.booking_confirm(actor=request.user, booking=booking, request=request),
        _("The booking was confirmed; overlapping requests were rejected."),
    )


@policy.permission("booking.manage")
@require_POST
def booking_reject(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id, "booking.manage")
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
    booking = _booking(request, booking_id)
    return _run(
        request,
        booking,
        lambda: services.booking_check_in(actor=request.user, booking=booking, request=request),
        _("Checked in. Enjoy the space."),
    )


@policy.permission("booking.view")
@require_POST
def booking_claim(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _booking(request, booking_id)
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
    booking = _booking(request, booking_id)
    if request.method == "POST":
        return booking_check_in(request, booking.pk)
    return render(request, "spaces/checkin.html", {"booking": booking})


# --- iCalendar feeds -------------------------------------------------------------------------


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
    space = _space(request, space_id)
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
