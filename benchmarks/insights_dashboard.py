"""The station at a glance (issue 20): the dashboard and the communities side by side, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/insights_dashboard.py [N]

It creates (and drops) its own database ``anju_bench_insights`` (or ``$ANJU_BENCH_DB``) next to the one in
DATABASE_URL, migrates it and generates a city into it with ``anju generate_city``'s generator (COPY, seeded):
50 communities of uneven size under one district, N appeals (default 250,000) received over three years
(``ANJU_BENCH_YEARS``) up to now with their whole history and roll-up (closed, open, overdue, rejected,
duplicates across 17 categories), and in 30 of the communities a station with two rooms, N/2 bookings (checked
in or released as no-shows) and activities over the same years with 2N registrations (four in five of a past
session's checked in). ``ANJU_BENCH_KEEP=1`` keeps the database; ``ANJU_BENCH_ROUNDS`` (9) sets the rounds.

Then, over the Django test client, as the medians of interleaved rounds in the same run:

- the station dashboard ``/insights/`` (this year so far, against the year before and the same days a year
  earlier, every section, charts) signed in as the branch secretary of the busiest community with a station;
- the same dashboard as the district's supervisor (all 50 communities) and the communities side by side
  ``/insights/communities/`` (ranked, with sparklines);

each against the raw SQL of the same figures: the aggregate statements the page sends, captured once and sent
again through a bare cursor (the database's share: no ORM, no Python, no template), and, for the appeals
received, a hand-written sum of the daily roll-up checked against the page's figure. It prints what the data is,
each time, the ratios and each page's query count (run it at two sizes to see the count stay the same as the
data grows). Asserts nothing about time.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

N = int(sys.argv[1]) if len(sys.argv) > 1 else 250_000
ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "9"))
YEARS = float(os.environ.get("ANJU_BENCH_YEARS", "3"))
KEEP = os.environ.get("ANJU_BENCH_KEEP") == "1"
BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("ANJU_BENCH_DB", "anju_bench_insights")
os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
os.environ.setdefault("ANJU_VAR_DIR", "/tmp/anju-bench-insights")  # noqa: S108  a throwaway benchmark directory
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def interleaved(rounds: int, runs: dict[str, Callable[[], Any]]) -> dict[str, list[float]]:
    """Seconds of each run, taken in turn ``rounds`` times (one warm-up each first)."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    for fn in runs.values():
        fn()
    for _ in range(rounds):
        for label, fn in runs.items():
            t = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - t)
    return times


