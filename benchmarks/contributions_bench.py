"""Benchmark: the public 公示 page of a project with N ledger rows (default 100,000), against the raw SQL of its
totals in the same run.

Data: one project; N/2 contributions (money, land, space, labour, goods, services in their units; 1 in 10
anonymous) whose money ones each carry a receipt in the money ledger, and expenditures making up the other N/2
rows with the money entries (every entry under the threshold, so all count); the balance row set to the sum.

* Subject: ``GET /contributions/public/<id>/`` by an anonymous visitor (the community publishes it): the totals
  by kind and unit against the goals, money in and out, the latest 200 ledger rows with their running balance
  (a window sum over the whole ledger), the latest 200 contributors and their count, rendered.
* Baseline: the raw SQL of the page's totals on the same rows: ``SUM(quantity) … GROUP BY kind, unit``, the money
  in and out ``SUM(amount_fen)``, the count of contributions.

Prints what it ran on, medians of interleaved rounds and the ratio; asserts that both sides agree.

    .venv/bin/python benchmarks/contributions_bench.py [N]       # SQLite in a temporary directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anju_bench_contrib \
        .venv/bin/python benchmarks/contributions_bench.py

The PostgreSQL database must be new and empty (createdb anju_bench_contrib); the script fills it.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROUNDS = 5

os.environ.setdefault("ANJU_VAR_DIR", tempfile.mkdtemp(prefix="anju-bench-contrib-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from anju.access.roles import Role  # noqa: E402
from anju.contributions import services  # noqa: E402
from anju.contributions.models import Kind, Unit  # noqa: E402
from anju.testing import build_tree, make_user  # noqa: E402
from anju.testing.contributions import make_project  # noqa: E402

KINDS = [
    (Kind.MONEY, Unit.YUAN),
    (Kind.LAND, Unit.SQM),
    (Kind.SPACE, Unit.SQM),
    (Kind.LABOUR, Unit.PERSON_DAY),
    (Kind.GOODS, Unit.ITEM),
    (Kind.SERVICES, Unit.PERSON_DAY),
]
SQL_ENTRY = """
    INSERT INTO contributions_moneyentry (community_id, project_id, type, amount_fen, day, purpose, payee, invoice,
        advanced, needs_approval, reason, recorded_by_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, '', '', false, false, '', %s, %s)"""
SQL_CONTRIBUTION = """
    INSERT INTO contributions_contribution (community_id, project_id, contributor, name, anonymous, kind, tenure,
        quantity, unit, day, description, evidence, receipt_no, money_entry_id, reason, recorded_by_id, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '', %s, %s, '', %s, %s)"""
SQL_TOTALS = """
    SELECT kind, unit, SUM(quantity) FROM contributions_contribution WHERE project_id = %s GROUP BY kind, unit"""
SQL_MONEY = """
    SELECT SUM(CASE WHEN amount_fen > 0 THEN amount_fen ELSE 0 END), SUM(CASE WHEN amount_fen < 0 THEN -amount_fen
    ELSE 0 END), COUNT(*) FROM contributions_moneyentry WHERE project_id = %s"""
SQL_COUNT = "SELECT COUNT(*) FROM contributions_contribution WHERE project_id = %s"


def median_ms(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def fill(n: int) -> tuple[Any, int, int]:
    tree = build_tree()
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    project = make_project(worker, tree.community, "安居驿站共建")
    services.setting_set(actor=worker, community=tree.community, public=True, threshold="100000000")
    rng = random.Random(18)
    now = timezone.now()
    start = date(2020, 1, 1)
    balance = 0
    contributions = n // 2
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        money_ids: list[int | None] = []
        amounts: list[int] = []
        for i in range(contributions):
            kind, unit = KINDS[i % len(KINDS)]
            if kind == Kind.MONEY:
                fen = rng.randint(1, 500_000)
                cursor.execute(
                    SQL_ENTRY, [tree.community.pk, project.pk, "receipt", fen, start, "捐款", worker.pk, now]
                )
                money_ids.append(cursor.lastrowid if connection.vendor == "sqlite" else None)
                amounts.append(fen)
                balance += fen
                rows += 1
        if connection.vendor != "sqlite":
            cursor.execute("SELECT id FROM contributions_moneyentry WHERE project_id = %s ORDER BY id", [project.pk])
            money_ids = [r[0] for r in cursor.fetchall()]
        money = iter(money_ids)
        fens = iter(amounts)
        batch = []
        for i in range(contributions):
            kind, unit = KINDS[i % len(KINDS)]
            entry = next(money) if kind == Kind.MONEY else None
            quantity = Decimal(next(fens)) / 100 if kind == Kind.MONEY else Decimal(rng.randint(1, 200))
            batch.append(
                [
                    tree.community.pk,
                    project.pk,
                    "person",
                    f"捐赠人{i}",
                    i % 10 == 0,
                    kind,
                    "given" if kind in (Kind.LAND, Kind.SPACE) else "",
                    quantity,
                    unit,
                    start + timedelta(days=i % 2000),
                    f"B-{i:07d}",
                    entry,
                    worker.pk,
                    now,
                ]
            )
        cursor.executemany(SQL_CONTRIBUTION, batch)
        rows += contributions
        spend = []
        while rows + len(spend) < n:
            fen = rng.randint(1, 20_000)
            if balance - fen < 0:
                break
            balance -= fen
            spend.append(
                [
                    tree.community.pk,
                    project.pk,
                    "expenditure",
                    -fen,
                    start + timedelta(days=len(spend) % 2000),
                    "材料",
                    worker.pk,
                    now,
                ]
            )
        cursor.executemany(SQL_ENTRY, spend)
        rows += len(spend)
        cursor.execute("UPDATE contributions_project SET balance_fen = %s WHERE id = %s", [balance, project.pk])
    return project, rows, balance


def raw_totals(project_id: int) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(SQL_TOTALS, [project_id])
        totals = cursor.fetchall()
        cursor.execute(SQL_MONEY, [project_id])
        money = cursor.fetchone()
        cursor.execute(SQL_COUNT, [project_id])
        count = cursor.fetchone()
    return totals, money, count


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    project, rows, balance = fill(n)
    print(f"database: {connection.vendor}; rounds: {ROUNDS} (median); filled in {time.perf_counter() - began:.1f} s")
    totals, money, count = raw_totals(project.pk)
    print(
        f"data: one project, {rows:,} ledger rows ({count[0]:,} contributions in {len(totals)} kinds/units, "
        f"{money[2]:,} money entries); balance ¥{services.yuan(balance)}"
    )
    client = Client()
    url = f"/contributions/public/{project.pk}/"
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    body = page.content.decode()
    assert services.yuan(balance) in body, "the page shows the balance the raw SQL gives"
    assert money[0] - money[1] == balance
    page_ms = median_ms(lambda: client.get(url))
    raw_ms = median_ms(lambda: raw_totals(project.pk))
    print(f"public page: {page_ms:.0f} ms; raw SQL of its totals: {raw_ms:.0f} ms; ratio {page_ms / raw_ms:.1f}")


if __name__ == "__main__":
    main()
