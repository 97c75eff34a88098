"""Appeals benchmark on PostgreSQL: the escalation sweep, intake, the three-rate page and the appeal lists, each
against a raw-SQL (or bare-view) baseline measured in the same run, as the median of interleaved rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju .venv/bin/python benchmarks/appeals_bench.py [N] [COMMUNITIES]

It creates (and drops) its own database ``anju_bench_appeals`` (or ``$ANJU_BENCH_DB``) next to the one in
DATABASE_URL; ``ANJU_BENCH_ROUNDS`` (3) sets the rounds, ``ANJU_BENCH_KEEP=1`` keeps the database,
``ANJU_BENCH_ONLY=sweep`` stops after the sweep.

The data (printed before the figures, as generated and as counted from the database): the benchmark city of
``anju generate_city`` (``anju.site.city``) with N appeals (default 1,000,000) over three years in COMMUNITIES
communities (default 300): most closed, the open ones recent (about 1 %), a share of them overdue, with their
timeline, callbacks, escalations and the daily roll-up, keys drawn from one seeded generator (no cycle). One
community worker per community and two liaisons per department hear the reminders. Then 1 % of the open
appeals are made due for escalation now, each for exactly one level: those not yet dispatched a dispatch
reminder (to the community's staff), those in progress and contacted a feedback reminder (to the department's
liaisons). Note that a realistic city holds few open appeals (about 1 % of N): the sweep's "1 % of 1 M open"
needs a city of about 10⁸ appeals; the output says how many were open and due.

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
COMMUNITIES = int(sys.argv[2]) if len(sys.argv) > 2 else 300
ROUNDS = int(os.environ.get("ANJU_BENCH_ROUNDS", "3"))
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
    from django.conf import settings

    from anju.access.roles import Role
    from anju.appeals.models import Appeal, Category, CategoryRoute
    from anju.appeals.rates import selectors
    from anju.appeals.sla import sweep_escalations
    from anju.orgs.models import Department, OrgUnit, UnitKind
    from anju.site.city import describe as describe_city
    from anju.site.city import generate_city
    from anju.testing import make_user, unit

    # --- data: the benchmark city (anju generate_city), then 1 % of its open appeals due one level ---------
    t = time.perf_counter()
    city = generate_city(appeals=N, communities=COMMUNITIES, seed=13)
    print(describe_city(city))
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the staff below, quickly
    with connection.cursor() as cur:
        cur.execute("SELECT community_id FROM appeals_appeal GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        community = OrgUnit.objects.get(pk=cur.fetchone()[0])  # type: ignore[index]
    street = community.parent
    district = street.parent if street else None
    assert street is not None
    assert district is not None
    grid = OrgUnit.objects.get(pk=city.grids[community.pk][0])
    building = unit(UnitKind.BUILDING, "1栋", grid)
    department = Department.objects.filter(unit=street).first() or city.departments[0]
    CategoryRoute.objects.create(
        category=Category.objects.get(code="street-lamp"), unit=community, department=department
    )
    resident = make_user(Role.RESIDENT, building)
    supervisor = make_user(Role.SUPERVISOR, district)
    for c in city.communities:  # who hears of the reminders: staff and liaisons
        make_user(Role.COMMUNITY_WORKER, c)
    for d in city.departments:
        for _ in range(2):
            make_user(Role.DEPARTMENT_LIAISON, d.unit, department=d)
    cat_ids = list(Category.objects.values_list("pk", flat=True))
    with connection.cursor() as cur:
        # 1 % of the open appeals due now for exactly one level (and none other): appeals not yet dispatched get
        # a dispatch due in 4 h whose reminder fired 2 h ago; appeals in progress, contacted, a feedback due in
        # 20 h whose reminder fired 4 h ago (their rounds start earlier so the reminder's lead is a full day).
        cur.execute(
            "SELECT count(*) FROM appeals_appeal "
            "WHERE status NOT IN ('closed_resolved', 'closed_unresolved', 'duplicate', 'rejected')"
        )
        open_n = cur.fetchone()[0]  # type: ignore[index]
        cur.execute(
            """CREATE TEMP TABLE bench_pick AS SELECT id, status FROM appeals_appeal
               WHERE status IN ('received', 'accepted')
                  OR (status IN ('in_progress', 'waiting') AND contacted_at IS NOT NULL)
               ORDER BY md5(id::text) LIMIT %s""",
            [max(1, open_n // 100)],
        )
        cur.execute("DELETE FROM appeals_escalation WHERE appeal_id IN (SELECT id FROM bench_pick)")
        cur.execute(
            """UPDATE appeals_appeal a SET round_started_at = now() - interval '20 hours',
                   dispatch_due = now() + interval '4 hours', due_at = now() + interval '4 hours',
                   escalation_level = 0, escalation_due_at = now() - interval '1 minute'
               FROM bench_pick p WHERE a.id = p.id AND p.status IN ('received', 'accepted')"""
        )
        cur.execute(
            """UPDATE appeals_appeal a SET round_started_at = now() - interval '6 days',
                   feedback_due = now() + interval '20 hours', due_at = now() + interval '20 hours',
                   escalation_level = 0, escalation_due_at = now() - interval '1 minute'
               FROM bench_pick p WHERE a.id = p.id AND p.status IN ('in_progress', 'waiting')"""
        )
        cur.execute("ANALYZE")
    tree = types.SimpleNamespace(community=community, district=district, building=building)
    print(f"generated the city, its staff and the due appeals in {time.perf_counter() - t:.1f} s")
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

        columns = ", ".join(f.column for f in Appeal._meta.concrete_fields if not f.primary_key)

        def raw_insert() -> None:
            with connection.cursor() as cur:
                for _ in range(n_req):
                    cur.execute(
                        f"INSERT INTO appeals_appeal ({columns}) SELECT {columns} FROM appeals_appeal "  # noqa: S608  fixed text
                        "WHERE community_id = %s ORDER BY id DESC LIMIT 1",
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
                f"three rates by {group} over {rollup_rows} roll-up rows ({N} appeals)",
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
            "three-rate page (test client, district supervisor, charts)", page_s, "bare Django view", bare_page_s
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
        "all, searched by text": "/appeals/?view=all&q=路灯",
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
        cur.execute(
            "SELECT count(*) FROM appeals_appeal "
            "WHERE status NOT IN ('closed_resolved', 'closed_unresolved', 'duplicate', 'rejected')"
        )
        open_n = cur.fetchone()[0]

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
        f"escalation sweep: {due} of the {open_n} open appeals ({N} in all) due, one level each; "
        f"the sweep fired {esc} levels, "
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
