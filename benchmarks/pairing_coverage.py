"""Benchmark: the visit-coverage page's aggregate (``pairing.selectors.coverage_of``) for a community of 1,000
and one of 20,000 households (10 visits per served household: 9,000 and 180,000), the query count of each, against
the raw SQL of the same aggregate (PostgreSQL: households contacted within their care level's cadence) in the
same run. Asserts that the number of queries does not grow with the households; prints the times.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju_bench_pairing .venv/bin/python benchmarks/pairing_coverage.py

The database must be new and empty (createdb anju_bench_pairing); the script fills it. Without DATABASE_URL it
runs on SQLite in a temporary directory (no raw-SQL baseline there: SQLite has no month intervals).

The data (printed): two communities of one street, each with 10 grids and 100 buildings; households spread over
the buildings; one living resident each; one central household per 10 households, every household paired;
care levels drawn (seeded) 5 % living alone, 5 % aged 80+, 5 % disability, 5 % 低保, 5 % 重点关注, the rest
ordinary; 10 visits per served household on days drawn in the last 400 days (bulk inserts, not the services),
then ANALYZE (PostgreSQL), as autovacuum would.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANJU_VAR_DIR", tempfile.mkdtemp(prefix="anju-bench-pairing-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django

django.setup()

import datetime as dt  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from anju.orgs.models import OrgUnit, UnitKind  # noqa: E402
from anju.pairing.models import Care, CareLevel, CentralHousehold, Pairing, Visit  # noqa: E402
from anju.pairing.selectors import coverage_of  # noqa: E402
from anju.people.models import Address, Household, Resident  # noqa: E402
from anju.testing import build_tree, unit  # noqa: E402

ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "3"))
VISITS = 10
LEVELS = [CareLevel.ALONE, CareLevel.AGED_80, CareLevel.DISABILITY, CareLevel.DIBAO, CareLevel.FOCUS] + [
    CareLevel.ORDINARY
] * 15

RAW = """
SELECT count(*),
       count(*) FILTER (WHERE lv.last IS NOT NULL AND lv.last + CASE COALESCE(c.level, 'ordinary')
           WHEN 'alone' THEN interval '1 week' WHEN 'aged80' THEN interval '2 weeks'
           WHEN 'disability' THEN interval '2 weeks' WHEN 'dibao' THEN interval '1 month'
           WHEN 'focus' THEN interval '1 month' ELSE interval '3 months' END >= %s)
FROM people_household h
LEFT JOIN pairing_care c ON c.household_id = h.id
LEFT JOIN LATERAL (SELECT max(v.visited_on) AS last FROM pairing_visit v WHERE v.household_id = h.id) lv ON true
WHERE h.community_id = %s AND h.status = 'active'
  AND EXISTS (SELECT 1 FROM people_resident r WHERE r.household_id = h.id AND r.status = 'active')
  AND NOT EXISTS (SELECT 1 FROM pairing_centralhousehold ch WHERE ch.household_id = h.id AND ch.is_active)
"""


def fill(community: OrgUnit, households: int, rng: random.Random) -> None:
    grids = [unit(UnitKind.GRID, f"{community.name}第{g}网格", community) for g in range(10)]
    buildings = [unit(UnitKind.BUILDING, f"{g.name}{b}栋", g) for g in grids for b in range(10)]
    addresses = Address.objects.bulk_create(
        Address(community=community, unit=buildings[i % len(buildings)], door=f"{i // len(buildings) + 1:04d}")
        for i in range(households)
    )
    homes = Household.objects.bulk_create(Household(community=community, address=a, unit=a.unit) for a in addresses)
    people = Resident.objects.bulk_create(
        Resident(community=community, household=h, unit=h.unit, relation="head", name="测试", is_party_member=True)
        for h in homes
    )
    centrals = CentralHousehold.objects.bulk_create(
        CentralHousehold(community=community, household=homes[i], member=people[i], area=community, capacity=12)
        for i in range(0, households, 10)
    )
    central_homes = {c.household_id for c in centrals}
    now = timezone.now()
    served = [h for h in homes if h.pk not in central_homes]
    Pairing.objects.bulk_create(
        Pairing(community=community, household=h, central=centrals[i % len(centrals)], started_at=now)
        for i, h in enumerate(served)
    )
    Care.objects.bulk_create(
        Care(community=community, household=h, level=level, reason="bench", set_at=now)
        for h in served
        if (level := rng.choice(LEVELS)) != CareLevel.ORDINARY
    )
    today = timezone.localdate()
    user = None
    from anju.accounts.models import User

    user = User.objects.create(username=f"bench-{community.pk}", display_name="bench")
    batch: list[Visit] = []
    for h in served:
        for n in range(VISITS):
            batch.append(
                Visit(
                    community=community,
                    household=h,
                    visited_on=today - dt.timedelta(days=rng.randint(0, 400)),
                    method="door",
                    condition="good",
                    recorded_by=user,
                    client_key=f"b{h.pk}-{n}",
                )
            )
        if len(batch) >= 20_000:
            Visit.objects.bulk_create(batch)
            batch = []
    Visit.objects.bulk_create(batch)


def median_of(func: object) -> float:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    call_command("migrate", verbosity=0)
    rng = random.Random(14)
    tree = build_tree("bench")
    small = unit(UnitKind.COMMUNITY, "小社区", tree.street)
    large = unit(UnitKind.COMMUNITY, "大社区", tree.street)
    t0 = time.perf_counter()
    fill(small, 1_000, rng)
    fill(large, 20_000, rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load: the planner's statistics
    print(f"database: {connection.vendor}; filled in {time.perf_counter() - t0:.0f} s")
    for c in (small, large):
        print(
            f"  {c.name}: {Household.objects.filter(community=c).count()} households, "
            f"{CentralHousehold.objects.filter(community=c).count()} central households, "
            f"{Visit.objects.filter(community=c).count()} visits, "
            f"{Care.objects.filter(community=c).count()} with a care level other than ordinary"
        )
    today = timezone.localdate()
    counts = {}
    for c in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            cov = coverage_of(c, today=today)
        counts[c.name] = len(ctx.captured_queries)
        took = median_of(lambda c=c: coverage_of(c, today=today))
        line = (
            f"{c.name}: coverage_of {took * 1000:.0f} ms, {counts[c.name]} queries; "
            f"{cov.total.within}/{cov.total.households} within cadence ({cov.total.percent} %)"
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:

                def raw(c: OrgUnit = c) -> tuple[int, int]:
                    cursor.execute(RAW, [today, c.pk])
                    row = cursor.fetchone()
                    return int(row[0]), int(row[1])

                total, within = raw()
                assert (total, within) == (cov.total.households, cov.total.within), (total, within)
                base = median_of(raw)
            line += f"; raw SQL of the same aggregate {base * 1000:.0f} ms ({took / base:.1f}x)"
        print(line)
    assert counts["小社区"] == counts["大社区"], counts


if __name__ == "__main__":
    main()
