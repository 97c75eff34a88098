"""Benchmark: a quarter's duty roster for 300 volunteers and 6 shift templates, and the hours ledger's totals
for N entries (default 1,000,000), each against raw SQL in the same run.

* Roster: ``duty.services.roster_generate`` for the three months of a quarter (shifts by the working-day
  calendar, the fair planner, the rows written, the audit row), against the floor of the same work: raw SQL
  inserting the same shift and assignment rows (no planning). Also prints the planner alone.
* Ledger: the totals per volunteer the ledger page and the Excel report read (``selectors.hours_by_volunteer``
  over ``selectors.ledger`` for a coordinator) and the community's total (``selectors.hours_total``), against
  the raw ``SELECT volunteer_id, SUM(hours) … GROUP BY`` and ``SELECT SUM(hours)`` on the same rows.

Prints what it ran on and medians of interleaved rounds; asserts only that both sides agree.

    .venv/bin/python benchmarks/duty_bench.py [ENTRIES]            # SQLite in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju_bench_duty .venv/bin/python benchmarks/duty_bench.py

The PostgreSQL database must be new and empty (createdb anju_bench_duty); the script fills it.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import time as clock
from datetime import timedelta
from pathlib import Path
from typing import Any

VOLUNTEERS = 300
ROUNDS = 3

os.environ.setdefault("ANJU_VAR_DIR", tempfile.mkdtemp(prefix="anju-bench-duty-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from anju.access.roles import Role  # noqa: E402
from anju.duty import planning, selectors, services  # noqa: E402
from anju.duty.models import Assignment, HoursEntry, Roster, Shift, ShiftTemplate, Volunteer  # noqa: E402
from anju.testing import build_tree, make_user  # noqa: E402
from anju.testing.spaces import make_station  # noqa: E402

TEMPLATES = [
    ("共享客厅 上午", clock(9), clock(12), 2, ShiftTemplate.Days.EVERY_DAY),
    ("共享客厅 下午", clock(14), clock(17, 30), 2, ShiftTemplate.Days.WORKDAYS),
    ("儿童学习区 下午", clock(15), clock(18), 2, ShiftTemplate.Days.WORKDAYS),
    ("阅览室 上午", clock(9), clock(11, 30), 1, ShiftTemplate.Days.EVERY_DAY),
    ("便民休闲区 晚上", clock(18, 30), clock(20, 30), 1, ShiftTemplate.Days.EVERY_DAY),
    ("周末 全天", clock(9), clock(17), 3, ShiftTemplate.Days.REST_DAYS),
]

SQL_DELETE_ASSIGNMENTS = """
    DELETE FROM duty_assignment WHERE shift_id IN (
        SELECT id FROM duty_shift WHERE roster_id IN (SELECT id FROM duty_roster WHERE station_id = %s))"""
SQL_DELETE_SHIFTS = "DELETE FROM duty_shift WHERE roster_id IN (SELECT id FROM duty_roster WHERE station_id = %s)"
SQL_INSERT_SHIFT = """
    INSERT INTO duty_shift (community_id, roster_id, template_id, day, starts_at, ends_at, seats, confirm_by)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""
SQL_SHIFT_IDS = """
    SELECT id, template_id, day FROM duty_shift WHERE roster_id IN (SELECT id FROM duty_roster WHERE station_id = %s)"""
SQL_INSERT_ASSIGNMENT = """
    INSERT INTO duty_assignment (community_id, shift_id, seat, volunteer_id, status, source, late, no_show, created_at)
    VALUES (%s, %s, %s, %s, 'assigned', 'generated', false, false, %s)"""
