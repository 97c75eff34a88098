"""The escalation sweep on PostgreSQL against the raw SQL doing the same marking and inserts, measured in the
same run as the median of interleaved rounds (issue 13: 1 M open appeals, 1 % due one level each).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/sweep_bench.py [N] [CLOSED]

It creates (and drops) its own database ``anju_bench_sweep`` (or ``$ANJU_BENCH_DB``) next to the one in
DATABASE_URL; ``ANJU_BENCH_ROUNDS`` (3) sets the rounds, ``ANJU_BENCH_KEEP=1`` keeps the database, and
``ANJU_BENCH_REUSE=1`` reruns the sweep on a database an earlier run kept (no generation: the due appeals are
put back as generated).

The data (printed before the figures, counted from the database): N **open** appeals (default 1,000,000) and
CLOSED closed ones (default N) in 50 communities of one street, each community with its own grid, 17
categories, 2 departments; every key drawn independently (a seeded ``random()``). This is not the realistic
city of ``anju generate_city`` (``appeals_bench.py``), where about 1 % of the appeals are open: 1 M open
appeals would need a city of 10^8. Open appeals are spread over the open statuses; exactly 1 % of them are
due for escalation now, each for exactly one level: half a dispatch reminder (received, to the community's
staff), half a feedback reminder (in progress, to the department's liaisons). The others' next level is
1-30 days ahead (their earlier ladder history is not generated). Rows are written with ``INSERT … SELECT
generate_series`` in one statement each. Figures in benchmarks/README.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CLOSED = int(sys.argv[2]) if len(sys.argv) > 2 else N
ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "3"))
BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("ANJU_BENCH_DB", "anju_bench_sweep")
os.environ["DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
ADMIN_URL = BASE_URL.rsplit("/", 1)[0] + "/postgres"
os.environ.setdefault("ANJU_VAR_DIR", "/tmp/anju-bench-sweep")  # noqa: S108  a throwaway benchmark directory
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


def _exists() -> bool:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone() is not None


def main() -> None:
    reuse = bool(os.environ.get("ANJU_BENCH_REUSE")) and _exists()
    if not reuse:
        _recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    if reuse:  # a database an earlier run kept (ANJU_BENCH_KEEP=1): its due appeals put back, the sweep again
        from anju.appeals.sla import sweep_escalations as sweep

        _reset_due(connection)
        print(f"reusing the database {BENCH_DB} an earlier run generated and kept")
        describe(connection)
        sweep_bench(connection, sweep, timezone.now())
        _finish(connection)
        return
    from anju.access.roles import Role
    from anju.appeals.models import Category, CategoryRoute
    from anju.appeals.sla import sweep_escalations
    from anju.orgs.models import UnitKind
    from anju.testing import build_tree, make_user, unit

    tree = build_tree()
    CategoryRoute.objects.create(
        category=Category.objects.get(code="street-lamp"), unit=tree.community, department=tree.department
    )

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


def _reset_due(connection: Any) -> None:
    """Put the due appeals back as generated (``bench_due``): no escalations, messages or outbox rows."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_due') IS NOT NULL")
        if not cur.fetchone()[0]:
            return
        cur.execute("DELETE FROM inbox_outbox")
        cur.execute("DELETE FROM inbox_smsoutbox")
        cur.execute("DELETE FROM inbox_message")
        cur.execute("DELETE FROM appeals_escalation")
        cur.execute(
            "UPDATE appeals_appeal a SET escalation_level = d.escalation_level, "
            "escalation_due_at = d.escalation_due_at FROM bench_due d WHERE a.id = d.id"
        )
        cur.execute("VACUUM ANALYZE appeals_appeal, appeals_escalation, inbox_message, inbox_outbox")


def sweep_bench(connection: Any, sweep: Callable[..., int], now: Any) -> None:
    """The sweep against one raw SQL statement doing the same marking and inserts (escalation rows, messages
    to the same people, audit rows, the appeals' level and next time), interleaved; each run starts from the
    same due appeals (escalations, messages and outbox rows deleted, the appeals put back; the audit trail is
    append-only and keeps growing by one row per escalation a run)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_due AS SELECT id, escalation_level, escalation_due_at "
            "FROM appeals_appeal WHERE escalation_due_at <= %s",
            [now],
        )
        cur.execute("SELECT count(*) FROM bench_due")
        due = cur.fetchone()[0]

    def reset() -> None:
        _reset_due(connection)

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
