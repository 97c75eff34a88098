"""State changes of stations, spaces and bookings.

Every booking write that makes a booking confirmed inserts its occupancy rows
in the same transaction as the overlap check (see ``models``): on SQLite the
IMMEDIATE transaction serialises writers, so the check is authoritative; on
PostgreSQL two racing transactions may both pass the check, and the exclusion
constraint stops the second insert (SQLSTATE 23P01), answered as
:class:`SlotTaken` (409).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import chinese_calendar
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from anju.accounts import policy
from anju.accounts.roles import Role
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core.api import Conflict
from anju.orgs.models import OrgUnit, UnitKind
from anju.spaces.models import (
    Booking,
    ClosedPeriod,
    FeedKey,
    Notice,
    Occupancy,
    OpeningHours,
    Series,
    Space,
    Station,
)
from anju.spaces.recurrence import Recurrence, expand

DEFAULT_HOURS = (time(8, 0), time(21, 0))
NO_SHOW_WINDOW_DAYS = 90
RECONFIRM_DAYS = 56
RECONFIRM_REMINDER_DAYS = 7
CHECKIN_EARLY_MINUTES = 15
CHECKIN_SALT = "anju.spaces.checkin"
FEED_SALT = "anju.spaces.feed"
OVERLAP_CONSTRAINT = "spaces_occupancy_no_overlap"
LIVE = (Booking.Status.PENDING, Booking.Status.CONFIRMED)


class SlotTaken(Conflict):
    """The time is already held by a confirmed booking (answered 409)."""


@dataclass
class BookingResult:
    bookings: list[Booking] = field(default_factory=list)  # made (pending or confirmed)
    skipped: list[Booking] = field(default_factory=list)  # taken dates kept as "skipped", claimable later
    closed: list[tuple[date, str]] = field(default_factory=list)  # series dates left out: the space is closed
    series: Series | None = None


# --- stations and spaces ------------------------------------------------------------------


def station_create(*, actor: Any, community: OrgUnit, name: str, **fields: Any) -> Station:
    name = (name or "").strip()
    if community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": [_("A station belongs to a community.")]})
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    with transaction.atomic():
        station = Station.objects.create(community=community, name=name, **fields)
        record(Action.STATION_CREATED, actor=actor, obj=station, data={"name": name})
    return station


def space_create(
    *, actor: Any, station: Station, name: str, kind: str, capacity: int, part_of: Space | None = None, **fields: Any
) -> Space:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter a name.")]
    if kind not in Space.Kind.values:
        errors["kind"] = [_("Choose a valid kind of space.")]
    if capacity < 1:
        errors["capacity"] = [_("Capacity is at least 1.")]
    if part_of is not None and part_of.station_id != station.pk:
        errors["part_of"] = [_("A space can only be part of a space of the same station.")]
    if Space.objects.filter(station=station, name=name).exists():
        errors["name"] = [_("The station already has a space with this name.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        space = Space.objects.create(
            community=station.community,
            station=station,
            name=name,
            kind=kind,
            capacity=capacity,
            part_of=part_of,
            **fields,
        )
        record(Action.SPACE_CREATED, actor=actor, obj=space, data={"name": name, "kind": kind})
    return space


def space_set_hours(
    *, actor: Any, space: Space, hours: Iterable[tuple[int, time, time]], request: HttpRequest | None = None
) -> None:
    """Replace the bookable hours of a space: (weekday 0=Monday, opens, closes) rows."""
    rows = list(hours)
    for weekday, opens, closes in rows:
        if not 0 <= weekday <= 6 or closes <= opens:
            raise ValidationError({"hours": [_("Each row needs a weekday and a closing time after the opening time.")]})
    with transaction.atomic():
        OpeningHours.objects.filter(space=space).delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(community_id=space.community_id, space=space, weekday=w, opens=o, closes=c) for w, o, c in rows
        )
        record(
            Action.SPACE_RULES_CHANGED,
            actor=actor,
            obj=space,
            request=request,
            data={"hours": [[w, o.isoformat(), c.isoformat()] for w, o, c in rows]},
        )


RULE_FIELDS = (
    "min_minutes",
    "max_minutes",
    "max_days_ahead",
    "weekly_limit",
    "requires_approval",
    "closed_on_holidays",
    "checkin_grace_minutes",
    "no_show_limit",
    "bookable_by",
    "equipment",
    "key_location",
    "area_m2",
)


def space_set_rules(*, actor: Any, space: Space, request: HttpRequest | None = None, **rules: Any) -> Space:
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"unknown space rules {sorted(unknown)}")
    merged = {name: rules.get(name, getattr(space, name)) for name in RULE_FIELDS}
    if merged["min_minutes"] < 1 or merged["max_minutes"] < merged["min_minutes"]:
        raise ValidationError({"max_minutes": [_("The longest booking must be at least the shortest one.")]})
    if merged["bookable_by"] not in Space.Audience.values:
        raise ValidationError({"bookable_by": [_("Choose who may book.")]})
    with transaction.atomic():
        for name, value in rules.items():
            setattr(space, name, value)
        space.save(update_fields=list(rules))
        data = {k: str(v) for k, v in rules.items()}
        record(Action.SPACE_RULES_CHANGED, actor=actor, obj=space, request=request, data=data)
    return space


def closed_period_add(
    *,
    actor: Any,
    station: Station,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    space: Space | None = None,
    request: HttpRequest | None = None,
) -> ClosedPeriod:
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the space is closed.")]
    _check_aware(errors, starts_at, ends_at)
    if not errors and ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if space is not None and space.station_id != station.pk:
        errors["space"] = [_("Choose a space of this station.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        period = ClosedPeriod.objects.create(
            community_id=station.community_id,
            station=station,
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason[:200],
        )
        record(
            Action.SPACE_CLOSED,
            actor=actor,
            obj=space or station,
            request=request,
            data={"from": starts_at.isoformat(), "until": ends_at.isoformat(), "reason": reason},
        )
    return period


# --- rules ---------------------------------------------------------------------------------


def only_own_household_message() -> str:
    return _("You can book only for yourself and your own household. Station staff can book for others.")


def is_staff_for(user: Any, space: Space) -> bool:
    return policy.can(user, "booking.manage", space)


def audience_error(user: Any, space: Space) -> str | None:
    """Why ``user`` may not book ``space``, or None."""
    if not space.is_active:
        return _("This space is not open for booking.")
    if not policy.can(user, "booking.create", space):
        return _("You may not book spaces of this station.")
    if space.bookable_by == Space.Audience.RESIDENTS or is_staff_for(user, space):
        return None
    if space.bookable_by == Space.Audience.GROUPS:
        if Role.VOLUNTEER in policy.roles_of(user):
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


def _check_aware(errors: dict[str, list[str]], starts_at: Any, ends_at: Any) -> None:
    example = "2026-12-05T14:00+08:00"
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, datetime):
            errors[name] = [_("Enter a valid date and time.")]
        elif timezone.is_naive(value):
            errors[name] = [_("Give the time with its time zone, e.g. %(example)s.") % {"example": example}]


def _fmt(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


def _holiday_name(day: date) -> str | None:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # the library knows the State Council's calendar up to its release year
        return None
    if not on_holiday or name is None:
        return None
    holiday = chinese_calendar.Holiday(name) if name in chinese_calendar.Holiday._value2member_map_ else None
    if holiday is not None and (get_language() or "").startswith("zh"):
        return str(holiday.chinese)
    return str(name)


@dataclass
class _Context:
    space: Space
    hours: dict[int, list[tuple[time, time]]]
    closures: list[ClosedPeriod]
    down: list[int]


def _context(space: Space, start: datetime, end: datetime) -> _Context:
    hours: dict[int, list[tuple[time, time]]] = {}
    for row in OpeningHours.objects.filter(space=space):
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    related = [space.pk, *family_up(space), *family_down(space)[1:]]
    closures = list(
        ClosedPeriod.objects.filter(station_id=space.station_id, starts_at__lt=end, ends_at__gt=start).filter(
            Q(space__isnull=True) | Q(space_id__in=related)
        )
    )
    return _Context(space, hours, closures, family_down(space))


def _closed_reason(ctx: _Context, start: datetime, end: datetime) -> str | None:
    for period in ctx.closures:
        if period.starts_at < end and period.ends_at > start:
            return period.reason
    if ctx.space.closed_on_holidays:
        local = timezone.localtime(start).date()
        name = _holiday_name(local)
        if name:
            return _("statutory holiday: %(name)s") % {"name": name}
    return None


def _hours_error(ctx: _Context, start: datetime, end: datetime) -> str | None:
    ls, le = timezone.localtime(start), timezone.localtime(end)
    windows = ctx.hours.get(ls.weekday(), []) if ctx.hours else [DEFAULT_HOURS]
    same_day = le.date() == ls.date() or (le.date() == ls.date() + timedelta(days=1) and le.time() == time(0))
    end_time = time(23, 59, 59) if le.time() == time(0) and le.date() != ls.date() else le.time()
    if same_day and any(opens <= ls.time() and end_time <= closes for opens, closes in windows):
        return None
    if not windows:
        return _("%(space)s cannot be booked on this weekday.") % {"space": ctx.space.name}
    spans = ", ".join(f"{o:%H:%M}–{c:%H:%M}" for o, c in windows)
    return _("Outside the bookable hours of %(space)s on that day (%(hours)s).") % {
        "space": ctx.space.name,
        "hours": spans,
    }


def _taken(down: list[int], start: datetime, end: datetime, exclude_booking: int | None = None) -> bool:
    qs = Occupancy.objects.filter(active=True, space_id__in=down, starts_at__lt=end, ends_at__gt=start)
    if exclude_booking is not None:
        qs = qs.exclude(booking_id=exclude_booking)
    return qs.exists()


def _is_overlap_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "23P01" or OVERLAP_CONSTRAINT in str(exc)


def _slot_taken_message(space: Space, start: datetime) -> str:
    return _("%(space)s is already booked at %(when)s. Choose another time.") % {
        "space": space.name,
        "when": _fmt(start),
    }


def _week_start(value: datetime) -> date:
    local = timezone.localtime(value).date()
    return local - timedelta(days=local.weekday())


def _limit_errors(space: Space, booker: Any, occurrences: list[tuple[datetime, datetime]], now: datetime) -> list[str]:
    errors = []
    if space.no_show_limit:
        missed = Booking.objects.filter(
            booker=booker,
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
                booker=booker,
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


def _notify(kind: str, booking: Booking | None, recipient: Any, reason: str = "", series: Series | None = None) -> None:
    target = booking or series
    if target is None:
        raise ValueError("a notice is about a booking or a series")
    Notice.objects.create(
        community_id=target.community_id,
        recipient=recipient,
        kind=kind,
        booking=booking,
        series=series,
        reason=reason[:300],
    )


def _occupy(bookings: list[Booking], down: list[int]) -> None:
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


def _vacate(booking: Booking) -> None:
    Occupancy.objects.filter(booking=booking, active=True).update(active=False)


# --- booking --------------------------------------------------------------------------------


def booking_create(
    *,
    actor: Any,
    space: Space,
    starts_at: Any,
    ends_at: Any,
    title: str,
    on_behalf_of: Any = None,
    household_key: str = "",
    recurrence: Recurrence | None = None,
    on_conflict: str = "fail",
    now: datetime | None = None,
    request: HttpRequest | None = None,
) -> BookingResult:
    """Book ``space`` once or on a recurrence. ``on_conflict``: "fail" (nothing is written when any date is
    taken) or "skip" (taken dates are kept as skipped bookings the owner can claim later)."""
    now = now or timezone.now()
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    _check_aware(errors, starts_at, ends_at)
    if errors:
        raise ValidationError(errors)
    reason = audience_error(actor, space)
    if reason:
        raise ValidationError({"space": [reason]})
    staff = is_staff_for(actor, space)
    booker = actor if on_behalf_of is None else on_behalf_of
    if booker.pk != actor.pk and not staff:
        errors["on_behalf_of"] = [only_own_household_message()]
    household_key = (household_key or "").strip()
    if household_key and not staff:
        # Until the resident registry exists no household is known to be the resident's own.
        errors["household"] = [only_own_household_message()]
    if not title:
        errors["title"] = [_("Say what the space is booked for.")]
    if on_conflict not in ("fail", "skip"):
        errors["on_conflict"] = [_("On a taken date, choose to fail or to skip it.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    if errors:
        raise ValidationError(errors)
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes < space.min_minutes:
        errors["ends_at"] = [
            _("A booking of %(space)s lasts at least %(n)d minutes.") % {"space": space.name, "n": space.min_minutes}
        ]
    elif minutes > space.max_minutes:
        errors["ends_at"] = [
            _("A booking of %(space)s lasts at most %(n)d minutes.") % {"space": space.name, "n": space.max_minutes}
        ]
    if starts_at < now:
        errors["starts_at"] = [_("The start time has passed.")]
    elif not staff and starts_at > now + timedelta(days=space.max_days_ahead):
        errors["starts_at"] = [
            _("%(space)s can be booked at most %(n)d days ahead.") % {"space": space.name, "n": space.max_days_ahead}
        ]
    if errors:
        raise ValidationError(errors)
    occurrences = expand(recurrence, starts_at, ends_at) if recurrence else [(starts_at, ends_at)]
    ctx = _context(space, occurrences[0][0], occurrences[-1][1])
    result = BookingResult()
    wanted: list[tuple[datetime, datetime]] = []
    for start, end in occurrences:
        hours_error = _hours_error(ctx, start, end)
        if hours_error:
            raise ValidationError({"starts_at": [hours_error]})
        closed = _closed_reason(ctx, start, end)
        if closed and recurrence is None:
            raise ValidationError(
                {"starts_at": [_("%(space)s is closed then: %(reason)s.") % {"space": space.name, "reason": closed}]}
            )
        if closed:
            result.closed.append((timezone.localtime(start).date(), closed))
        else:
            wanted.append((start, end))
    if not wanted:
        raise ValidationError({"recurrence": [_("The space is closed on every date of this recurrence.")]})
    if not staff:
        limit_errors = _limit_errors(space, booker, wanted, now)
        if limit_errors:
            raise ValidationError({"__all__": limit_errors})
    status = Booking.Status.PENDING if space.requires_approval and not staff else Booking.Status.CONFIRMED
    if len(wanted) == 1 and _taken(ctx.down, *wanted[0]):
        # A plain read first: a slot visibly taken is answered without queueing for SQLite's write lock.
        # The authoritative check is the one inside the write transaction below.
        raise SlotTaken(_slot_taken_message(space, wanted[0][0]))
    try:
        with transaction.atomic():
            taken = [(s, e) for s, e in wanted if _taken(ctx.down, s, e)]
            if taken and len(wanted) == 1:
                raise SlotTaken(_slot_taken_message(space, taken[0][0]))
            if taken and on_conflict == "fail":
                dates = ", ".join(_fmt(s) for s, _e in taken[:10])
                raise SlotTaken(
                    _("%(space)s is already booked on %(n)d of these dates (%(dates)s). Nothing was booked.")
                    % {"space": space.name, "n": len(taken), "dates": dates}
                )
            if taken and len(taken) == len(wanted):
                raise SlotTaken(
                    _("%(space)s is already booked on every date of this recurrence. Nothing was booked.")
                    % {"space": space.name}
                )
            series = None
            if recurrence is not None:
                last = wanted[-1][0]
                series = Series.objects.create(
                    community_id=space.community_id,
                    space=space,
                    booker=booker,
                    title=title[:200],
                    rule=recurrence.as_dict(),
                    reconfirm_by=now + timedelta(days=RECONFIRM_DAYS)
                    if last > now + timedelta(days=RECONFIRM_DAYS)
                    else None,
                )
            taken_set = set(taken)
            rows = []
            for start, end in wanted:
                skipped = (start, end) in taken_set
                rows.append(
                    Booking(
                        community_id=space.community_id,
                        space=space,
                        series=series,
                        booker=booker,
                        created_by=actor,
                        household_key=household_key[:64],
                        title=title[:200],
                        starts_at=start,
                        ends_at=end,
                        status=Booking.Status.SKIPPED if skipped else status,
                        reason=_("The time was already booked.") if skipped else "",
                        checkin_deadline=None
                        if skipped or status != Booking.Status.CONFIRMED
                        else start + timedelta(minutes=space.checkin_grace_minutes),
                    )
                )
            created = Booking.objects.bulk_create(rows)  # both backends return the new ids
            result.series = series
            result.bookings = [b for b in created if b.status != Booking.Status.SKIPPED]
            result.skipped = [b for b in created if b.status == Booking.Status.SKIPPED]
            confirmed = [b for b in result.bookings if b.status == Booking.Status.CONFIRMED]
            _occupy(confirmed, ctx.down)
            data = {
                "space": space.name,
                "booker_id": booker.pk,
                "status": status,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            }
            if series is not None:
                data |= {
                    "series_id": series.pk,
                    "made": len(result.bookings),
                    "skipped": [b.starts_at.isoformat() for b in result.skipped],
                    "closed": [d.isoformat() for d, _r in result.closed],
                }
                record(Action.BOOKING_SERIES_CREATED, actor=actor, obj=series, request=request, data=data)
            else:
                record(Action.BOOKING_CREATED, actor=actor, obj=result.bookings[0], request=request, data=data)
    except IntegrityError as exc:
        if _is_overlap_violation(exc):
            raise SlotTaken(_slot_taken_message(space, wanted[0][0])) from exc
        raise
    return result


def _require_staff(actor: Any, booking: Booking) -> None:
    if not policy.can(actor, "booking.manage", booking):
        raise ValidationError(_("Only station staff can do this."))


def _locked(booking: Booking) -> Booking:
    qs = Booking.objects.select_related("space")
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    return qs.get(pk=booking.pk)


def booking_confirm(*, actor: Any, booking: Booking, request: HttpRequest | None = None) -> Booking:
    """Staff confirm a pending booking; the pending ones it overlaps are rejected, with a notice to their owners."""
    _require_staff(actor, booking)
    try:
        with transaction.atomic():
            booking = _locked(booking)
            if booking.status != Booking.Status.PENDING:
                raise ValidationError(_("Only a booking waiting for approval can be confirmed."))
            if booking.ends_at <= timezone.now():
                raise ValidationError(_("This booking is over."))
            down = family_down(booking.space)
            if _taken(down, booking.starts_at, booking.ends_at):
                raise SlotTaken(_slot_taken_message(booking.space, booking.starts_at))
            booking.status = Booking.Status.CONFIRMED
            booking.checkin_deadline = booking.starts_at + timedelta(minutes=booking.space.checkin_grace_minutes)
            booking.save(update_fields=["status", "checkin_deadline"])
            _occupy([booking], down)
            related = [*down, *family_up(booking.space)]
            losers = list(
                Booking.objects.filter(
                    status=Booking.Status.PENDING,
                    space_id__in=related,
                    starts_at__lt=booking.ends_at,
                    ends_at__gt=booking.starts_at,
                ).exclude(pk=booking.pk)
            )
            why = _("Another booking for %(when)s was confirmed.") % {"when": _fmt(booking.starts_at)}
            # Pending bookings of this space, of its parts and of the wholes it is part of all need a
            # space this booking now holds.
            for loser in losers:
                loser.status = Booking.Status.REJECTED
                loser.reason = why[:300]
                loser.save(update_fields=["status", "reason"])
                _notify(Notice.Kind.REJECTED, loser, loser.booker, why)
            _notify(Notice.Kind.CONFIRMED, booking, booking.booker)
            record(
                Action.BOOKING_CONFIRMED,
                actor=actor,
                obj=booking,
                request=request,
                data={"rejected": [b.pk for b in losers]},
            )
    except IntegrityError as exc:
        if _is_overlap_violation(exc):
            raise SlotTaken(_slot_taken_message(booking.space, booking.starts_at)) from exc
        raise
    return booking


def booking_reject(*, actor: Any, booking: Booking, reason: str, request: HttpRequest | None = None) -> Booking:
    _require_staff(actor, booking)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the rejection; the booker sees it.")]})
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status != Booking.Status.PENDING:
            raise ValidationError(_("Only a booking waiting for approval can be rejected."))
        booking.status = Booking.Status.REJECTED
        booking.reason = reason[:300]
        booking.save(update_fields=["status", "reason"])
        _notify(Notice.Kind.REJECTED, booking, booking.booker, reason)
        record(Action.BOOKING_REJECTED, actor=actor, obj=booking, request=request, data={"reason": reason})
    return booking


def booking_cancel(*, actor: Any, booking: Booking, reason: str = "", request: HttpRequest | None = None) -> Booking:
    """The owner or staff cancel a live booking; the owner gets a notice when someone else cancelled it."""
    staff = policy.can(actor, "booking.manage", booking)
    if booking.booker_id != actor.pk and not staff:
        raise ValidationError(_("Only the booker or station staff can cancel this booking."))
    reason = (reason or "").strip()
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status not in LIVE:
            raise ValidationError(_("This booking is no longer active."))
        if booking.ends_at <= timezone.now():
            raise ValidationError(_("This booking is over."))
        booking.status = Booking.Status.CANCELLED
        booking.reason = reason[:300]
        booking.checkin_deadline = None
        booking.save(update_fields=["status", "reason", "checkin_deadline"])
        _vacate(booking)
        if booking.booker_id != actor.pk:
            _notify(Notice.Kind.CANCELLED, booking, booking.booker, reason)
        record(Action.BOOKING_CANCELLED, actor=actor, obj=booking, request=request, data={"reason": reason})
    return booking


def booking_check_in(*, actor: Any, booking: Booking, request: HttpRequest | None = None) -> Booking:
    """Check in by scanning the booking's QR code (the owner) or with the staff button. Twice is harmless."""
    if booking.booker_id != actor.pk and not policy.can(actor, "booking.manage", booking):
        raise ValidationError(_("Only the booker or station staff can check in this booking."))
    now = timezone.now()
    with transaction.atomic():
        booking = _locked(booking)
        if booking.checked_in_at is not None:
            return booking
        if booking.status != Booking.Status.CONFIRMED:
            raise ValidationError(_("Only a confirmed booking can be checked in."))
        if now < booking.starts_at - timedelta(minutes=CHECKIN_EARLY_MINUTES):
            raise ValidationError(_("Check-in opens %(n)d minutes before the start.") % {"n": CHECKIN_EARLY_MINUTES})
        if now >= booking.ends_at:
            raise ValidationError(_("This booking is over."))
        booking.checked_in_at = now
        booking.checkin_deadline = None
        booking.save(update_fields=["checked_in_at", "checkin_deadline"])
        record(Action.BOOKING_CHECKED_IN, actor=actor, obj=booking, request=request)
    return booking


