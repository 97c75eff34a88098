"""The row-driven worker: enqueue with the transaction, run once, retry, expire claims, periodic
rows, concurrent workers, and the ``anju worker --once`` command."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from anju.jobs import registry
from anju.jobs.models import Job, PeriodicTask
from anju.jobs.services import job_enqueue
from anju.jobs.worker import CLAIM_SECONDS, claim_job, run_once, sync_periodic_tasks
from anju.testing import sqlite_file_database, thread_connection

RECORD = "test_jobs.record"
FAIL = "test_jobs.fail"
TICK = "test_jobs.tick"
BROKEN_TICK = "test_jobs.broken_tick"


class Calls:
    """What the test tasks did, safe to append to from several threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[Any] = []
        self.ticks = 0
        self.barrier: threading.Barrier | None = None
        self.waited: set[int] = set()

    def add(self, item: Any) -> None:
        with self.lock:
            self.items.append(item)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Register this module's tasks in a copy of the registry, so nothing leaks to other tests."""
    monkeypatch.setattr(registry, "_TASKS", dict(registry._TASKS))
    monkeypatch.setattr(registry, "_PERIODIC", dict(registry._PERIODIC))
    seen = Calls()

    @registry.task(RECORD)
    def record_call(n: int = 0) -> None:
        barrier = seen.barrier
        me = threading.get_ident()
        if barrier is not None and me not in seen.waited:
            # Each worker thread's first job waits here until the other worker is inside a job
            # too: proof that both were claiming and running at the same time.
            seen.waited.add(me)
            barrier.wait(timeout=60)
        seen.add(n)

    @registry.task(FAIL)
    def fail(n: int = 0) -> None:
        seen.add(n)
        raise RuntimeError(f"boom {n}")

    @registry.periodic(TICK, every_seconds=600)
    def tick() -> None:
        with seen.lock:
            seen.ticks += 1

    return seen


def _enqueue(name: str = RECORD, payload: dict[str, Any] | None = None, **kwargs: Any) -> Job | None:
    with transaction.atomic():
        return job_enqueue(name, payload, **kwargs)


def _refresh(job: Job | None) -> Job:
    assert job is not None
    job.refresh_from_db()
    return job


# --- enqueueing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enqueue_rolled_back_leaves_no_job(calls: Calls) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            job_enqueue(RECORD, {"n": 1})
            assert Job.objects.filter(name=RECORD).count() == 1
            raise RuntimeError("change failed")

    with pytest.raises(RuntimeError, match="change failed"):
        change_that_fails()
    assert not Job.objects.filter(name=RECORD).exists()
    run_once()
    assert calls.items == []


@pytest.mark.django_db
def test_enqueue_checks_name_and_time(calls: Calls) -> None:
    with pytest.raises(LookupError):
        _enqueue("test_jobs.no_such_task")
    with pytest.raises(ValueError, match="timezone-aware"):
        _enqueue(RECORD, run_at=timezone.now().replace(tzinfo=None))
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_dedupe_key_enqueues_once(calls: Calls) -> None:
    first = _enqueue(RECORD, {"n": 1}, dedupe_key="remind:appeal:7:level1")
    assert first is not None
    assert _enqueue(RECORD, {"n": 2}, dedupe_key="remind:appeal:7:level1") is None
    assert Job.objects.filter(dedupe_key="remind:appeal:7:level1").count() == 1
    run_once()
    run_once()
    assert calls.items == [1]
    # Once it ran, the key is free again (tests/test_jobs_upkeep.py).


# --- running ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_run_once_runs_a_due_job_exactly_once(calls: Calls) -> None:
    job = _enqueue(RECORD, {"n": 7})
    later = _enqueue(RECORD, {"n": 8}, run_at=timezone.now() + timedelta(hours=1))
    assert run_once() >= 1
    job = _refresh(job)
    assert job.status == Job.Status.DONE
    assert job.attempts == 1
    assert job.finished_at is not None
    assert job.locked_until is None
    assert calls.items == [7]
    run_once()
    assert calls.items == [7]
    assert _refresh(job).attempts == 1
    later = _refresh(later)
    assert (later.status, later.attempts) == (Job.Status.QUEUED, 0)


