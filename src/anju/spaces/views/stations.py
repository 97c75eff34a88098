"""Stations and spaces: the station list, a day across its spaces, a space's page and booking it, closing it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.accounts.models import User
from anju.audit import services as audit_services
from anju.core import printing
from anju.core.forms import apply_service_errors
from anju.core.text import join_list
from anju.people import selectors as people_selectors
from anju.people.models import Household
from anju.spaces import forms, selectors, services
from anju.spaces.models import Booking, Space
from anju.spaces.views.common import space_for


def _day(request: HttpRequest) -> date:
    """The day a calendar page shows: ``?date=``, today when missing or unreadable, and within 2000–2100 (a
    week or month around ``0001-01-01`` would leave the calendar)."""
    raw = request.GET.get("date", "")
    try:
        day = date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()
    return min(max(day, date(2000, 1, 1)), date(2100, 12, 31))


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
            "may_print": policy.can(request.user, "booking.manage", station),
            "prev": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


@policy.permission("booking.manage")
def station_day_print(request: HttpRequest, station_id: int) -> HttpResponse:
    """The day's room schedule on paper: every booking of the station's spaces, who booked it and what for.
    Shows who booked, so each showing is recorded as an export."""
    station = policy.get_for(request.user, "booking.manage", selectors.stations_visible(request.user), pk=station_id)
    day = _day(request)
    bookings = selectors.day_schedule(station, day, request.user)
    labels = selectors.household_labels(request.user, bookings)
    for booking in bookings:
        booking.household_label = labels.get(booking.pk, "")  # type: ignore[attr-defined]  # shown beside the booker
    fmt = printing.wanted_format(request)
    audit_services.print_recorded(
        actor=request.user,
        document="room_schedule",
        obj=station,
        people=len({b.booker_id for b in bookings}),
        fmt=fmt,
        request=request,
    )
    return printing.print_response(
        request,
        "spaces/print_day.html",
        {
            "station": station,
            "day": day,
            "bookings": bookings,
        },
        filename=f"schedule-{day:%Y-%m-%d}",
        fmt=fmt,
    )


def _space_page(request: HttpRequest, space: Space, form: forms.BookingForm | None = None, status: int = 200) -> Any:
    day = _day(request)
    week = request.GET.get("view") == "week"
    days = [day - timedelta(days=day.weekday()) + timedelta(days=i) for i in range(7)] if week else [day]
    columns = selectors.space_days(space, days, request.user)  # spans the space's opening hours
    staff = policy.can(request.user, "booking.manage", space)
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
    if not policy.can(request.user, "booking.manage", space):
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
    return _space_page(request, space_for(request, space_id))


@policy.permission("booking.create")
def space_book(request: HttpRequest, space_id: int) -> HttpResponse:
    space = space_for(request, space_id)
    if request.method != "POST":
        return redirect("spaces:space", space_id=space.pk)
    staff = policy.can(request.user, "booking.manage", space)
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