def booking_claim(*, actor: Any, booking: Booking, request: HttpRequest | None = None) -> Booking:
    """The owner takes back a skipped date of a recurring booking once the slot is free again."""
    if booking.booker_id != actor.pk and not policy.can(actor, "booking.manage", booking):
        raise ValidationError(_("Only the booker or station staff can claim this date."))
    space = booking.space
    staff = is_staff_for(actor, space)
    try:
        with transaction.atomic():
            booking = _locked(booking)
            if booking.status != Booking.Status.SKIPPED:
                raise ValidationError(_("Only a skipped date can be claimed."))
            if booking.starts_at <= timezone.now():
                raise ValidationError(_("The start time has passed."))
            ctx = _context(space, booking.starts_at, booking.ends_at)
            closed = _closed_reason(ctx, booking.starts_at, booking.ends_at)
            if closed:
                message = _("%(space)s is closed then: %(reason)s.") % {"space": space.name, "reason": closed}
                raise ValidationError(message)
            if _taken(ctx.down, booking.starts_at, booking.ends_at):
                raise SlotTaken(_slot_taken_message(space, booking.starts_at))
            confirmed = not space.requires_approval or staff
            booking.status = Booking.Status.CONFIRMED if confirmed else Booking.Status.PENDING
            booking.reason = ""
            booking.checkin_deadline = (
                booking.starts_at + timedelta(minutes=space.checkin_grace_minutes) if confirmed else None
            )
            booking.save(update_fields=["status", "reason", "checkin_deadline"])
            if confirmed:
                _occupy([booking], ctx.down)
            record(Action.BOOKING_CLAIMED, actor=actor, obj=booking, request=request, data={"status": booking.status})
    except IntegrityError as exc:
        if _is_overlap_violation(exc):
            raise SlotTaken(_slot_taken_message(space, booking.starts_at)) from exc
        raise
    return booking