@pytest.mark.django_db
def test_failing_job_backs_off_then_fails(calls: Calls) -> None:
    job = _refresh(_enqueue(FAIL, {"n": 1}))
    Job.objects.filter(pk=job.pk).update(max_attempts=3)
    for attempt, backoff in ((1, 30), (2, 60)):
        before = timezone.now()
        run_once()
        after = timezone.now()
        job = _refresh(job)
        assert (job.status, job.attempts) == (Job.Status.QUEUED, attempt)
        assert "RuntimeError: boom 1" in job.last_error
        assert before + timedelta(seconds=backoff) <= job.run_at <= after + timedelta(seconds=backoff)
        assert job.locked_until is None
        run_once()  # not due yet: nothing happens
        assert _refresh(job).attempts == attempt
        # Time passes: the retry is due.
        Job.objects.filter(pk=job.pk).update(run_at=timezone.now() - timedelta(seconds=1))
    run_once()
    job = _refresh(job)
    assert (job.status, job.attempts) == (Job.Status.FAILED, 3)
    assert "RuntimeError: boom 1" in job.last_error
    assert job.finished_at is not None
    Job.objects.filter(pk=job.pk).update(run_at=timezone.now() - timedelta(days=1))
    run_once()
    assert _refresh(job).attempts == 3
    assert calls.items == [1, 1, 1]


@pytest.mark.django_db
def test_unknown_task_name_fails_the_job_without_stopping_the_worker(calls: Calls) -> None:
    orphan = Job.objects.create(name="test_jobs.gone", max_attempts=1)
    good = _enqueue(RECORD, {"n": 5})
    run_once()
    orphan = _refresh(orphan)
    assert orphan.status == Job.Status.FAILED
    assert "unknown task" in orphan.last_error
    assert _refresh(good).status == Job.Status.DONE
    assert calls.items == [5]


