"""The escalation ladder: each level fires exactly once per appeal, whatever crashes or runs twice;
SLA deadlines with statutory holidays, the unannounced-year fallback and the admin's schedule."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from anju.appeals import clock, services, sla
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.models import Appeal, Escalation
from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.calendar import services as calendar_services
from anju.calendar.models import HolidayDate
from anju.calendar.workdays import Calendar
from anju.inbox.models import Message, Outbox
from anju.jobs.worker import run_once
from anju.testing import Tree, email_everyone, sqlite_file_database, thread_connection
from anju.testing.appeals import AppealsWorld, make_appeals_world

pytestmark = pytest.mark.usefixtures("english", "media_root")

TZ = timezone.get_current_timezone()


@pytest.fixture(autouse=True)
def _email(settings: Any, monkeypatch: Any) -> None:
    email_everyone(settings, monkeypatch)


class Crash(Exception):
    pass


def _file_many(world: AppealsWorld, n: int, at: dt.datetime) -> list[Appeal]:
    with clock.frozen(at):
        return [world.file(description=f"问题{i}") for i in range(n)]


def _expected_levels(now: dt.datetime, appeal: Appeal) -> dict[str, list[int]]:
    """The levels due by ``now`` on the ladder of each current deadline of the appeal."""
    cal = Calendar.load()
    return {
        stage: [level for level in Escalation.Level if sla.level_time(appeal, stage, level, deadline, cal) <= now]
        for stage, deadline in sla.ladders(appeal)
    }


def _assert_exactly_once(
    appeals: list[Appeal], now: dt.datetime, earlier: dict[int, dict[str, list[int]]] | None = None
) -> None:
    """Each current ladder has fired exactly its due levels, in order; ``earlier``: the ladders of stages the
    appeal has left, as they were when it left them. One audit row and one notification batch per row."""
    for appeal in appeals:
        appeal.refresh_from_db()
        want = {**(earlier or {}).get(appeal.pk, {}), **_expected_levels(now, appeal)}
        rows = Escalation.objects.filter(appeal=appeal).order_by("id")
        got: dict[str, list[int]] = {}
        for stage, level in rows.values_list("stage", "level"):
            got.setdefault(stage, []).append(level)
        assert got == {stage: levels for stage, levels in want.items() if levels}, (appeal.pk, got, want)
        for levels in got.values():
            assert levels == list(range(1, len(levels) + 1))
        current = [len(v) for k, v in want.items() if k in dict(sla.ladders(appeal))]
        assert appeal.escalation_level == max(current, default=0)
        audits = AuditEvent.objects.filter(action=Action.APPEAL_ESCALATED, object_id=str(appeal.pk))
        assert audits.count() == rows.count()
        # One notification batch per fired level: never twice.
        messages = Message.objects.filter(params__appeal=appeal.pk, kind__startswith="escalation.").count()
        assert messages == sum(int(a.data["recipients"]) for a in audits)
    # Each message has its email in the outbox, written in the same transaction (but those whose reader takes
    # them in the daily digest: new appeals, for staff, by default).
    assert Outbox.objects.count() == Message.objects.exclude(digest_channels__contains="email").count() > 0


@pytest.mark.django_db
def test_ladder_levels_fire_in_order_once(world: AppealsWorld) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
    (appeal,) = _file_many(world, 1, start)
    assert appeal.dispatch_due == start + dt.timedelta(hours=24)
    # Before the reminder time: nothing.
    assert sla.sweep_escalations(now=start + dt.timedelta(hours=1)) == 0
    # Reminder: a quarter of the span before the deadline.
    assert sla.sweep_escalations(now=start + dt.timedelta(hours=19)) == 1
    assert sla.sweep_escalations(now=start + dt.timedelta(hours=19)) == 0
    # 催办 the working day after the deadline (Tue 09:00 + 1 working day = Wed 09:00).
    assert sla.sweep_escalations(now=dt.datetime(2026, 3, 4, 8, 59, tzinfo=TZ)) == 0
    assert sla.sweep_escalations(now=dt.datetime(2026, 3, 4, 9, 0, tzinfo=TZ)) == 1
    # 通报 at five working days over, escalation at ten.
    assert sla.sweep_escalations(now=dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ)) == 1
    assert sla.sweep_escalations(now=dt.datetime(2026, 3, 17, 9, 0, tzinfo=TZ)) == 1
    assert sla.sweep_escalations(now=dt.datetime(2026, 6, 1, tzinfo=TZ)) == 0
    assert list(appeal.escalations.values_list("level", flat=True)) == [1, 2, 3, 4]
    notice = appeal.escalations.get(level=Escalation.Level.NOTICE)
    assert Message.objects.filter(recipient=world.supervisor, kind="escalation.3").exists()
    assert notice.target_unit is not None
    appeal.refresh_from_db()
    assert appeal.escalation_due_at is None


@pytest.mark.django_db
def test_signing_stops_the_dispatch_clock(world: AppealsWorld) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    (appeal,) = _file_many(world, 1, start)
    with clock.frozen(start + dt.timedelta(hours=1)):
        dispatch.appeal_dispatch(actor=world.worker, appeal=appeal, department=world.tree.department)
        handling.appeal_sign(actor=world.liaison, appeal=appeal)
        handling.appeal_contact(actor=world.liaison, appeal=appeal, note="电话")
    appeal.refresh_from_db()
    assert appeal.due_at == appeal.feedback_due
    assert sla.sweep_escalations(now=start + dt.timedelta(days=2)) == 0


@pytest.mark.django_db
def test_workdays_follow_statutory_holidays() -> None:
    cal = Calendar.load()
    # 2026-09-30 (Wed) + 1 working day skips the National Day holiday.
    after = cal.add_workdays(dt.datetime(2026, 9, 30, 10, 0, tzinfo=TZ), 1)
    assert after.date() > dt.date(2026, 10, 7)
    assert not cal.provisional


@pytest.mark.django_db
def test_unannounced_year_is_provisional_then_recomputed_from_admin_schedule(world: AppealsWorld) -> None:
    start = dt.datetime(2026, 12, 30, 9, 0, tzinfo=TZ)  # seven working days run into 2027
    (appeal,) = _file_many(world, 1, start)
    assert appeal.deadlines_provisional is True
    weekends_only = appeal.feedback_due
    assert weekends_only.date() == dt.date(2027, 1, 8)
    # The State Council publishes 2027: 1–3 January off, Saturday 9 January a make-up working day.
    days = [(dt.date(2027, 1, d), HolidayDate.Kind.HOLIDAY) for d in (1, 4, 5)]
    entry = calendar_services.holidays_set(actor=world.admin, year=2027, days=days)
    assert entry.recompute_pending
    appeal.refresh_from_db()
    assert appeal.feedback_due.date() == dt.date(2027, 1, 8)  # not yet: the recompute is a background job
    run_once()
    entry.refresh_from_db()
    assert not entry.recompute_pending
    assert entry.recomputed_count == 1
    appeal.refresh_from_db()
    assert appeal.deadlines_provisional is False
    assert appeal.feedback_due.date() == dt.date(2027, 1, 13)
    with pytest.raises(services.ValidationError):
        calendar_services.holidays_set(actor=world.admin, year=2027, days=[(dt.date(2028, 1, 1), "holiday")])


# --- crashes ------------------------------------------------------------------------------------


def _crash_and_rerun(world: AppealsWorld, appeals: list[Appeal], now: dt.datetime, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    crashes = 0
    for _ in range(rounds):
        budget = rng.randint(1, 40)
        calls = {"n": 0}

        def hook(point: str, calls: dict[str, int] = calls, budget: int = budget) -> None:
            calls["n"] += 1
            if calls["n"] >= budget:
                raise Crash(point)

        try:
            sla.sweep_escalations(now=now, batch=rng.randint(1, 7), hook=hook)
        except Crash:
            crashes += 1
    assert crashes > 0
    sla.sweep_escalations(now=now)  # a clean run finishes what is left
    _assert_exactly_once(appeals, now)


@pytest.mark.django_db
def test_sweeper_killed_at_random_points_never_loses_or_duplicates(world: AppealsWorld) -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    appeals = _file_many(world, 12, start)
    # Some appeals are further along, so their due deadline and levels differ.
    with clock.frozen(start + dt.timedelta(hours=2)):
        for a in appeals[:4]:
            dispatch.appeal_dispatch(actor=world.worker, appeal=a, department=world.tree.department)
    now = dt.datetime(2026, 3, 12, 10, 0, tzinfo=TZ)
    _crash_and_rerun(world, appeals, now, rounds=60, seed=4)
    later = dt.datetime(2026, 3, 25, 10, 0, tzinfo=TZ)
    _crash_and_rerun(world, appeals, later, rounds=30, seed=5)
    # One ladder per current deadline: the eight undispatched appeals' dispatch, and the four dispatched ones'
    # signing, contact and feedback (seven working days from receipt: escalated on 25 March at 09:00).
    assert Escalation.objects.filter(level=Escalation.Level.ESCALATE).count() == 8 + 4 * 3


# --- two sweepers at once -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_fire_each_level_once(tree: Tree, tmp_path: Path) -> None:
    """Two threads, each with its own connection, sweep the same due appeals at the same time.

    PostgreSQL: each claims a batch with SELECT … FOR UPDATE SKIP LOCKED, so they take different
    appeals. SQLite: each batch is an IMMEDIATE transaction, so batches are serialised. On both,
    the unique (appeal, stage, round, level) constraint is the last guard. On SQLite the sweepers use a file
    copy of the test database (:func:`anju.testing.sqlite_file_database`).

    Ten of the appeals are dispatched late, after their dispatch reminder fired: the sweepers then run the
    ladders of their signing, contact and feedback deadlines at once, beside the others' dispatch ladders."""
    world = make_appeals_world(tree)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    appeals = _file_many(world, 30, start)
    late = dt.datetime(2026, 3, 3, 12, 0, tzinfo=TZ)  # the dispatch was due at 09:00
    assert sla.sweep_escalations(now=late) == 30  # every dispatch reminder
    with clock.frozen(late):
        for a in appeals[:10]:
            dispatch.appeal_dispatch(actor=world.worker, appeal=a, department=world.tree.department)
    earlier = {a.pk: {"dispatch": [1]} for a in appeals[:10]}
    now = dt.datetime(2026, 3, 20, 10, 0, tzinfo=TZ)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    fired: dict[str, int] = {}
    seen: dict[str, int] = {"a": 0, "b": 0}
    working = {"a": threading.Event(), "b": threading.Event()}
    done = {"a": threading.Event(), "b": threading.Event()}

    def sweeper(label: str) -> None:
        other = "b" if label == "a" else "a"

        def hook(point: str) -> None:
            if point == "appeal":
                seen[label] += 1
                working[label].set()
            elif point == "committed":
                # After its first batch each sweeper lets the other in (on SQLite the IMMEDIATE
                # transactions would otherwise let one thread take every batch in a row), unless the other has
                # ended (then waiting would only stall each batch, and the other's error is reported below).
                deadline = time.monotonic() + 30
                while not (working[other].is_set() or done[other].is_set()) and time.monotonic() < deadline:
                    working[other].wait(timeout=0.05)

        with thread_connection():
            try:
                barrier.wait(timeout=30)
                fired[label] = sla.sweep_escalations(now=now, batch=3, hook=hook)
            except BaseException as exc:  # noqa: BLE001  reported below
                errors.append(exc)
            finally:
                done[label].set()

    with sqlite_file_database(tmp_path / "sweepers.sqlite3"):
        threads = [threading.Thread(target=sweeper, args=(x,)) for x in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert not any(t.is_alive() for t in threads)
        # Twenty dispatch ladders finish (three more levels each); the ten late ones: signing and contact all
        # four levels, feedback (due 11 March, escalated on the 25th) three.
        assert fired["a"] + fired["b"] == 20 * 3 + 10 * (4 + 4 + 3)
        assert seen["a"] >= 1
        assert seen["b"] >= 1
        _assert_exactly_once(appeals, now, earlier)
        assert Escalation.objects.count() == 30 + 170
        assert set(Escalation.objects.values_list("stage", flat=True)) == {"dispatch", "sign", "contact", "feedback"}


# --- statements per batch -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_costs_the_same_statements_for_5_or_50_due_appeals(world: AppealsWorld) -> None:
    """The sweep is set-based: claiming, the levels fired already, the recipients, the escalation rows, the
    messages (and their email), the audit rows and the appeals' next times are a few statements per batch,
    whatever its size. Five appeals filed at 09:00 and fifty at 10:00 get their dispatch reminders at 03:00 and
    04:00 the next morning; the sweep at 03:30 fires the five, the one at 04:30 the fifty."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    five = _file_many(world, 5, start)
    fifty = _file_many(world, 50, start + dt.timedelta(hours=1))
    counts = {}
    for label, at, group in (("5", (3, 30), five), ("50", (4, 30), fifty)):
        now = dt.datetime(2026, 3, 3, *at, tzinfo=TZ)
        with CaptureQueriesContext(connection) as ctx:
            assert sla.sweep_escalations(now=now) == len(group)
        counts[label] = len(ctx.captured_queries)
        _assert_exactly_once(group, now)
    # Each table's rows of a batch are one statement (``core.bulk.insert``: arrays on PostgreSQL, executemany on
    # SQLite), so the count does not grow with the batch.
    assert counts["5"] == counts["50"], counts
    # Claim, its communities, categories and departments (once a sweep), calendar (2), fired levels, staff,
    # escalation rows, recipients' settings, messages (SQLite: and their ids), email outbox, audit rows, the
    # appeals' next times, savepoints, and the claim that finds nothing more.
    assert counts["50"] <= 22, counts