def series_reconfirm(*, actor: Any, series: Series, request: HttpRequest | None = None) -> Series:
    if series.booker_id != actor.pk and not policy.can(actor, "booking.manage", series):
        raise ValidationError(_("Only the booker or station staff can re-confirm this booking."))
    now = timezone.now()
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        if series.status != Series.Status.ACTIVE:
            raise ValidationError(_("This recurring booking is no longer active."))
        base = max(now, series.reconfirm_by or now)
        live = series.bookings.filter(status__in=LIVE).order_by("-starts_at")
        last = live.values_list("starts_at", flat=True).first()
        nxt = base + timedelta(days=RECONFIRM_DAYS)
        series.reconfirm_by = nxt if last is not None and last > nxt else None
        series.reconfirm_reminded_at = None
        series.save(update_fields=["reconfirm_by", "reconfirm_reminded_at"])
        record(
            Action.BOOKING_SERIES_RECONFIRMED,
            actor=actor,
            obj=series,
            request=request,
            data={"reconfirm_by": series.reconfirm_by.isoformat() if series.reconfirm_by else None},
        )
    return series


def series_cancel(*, actor: Any, series: Series, request: HttpRequest | None = None) -> int:
    """Cancel every future date of a recurring booking; returns how many."""
    if series.booker_id != actor.pk and not policy.can(actor, "booking.manage", series):
        raise ValidationError(_("Only the booker or station staff can cancel this booking."))
    now = timezone.now()
    with transaction.atomic():
        future = list(
            series.bookings.filter(status__in=[*LIVE, Booking.Status.SKIPPED], starts_at__gt=now).select_for_update()
            if connection.features.has_select_for_update
            else series.bookings.filter(status__in=[*LIVE, Booking.Status.SKIPPED], starts_at__gt=now)
        )
        for booking in future:
            booking.status = Booking.Status.CANCELLED
            booking.checkin_deadline = None
            booking.save(update_fields=["status", "checkin_deadline"])
            _vacate(booking)
        Series.objects.filter(pk=series.pk).update(status=Series.Status.CANCELLED, reconfirm_by=None)
        if series.booker_id != actor.pk:
            _notify(Notice.Kind.CANCELLED, None, series.booker, series=series)
        record(Action.BOOKING_CANCELLED, actor=actor, obj=series, request=request, data={"dates": len(future)})
    return len(future)