@pytest.mark.django_db
def test_expired_claim_is_taken_again(calls: Calls) -> None:
    job = _enqueue(RECORD, {"n": 3})
    claimed = claim_job()  # a worker takes it ... and crashes before finishing
    assert claimed is not None
    assert claimed.pk == _refresh(job).pk
    job = _refresh(job)
    assert job.status == Job.Status.RUNNING
    assert job.attempts == 1
    assert job.locked_until is not None
    assert job.locked_until > timezone.now() + timedelta(seconds=CLAIM_SECONDS - 60)
    assert claim_job() is None  # the claim holds
    run_once()
    assert calls.items == []
    # The claim runs out.
    Job.objects.filter(pk=job.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    run_once()
    job = _refresh(job)
    assert calls.items == [3]
    assert (job.status, job.attempts, job.locked_until) == (Job.Status.DONE, 2, None)


# --- periodic rows ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_periodic_tasks_get_rows_run_when_due_and_reschedule(calls: Calls) -> None:
    sync_periodic_tasks()
    row = PeriodicTask.objects.get(name=TICK)
    assert row.interval_seconds == 600
    assert row.runs == 0
    assert set(registry.periodic_tasks()) <= set(PeriodicTask.objects.values_list("name", flat=True))
    sync_periodic_tasks()  # idempotent
    assert PeriodicTask.objects.filter(name=TICK).count() == 1

    run_once()
    row.refresh_from_db()
    assert calls.ticks == 1
    assert (row.runs, row.last_status, row.locked_until) == (1, "ok", None)
    assert row.last_run_at is not None
    assert row.next_run_at == row.last_run_at + timedelta(seconds=600)

    run_once()  # not due again yet
    assert calls.ticks == 1

    PeriodicTask.objects.filter(pk=row.pk).update(next_run_at=timezone.now() - timedelta(seconds=1))
    run_once()
    row.refresh_from_db()
    assert calls.ticks == 2
    assert row.runs == 2
    assert row.next_run_at > timezone.now() + timedelta(seconds=500)


@pytest.mark.django_db
def test_failing_periodic_task_is_recorded_and_rescheduled(calls: Calls) -> None:
    @registry.periodic(BROKEN_TICK, every_seconds=60)
    def broken() -> None:
        raise ValueError("periodic boom")

    run_once()
    row = PeriodicTask.objects.get(name=BROKEN_TICK)
    assert (row.runs, row.last_status, row.locked_until) == (1, "failed", None)
    assert "periodic boom" in row.last_error
    assert row.last_run_at is not None
    assert row.next_run_at == row.last_run_at + timedelta(seconds=60)
    assert calls.ticks == 1  # the other periodic task still ran


@pytest.mark.django_db
def test_sync_updates_a_changed_interval(calls: Calls) -> None:
    sync_periodic_tasks()
    registry.periodic(TICK, every_seconds=120)(lambda: None)
    sync_periodic_tasks()
    assert PeriodicTask.objects.get(name=TICK).interval_seconds == 120


# --- two workers at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_run_each_job_exactly_once(calls: Calls, tmp_path: Path) -> None:
    """Two threads, each with its own database connection, drain one queue at the same time.

    PostgreSQL: the test database itself (``transaction=True`` commits for real), and the claim is
    ``SELECT … FOR UPDATE SKIP LOCKED``. SQLite: a file copy with the production options
    (:func:`anju.testing.sqlite_file_database`), where the IMMEDIATE transaction serialises the claims.

    The first job of each thread waits on a barrier for the other thread, so the test only
    passes if both workers really were claiming and running side by side (not one draining the
    queue alone); the claims must still hand every job to exactly one of them.
    """
    n = 30
    calls.barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    ran: dict[str, int] = {}
    start = threading.Barrier(2)

    def worker(label: str) -> None:
        with thread_connection():
            try:
                start.wait(timeout=60)
                ran[label] = run_once()
            except BaseException as exc:  # noqa: BLE001  reported by the main thread below
                errors.append(exc)

    with sqlite_file_database(tmp_path / "workers.sqlite3"):
        for i in range(n):
            _enqueue(RECORD, {"n": i})
        threads = [threading.Thread(target=worker, args=(label,)) for label in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert sorted(calls.items) == list(range(n))  # every job ran, none twice
        assert len(calls.waited) == 2  # both threads ran jobs
        assert ran["a"] >= 1
        assert ran["b"] >= 1
        jobs = Job.objects.filter(name=RECORD)
        assert jobs.count() == n
        assert set(jobs.values_list("status", flat=True)) == {Job.Status.DONE}
        assert set(jobs.values_list("attempts", flat=True)) == {1}
        # Each claim has its own token; the part after "@" names the worker that took it.
        assert len({token.split("@", 1)[1] for token in jobs.values_list("locked_by", flat=True)}) == 2


# --- the command --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_worker_once_command(calls: Calls) -> None:
    job = _enqueue(RECORD, {"n": 42})
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "Ran " in out.getvalue()
    assert _refresh(job).status == Job.Status.DONE
    assert calls.items.count(42) == 1


@pytest.mark.django_db(transaction=True)  # the CLI closes every connection when it ends
def test_anju_cli_worker_once(calls: Calls, capsys: pytest.CaptureFixture[str]) -> None:
    from anju.cli import main

    job = _enqueue(RECORD, {"n": 43})
    main(["worker", "--once"])
    ran = capsys.readouterr().out
    assert ran.startswith("Ran ")
    assert int(ran.split()[1]) >= 1
    assert _refresh(job).status == Job.Status.DONE
    assert calls.items == [43]
