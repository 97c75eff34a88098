"""Benchmark: the duty hours ledger's totals on N entries (default 1,000,000) against raw SQL in the same run, on
SQLite and on PostgreSQL.

Data (seeded, the same on both databases): two communities, the coordinator's in reach with 1,000 volunteers
and one outside it with 250 (a fifth of the rows, so the reach filter has something to leave out); each
volunteer's share follows a long tail (a few very active people, many occasional ones); entries spread over
three years with fewer at weekends and in the Spring Festival fortnight; sources as a station sees them — duty
shifts (62 %, six template names as categories), activity helpers (25 %, forty activity titles), labour
contributions (12 %, five kinds) and reversals (1 %, each reversing one earlier entry with a reason); hours
0.5 to 8 by source. Rows go in by COPY on PostgreSQL and by one executemany transaction on SQLite.

Timed, each against the raw SQL that answers the same question on the same rows (the same reach filter):
* totals per volunteer — ``selectors.hours_by_volunteer(selectors.ledger(coordinator))`` (the ledger page and
  the month's Excel) vs ``SELECT volunteer_id, SUM(hours) … GROUP BY volunteer_id``;
* totals by source and category for one volunteer over a year — the certificate's figures
  (``HoursEntry … values("source").annotate(Sum)``) vs the raw ``GROUP BY source``;
* the community's total — ``selectors.hours_total`` vs ``SELECT SUM(hours)``.
Medians of interleaved rounds; both sides must agree (asserted). No timing is asserted.

    .venv/bin/python benchmarks/duty_ledger.py [ENTRIES]
        SQLite (a temporary file), then PostgreSQL when DATABASE_URL names a server: the script creates a
        database of its own there (anju_bench_ledger_<pid>) and drops it at the end.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROUNDS = 5
COMMUNITY_VOLUNTEERS = (1000, 250)
SOURCES = [("duty", 62), ("activity", 25), ("labour", 12), ("reversal", 1)]
CATEGORIES = {
    "duty": ["共享客厅 上午", "共享客厅 下午", "儿童学习区 下午", "阅览室 上午", "便民休闲区 晚上", "周末 全天"],
    "activity": [f"活动{n:02d}" for n in range(40)],
    "labour": ["清扫楼道", "共享菜园", "修缮议事亭", "垃圾分类值守", "扫雪"],
}
HOURS = {"duty": (1.0, 8.0), "activity": (0.5, 4.0), "labour": (1.0, 8.0)}
COLUMNS = ("community_id", "volunteer_id", "source", "category", "day", "hours", "note", "reverses_id", "created_at")


def child(entries: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count, Sum
    from django.utils import timezone

    from anju.access.roles import Role
    from anju.accounts.models import User
    from anju.duty import selectors
    from anju.duty.models import HoursEntry, PointsAccount, Volunteer
    from anju.testing import build_tree, make_user

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    trees = [build_tree(), build_tree("别处")]
    coordinator = make_user(Role.COMMUNITY_WORKER, trees[0].community)
    rng = random.Random(15)
    volunteers: list[tuple[int, int, float]] = []  # (community, volunteer, weight)
    with transaction.atomic():
        for tree, count in zip(trees, COMMUNITY_VOLUNTEERS, strict=True):
            users = User.objects.bulk_create(
                [
                    User(username=f"v{tree.community.pk}-{n}", display_name=f"志愿者{n}", password=make_password(None))
                    for n in range(count)
                ]
            )
            made = Volunteer.objects.bulk_create(
                [
                    Volunteer(
                        community_id=tree.community.pk,
                        user=u,
                        name=f"志愿者{n:04d}",
                        code=f"B{tree.community.pk}X{n:05d}",
                    )
                    for n, u in enumerate(users)
                ]
            )
            PointsAccount.objects.bulk_create(
                [PointsAccount(community_id=tree.community.pk, volunteer=v) for v in made]
            )
            volunteers += [(tree.community.pk, v.pk, rng.paretovariate(1.3)) for v in made]
    weights = [w for _c, _v, w in volunteers]
    first = timezone.localdate() - timedelta(days=3 * 365)
    days = []
    for d in range(3 * 365):
        day = first + timedelta(days=d)
        weight = 0.6 if day.weekday() >= 5 else 1.0
        if day.month == 2 and day.day <= 14:
            weight *= 0.2  # the Spring Festival fortnight, roughly
        days.append((day, weight))
    day_weights = [w for _d, w in days]
    picks = rng.choices(volunteers, weights=weights, k=entries)
    when = rng.choices([d for d, _w in days], weights=day_weights, k=entries)
    kinds = rng.choices([s for s, _n in SOURCES], weights=[n for _s, n in SOURCES], k=entries)
    now = timezone.now()
    ids_start = 1
    rows: list[tuple[Any, ...]] = []
    originals: list[int] = []  # row numbers (ids) that may be reversed, each at most once
    for i in range(entries):
        community, volunteer, _w = picks[i]
        kind = kinds[i]
        row_id = ids_start + i
        if kind == "reversal" and originals:
            target = originals.pop(rng.randrange(len(originals)))
            t = rows[target - ids_start]
            rows.append((t[0], t[1], "reversal", t[3], t[4], -t[5], "录入有误", target, now))
            continue
        if kind == "reversal":
            kind = "labour"
        low, high = HOURS[kind]
        hours = Decimal(rng.randint(int(low * 2), int(high * 2))) / 2
        rows.append((community, volunteer, kind, rng.choice(CATEGORIES[kind]), when[i], hours, "", None, now))
        originals.append(row_id)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY duty_hoursentry ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            cursor.executemany(
                f"INSERT INTO duty_hoursentry ({', '.join(COLUMNS)}) VALUES ({marks})",  # noqa: S608  fixed names
                [(*r[:5], str(r[5]), *r[6:]) for r in rows],
            )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE duty_hoursentry")
            cursor.execute("SHOW server_version")
            version = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT sqlite_version()")
            version = f"SQLite {cursor.fetchone()[0]}"
    generated = time.perf_counter() - began
    in_reach = trees[0].community.pk
    busiest = max((v for v in volunteers if v[0] == in_reach), key=lambda v: v[2])[1]
    year_ago = timezone.localdate() - timedelta(days=365)

    def orm_by_volunteer() -> Any:
        return {r["volunteer_id"]: r["total"] for r in selectors.hours_by_volunteer(selectors.ledger(coordinator))}

    def raw_by_volunteer() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT volunteer_id, SUM(hours) FROM duty_hoursentry WHERE community_id = %s GROUP BY volunteer_id",
                [in_reach],
            )
            return dict(cursor.fetchall())

    def orm_certificate() -> Any:
        qs = HoursEntry.objects.filter(volunteer_id=busiest, day__gte=year_ago)
        return {r["source"]: r["total"] for r in qs.values("source").annotate(total=Sum("hours")).order_by("source")}

    def raw_certificate() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT source, SUM(hours) FROM duty_hoursentry WHERE volunteer_id = %s AND day >= %s GROUP BY source",
                [busiest, year_ago],
            )
            return dict(cursor.fetchall())

    def orm_total() -> Any:
        return selectors.hours_total(selectors.ledger(coordinator))

    def raw_total() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT SUM(hours) FROM duty_hoursentry WHERE community_id = %s", [in_reach])
            return cursor.fetchone()[0]

    pairs: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("totals per volunteer", orm_by_volunteer, raw_by_volunteer),
        ("certificate (1 person, 1 year)", orm_certificate, raw_certificate),
        ("community total", orm_total, raw_total),
    ]
    for label, orm, raw in pairs:
        a, b = orm(), raw()
        if isinstance(a, dict):
            a = {k: round(float(v), 1) for k, v in a.items()}
            b = {k: round(float(v), 1) for k, v in b.items()}
        else:
            a, b = round(float(a), 1), round(float(b), 1)
        assert a == b, label
    figures: dict[str, list[float]] = {}
    for _ in range(ROUNDS):  # interleaved: each round runs every query once, subject then raw
        for label, orm, raw in pairs:
            for side, fn in (("orm", orm), ("raw", raw)):
                t0 = time.perf_counter()
                fn()
                figures.setdefault(f"{label}/{side}", []).append((time.perf_counter() - t0) * 1000)
    counts = dict(HoursEntry.objects.values_list("source").annotate(n=Count("pk")).order_by())
    total_rows = HoursEntry.objects.count()
    reach_rows = HoursEntry.objects.filter(community_id=in_reach).count()
    print(
        f"{version}: {total_rows:,} ledger entries ({reach_rows:,} in the coordinator's community), "
        f"{len(volunteers):,} volunteers in 2 communities, {first:%Y-%m-%d}…{timezone.localdate():%Y-%m-%d}, "
        f"sources {counts}; generated in {generated:.0f} s; {ROUNDS} interleaved rounds (median)"
    )
    for label, _orm, _raw in pairs:
        orm_ms = statistics.median(figures[f"{label}/orm"])
        raw_ms = statistics.median(figures[f"{label}/raw"])
        print(f"  {label:<31} {orm_ms:9.1f} ms   raw SQL {raw_ms:9.1f} ms   ratio {orm_ms / raw_ms:.2f}")


def main() -> None:
    entries = sys.argv[1] if len(sys.argv) > 1 else "1000000"
    script = str(Path(__file__).resolve())
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    base["ANJU_VAR_DIR"] = tempfile.mkdtemp(prefix="anju-bench-ledger-")  # a fresh SQLite file, never var/
    print(f"duty ledger benchmark, {int(entries):,} entries", flush=True)
    subprocess.run([sys.executable, script, "--child", entries], env=base, check=True)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("PostgreSQL: not run (set DATABASE_URL to a server)")
        return
    import psycopg

    server, _sep, _name = url.rpartition("/")
    name = f"anju_bench_ledger_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {
            **base,
            "DATABASE_URL": f"{server}/{name}",
            "ANJU_VAR_DIR": tempfile.mkdtemp(prefix="anju-bench-ledger-"),
        }
        subprocess.run([sys.executable, script, "--child", entries], env=env, check=True)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"PostgreSQL database {name} dropped")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
    else:
        main()
