"""Appeals benchmark on PostgreSQL: the escalation sweep, intake, the three-rate page and the appeal lists, each
against a raw-SQL (or bare-view) baseline measured in the same run, as the median of interleaved rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/appeals_bench.py [N] [CLOSED]

It creates (and drops) its own database ``anju_bench_appeals`` (or ``$ANJU_BENCH_DB``) next to the one in
DATABASE_URL; ``ANJU_BENCH_ROUNDS`` (3) sets the rounds, ``ANJU_BENCH_KEEP=1`` keeps the database,
``ANJU_BENCH_ONLY=sweep`` stops after the sweep.

The data (printed before the figures, counted from the database): N **open** appeals (default 1,000,000) and
CLOSED closed ones (default N) in 50 communities of one street, each community with its own grid, 17
categories, 2 departments; every key drawn independently (a seeded ``random()``), so the roll-up grows with
the rows (no key pattern repeats). Open appeals are spread over the open statuses; exactly 1 % of them are
due for escalation now, each for exactly one level: half a dispatch reminder (received, to the community's
staff), half a feedback reminder (in progress, to the department's liaisons). The others' next level is
1-30 days ahead (their earlier ladder history is not generated). Closed appeals span the last year and feed
the roll-up. Rows are written with ``INSERT … SELECT generate_series`` in one statement each.

Figures on this machine (2 shared cores, 3 rounds) are in benchmarks/README.md: at 1 M open appeals, 1 % due,
the sweep takes 8.6 s, 4.8x the raw SQL doing the same marking and inserts (1.8 s).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import types
from collections.abc import Callable
from typing import Any

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CLOSED = int(sys.argv[2]) if len(sys.argv) > 2 else N
ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "3"))
BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("ANJU_BENCH_DB", "anju_bench_appeals")
os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
os.environ.setdefault("ANJU_VAR_DIR", "/tmp/anju-bench-appeals")  # noqa: S108  a throwaway benchmark directory
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")

OPEN_MIX = [  # (status, share of the open appeals)
    ("received", 10),
    ("accepted", 5),
    ("dispatched", 15),
    ("signed", 10),
    ("in_progress", 35),
    ("waiting", 5),
    ("handled", 10),
    ("verified", 10),
]


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def interleaved(
    rounds: int, subject: Callable[[], Any], baseline: Callable[[], Any], reset: Callable[[], Any] | None = None
) -> tuple[float, float]:
    """Median seconds of ``subject`` and of ``baseline``, run alternately ``rounds`` times (``reset`` before
    each run puts the data back)."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        for fn, out in ((baseline, b), (subject, a)):
            if reset is not None:
                reset()
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def ratio_line(label: str, subject_s: float, baseline_label: str, baseline_s: float, unit: str = "ms") -> str:
    scale = 1000 if unit == "ms" else 1
    return (
        f"{label}: {subject_s * scale:.1f} {unit}; {baseline_label}: {baseline_s * scale:.1f} {unit}; "
        f"ratio {subject_s / baseline_s:.2f} (median of {ROUNDS} interleaved rounds)"
    )


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

    # --- data ----------------------------------------------------------------------------------------
    communities = [tree.community] + [unit(UnitKind.COMMUNITY, f"基准社区{i}", tree.street) for i in range(49)]
    grids = [tree.grid] + [unit(UnitKind.GRID, "网格", c) for c in communities[1:]]  # grids[i] is in communities[i]
    departments = [tree.department, tree.other_department]
    for c, g in zip(communities, grids, strict=True):  # who hears of the reminders: staff and liaisons
        make_user(Role.COMMUNITY_WORKER, c)
        make_user(Role.GRID_WORKER, g)
    for d in departments:
        for _ in range(2):
            make_user(Role.DEPARTMENT_LIAISON, d.unit, department=d)
    comm_ids = [c.pk for c in communities]
    grid_ids = [g.pk for g in grids]
    cat_ids = list(Category.objects.values_list("pk", flat=True))
    dept_ids = [d.pk for d in departments]
    open_statuses = [s for s, share in OPEN_MIX for _ in range(share)]  # 100 entries
    t = time.perf_counter()
    columns = """community_id, category_id, description, location_id, grid_id, address, urgency, is_complex,
        status, channel, contact_name_sealed, contact_mobile_sealed, contact_mobile_index, consent,
        department_id, waiting_reason, reopen_count, received_at, dispatched_at, signed_at, contacted_at,
        closed_at, dispatch_due, feedback_due, deadlines_provisional, due_at, escalation_level,
        escalation_due_at, responded_on_time, shared_with_followers"""
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        # N open appeals. Row g is due now when g % 100 = 0: for even hundreds a received appeal 20 h old
        # whose dispatch is due in 4 h (its reminder fired 2 h ago), else an appeal in progress, received 6
        # days ago, contacted, whose feedback is due in 20 h (its reminder 4 h ago). Exactly one level each.
        cur.execute(
            f"""
            INSERT INTO appeals_appeal ({columns})
            SELECT c.ids[1 + ci], cats.ids[1 + ki], 'bench', c.ids[1 + ci], gr.ids[1 + ci], '', 'general', false,
                   st, 'app', '', '', '', true,
                   CASE WHEN st IN ('received', 'accepted') THEN NULL ELSE d.ids[1 + di] END, '', 0,
                   recv, CASE WHEN st IN ('received', 'accepted') THEN NULL ELSE recv + interval '1 hour' END,
                   CASE WHEN st IN ('received', 'accepted', 'dispatched') THEN NULL ELSE recv + interval '2 hours' END,
                   CASE WHEN st IN ('received', 'accepted', 'dispatched') THEN NULL ELSE recv + interval '1 day' END,
                   NULL, recv + interval '24 hours', recv + interval '26 hours', false,
                   recv + interval '26 hours', 0,
                   CASE WHEN due THEN now() - interval '1 minute' ELSE now() + (1 + r_next * 29) * interval '1 day' END,
                   NULL, false
            FROM (
                SELECT g, floor(random() * 50)::int AS ci, floor(random() * %(ncat)s)::int AS ki,
                       floor(random() * 2)::int AS di, g %% 100 = 0 AS due, random() AS r_next,
                       CASE WHEN g %% 200 = 0 THEN 'received'
                            WHEN g %% 100 = 0 THEN 'in_progress'
                            ELSE (%(statuses)s::text[])[1 + floor(random() * 100)::int] END AS st,
                       CASE WHEN g %% 200 = 0 THEN now() - interval '20 hours'
                            WHEN g %% 100 = 0 THEN now() - interval '6 days'
                            ELSE now() - random() * interval '60 days' END AS recv
                FROM generate_series(1, %(n)s) AS g
            ) s, (SELECT %(comms)s::int[] AS ids) c, (SELECT %(grids)s::int[] AS ids) gr,
                 (SELECT %(cats)s::int[] AS ids) cats, (SELECT %(depts)s::int[] AS ids) d
            """,  # noqa: S608  the column list is fixed text
            {
                "n": N,
                "ncat": len(cat_ids),
                "statuses": open_statuses,
                "comms": comm_ids,
                "grids": grid_ids,
                "cats": cat_ids,
                "depts": dept_ids,
            },
        )
        # The due appeals in progress: feedback due in 20 h from a receipt 6 days ago.
        cur.execute(
            """UPDATE appeals_appeal SET received_at = now() - interval '6 days',
                   dispatched_at = now() - interval '6 days' + interval '1 hour',
                   signed_at = now() - interval '6 days' + interval '2 hours',
                   contacted_at = now() - interval '5 days', feedback_due = now() + interval '20 hours',
                   dispatch_due = now() - interval '5 days', due_at = now() + interval '20 hours'
               WHERE status = 'in_progress' AND escalation_due_at <= now()"""
        )
        cur.execute(
            """UPDATE appeals_appeal SET dispatch_due = now() + interval '4 hours', due_at = now() + interval '4 hours',
                   feedback_due = now() + interval '7 days'
               WHERE status = 'received' AND escalation_due_at <= now()"""
        )
        # CLOSED closed appeals over the last year.
        cur.execute(
            f"""
            INSERT INTO appeals_appeal ({columns})
            SELECT c.ids[1 + ci], cats.ids[1 + ki], 'bench', c.ids[1 + ci], gr.ids[1 + ci], '', 'general', false,
                   CASE WHEN random() < 0.85 THEN 'closed_resolved' ELSE 'closed_unresolved' END, 'app', '', '', '',
                   true, d.ids[1 + di], '', 0, recv, recv + interval '1 hour', recv + interval '2 hours',
                   recv + interval '1 day', recv + interval '5 days', recv + interval '24 hours',
                   recv + interval '7 days', false, NULL, 4, NULL, random() < 0.8, false
            FROM (
                SELECT floor(random() * 50)::int AS ci, floor(random() * %(ncat)s)::int AS ki,
                       floor(random() * 2)::int AS di, now() - random() * interval '365 days' AS recv
                FROM generate_series(1, %(n)s) AS g
            ) s, (SELECT %(comms)s::int[] AS ids) c, (SELECT %(grids)s::int[] AS ids) gr,
                 (SELECT %(cats)s::int[] AS ids) cats, (SELECT %(depts)s::int[] AS ids) d
            """,  # noqa: S608  the column list is fixed text
            {
                "n": CLOSED,
                "ncat": len(cat_ids),
                "comms": comm_ids,
                "grids": grid_ids,
                "cats": cat_ids,
                "depts": dept_ids,
            },
        )
        # The daily roll-up the services keep, rebuilt here in one statement from all the rows.
        cur.execute("DELETE FROM appeals_dailyrollup")
        cur.execute(
            """
            INSERT INTO appeals_dailyrollup (community_id, day, grid_key, department_key, category_key, received,
                dispatched, responded, dispatches, misrouted, completed, resolved, ratings, satisfied, reopened,
                complex_marked, whistles, summoned, arrived_on_time, arrived_scanned, arrived_confirmed,
                arrived_self_declared, awaiting_callback)
            SELECT community_id, (received_at AT TIME ZONE 'Asia/Shanghai')::date, coalesce(grid_id, 0),
                   coalesce(department_id, 0), category_id, count(*),
                   count(*) FILTER (WHERE dispatched_at IS NOT NULL),
                   count(*) FILTER (WHERE responded_on_time),
                   count(*) FILTER (WHERE dispatched_at IS NOT NULL), 0,
                   count(*) FILTER (WHERE status LIKE 'closed%%'),
                   count(*) FILTER (WHERE status = 'closed_resolved'),
                   count(*) FILTER (WHERE status LIKE 'closed%%'),
                   count(*) FILTER (WHERE status = 'closed_resolved'), 0, 0, 0, 0, 0, 0, 0, 0,
                   count(*) FILTER (WHERE status IN ('handled', 'verified'))
            FROM appeals_appeal GROUP BY 1, 2, 3, 4, 5
            """
        )
        cur.execute("ANALYZE")
    print(f"generated {N + CLOSED} appeals and the roll-up in {time.perf_counter() - t:.1f} s")
    describe(connection)

    # --- 1. the escalation sweep against the raw SQL doing the same marking and inserts -----------------
    sweep_bench(connection, sweep_escalations, timezone.now())
    if os.environ.get("ANJU_BENCH_ONLY") == "sweep":
        _finish(connection)
        return

    # --- 2. intake requests against a bare Django view and a raw INSERT, same process, same database ----
    urls = types.ModuleType("bench_urls")

    def bare(request: object) -> HttpResponse:
        return HttpResponse("ok")

    bare.anju_permission = "public"  # type: ignore[attr-defined]
    urls.urlpatterns = [path("bare/", bare), path("", include("anju.urls"))]  # type: ignore[attr-defined]
    sys.modules["bench_urls"] = urls
    body = json.dumps({"category": "street-lamp", "description": "路灯不亮", "location_id": tree.building.pk})
    n_req = 100
    with override_settings(ROOT_URLCONF="bench_urls"):
        client = Client()
        client.force_login(resident)
        for _ in range(20):  # warm up
            client.get("/bare/")

        def intake() -> None:
            for _ in range(n_req):
                assert client.post("/api/v1/appeals", body, content_type="application/json").status_code == 201

        def bare_view() -> None:
            for _ in range(n_req):
                assert client.get("/bare/").status_code == 200

        def raw_insert() -> None:
            with connection.cursor() as cur:
                for _ in range(n_req):
                    cur.execute(
                        f"INSERT INTO appeals_appeal ({columns}) SELECT {columns} FROM appeals_appeal "  # noqa: S608  fixed text
                        "WHERE community_id = %s AND status = 'received' LIMIT 1",
                        [tree.community.pk],
                    )

        intake()  # warm
        intake_s, bare_s = interleaved(ROUNDS, intake, bare_view)
        _same, raw_s = interleaved(ROUNDS, intake, raw_insert)
    print(
        f"intake ({n_req} POST /api/v1/appeals a round, each with its audit row, timeline, roll-up and messages): "
        f"{n_req / intake_s:.0f} req/s; bare Django view {n_req / bare_s:.0f} req/s (ratio {bare_s / intake_s:.2f}); "
        f"raw single-row INSERT of an appeal {n_req / raw_s:.0f}/s (ratio {raw_s / intake_s:.3f}); "
        f"median of {ROUNDS} interleaved rounds"
    )

    # --- 3. the three rates for the district, against the raw roll-up aggregate -----------------------------
    from anju.orgs.models import OrgUnit

    district_communities = list(
        OrgUnit.objects.communities().filter(path__startswith=tree.district.path).values_list("pk", flat=True)
    )
    rollup_rows = selectors.rollups_visible(supervisor).count()
    for group, key in (
        ("department", "department_key"),
        ("community", "community_id"),
        ("category", "category_key"),
        ("grid", "grid_key"),
    ):

        def raw(key: str = key) -> None:
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT {key}, sum(dispatched), sum(responded), sum(completed), sum(resolved), sum(ratings), "  # noqa: S608  fixed names
                    "sum(satisfied), sum(awaiting_callback) FROM appeals_dailyrollup WHERE community_id = ANY(%s) "
                    "GROUP BY 1",
                    [district_communities],
                )
                cur.fetchall()

        def report(group: str = group) -> None:
            selectors.rates_report(supervisor, group=group)

        report()
        ms, raw_ms = interleaved(ROUNDS * 3, report, raw)
        print(
            ratio_line(
                f"three rates by {group} over {rollup_rows} roll-up rows ({N + CLOSED} appeals)",
                ms,
                "raw SQL sum of the roll-up by the same key",
                raw_ms,
            )
        )
    client = Client()
    client.force_login(supervisor)
    with override_settings(ROOT_URLCONF="bench_urls"):
        assert client.get("/appeals/rates/").status_code == 200
        page_s, bare_page_s = interleaved(
            ROUNDS * 3, lambda: client.get("/appeals/rates/"), lambda: client.get("/bare/")
        )
    print(
        ratio_line(
            "three-rate page (HTTP, district supervisor, charts included)", page_s, "bare Django view", bare_page_s
        )
    )

    # --- 4. the community worker's appeal list, against the raw SQL of its first page --------------------
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client.force_login(worker)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM appeals_appeal WHERE community_id = %s", [tree.community.pk])
        mine = cur.fetchone()[0]  # type: ignore[index]

    def raw_page() -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM appeals_appeal WHERE community_id = %s", [tree.community.pk])
            cur.execute(
                "SELECT id, status, due_at, category_id FROM appeals_appeal WHERE community_id = %s "
                "ORDER BY received_at DESC, id DESC LIMIT 50",
                [tree.community.pk],
            )
            cur.fetchall()

    lists = {
        "worker queue": "/appeals/?view=worker",
        "all, overdue, one category": f"/appeals/?view=all&deadline=overdue&category={cat_ids[0]}",
        "all, searched by number": "/appeals/?view=all&q=A00000050",
        "all, searched by text": "/appeals/?view=all&q=bench",
        "all, page 40": "/appeals/?view=all&page=40",
    }
    for label, url in lists.items():
        assert client.get(url).status_code == 200
        ms, raw_ms = interleaved(ROUNDS, lambda u=url: client.get(u), raw_page)
        print(
            ratio_line(
                f"appeal list ({label}) over the {mine} appeals of one community",
                ms,
                "raw SQL count + first 50 rows",
                raw_ms,
            )
        )
    t = time.perf_counter()
    response = client.get("/appeals/export/?view=all&deadline=overdue")
    assert response.status_code == 200
    print(f"export of the overdue appeals of one community: {(time.perf_counter() - t) * 1000:.0f} ms")
    _finish(connection)


