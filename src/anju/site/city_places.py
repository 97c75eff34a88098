"""Stations, bookings, activities and registrations of the benchmark city (``anju generate_city``)."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from anju.orgs.models import OrgUnit
from anju.site.city_rows import LOCAL, H, Table, reset_sequence

if TYPE_CHECKING:
    from anju.site.city import City


def generate_places(
    city: City,
    rng: random.Random,
    *,
    now: dt.datetime,
    bookings: int,
    registrations: int | None = None,
    since: dt.datetime | None = None,
) -> None:
    """In up to 30 communities: a station with two rooms (through the services), one resident, ``bookings``
    bookings of the rooms (three slots a day, from a year back to two weeks ahead; past ones checked in or
    released as no-shows) and activities holding ``registrations`` registrations (default: half as many as
    bookings): sessions of 30 places spread over the months from ``since`` (default a year back) to this one,
    as many a month in each place as that takes, four in five registrations of a past session checked in."""
    if bookings <= 0:
        return
    from anju.accounts import services as account_services
    from anju.activities.models import Activity, Registration, Session
    from anju.core import screening
    from anju.spaces import setup
    from anju.spaces.models import Booking, Occupancy, Space

    places = city.communities[:30]
    rooms: list[tuple[OrgUnit, Space, Any]] = []
    for n, community in enumerate(places):
        station = setup.station_create(actor=None, community=community, name=f"{community.name}党群服务站")
        resident = account_services.user_create(
            actor=None,
            username=f"city{community.pk}-{n}",
            display_name=f"{community.name}居民",
            password=f"city-{rng.random()}",
            validate_password=False,
        )
        for name in ("共享客厅", "多功能活动室"):
            space = setup.space_create(actor=None, station=station, name=name, kind=Space.Kind.ROOM, capacity=30)
            rooms.append((community, space, resident))
    booking_table, occupancy_table = Table(Booking, with_id=True), Table(Occupancy)
    next_pk = (Booking.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    day = (now + dt.timedelta(days=14)).astimezone(LOCAL).date()
    made = 0
    title = screening.screen("居民活动")
    while made < bookings:
        for hour in (9, 14, 19):
            starts = dt.datetime.combine(day, dt.time(hour), LOCAL).astimezone(dt.UTC)
            for community, space, resident in rooms:
                if made >= bookings or rng.random() < 0.4:
                    continue
                past = starts < now
                no_show = past and rng.random() < 0.08
                status = Booking.Status.RELEASED if no_show else Booking.Status.CONFIRMED
                booking_table.add(
                    id=next_pk,
                    community_id=community.pk,
                    space_id=space.pk,
                    booker_id=resident.pk,
                    created_by_id=resident.pk,
                    title=title,
                    starts_at=starts,
                    ends_at=starts + 2 * H,
                    status=status,
                    checked_in_at=starts + dt.timedelta(minutes=rng.randint(0, 14)) if past and not no_show else None,
                    checkin_deadline=None if past else starts + dt.timedelta(minutes=15),
                    created_at=starts - dt.timedelta(days=rng.randint(1, 20)),
                )
                occupancy_table.add(
                    community_id=community.pk,
                    booking_id=next_pk,
                    space_id=space.pk,
                    starts_at=starts,
                    ends_at=starts + 2 * H,
                    active=not no_show,
                )
                next_pk += 1
                made += 1
        day -= dt.timedelta(days=1)
        if len(booking_table.rows) > 20_000:
            booking_table.flush()
            occupancy_table.flush()
    booking_table.flush()
    occupancy_table.flush()
    reset_sequence(Booking)
    city.counts["bookings"] = made
    # Activities in every other room, one session of 30 places each, filled to a random level, over the window.
    activity_table, session_table = Table(Activity, with_id=True), Table(Session, with_id=True)
    registration_table = Table(Registration)
    activity_pk = (Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    session_pk = (Session.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    code = rng.randrange(16**7)
    wanted = bookings // 2 if registrations is None else registrations
    places_with_activities = rooms[::2]
    first_day = (since or now - dt.timedelta(days=365)).astimezone(LOCAL).date()
    span = max(1, (now.astimezone(LOCAL).date() + dt.timedelta(days=14) - first_day).days)
    made_registrations = 0
    while made_registrations < wanted:
        for community, space, resident in places_with_activities:
            if made_registrations >= wanted:
                break
            day = first_day + dt.timedelta(days=rng.randrange(span))  # anywhere in the window, two weeks ahead too
            starts = dt.datetime.combine(day, dt.time(rng.choice((9, 15, 19))), LOCAL).astimezone(dt.UTC)
            taken = rng.randint(5, 30)
            activity_table.add(
                id=activity_pk,
                community_id=community.pk,
                title=f"{day:%Y年%m月}{community.name}邻里活动",
                organiser_id=resident.pk,
                space_id=space.pk,
                capacity=30,
                registration_opens_at=starts - dt.timedelta(days=14),
                registration_closes_at=starts - H,
                created_at=starts - dt.timedelta(days=15),
            )
            session_table.add(
                id=session_pk,
                community_id=community.pk,
                activity_id=activity_pk,
                starts_at=starts,
                ends_at=starts + 2 * H,
                capacity=30,
                taken=taken,
            )
            for i in range(taken):
                code += 1
                registration_table.add(
                    community_id=community.pk,
                    session_id=session_pk,
                    user_id=resident.pk if i == 0 else None,
                    name=f"居民{i + 1}",
                    status=Registration.Status.CONFIRMED,
                    registered_by_id=resident.pk,
                    short_code=f"{code % 16**8:08X}",
                    created_at=starts - dt.timedelta(days=rng.randint(1, 13)),
                    checked_in_at=starts + dt.timedelta(minutes=rng.randint(-10, 20))
                    if starts < now and rng.random() < 0.8
                    else None,
                )
            made_registrations += taken
            activity_pk += 1
            session_pk += 1
    for table in (activity_table, session_table, registration_table):
        table.flush()
    for model in (Activity, Session, Registration, Occupancy):
        reset_sequence(model)
    city.counts["registrations"] = made_registrations
