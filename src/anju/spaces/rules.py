"""The booking rules and the occupancy invariant, shared by the booking services of this package.

Who may book what (audience, staff), composite spaces (``family_down``/``family_up``), bookable hours, closed
periods and statutory holidays, the per-household limits, and the occupancy rows that hold a space.

Every booking write that makes a booking confirmed inserts its occupancy rows
in the same transaction as the overlap check (see ``models``): on SQLite the
IMMEDIATE transaction serialises writers, so the check is authoritative; on
PostgreSQL two racing transactions may both pass the check, and the exclusion
constraint stops the second insert (SQLSTATE 23P01), answered as
:class:`SlotTaken` (409). The leading-underscore helpers are internal to ``anju.spaces``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.calendar.workdays import Calendar
from anju.core.api import Conflict
from anju.core.text import join_list
from anju.people.models import Household
from anju.people.selectors import resident_for_user
from anju.spaces import notices
from anju.spaces.models import Booking, ClosedPeriod, Occupancy, OpeningHours, Series, Space

DEFAULT_HOURS = (time(8, 0), time(21, 0))
NO_SHOW_WINDOW_DAYS = 90
OVERLAP_CONSTRAINT = "spaces_occupancy_no_overlap"
LIVE = (Booking.Status.PENDING, Booking.Status.CONFIRMED)


class SlotTaken(Conflict):
    """The time is already held by a confirmed booking (answered 409)."""


def only_own_household_message() -> str:
    return _("You can book only for yourself and your own household. Station staff can book for others.")


def audience_error(user: Any, space: Space) -> str | None:
    """Why ``user`` may not book ``space``, or None."""
    if not space.is_active:
        return _("This space is not open for booking.")
    if not policy.can(user, "booking.create", space):
        return _("You may not book spaces of this station.")
    if space.bookable_by == Space.Audience.RESIDENTS or policy.can(user, "booking.manage", space):
        return None
    if space.bookable_by == Space.Audience.GROUPS:
        if policy.can(user, "booking.for_groups"):
            return None
        return _("Only groups (party members and station staff) may book %(space)s.") % {"space": space.name}
    return _("Only station staff may book %(space)s.") % {"space": space.name}


def family_down(space: Space) -> list[int]:
    """The space and every space inside it (parts, their parts …)."""
    ids = [space.pk]
    frontier = [space.pk]
    while frontier:
        frontier = list(Space.objects.filter(part_of_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in frontier if pk not in ids]
        ids.extend(frontier)
    return ids


def family_up(space: Space) -> list[int]:
    ids = []
    current = space.part_of_id
    while current is not None and current not in ids:
        ids.append(current)
        current = Space.objects.filter(pk=current).values_list("part_of_id", flat=True).first()
    return ids


def check_aware(errors: dict[str, list[str]], starts_at: Any, ends_at: Any) -> None:
    example = "2026-12-05T14:00+08:00"
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime):
            errors[name] = [_("Enter a valid date and time.")]
        elif timezone.is_naive(value):
            errors[name] = [_("Give the time with its time zone, e.g. %(example)s.") % {"example": example}]


def format_local(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


def holiday_name(calendar: Calendar, day: date) -> str | None:
    """The statutory holiday ``day`` is part of, or None. One source for the whole system: the working-day
    calendar of ``anju.calendar`` (the library's announced years, then the schedule an administrator
    enters for later years), so entering 2027's schedule closes the spaces on 2027's holidays too."""
    name = calendar.holiday(day)
    if name is None:
        return None
    return name or _("statutory holiday")


@dataclass
class _Context:
    space: Space
    hours: dict[int, list[tuple[time, time]]]
    closures: list[ClosedPeriod]
    down: list[int]
    calendar: Calendar | None = None


def booking_context(space: Space, start: datetime, end: datetime) -> _Context:
    hours: dict[int, list[tuple[time, time]]] = {}
    for row in OpeningHours.objects.filter(space=space):
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    related = [space.pk, *family_up(space), *family_down(space)[1:]]
    closures = list(
        ClosedPeriod.objects.filter(station_id=space.station_id, starts_at__lt=end, ends_at__gt=start).filter(
            Q(space__isnull=True) | Q(space_id__in=related)
        )
    )
    calendar = Calendar.load() if space.closed_on_holidays else None
    return _Context(space, hours, closures, family_down(space), calendar)


def closed_reason(ctx: _Context, start: datetime, end: datetime) -> str | None:
    for period in ctx.closures:
        if period.starts_at < end and period.ends_at > start:
            return period.reason
    if ctx.calendar is not None:
        name = holiday_name(ctx.calendar, timezone.localtime(start).date())
        if name:
            return _("statutory holiday: %(name)s") % {"name": name}
    return None


def opening_hours_error(ctx: _Context, start: datetime, end: datetime) -> str | None:
    ls, le = timezone.localtime(start), timezone.localtime(end)
    windows = ctx.hours.get(ls.weekday(), []) if ctx.hours else [DEFAULT_HOURS]
    same_day = le.date() == ls.date() or (le.date() == ls.date() + timedelta(days=1) and le.time() == time(0))
    end_time = time(23, 59, 59) if le.time() == time(0) and le.date() != ls.date() else le.time()
    if same_day and any(opens <= ls.time() and end_time <= closes for opens, closes in windows):
        return None
    if not windows:
        return _("%(space)s cannot be booked on this weekday.") % {"space": ctx.space.name}
    spans = join_list(f"{o:%H:%M}–{c:%H:%M}" for o, c in windows)
    return _("Outside the bookable hours of %(space)s on that day (%(hours)s).") % {
        "space": ctx.space.name,
        "hours": spans,
    }


def slot_taken(down: list[int], start: datetime, end: datetime, exclude_booking: int | None = None) -> bool:
    qs = Occupancy.objects.filter(active=True, space_id__in=down, starts_at__lt=end, ends_at__gt=start)
    if exclude_booking is not None:
        qs = qs.exclude(booking_id=exclude_booking)
    return qs.exists()


def is_overlap_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23P01" or OVERLAP_CONSTRAINT in str(exc)


def slot_taken_message(space: Space, start: datetime) -> str:
    return _("%(space)s is already booked at %(when)s. Choose another time.") % {
        "space": space.name,
        "when": format_local(start),
    }


def _week_start(value: datetime) -> date:
    local = timezone.localtime(value).date()
    return local - timedelta(days=local.weekday())


def booking_household(
    actor: Any, booker: Any, space: Space, chosen: Household | None, staff: bool
) -> tuple[str | None, Household | None]:
    """The household a booking counts against, or why the chosen one is refused.

    A resident's booking counts against their own household in the registry (``resident_for_user``); they may
    name no other. Staff booking on a resident's behalf count it against that resident's household, or the
    household they choose (an active household of the space's community within their reach; when the booker
    is known to the registry, it must be the booker's own). Staff booking for the station's own use, and
    accounts the registry does not know, leave it empty: limits then count per account (see
    :func:`household_limit_errors`)."""
    resident = resident_for_user(booker)
    own = resident.household if resident is not None else None
    if chosen is None:
        if staff and booker.pk == actor.pk:
            return None, None
        return None, own
    if not staff:
        if own is None or chosen.pk != own.pk:
            return household_refusal(space, staff=False), None
        return None, own
    if (
        chosen.community_id != space.community_id
        or chosen.status != Household.Status.ACTIVE
        or not policy.can(actor, "booking.manage", chosen)
    ):
        return household_refusal(space, staff=True), None
    if booker.pk != actor.pk and own is not None and own.pk != chosen.pk:
        return _("The person the booking is for belongs to another household."), None
    return None, chosen


def lock_counted(booker: Any, household: Household | None) -> None:
    """Lock the row the limits count for (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE
    transaction already serialises writers)."""
    if household is not None:
        Household.objects.select_for_update().filter(pk=household.pk).first()
    else:
        get_user_model().objects.select_for_update().filter(pk=booker.pk).first()


def household_refusal(space: Space, *, staff: bool) -> str:
    """Why a named household cannot carry a booking: one message whether it is missing, elsewhere or not
    the booker's, so that the answer tells nothing about households one may not see."""
    if not staff:
        return only_own_household_message()
    return _("Choose an active household of the community of %(space)s.") % {"space": space.name}


def _counted_with(booker: Any, household: Household | None) -> Q:
    """Bookings counted together for limits: the household's, or for an account the registry does not
    know, the account's own bookings made without a household."""
    if household is not None:
        return Q(household=household)
    return Q(booker=booker, household__isnull=True)


def household_limit_errors(
    space: Space,
    booker: Any,
    household: Household | None,
    occurrences: list[tuple[datetime, datetime]],
    now: datetime,
) -> list[str]:
    errors = []
    counted = _counted_with(booker, household)
    if space.no_show_limit:
        missed = Booking.objects.filter(
            counted,
            status=Booking.Status.RELEASED,
            starts_at__gte=now - timedelta(days=NO_SHOW_WINDOW_DAYS),
        ).count()
        if missed >= space.no_show_limit:
            errors.append(
                _(
                    "%(n)d bookings in the last %(days)d days were released because nobody checked in, so you "
                    "cannot book %(space)s for now. Ask the station staff."
                )
                % {"n": missed, "days": NO_SHOW_WINDOW_DAYS, "space": space.name}
            )
    if space.weekly_limit:
        weeks: dict[date, int] = {}
        for start, _end in occurrences:
            weeks[_week_start(start)] = weeks.get(_week_start(start), 0) + 1
        zone = timezone.get_current_timezone()
        for week, new in sorted(weeks.items()):
            begin = datetime.combine(week, time(0), zone)
            have = Booking.objects.filter(
                counted,
                space=space,
                status__in=LIVE,
                starts_at__gte=begin,
                starts_at__lt=begin + timedelta(days=7),
            ).count()
            if have + new > space.weekly_limit:
                errors.append(
                    _(
                        "%(space)s may be booked %(limit)d times a week per household; the week of %(week)s "
                        "would have %(total)d."
                    )
                    % {"space": space.name, "limit": space.weekly_limit, "week": week.isoformat(), "total": have + new}
                )
                break
    return errors


def notify_booking(
    kind: str, booking: Booking | None, recipient: Any, reason: str = "", series: Series | None = None
) -> None:
    notices.notify(kind, booking, recipient, reason, series=series)


def occupy(bookings: list[Booking], down: list[int]) -> None:
    Occupancy.objects.bulk_create(
        Occupancy(
            community_id=b.community_id,
            booking=b,
            space_id=sid,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            active=True,
        )
        for b in bookings
        for sid in down
    )


def vacate(booking: Booking) -> None:
    Occupancy.objects.filter(booking=booking, active=True).update(active=False)


def require_staff(actor: Any, booking: Booking) -> None:
    if not policy.can(actor, "booking.manage", booking):
        raise ValidationError(_("Only station staff can do this."))


def locked_booking(booking: Booking) -> Booking:
    qs = Booking.objects.select_related("space")
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    return qs.get(pk=booking.pk)


def lock_due(qs: Any) -> Any:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True)
    return qs  # SQLite: the IMMEDIATE transaction serialises the sweep
