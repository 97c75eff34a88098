"""Appeals benchmark: intake throughput against a bare Django view in the same run, the
escalation sweep over N open appeals, and the three-rate page over N appeals.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/appeals_bench.py [N]

It creates (and drops) its own database ``anju_bench_appeals`` (or ``$ANJU_BENCH_DB``) next to the one in DATABASE_URL.
Rows are generated with SQL ``generate_series`` (PostgreSQL only); N defaults to 1,000,000.
"""

from __future__ import annotations

import json
import os
import sys
import time
import types

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("ANJU_BENCH_DB", "anju_bench_appeals")
os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
os.environ.setdefault("ANJU_VAR_DIR", "/tmp/anju-bench-appeals")  # noqa: S108  a throwaway benchmark directory
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def main() -> None:
    _recreate_database()
    import django
    from django.http import HttpResponse
    from django.test import Client, override_settings
    from django.urls import include, path

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from anju.access.roles import Role
    from anju.appeals import selectors
    from anju.appeals.models import Category, CategoryRoute
    from anju.appeals.sla import sweep_escalations
    from anju.orgs.models import UnitKind
    from anju.testing import build_tree, make_user, unit

    tree = build_tree()
    CategoryRoute.objects.create(
        category=Category.objects.get(code="street-lamp"), unit=tree.community, department=tree.department
    )
    resident = make_user(Role.RESIDENT, tree.building)
    supervisor = make_user(Role.SUPERVISOR, tree.district)

    # --- 1. intake requests per second vs a bare view, same process, same database -----------------
    urls = types.ModuleType("bench_urls")

    def bare(request: object) -> HttpResponse:
        return HttpResponse("ok")

    bare.anju_permission = "public"  # type: ignore[attr-defined]
    urls.urlpatterns = [path("bare/", bare), path("", include("anju.urls"))]  # type: ignore[attr-defined]
    sys.modules["bench_urls"] = urls
    body = json.dumps({"category": "street-lamp", "description": "路灯不亮", "location_id": tree.building.pk})
    with override_settings(ROOT_URLCONF="bench_urls"):
        client = Client()
        client.force_login(resident)
        for _ in range(20):  # warm up
            client.get("/bare/")
        n_req = 300
        t = time.perf_counter()
        for _ in range(n_req):
            assert client.get("/bare/").status_code == 200
        bare_rps = n_req / (time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(n_req):
            assert client.post("/api/v1/appeals", body, content_type="application/json").status_code == 201
        intake_rps = n_req / (time.perf_counter() - t)
    print(f"intake: {intake_rps:.0f} req/s; bare Django view: {bare_rps:.0f} req/s; ratio {intake_rps / bare_rps:.2f}")

    # --- data: N appeals over a year in 50 communities, 1 % due for escalation ------------------------
    communities = [tree.community]
    for i in range(49):
        communities.append(unit(UnitKind.COMMUNITY, f"基准社区{i}", tree.street))
    grids = [unit(UnitKind.GRID, "网格", c) for c in communities[1:]] + [tree.grid]
    comm_ids = [c.pk for c in communities]
    grid_ids = [g.pk for g in grids]
    cat_ids = list(Category.objects.values_list("pk", flat=True))
    dept_ids = [tree.department.pk, tree.other_department.pk]
    statuses = ["closed_resolved"] * 6 + ["closed_unresolved", "verified", "handled", "in_progress", "dispatched"]
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO appeals_appeal (
                community_id, category_id, description, location_id, grid_id, address, urgency, is_complex,
                status, channel, contact_name_sealed, contact_mobile_sealed, contact_mobile_index, consent,
                department_id, waiting_reason, reopen_count, received_at, dispatched_at, dispatch_due,
                feedback_due, deadlines_provisional, due_at, escalation_level, escalation_due_at, responded_on_time,
                shared_with_followers)
            SELECT c.ids[1 + g %% 50], cats.ids[1 + g %% array_length(cats.ids, 1)], 'bench', c.ids[1 + g %% 50],
                   gr.ids[1 + g %% 50], '', 'general', false,
                   st.s[1 + (g / 7) %% array_length(st.s, 1)], 'app', '', '', '', true,
                   d.ids[1 + g %% 2], '', 0,
                   now() - (g %% 365) * interval '1 day', now() - (g %% 365) * interval '1 day' + interval '1 hour',
                   now() - (g %% 365) * interval '1 day' + interval '24 hours',
                   now() - (g %% 365) * interval '1 day' + interval '7 days', false,
                   now() + interval '1 day', 0,
                   CASE WHEN g %% 100 = 0 THEN now() - interval '1 minute' ELSE now() + interval '30 days' END,
                   (g %% 5 <> 0), false
            FROM generate_series(1, %s) AS g,
                 (SELECT %s::int[] AS ids) c, (SELECT %s::int[] AS ids) gr, (SELECT %s::int[] AS ids) cats,
                 (SELECT %s::int[] AS ids) d, (SELECT %s::text[] AS s) st
            """,
            [N, comm_ids, grid_ids, cat_ids, dept_ids, statuses],
        )
        # The daily roll-up the services keep, rebuilt here in one statement from all the rows.
        cur.execute("DELETE FROM appeals_dailyrollup")
        cur.execute(
            """
            INSERT INTO appeals_dailyrollup (community_id, day, grid_key, department_key, category_key, received,
                dispatched, responded, completed, resolved, ratings, satisfied, reopened, whistles, summoned,
                arrived_on_time, arrived_scanned, arrived_confirmed, arrived_self_declared, awaiting_callback)
            SELECT community_id, (received_at AT TIME ZONE 'Asia/Shanghai')::date, coalesce(grid_id, 0),
                   coalesce(department_id, 0), category_id, count(*), count(*),
                   count(*) FILTER (WHERE responded_on_time),
                   count(*) FILTER (WHERE status LIKE 'closed%%'),
                   count(*) FILTER (WHERE status = 'closed_resolved'),
                   count(*) FILTER (WHERE status LIKE 'closed%%'),
                   count(*) FILTER (WHERE status = 'closed_resolved'), 0, 0, 0, 0, 0, 0, 0,
                   count(*) FILTER (WHERE status IN ('handled', 'verified'))
            FROM appeals_appeal GROUP BY 1, 2, 3, 4, 5
            """
        )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM appeals_dailyrollup")
        rollup_rows = cur.fetchone()[0]  # type: ignore[index]
    print(f"generated {N} appeals and {rollup_rows} roll-up rows in {time.perf_counter() - t:.1f} s")

    # --- 2. the sweep --------------------------------------------------------------------------------
    t = time.perf_counter()
    fired = sweep_escalations(now=timezone.now(), batch=500)
    sweep_s = time.perf_counter() - t
    t = time.perf_counter()
    idle = sweep_escalations(now=timezone.now())
    idle_s = time.perf_counter() - t
    print(
        f"sweep over {N} open appeals: {fired} levels fired on {N // 100} due appeals in {sweep_s:.1f} s; "
        f"next sweep (nothing due) {idle_s * 1000:.1f} ms, fired {idle}"
    )

    # --- 3. the three-rate page for the district -------------------------------------------------------
    def best_ms(fn: object, repeat: int = 5) -> float:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append((time.perf_counter() - t) * 1000)
        return min(times)

    from django.db.models import Count, Sum

    from anju.access import policy
    from anju.appeals.models import AWAITING_CALLBACK, Appeal, DailyRollup
    from anju.orgs.models import OrgUnit

    def previous_rates(group: str) -> None:
        """The selector as it was before the awaiting-callback balance moved into the roll-up: the roll-up
        sums by key, plus the appeals awaiting callback counted live from the appeal rows, plus the labels."""
        rollup_key, appeal_key = selectors.GROUPS[group]
        sums = {name: Sum(name) for name in DailyRollup.COUNTERS if name != "awaiting_callback"}
        keys = [r[rollup_key] for r in selectors.rollups_visible(supervisor).values(rollup_key).annotate(**sums)]
        communities = policy.visible(OrgUnit.objects.communities(), supervisor, "appeal.rates", "path").values("pk")
        qs = Appeal.objects.filter(community_id__in=communities, status__in=AWAITING_CALLBACK)
        list(qs.values(appeal_key).annotate(n=Count("id")).order_by())
        selectors._labels(group, [k for k in keys if k])

    for group in ("department", "community", "category", "grid"):
        previous_rates(group)  # warm
        before_ms = best_ms(lambda group=group: previous_rates(group))
        selectors.rates_report(supervisor, group=group)  # warm
        report = selectors.rates_report(supervisor, group=group)
        ms = best_ms(lambda group=group: selectors.rates_report(supervisor, group=group))
        dispatched, pending = report.total.counts["dispatched"], report.total.pending_callback
        print(
            f"three rates by {group} over {N} appeals: roll-up only, with the monthly trend {ms:.0f} ms "
            f"vs roll-up + live awaiting-callback count {before_ms:.0f} ms (same run): ratio {ms / before_ms:.2f} "
            f"({len(report.rows)} rows, {dispatched} dispatched, {pending} awaiting callback)"
        )
    client = Client()
    client.force_login(supervisor)
    client.get("/appeals/rates/")
    with override_settings(ROOT_URLCONF="bench_urls"):
        client.get("/bare/")
        bare_ms = best_ms(lambda: client.get("/bare/"))
        page_ms = best_ms(lambda: client.get("/appeals/rates/"))
        assert client.get("/appeals/rates/").status_code == 200
    print(
        f"three-rate page (HTTP, district supervisor, charts included): {page_ms:.0f} ms; "
        f"bare Django view {bare_ms:.1f} ms; ratio {page_ms / bare_ms:.0f}x"
    )
    # --- 4. the community worker's appeal list: a queue, filtered, searched, exported ------------------
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client.force_login(worker)
    lists = {
        "worker queue": "/appeals/?view=worker",
        "all, overdue, one category": f"/appeals/?view=all&deadline=overdue&category={cat_ids[0]}",
        "all, searched by number": "/appeals/?view=all&q=A00000050",
        "all, searched by text": "/appeals/?view=all&q=bench",
        "all, page 40": "/appeals/?view=all&page=40",
    }
    for label, url in lists.items():
        assert client.get(url).status_code == 200
        ms = best_ms(lambda u=url: client.get(u))
        print(f"appeal list ({label}) over {N // 50} appeals of one community: {ms:.0f} ms")
    t = time.perf_counter()
    response = client.get("/appeals/export/?view=all&deadline=overdue")
    assert response.status_code == 200
    print(f"export of the overdue appeals of one community: {(time.perf_counter() - t) * 1000:.0f} ms")
    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(
            "SELECT department_id, count(*), count(*) FILTER (WHERE status='closed_resolved') "
            "FROM appeals_appeal GROUP BY 1"
        )
        cur.fetchall()
        print(f"for contrast, one aggregate over the raw appeal rows: {(time.perf_counter() - t) * 1000:.0f} ms")
    connection.close()
    if os.environ.get("ANJU_BENCH_KEEP"):  # keep the database to look at the plans
        return
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
