"""Reads shared by the pages, the API and the feeds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.calendar.workdays import Calendar
from anju.inbox import selectors as inbox_selectors
from anju.inbox.models import Message
from anju.spaces.models import Booking, ClosedPeriod, Occupancy, OpeningHours, Space, Station
from anju.spaces.rules import DEFAULT_HOURS, holiday_name

SLOT_MINUTES = 30


def stations_visible(user: Any) -> QuerySet[Station]:
    """Stations of communities within reach; a resident granted on a building
    reaches up to their own community's station."""
    return policy.visible(
        Station.objects.select_related("community"), user, "space.view", "community__path"
    ).prefetch_related("spaces__part_of")


def spaces_visible(user: Any) -> QuerySet[Space]:
    return policy.visible(
        Space.objects.filter(is_active=True).select_related("station", "part_of"), user, "space.view", "community__path"
    )


def bookings_visible(user: Any) -> QuerySet[Booking]:
    """The user's own bookings, and every booking within reach of staff."""
    mine = Q(booker=user)
    staff = policy.scope_q(user, "booking.manage", "community__path")
    if not policy.can(user, "booking.manage"):
        return Booking.objects.filter(mine).select_related("space", "space__station", "series", "booker")
    return Booking.objects.filter(mine | staff).select_related("space", "space__station", "series", "booker")


def day_schedule(station: Station, day: date, user: Any) -> list[Booking]:
    """The day's confirmed and pending bookings of the station's spaces within the user's reach, by space and
    time: the printed room schedule."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time(0), zone)
    return list(
        bookings_visible(user)
        .filter(
            space__station=station,
            status__in=(Booking.Status.CONFIRMED, Booking.Status.PENDING),
            starts_at__lt=start + timedelta(days=1),
            ends_at__gt=start,
        )
        .order_by("space__name", "starts_at", "pk")
    )


def my_bookings(user: Any, *, upcoming: bool = True) -> QuerySet[Booking]:
    qs = Booking.objects.filter(booker=user).select_related("space", "space__station", "series")
    now = timezone.now()
    if upcoming:
        return qs.filter(ends_at__gte=now).order_by("starts_at", "id")
    return qs.filter(ends_at__lt=now).order_by("-starts_at", "-id")


def household_labels(user: Any, bookings: list[Booking]) -> dict[int, str]:
    """The household each booking counts against, as its address label, keyed by booking id. As in the
    registry: staff see the door numbers the registry shows them (``people.profiles``), a resident sees their
    own; any other household shows with its door hidden."""
    from anju.people.models import Household
    from anju.people.profiles import FULL_ACTION
    from anju.people.selectors import households_visible, resident_for_user

    ids = {b.household_id for b in bookings if b.household_id}
    if not ids:
        return {}
    shown = set(households_visible(user, FULL_ACTION).filter(pk__in=ids).values_list("pk", flat=True))
    own = resident_for_user(user)
    if own is not None and own.household_id in ids:
        shown.add(own.household_id)
    labels = {}
    for household in Household.objects.filter(pk__in=ids).select_related("address__unit"):
        if household.pk in shown:
            labels[household.pk] = str(household)
        else:
            labels[household.pk] = _("%(building)s, door hidden") % {"building": household.address.unit.name}
    return {b.pk: labels[b.household_id] for b in bookings if b.household_id in labels}


def pending_for(user: Any) -> QuerySet[Booking]:
    return policy.visible(
        Booking.objects.filter(status=Booking.Status.PENDING, ends_at__gt=timezone.now()).select_related(
            "space", "booker"
        ),
        user,
        "booking.manage",
        "community__path",
    ).order_by("starts_at", "id")


def notices_for(user: Any, limit: int = 20) -> list[Message]:
    """The user's latest booking messages (the shared inbox holds them all)."""
    return list(inbox_selectors.messages_for(user).filter(kind__startswith="spaces.")[:limit])


# --- availability -------------------------------------------------------------------------


