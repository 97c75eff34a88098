"""Benchmark: availability of every space of a station for one month, with 10,000 bookings in the table.

Compares the selector the pages and the API use (``anju.spaces.selectors.availability``: ORM queries plus the
grouping into per-space busy lists, composite spaces included) with the raw SQL of the same three queries in
the same run (rows fetched, no grouping). Prints medians and the ratio; asserts nothing about time.

    .venv/bin/python benchmarks/spaces_availability.py                 # SQLite in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju_bench_spaces .venv/bin/python benchmarks/spaces_availability.py

The PostgreSQL database must be new and empty (createdb anju_bench_spaces); the script fills it.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BOOKINGS = 10_000
REPEAT = 30

os.environ.setdefault("ANJU_VAR_DIR", tempfile.mkdtemp(prefix="anju-bench-spaces-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from anju.access.roles import Role  # noqa: E402
from anju.spaces import services  # noqa: E402
from anju.spaces.models import Booking, Occupancy, Space  # noqa: E402
from anju.spaces.selectors import availability  # noqa: E402
from anju.testing import build_tree, make_user  # noqa: E402
from anju.testing.spaces import make_station  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")

RAW = {
    "occupancy": """
        SELECT o.space_id, o.booking_id, o.starts_at, o.ends_at, b.title, b.booker_id
        FROM spaces_occupancy o JOIN spaces_booking b ON b.id = o.booking_id
        WHERE o.active AND o.space_id IN ({ids}) AND o.starts_at < %s AND o.ends_at > %s
        ORDER BY o.starts_at""",
    "pending": """
        SELECT id, space_id, starts_at, ends_at, title, booker_id FROM spaces_booking
        WHERE status = 'pending' AND space_id IN ({ids}) AND starts_at < %s AND ends_at > %s""",
    "closures": """
        SELECT space_id, starts_at, ends_at, reason, station_id FROM spaces_closedperiod
        WHERE station_id = %s AND starts_at < %s AND ends_at > %s""",
}


def fill() -> list[Space]:
    tree = build_tree()
    demo = make_station(tree.community)
    booker = make_user(Role.RESIDENT, tree.building)
    spaces = list(Space.objects.filter(station=demo.station).order_by("pk"))
    families = {s.pk: services.family_down(s) for s in spaces}
    rng = random.Random(5)
    first = date(2027, 1, 1)
    taken: dict[int, set[tuple[date, int]]] = {s.pk: set() for s in spaces}
    rows: list[Booking] = []
    while len(rows) < BOOKINGS:  # non-overlapping one-hour bookings over about 200 days
        space = rng.choice(spaces)
        day = first + timedelta(days=rng.randrange(200))
        hour = rng.randrange(8, 21)
        if any((day, hour) in taken[sid] for sid in families[space.pk]) or (
            space.part_of_id and (day, hour) in taken[space.part_of_id]
        ):
            continue
        for sid in families[space.pk]:
            taken[sid].add((day, hour))
        start = datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)
        status = Booking.Status.PENDING if rng.random() < 0.1 else Booking.Status.CONFIRMED
        rows.append(
            Booking(
                community_id=space.community_id,
                space=space,
                booker=booker,
                created_by=booker,
                title="benchmark",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status=status,
            )
        )
    # Bulk inserts for speed: the rows respect the invariant by construction (checked by the constraint on
    # PostgreSQL); the services' per-booking checks are what the tests cover.
    made = Booking.objects.bulk_create(rows, batch_size=1000)
    Occupancy.objects.bulk_create(
        [
            Occupancy(community_id=b.community_id, booking=b, space_id=sid, starts_at=b.starts_at, ends_at=b.ends_at)
            for b in made
            if b.status == Booking.Status.CONFIRMED
            for sid in families[b.space_id]
        ],
        batch_size=2000,
    )
    return spaces


def median_ms(func: object) -> float:
    times = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        func()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    call_command("migrate", verbosity=0)
    if Booking.objects.exists():
        sys.exit("The database already holds bookings: point DATABASE_URL at a new, empty database.")
    print(f"database: {connection.vendor}; filling {BOOKINGS} bookings …")
    spaces = fill()
    start = datetime(2027, 3, 1, tzinfo=ZONE)
    end = datetime(2027, 4, 1, tzinfo=ZONE)
    ids = ",".join(str(s.pk) for s in spaces)
    station_id = spaces[0].station_id

    def orm() -> object:
        return availability(spaces, start, end)

    def raw() -> object:
        with connection.cursor() as cursor:
            cursor.execute(RAW["occupancy"].format(ids=ids), [end, start])
            occupancy = cursor.fetchall()
            cursor.execute(RAW["pending"].format(ids=ids), [end, start])
            pending = cursor.fetchall()
            cursor.execute(RAW["closures"], [station_id, end, start])
            return occupancy, pending, cursor.fetchall()

    result = orm()
    rows = raw()
    busy = sum(len(item.busy) for item in result)  # type: ignore[attr-defined]
    print(f"month 2027-03: {len(rows[0])} occupancy rows, {len(rows[1])} pending, {busy} busy entries", end="")
    print(f" over {len(spaces)} spaces")
    orm_ms, raw_ms = median_ms(orm), median_ms(raw)
    print(f"selector (ORM + grouping): {orm_ms:.2f} ms median of {REPEAT}")
    print(f"raw SQL (same queries):    {raw_ms:.2f} ms median of {REPEAT}")
    print(f"ratio selector / raw:      {orm_ms / raw_ms:.2f}x")


if __name__ == "__main__":
    main()
