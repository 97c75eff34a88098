"""Races on both databases: expenditures racing against a balance that covers one — exactly one counts, the
balance never goes below zero; two approvals of one entry at once — it counts once.

PostgreSQL: the conditional UPDATE of the project's balance row (``balance_fen >= amount``) makes the second
writer wait for the first's row lock and re-read the balance; the CHECK ``balance_fen + advanced_fen >= 0``
stands behind it. SQLite: the IMMEDIATE write transaction serialises writers; the test runs on a file copy with
the production options (as the duty race test does)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, Sum

from anju.access.roles import Role
from anju.contributions import services
from anju.contributions.models import Approval, MoneyEntry, Project
from anju.testing import make_user, sqlite_file_database, thread_connection
from anju.testing.contributions import donate, make_contributions_world

# A race of tens of connections: one worker runs these one after another (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("connections")

RACERS = 20


def _race(n: int, fn: Callable[[int], str]) -> Counter[str]:
    results: list[str] = []
    start_line = threading.Barrier(n)
    lock = threading.Lock()

    def run(i: int) -> None:
        with thread_connection():
            start_line.wait(timeout=60)
            try:
                outcome = fn(i)
            except ValidationError:
                outcome = "refused"
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(results)


def _counted(project: Project) -> int:
    qs = MoneyEntry.objects.filter(project=project).filter(
        Q(needs_approval=False) | Q(approval__decision=Approval.Decision.APPROVED)
    )
    return int(qs.aggregate(n=Sum("amount_fen"))["n"] or 0)


@pytest.mark.django_db(transaction=True)
def test_expenditures_racing_against_a_balance_that_covers_one(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "spend.sqlite3"):
        cw = make_contributions_world()
        donate(cw, "1000")
        workers = [make_user(Role.COMMUNITY_WORKER, cw.tree.community) for _ in range(RACERS)]

        def spend(i: int) -> str:
            services.expenditure_record(
                actor=workers[i], project=cw.project, amount="600", day=date(2026, 3, 2), purpose=f"材料{i}"
            )
            return "counted"

        print(f"\n{connection.vendor}: {RACERS} expenditures of ¥600 against a balance of ¥1,000")
        assert _race(RACERS, spend) == {"counted": 1, "refused": RACERS - 1}
        cw.project.refresh_from_db()
        assert cw.project.balance_fen == 40000
        assert _counted(cw.project) == 40000
        assert MoneyEntry.objects.filter(type="expenditure").count() == 1


@pytest.mark.django_db(transaction=True)
def test_approvals_of_expenditures_racing_against_a_balance_that_covers_one(tmp_path: Path) -> None:
    """Over the threshold both are recorded (the balance covers each alone); the approvals race: one counts."""
    with sqlite_file_database(tmp_path / "approve.sqlite3"):
        cw = make_contributions_world()
        services.setting_set(actor=cw.worker, community=cw.tree.community, public=False, threshold="100")
        entry = donate(cw, "1000").money_entry
        assert entry is not None
        services.entry_decide(actor=cw.second, entry=entry, approve=True)
        pending = [
            services.expenditure_record(
                actor=cw.worker, project=cw.project, amount="600", day=date(2026, 3, 2), purpose=f"材料{i}"
            )
            for i in range(2)
        ]
        approvers = [make_user(Role.COMMUNITY_WORKER, cw.tree.community) for _ in range(2)]

        def approve(i: int) -> str:
            services.entry_decide(actor=approvers[i], entry=pending[i], approve=True)
            return "counted"

        assert _race(2, approve) == {"counted": 1, "refused": 1}
        cw.project.refresh_from_db()
        assert cw.project.balance_fen == _counted(cw.project) == 40000


@pytest.mark.django_db(transaction=True)
def test_two_approvals_of_one_entry_count_it_once(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "twice.sqlite3"):
        cw = make_contributions_world()
        entry = donate(cw, "300000").money_entry
        assert entry is not None
        approvers = [make_user(Role.COMMUNITY_WORKER, cw.tree.community) for _ in range(8)]

        def approve(i: int) -> str:
            services.entry_decide(actor=approvers[i], entry=entry, approve=True)
            return "counted"

        assert _race(8, approve) == {"counted": 1, "refused": 7}
        cw.project.refresh_from_db()
        assert cw.project.balance_fen == 30_000_000