SQL_INSERT_ENTRY = """
    INSERT INTO duty_hoursentry (community_id, volunteer_id, source, category, day, hours, note, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""
SQL_BY_VOLUNTEER = "SELECT volunteer_id, SUM(hours) FROM duty_hoursentry WHERE community_id = %s GROUP BY volunteer_id"
SQL_TOTAL = "SELECT SUM(hours) FROM duty_hoursentry WHERE community_id = %s"


def median_ms(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def setup() -> tuple[Any, Any, Any]:
    tree = build_tree()
    station = make_station(tree.community).station
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    rng = random.Random(15)
    users = [make_user() for _ in range(VOLUNTEERS)]
    for n, user in enumerate(users):
        days = sorted(rng.sample(range(7), rng.randint(3, 7)))
        services.volunteer_enrol(
            actor=worker,
            community=tree.community,
            user=user,
            weekdays=days,
            monthly_max=rng.choice([4, 6, 8]),
            kind=Volunteer.Kind.PARTY_MEMBER if n % 2 else Volunteer.Kind.RESIDENT,
        )
    for name, starts, ends, seats, days in TEMPLATES:
        services.template_create(
            actor=worker, station=station, name=name, starts=starts, ends=ends, seats=seats, days=days
        )
    return tree, station, worker


def quarter_months() -> list[Any]:
    today = timezone.localdate()
    first = services.quarter_start(today)
    first = services.next_month(services.next_month(services.next_month(first)))  # the next quarter
    return [first, services.next_month(first), services.next_month(services.next_month(first))]


def roster_rounds(station: Any, worker: Any) -> None:
    months = quarter_months()

    def generate() -> None:
        Roster.objects.filter(station=station).update(status=Roster.Status.DRAFT)
        for month in months:
            services.roster_generate(actor=worker, station=station, month=month, seed=1)

    generated = median_ms(generate)
    shifts = list(
        Shift.objects.filter(roster__station=station).values_list(
            "community_id", "roster_id", "template_id", "day", "starts_at", "ends_at", "seats", "confirm_by"
        )
    )
    rows = list(
        Assignment.objects.filter(shift__roster__station=station).values_list(
            "community_id", "shift__day", "shift__template_id", "seat", "volunteer_id"
        )
    )
    seats_total = sum(s[6] for s in shifts)
    counts: dict[int, int] = {}
    for r in rows:
        counts[r[4]] = counts.get(r[4], 0) + 1

    def raw() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(SQL_DELETE_ASSIGNMENTS, [station.pk])
            cursor.execute(SQL_DELETE_SHIFTS, [station.pk])
            cursor.executemany(
                SQL_INSERT_SHIFT,
                shifts,
            )
            cursor.execute(SQL_SHIFT_IDS, [station.pk])
            ids = {(t, d): i for i, t, d in cursor.fetchall()}
            now = timezone.now()
            cursor.executemany(
                SQL_INSERT_ASSIGNMENT,
                [(c, ids[(t, d)], seat, v, now) for c, d, t, seat, v in rows],
            )

    baseline = median_ms(raw)
    seats_list = [
        planning.Seat(
            key=(i, n),
            day=s[3],
            starts=timezone.localtime(s[4]).time(),
            ends=timezone.localtime(s[5]).time(),
            template=s[2],
        )
        for i, s in enumerate(shifts)
        for n in range(1, s[6] + 1)
    ]
    volunteers = list(Volunteer.objects.filter(community=station.community))
    persons = [
        planning.Person(id=v.pk, weekdays=frozenset(v.weekdays), monthly_max=v.monthly_max * 3) for v in volunteers
    ]
    plan_ms = median_ms(
        lambda: planning.plan(
            seats_list, [planning.Person(**{**p.__dict__, "busy_days": set(), "template_load": {}}) for p in persons]
        )
    )
    print(
        f"roster: {VOLUNTEERS} volunteers (3–7 weekdays each, 4/6/8 a month), {len(TEMPLATES)} templates, "
        f"{len(months)} months from {months[0]:%Y-%m}: {len(shifts)} shifts, {seats_total} seats, {len(rows)} filled, "
        f"{seats_total - len(rows)} holes; shifts per volunteer min {min(counts.values())} max {max(counts.values())}"
    )
    print(f"  generate (3 months)   {generated:9.1f} ms")
    print(f"  raw SQL insert        {baseline:9.1f} ms   ratio {generated / baseline:.2f}")
    print(f"  planner alone         {plan_ms:9.1f} ms")


def ledger_rounds(tree: Any, worker: Any, entries: int) -> None:
    volunteers = list(Volunteer.objects.filter(community=tree.community).values_list("pk", flat=True))
    rng = random.Random(7)
    first = timezone.localdate() - timedelta(days=365)
    now = timezone.now()
    batch = []
    with connection.cursor() as cursor:
        for i in range(entries):
            batch.append(
                (
                    tree.community.pk,
                    rng.choice(volunteers),
                    "labour",
                    "劳动",
                    first + timedelta(days=i % 365),
                    f"{rng.randint(5, 40) / 10:.1f}",
                    "",
                    now,
                )
            )
            if len(batch) == 20_000:
                cursor.executemany(
                    SQL_INSERT_ENTRY,
                    batch,
                )
                batch = []
        if batch:
            cursor.executemany(
                SQL_INSERT_ENTRY,
                batch,
            )
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE duty_hoursentry")
    total_rows = HoursEntry.objects.count()

    def orm_by_volunteer() -> Any:
        return selectors.hours_by_volunteer(selectors.ledger(worker))

    def orm_total() -> Any:
        return selectors.hours_total(selectors.ledger(worker))

    def raw_by_volunteer() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(
                SQL_BY_VOLUNTEER,
                [tree.community.pk],
            )
            return cursor.fetchall()

    def raw_total() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(SQL_TOTAL, [tree.community.pk])
            return cursor.fetchone()[0]

    a = {r["volunteer_id"]: r["total"] for r in orm_by_volunteer()}
    b = dict(raw_by_volunteer())
    assert {k: round(float(v), 1) for k, v in a.items()} == {k: round(float(v), 1) for k, v in b.items()}
    figures = {}
    for _ in range(ROUNDS):  # interleaved
        for name, fn in (
            ("orm_by", orm_by_volunteer),
            ("raw_by", raw_by_volunteer),
            ("orm_total", orm_total),
            ("raw_total", raw_total),
        ):
            began = time.perf_counter()
            fn()
            figures.setdefault(name, []).append((time.perf_counter() - began) * 1000)
    m = {k: statistics.median(v) for k, v in figures.items()}
    print(f"ledger: {total_rows:,} entries, {len(volunteers)} volunteers, one community, {connection.vendor}")
    for label, orm, raw_key in (
        ("totals per volunteer", "orm_by", "raw_by"),
        ("community total", "orm_total", "raw_total"),
    ):
        print(f"  {label:<21} {m[orm]:9.1f} ms   raw SQL {m[raw_key]:9.1f} ms   ratio {m[orm] / m[raw_key]:.2f}")


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    call_command("migrate", verbosity=0)
    tree, station, worker = setup()
    print(f"database: {connection.vendor}; rounds: {ROUNDS} (median)")
    roster_rounds(station, worker)
    ledger_rounds(tree, worker, entries)


if __name__ == "__main__":
    main()
