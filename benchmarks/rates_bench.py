"""The three-rate page with no period (all time), as a district supervisor, on the benchmark city.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju_city .venv/bin/python benchmarks/rates_bench.py [N]

Runs on the database in DATABASE_URL: when it holds no appeals, it is migrated and a city of N appeals (default
1,000,000) is generated into it first (``anju generate_city``); otherwise the city there is used as it is (so a
city generated once serves several runs). ``ANJU_BENCH_ROUNDS`` (30) sets the rounds.

It prints what the data is (appeals, the rows of each roll-up tier, those the supervisor's district holds), then,
as medians and 95th percentiles of interleaved rounds in the same run:

- the page through Django's test client, in process (``/appeals/rates/``, by department and by grid, charts
  included; the whole middleware stack, no socket) against the raw SQL that
  answers the same question from the monthly tier, in the same two statements the page sends (the group's sums
  by key, then the month-by-month totals of the district's communities) — the ratio the issue bounds (1.5×);
- the same question summed from the daily tier in raw SQL (what the page read before the monthly tier), for scale;
- the selector alone (``selectors.rates_report``: the aggregate and the labels, no HTTP, no template);
- a bare Django view through the same client (the floor of any page).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types
from collections.abc import Callable
from typing import Any

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "30"))
os.environ.setdefault("ANJU_VAR_DIR", "/tmp/anju-bench-rates")  # noqa: S108  a throwaway benchmark directory
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


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
    import django
    from django.http import HttpResponse
    from django.test import Client, override_settings
    from django.urls import include, path

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from anju.access.roles import Role
    from anju.appeals.models import Appeal
    from anju.appeals.rates import selectors
    from anju.orgs.models import OrgUnit, UnitKind
    from anju.testing import make_user

    assert connection.vendor == "postgresql", "run it on PostgreSQL"
    call_command("migrate", verbosity=0)
    if not Appeal.objects.exists():
        from anju.site.city import describe, generate_city

        print(describe(generate_city(appeals=N, seed=13)))
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with connection.cursor() as cur:
        # The district with the most appeals.
        cur.execute(
            "SELECT d.id FROM orgs_orgunit d "
            "JOIN orgs_orgunit c ON c.path LIKE d.path || '%%' AND c.kind = 'community' "
            "JOIN appeals_monthlyrollup m ON m.community_id = c.id AND m.dimension = 'total' "
            "WHERE d.kind = 'district' GROUP BY d.id ORDER BY sum(m.received) DESC LIMIT 1"
        )
        district = OrgUnit.objects.get(pk=cur.fetchone()[0])  # type: ignore[index]
    communities = list(
        OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, path__startswith=district.path).values_list("pk", flat=True)
    )
    from anju.accounts.models import User

    name = f"bench-rates-{district.pk}"  # found again when the city serves another run
    supervisor = User.objects.filter(username=name).first() or make_user(Role.SUPERVISOR, district, username=name)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), min(received_at), max(received_at) FROM appeals_appeal")
        appeals, first, last = cur.fetchone()  # type: ignore[misc]
        cur.execute(
            "SELECT count(*) FILTER (WHERE status NOT IN ('closed_resolved', 'closed_unresolved', 'duplicate', "
            "'rejected')) FROM appeals_appeal"
        )
        open_n = cur.fetchone()[0]  # type: ignore[index]
        counts = {}
        for table in ("appeals_dailyrollup", "appeals_monthlyrollup"):
            cur.execute(f"SELECT count(*), count(*) FILTER (WHERE community_id = ANY(%s)) FROM {table}", [communities])  # noqa: S608
            counts[table] = cur.fetchone()
    print(
        f"data: {appeals:,} appeals received {first:%Y-%m-%d} to {last:%Y-%m-%d} ({open_n:,} open) in "
        f"{OrgUnit.objects.filter(kind=UnitKind.COMMUNITY).count()} communities; daily roll-up "
        f"{counts['appeals_dailyrollup'][0]:,} rows, monthly {counts['appeals_monthlyrollup'][0]:,}; the supervisor's "
        f"district ({len(communities)} communities) holds {counts['appeals_dailyrollup'][1]:,} daily and "
        f"{counts['appeals_monthlyrollup'][1]:,} monthly rows"
    )

    sums = (
        "sum(received), sum(dispatched), sum(responded), sum(dispatches), sum(misrouted), sum(completed), "
        "sum(resolved), sum(ratings), sum(satisfied), sum(reopened), sum(complex_marked), sum(whistles), "
        "sum(summoned), sum(arrived_on_time), sum(arrived_scanned), sum(arrived_confirmed), "
        "sum(arrived_self_declared), sum(awaiting_callback)"
    )

    # The communities as the page sends them: a list of literals (``= ANY(array)`` was planned worse: 73 ms against
    # the page's own 59 ms for the same sums).
    in_list = ", ".join(["%s"] * len(communities))

    def raw_monthly(dimension: str) -> Callable[[], None]:
        def run() -> None:
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT key, {sums} FROM appeals_monthlyrollup "  # noqa: S608
                    f"WHERE community_id IN ({in_list}) AND dimension = %s GROUP BY key",
                    [*communities, dimension],
                )
                cur.fetchall()
                cur.execute(
                    f"SELECT month, {sums} FROM appeals_monthlyrollup "  # noqa: S608
                    f"WHERE community_id IN ({in_list}) AND dimension = 'total' GROUP BY month",
                    communities,
                )
                cur.fetchall()

        return run

    def raw_daily(column: str) -> Callable[[], None]:
        def run() -> None:
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT {column}, date_trunc('month', day), {sums} FROM appeals_dailyrollup "  # noqa: S608
                    f"WHERE community_id IN ({in_list}) GROUP BY 1, 2",
                    communities,
                )
                cur.fetchall()

        return run

    urls = types.ModuleType("bench_rates_urls")

    def bare(request: object) -> HttpResponse:
        return HttpResponse("ok")

    bare.anju_permission = "public"  # type: ignore[attr-defined]
    urls.urlpatterns = [path("bare/", bare), path("", include("anju.urls"))]  # type: ignore[attr-defined]
    sys.modules["bench_rates_urls"] = urls
    client = Client()
    client.force_login(supervisor)

    def page(group: str) -> Callable[[], None]:
        def run() -> None:
            assert client.get(f"/appeals/rates/?group={group}").status_code == 200

        return run

    with override_settings(ROOT_URLCONF="bench_rates_urls"):
        times = interleaved(
            ROUNDS,
            {
                "page by department": page("department"),
                "selector by department (rates_report)": lambda: selectors.rates_report(supervisor, group="department"),
                "raw SQL, monthly tier, by department": raw_monthly("department"),
                "page by grid": page("grid"),
                "raw SQL, monthly tier, by grid": raw_monthly("grid"),
                "raw SQL, daily tier, by department": raw_daily("department_key"),
                "bare Django view": lambda: client.get("/bare/"),
            },
        )
    for label, values in times.items():
        print(f"{label}: median {statistics.median(values) * 1000:.1f} ms, p95 {p95(values) * 1000:.1f} ms")
    for group in ("department", "grid"):
        ours, raw = times[f"page by {group}"], times[f"raw SQL, monthly tier, by {group}"]
        print(
            f"three-rate page by {group}, no period, district supervisor: p95 {p95(ours) * 1000:.1f} ms, "
            f"{p95(ours) / p95(raw):.2f}x its raw SQL (p95 {p95(raw) * 1000:.1f} ms; medians "
            f"{statistics.median(ours) / statistics.median(raw):.2f}x); {ROUNDS} interleaved rounds"
        )
    ours, raw = times["selector by department (rates_report)"], times["raw SQL, monthly tier, by department"]
    print(
        f"the selector alone (rates_report by department, labels included): p95 {p95(ours) * 1000:.1f} ms, "
        f"{p95(ours) / p95(raw):.2f}x the raw SQL"
    )
    daily = times["raw SQL, daily tier, by department"]
    print(
        f"the same question from the daily tier in raw SQL: p95 {p95(daily) * 1000:.1f} ms "
        f"({p95(daily) / p95(times['raw SQL, monthly tier, by department']):.1f}x the monthly tier's)"
    )


if __name__ == "__main__":
    main()