@dataclass
class Busy:
    starts_at: datetime
    ends_at: datetime
    status: str  # confirmed | pending
    booking_id: int
    title: str = ""
    booker_id: int = 0
    space_id: int = 0


@dataclass
class Availability:
    space: Space
    busy: list[Busy] = field(default_factory=list)
    closed: list[tuple[datetime, datetime, str]] = field(default_factory=list)


def _families(spaces: list[Space]) -> dict[int, set[int]]:
    """For each space, the ids of the space and of every space inside it."""
    children: dict[int, list[int]] = defaultdict(list)
    for s in Space.objects.filter(station_id__in={s.station_id for s in spaces}).values("pk", "part_of_id"):
        if s["part_of_id"]:
            children[s["part_of_id"]].append(s["pk"])
    out = {}
    for space in spaces:
        seen = {space.pk}
        todo = [space.pk]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        out[space.pk] = seen
    return out


def availability(spaces: list[Space], start: datetime, end: datetime, *, pending: bool = True) -> list[Availability]:
    """What holds each space between ``start`` and ``end``: confirmed bookings (of the space, of its parts,
    or of the whole it belongs to), pending ones, and closed periods. Three queries whatever the number of spaces."""
    families = _families(spaces)
    all_ids = set().union(*families.values()) if families else set()
    rows = list(
        Occupancy.objects.filter(active=True, space_id__in=all_ids, starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at")
        .values_list("space_id", "booking_id", "starts_at", "ends_at", "booking__title", "booking__booker_id")
    )
    by_space: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_space[row[0]].append(row)
    pend: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    if pending:
        for row in Booking.objects.filter(
            status=Booking.Status.PENDING, space_id__in=all_ids, starts_at__lt=end, ends_at__gt=start
        ).values_list("pk", "space_id", "starts_at", "ends_at", "title", "booker_id"):
            pend[row[1]].append(row)
    closures = list(
        ClosedPeriod.objects.filter(
            station_id__in={s.station_id for s in spaces}, starts_at__lt=end, ends_at__gt=start
        ).values_list("space_id", "starts_at", "ends_at", "reason", "station_id")
    )
    out = []
    for space in spaces:
        item = Availability(space)
        seen: set[int] = set()
        for sid in families[space.pk]:
            for _sid, booking_id, s, e, title, booker_id in by_space.get(sid, []):
                if booking_id not in seen:
                    seen.add(booking_id)
                    item.busy.append(Busy(s, e, "confirmed", booking_id, title, booker_id, sid))
            for pk, _sid, s, e, title, booker_id in pend.get(sid, []):
                item.busy.append(Busy(s, e, "pending", pk, title, booker_id, sid))
        item.busy.sort(key=lambda b: (b.starts_at, b.status))
        related = families[space.pk] | {space.part_of_id}
        item.closed = [
            (s, e, reason)
            for sid, s, e, reason, station_id in closures
            if station_id == space.station_id and (sid is None or sid in related)
        ]
        out.append(item)
    return out


# --- calendar grids ------------------------------------------------------------------------


@dataclass
class Cell:
    start: datetime
    state: str  # free | confirmed | pending | closed | shut (outside bookable hours) | past
    label: str = ""
    booking_id: int | None = None
    mine: bool = False


def _hours_by_space(spaces: list[Space]) -> dict[int, dict[int, list[tuple[time, time]]]]:
    out: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(dict)
    for row in OpeningHours.objects.filter(space__in=spaces):
        out[row.space_id].setdefault(row.weekday, []).append((row.opens, row.closes))
    return out


def grid_bounds(
    spaces: list[Space], hours: dict[int, dict[int, list[tuple[time, time]]]] | None = None
) -> tuple[int, int]:
    """The hours a booking grid spans: from the earliest opening to the latest closing of the spaces (whole hours;
    a closing at 00:00 means midnight). Spaces without set hours count with the default hours. ``hours``: the
    spaces' opening hours when already read (see ``_hours_by_space``)."""
    if hours is None:
        hours = _hours_by_space(spaces)
    windows = [w for space in spaces for day in hours.get(space.pk, {}).values() for w in day]
    if not spaces or any(not hours.get(space.pk) for space in spaces):
        windows.append(DEFAULT_HOURS)
    first = min(o.hour for o, _c in windows)
    last = max(24 if c == time(0) else c.hour + (1 if c.minute else 0) for _o, c in windows)
    return first, max(last, first + 1)


def slot_times(day: date, first: int = 7, last: int = 22) -> list[datetime]:
    zone = timezone.get_current_timezone()
    begin = datetime.combine(day, time(first), zone)
    return [begin + timedelta(minutes=SLOT_MINUTES * i) for i in range((last - first) * 60 // SLOT_MINUTES)]


def cells_for(
    item: Availability,
    day: date,
    hours: dict[int, list[tuple[time, time]]],
    user: Any,
    now: datetime,
    calendar: Calendar | None = None,
    bounds: tuple[int, int] = (7, 22),
) -> list[Cell]:
    windows = hours.get(day.weekday(), []) if hours else [DEFAULT_HOURS]
    holiday = None
    if item.space.closed_on_holidays:
        holiday = holiday_name(calendar or Calendar.load(), day)
    cells = []
    for start in slot_times(day, *bounds):
        end = start + timedelta(minutes=SLOT_MINUTES)
        local = timezone.localtime(start).time()
        local_end = timezone.localtime(end).time()
        cell = Cell(start, "free")
        busy = next((b for b in item.busy if b.starts_at < end and b.ends_at > start and b.status == "confirmed"), None)
        pend = next((b for b in item.busy if b.starts_at < end and b.ends_at > start and b.status == "pending"), None)
        closed = next((c for c in item.closed if c[0] < end and c[1] > start), None)
        if busy is not None:
            cell.state, cell.booking_id, cell.mine = "confirmed", busy.booking_id, busy.booker_id == user.pk
        elif closed is not None or holiday:
            cell.state, cell.label = "closed", closed[2] if closed else str(holiday)
        elif not any(o <= local and local_end <= c for o, c in windows) and not (
            local_end == time(0) and any(o <= local for o, _c in windows)
        ):
            cell.state = "shut"
        elif pend is not None:
            cell.state, cell.booking_id, cell.mine = "pending", pend.booking_id, pend.booker_id == user.pk
        elif end <= now:
            cell.state = "past"
        cells.append(cell)
    return cells


def station_day(
    station: Station, day: date, user: Any, bounds: tuple[int, int] | None = None
) -> list[tuple[Space, list[Cell]]]:
    """The station-wide day view: one row per space, one cell per half hour within ``bounds`` (whole hours;
    by default from the spaces' earliest opening to their latest closing)."""
    spaces = list(station.spaces.filter(is_active=True).select_related("part_of"))
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time(0), zone)
    items = availability(spaces, start, start + timedelta(days=1))
    hours = _hours_by_space(spaces)
    bounds = bounds or grid_bounds(spaces, hours)
    now = timezone.now()
    calendar = Calendar.load() if any(s.closed_on_holidays for s in spaces) else None
    return [
        (item.space, cells_for(item, day, hours.get(item.space.pk, {}), user, now, calendar, bounds)) for item in items
    ]


def space_days(
    space: Space, days: list[date], user: Any, bounds: tuple[int, int] | None = None
) -> list[tuple[date, list[Cell]]]:
    """A day or week calendar of one space: one column of half-hour cells per day, within ``bounds``."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(days[0], time(0), zone)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), zone)
    item = availability([space], start, end)[0]
    by_space = _hours_by_space([space])
    bounds = bounds or grid_bounds([space], by_space)
    hours = by_space.get(space.pk, {})
    now = timezone.now()
    calendar = Calendar.load() if space.closed_on_holidays else None
    return [(day, cells_for(item, day, hours, user, now, calendar, bounds)) for day in days]