def main() -> None:
    admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{BENCH_DB}"')
    try:
        run()
    finally:
        from django.db import connections

        connections.close_all()
        if not KEEP:
            admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def run() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from anju.access.roles import Role
    from anju.insights import periods, selectors
    from anju.orgs.models import OrgUnit, UnitKind
    from anju.site.city import describe, generate_city
    from anju.spaces.models import Station
    from anju.testing import make_user

    assert connection.vendor == "postgresql", "run it on PostgreSQL"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - t:.0f} s; generating {N:,} appeals …", flush=True)
    city = generate_city(appeals=N, communities=50, years=YEARS, seed=20, bookings=N // 2, registrations=2 * N)
    print(describe(city))
    print(f"generated in {city.seconds:.0f} s")

    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.community_id FROM appeals_appeal a JOIN spaces_station s ON s.community_id = a.community_id "
            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        busiest = OrgUnit.objects.get(pk=cur.fetchone()[0])  # type: ignore[index]
        cur.execute("SELECT count(*) FROM spaces_booking")
        bookings = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT count(*), count(DISTINCT session_id) FROM activities_registration")
        registrations, sessions = cur.fetchone()  # type: ignore[misc]
    district = OrgUnit.objects.filter(kind=UnitKind.DISTRICT).order_by("pk").first()
    assert district is not None
    communities = OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, path__startswith=district.path).count()
    print(
        f"bookings {bookings:,}, registrations {registrations:,} in {sessions:,} sessions, stations "
        f"{Station.objects.count()}; the secretary's community {busiest.name} (the busiest with a station), the "
        f"supervisor's district {district.name} ({communities} communities)"
    )

    secretary = make_user(Role.BRANCH_SECRETARY, busiest)
    supervisor = make_user(Role.SUPERVISOR, district)
    clients = {}
    for name, user in (("secretary", secretary), ("supervisor", supervisor)):
        client = Client()
        client.force_login(user)
        clients[name] = client

    pages = {
        "dashboard, secretary (1 community)": ("secretary", "/insights/"),
        "dashboard, supervisor (50 communities)": ("supervisor", "/insights/"),
        "side by side, supervisor (50 communities)": ("supervisor", "/insights/communities/"),
    }

    def page(who: str, url: str) -> Callable[[], None]:
        def go() -> None:
            response = clients[who].get(url)
            assert response.status_code == 200, (url, response.status_code)

        return go

    # Each page's statements, captured once (after a warm-up: caches filled as in the timed rounds).
    statements: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for label, (who, url) in pages.items():
        page(who, url)()
        with CaptureQueriesContext(connection) as captured:
            page(who, url)()
        counts[label] = len(captured.captured_queries)
        statements[label] = [
            q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
        ]

    def replay(sqls: list[str]) -> Callable[[], None]:
        def go() -> None:
            with connection.cursor() as cur:
                for sql in sqls:
                    cur.execute(sql)
                    cur.fetchall()

        return go

    # The appeals received, by hand on the daily roll-up, for the three periods the dashboard compares.
    period = periods.default()
    compared = [period, period.previous(), period.last_year()]
    filters = ", ".join(
        f"sum(received) FILTER (WHERE day BETWEEN '{p.start.isoformat()}' AND '{p.end.isoformat()}')" for p in compared
    )

    def received_raw(ids: list[int]) -> Callable[[], list[int]]:
        def go() -> list[int]:
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT {filters} FROM appeals_dailyrollup WHERE community_id = ANY(%s) "  # noqa: S608
                    f"AND day BETWEEN %s AND %s",
                    [ids, min(p.start for p in compared), max(p.end for p in compared)],
                )
                return [int(v or 0) for v in cur.fetchone()]  # type: ignore[union-attr]

        return go

    all_ids = [c.pk for c in selectors.communities(supervisor)]
    for who, ids, user in (("secretary", [busiest.pk], secretary), ("supervisor", all_ids, supervisor)):
        dash = selectors.dashboard(user, ids, period, breakdowns=False, only="appeals")
        row = dash.sections[0].get("received")
        assert row is not None
        ours = [row.now, row.previous, row.last_year]
        raw = received_raw(ids)()
        assert ours == raw, (who, ours, raw)
        print(
            f"appeals received ({who}): {ours[0]:,} this year so far, {ours[1]:,} the year before, "
            f"{ours[2]:,} a year earlier; the raw sum of the daily roll-up agrees"
        )

    runs: dict[str, Callable[[], Any]] = {}
    for label, (who, url) in pages.items():
        runs[label] = page(who, url)
        runs[f"{label}: its statements, raw"] = replay(statements[label])
    runs["appeals received by hand, raw (50 communities)"] = received_raw(all_ids)
    started = timezone.now()
    times = interleaved(ROUNDS, runs)
    print(f"{ROUNDS} interleaved rounds from {started:%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}:")
    for label in pages:
        ours = statistics.median(times[label])
        raw = statistics.median(times[f"{label}: its statements, raw"])
        print(
            f"  {label}: {ours * 1000:.0f} ms, {counts[label]} queries ({len(statements[label])} SELECTs); "
            f"the same SELECTs raw {raw * 1000:.0f} ms; ratio {ours / raw:.2f}"
        )
    hand = statistics.median(times["appeals received by hand, raw (50 communities)"])
    print(f"  appeals received by hand on the daily roll-up, 50 communities, three periods: {hand * 1000:.1f} ms")


if __name__ == "__main__":
    main()