# --- the worker's sweeps (idempotent: they pick rows by their stored deadlines) -------------


def _due(qs: Any) -> Any:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True)
    return qs  # SQLite: the IMMEDIATE transaction serialises the sweep


def bookings_release_no_shows(*, now: datetime | None = None, batch: int = 100) -> int:
    """Release confirmed bookings nobody checked in to within the grace period; the space is free again."""
    now = now or timezone.now()
    released = 0
    while True:
        with transaction.atomic():
            rows = list(
                _due(
                    Booking.objects.filter(
                        status=Booking.Status.CONFIRMED, checked_in_at__isnull=True, checkin_deadline__lte=now
                    ).order_by("checkin_deadline", "id")
                )[:batch]
            )
            for booking in rows:
                booking.status = Booking.Status.RELEASED
                booking.checkin_deadline = None
                booking.save(update_fields=["status", "checkin_deadline"])
                _vacate(booking)
                _notify(Notice.Kind.RELEASED, booking, booking.booker)
                record(Action.BOOKING_RELEASED, actor_label="anju worker", obj=booking)
            released += len(rows)
        if len(rows) < batch:
            return released


def series_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind owners whose recurring booking needs re-confirming soon; lapse those past the deadline.
    Returns (reminded, lapsed)."""
    now = now or timezone.now()
    reminded = lapsed = 0
    with transaction.atomic():
        for series in _due(
            Series.objects.filter(
                status=Series.Status.ACTIVE,
                reconfirm_reminded_at__isnull=True,
                reconfirm_by__lte=now + timedelta(days=RECONFIRM_REMINDER_DAYS),
                reconfirm_by__gt=now,
            )
        ):
            series.reconfirm_reminded_at = now
            series.save(update_fields=["reconfirm_reminded_at"])
            _notify(Notice.Kind.RECONFIRM, None, series.booker, series=series)
            reminded += 1
    with transaction.atomic():
        for series in _due(Series.objects.filter(status=Series.Status.ACTIVE, reconfirm_by__lte=now)):
            future = list(series.bookings.filter(status__in=[*LIVE, Booking.Status.SKIPPED], starts_at__gt=now))
            for booking in future:
                booking.status = Booking.Status.LAPSED
                booking.checkin_deadline = None
                booking.save(update_fields=["status", "checkin_deadline"])
                _vacate(booking)
            series.status = Series.Status.LAPSED
            series.save(update_fields=["status"])
            _notify(Notice.Kind.LAPSED, None, series.booker, series=series)
            record(Action.BOOKING_SERIES_LAPSED, actor_label="anju worker", obj=series, data={"dates": len(future)})
            lapsed += 1
    return reminded, lapsed


# --- tokens: check-in QR and calendar feeds -------------------------------------------------


def checkin_token(booking: Booking) -> str:
    return signing.dumps(booking.pk, salt=CHECKIN_SALT)


def checkin_booking_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=CHECKIN_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def feed_token(*, user: Any) -> str:
    """The secret of the user's calendar feed URL, made on first use."""
    key = FeedKey.objects.filter(user=user).first()
    if key is None:
        key = feed_reset(actor=user, user=user)
    return signing.dumps({"u": user.pk, "n": key.nonce}, salt=FEED_SALT)


def feed_reset(*, actor: Any, user: Any, request: HttpRequest | None = None) -> FeedKey:
    """A new feed secret: calendar apps holding the old URL stop getting the feed."""
    with transaction.atomic():
        key, _created = FeedKey.objects.update_or_create(user=user, defaults={"nonce": secrets.token_hex(16)})
        record(Action.BOOKING_FEED_RESET, actor=actor, obj=user)
    return key


def feed_user(token: str) -> Any:
    """The active user a feed token belongs to, or None."""
    try:
        value = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("u"), int):
        return None
    key = FeedKey.objects.select_related("user").filter(user_id=value["u"]).first()
    if key is None or not secrets.compare_digest(key.nonce, str(value.get("n", ""))) or not key.user.is_active:
        return None
    return key.user