def _finish(connection: Any) -> None:
    connection.close()
    if os.environ.get("ANJU_BENCH_KEEP"):  # keep the database to look at the plans
        return
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def describe(connection: Any) -> None:
    """Print what the data is, counted from the database."""
    with connection.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM appeals_appeal GROUP BY 1 ORDER BY 2 DESC")
        states = cur.fetchall()
        cur.execute(
            "SELECT count(DISTINCT community_id), count(DISTINCT category_id), count(DISTINCT department_id), "
            "count(*) FILTER (WHERE escalation_due_at <= now()), "
            "count(*) FILTER (WHERE status NOT IN ('closed_resolved', 'closed_unresolved', 'duplicate', 'rejected')) "
            "FROM appeals_appeal"
        )
        comms, cats, depts, due, open_ = cur.fetchone()
        cur.execute("SELECT count(*) FROM appeals_dailyrollup")
        rollup = cur.fetchone()[0]
    print(
        f"data: {sum(n for _s, n in states)} appeals, {open_} open; by state "
        + ", ".join(f"{s} {n}" for s, n in states)
        + f"; {comms} communities, {cats} categories, {depts} departments; due for escalation now: {due} "
        f"({due / max(open_, 1):.2%} of the open ones); {rollup} roll-up rows"
    )


def sweep_bench(connection: Any, sweep: Callable[..., int], now: Any) -> None:
    """The sweep against one raw SQL statement doing the same marking and inserts (escalation rows, messages
    to the same people, audit rows, the appeals' level and next time), interleaved; each run starts from the
    same due appeals (escalations, messages and outbox rows deleted, the appeals put back; the audit trail is
    append-only and keeps growing by one row per escalation a run)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_due AS SELECT id, escalation_level, escalation_due_at FROM appeals_appeal "
            "WHERE escalation_due_at <= %s",
            [now],
        )
        cur.execute("SELECT count(*) FROM bench_due")
        due = cur.fetchone()[0]

    def reset() -> None:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM inbox_outbox")
            cur.execute("DELETE FROM inbox_smsoutbox")
            cur.execute("DELETE FROM inbox_message")
            cur.execute("DELETE FROM appeals_escalation")
            cur.execute(
                "UPDATE appeals_appeal a SET escalation_level = d.escalation_level, "
                "escalation_due_at = d.escalation_due_at FROM bench_due d WHERE a.id = d.id"
            )
            cur.execute("VACUUM ANALYZE appeals_appeal, appeals_escalation, inbox_message, inbox_outbox")

    counts: dict[str, tuple[int, int, int]] = {}

    def tally(label: str, before: int) -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT (SELECT count(*) FROM appeals_escalation), (SELECT count(*) FROM inbox_message), "
                "(SELECT count(*) FROM audit_auditevent)"
            )
            esc, msg, audit = cur.fetchone()
        counts[label] = (esc, msg, audit - before)

    def audit_count() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM audit_auditevent")
            return int(cur.fetchone()[0])

    def run_sweep() -> None:
        before = audit_count()
        t = time.perf_counter()
        sweep(now=now)
        times["sweep"].append(time.perf_counter() - t)
        tally("sweep", before)

    def run_raw() -> None:
        before = audit_count()
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(RAW_SWEEP, {"now": now})
        times["raw"].append(time.perf_counter() - t)
        tally("raw SQL", before)

    from django.urls import reverse

    reverse("appeals:detail", args=[1])  # load the URL conf (a worker has it loaded long before its sweep)
    times: dict[str, list[float]] = {"sweep": [], "raw": []}
    interleaved(ROUNDS, run_sweep, run_raw, reset)
    sweep_s, raw_s = statistics.median(times["sweep"]), statistics.median(times["raw"])
    t = time.perf_counter()
    idle = sweep(now=now)
    idle_s = time.perf_counter() - t
    esc, msg, audit = counts["sweep"]
    print(
        f"escalation sweep: {due} of {N} open appeals due, one level each; the sweep fired {esc} levels, "
        f"wrote {msg} messages and {audit} audit rows in {sweep_s:.2f} s; raw SQL doing the same "
        f"(fired {counts['raw SQL'][0]}, {counts['raw SQL'][1]} messages, {counts['raw SQL'][2]} audit rows) "
        f"{raw_s:.2f} s; ratio {sweep_s / raw_s:.2f} (median of {ROUNDS} interleaved rounds); "
        f"next sweep (nothing due) {idle_s * 1000:.1f} ms, fired {idle}"
    )
    assert counts["sweep"][:2] == counts["raw SQL"][:2], counts


# One statement: mark the due appeals (level 1, the next level a day after the deadline) and insert their
# escalation rows, one message per distinct active staff member (dispatch reminders) or liaison (feedback
# reminders), and one audit row per escalation, as the sweep does.
RAW_SWEEP = """
WITH due AS (
    UPDATE appeals_appeal a SET escalation_level = 1,
        escalation_due_at = CASE WHEN a.department_id IS NULL THEN a.dispatch_due ELSE a.feedback_due END
                            + interval '1 day'
    WHERE a.escalation_due_at <= %(now)s
    RETURNING a.id, a.community_id, a.grid_id, a.department_id, a.category_id, a.dispatch_due, a.feedback_due
), esc AS (
    INSERT INTO appeals_escalation (community_id, appeal_id, stage, round, level, deadline, fired_at, target_unit_id)
    SELECT community_id, id, CASE WHEN department_id IS NULL THEN 'dispatch' ELSE 'feedback' END, 0, 1,
           CASE WHEN department_id IS NULL THEN dispatch_due ELSE feedback_due END, %(now)s,
           CASE WHEN department_id IS NULL THEN community_id END
    FROM due
    ON CONFLICT DO NOTHING
    RETURNING id, appeal_id, community_id, stage, deadline
), heard AS (
    SELECT DISTINCT e.id AS esc, g.user_id
    FROM esc e JOIN due d ON d.id = e.appeal_id
    JOIN accounts_rolegrant g ON (
        (d.department_id IS NULL AND g.unit_id IN (d.community_id, d.grid_id)
         AND g.role IN ('community_worker', 'branch_secretary', 'grid_worker'))
        OR (d.department_id IS NOT NULL AND g.role = 'department_liaison' AND g.department_id = d.department_id))
    JOIN accounts_user u ON u.id = g.user_id AND u.is_active
), heard_n AS (
    SELECT esc, count(*) AS n FROM heard GROUP BY esc
), msg AS (
    INSERT INTO inbox_message (community_id, recipient_id, kind, params, url, created_at, read_at, thread_key,
                               visible_at, digest_channels)
    SELECT e.community_id, h.user_id, 'escalation.1',
           jsonb_strip_nulls(jsonb_build_object('appeal', e.appeal_id, 'number', 'A' || lpad(e.appeal_id::text, 8, '0'),
               'category', c.name, 'department', dep.name,
               'due', to_char(e.deadline AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'))),
           '/appeals/' || e.appeal_id || '/', now(), NULL, 'appeal:' || e.appeal_id, now(), ''
    FROM heard h JOIN esc e ON e.id = h.esc JOIN due d ON d.id = e.appeal_id
    JOIN appeals_category c ON c.id = d.category_id LEFT JOIN orgs_department dep ON dep.id = d.department_id
    RETURNING 1
)
INSERT INTO audit_auditevent (created_at, actor_id, actor_label, action, object_type, object_id, object_label,
                              community_id, data, ip)
SELECT now(), NULL, 'anju worker', 'appeal.escalated', 'appeals.appeal', e.appeal_id::text,
       '#' || e.appeal_id || ' ' || c.name, e.community_id,
       jsonb_build_object('level', 1, 'stage', e.stage, 'round', 0, 'escalation', e.id,
                          'recipients', coalesce(hn.n, 0)), NULL
FROM esc e JOIN due d ON d.id = e.appeal_id JOIN appeals_category c ON c.id = d.category_id
LEFT JOIN heard_n hn ON hn.esc = e.id
"""


if __name__ == "__main__":
    main()
