"""Claims are short leases renewed by a heartbeat: a crashed worker's job or periodic task is taken
over within about 30 s (not five minutes), a running one keeps its claim however long it runs, and
only the worker holding the claim writes the outcome. Time is controlled through ``now``."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from anju.jobs import registry, worker
from anju.jobs.models import Job, PeriodicTask
from anju.jobs.services import job_enqueue
from anju.testing import sqlite_file_database

TASK = "test_jobs_leases.record"
SLOW = "test_jobs_leases.slow"
TICK = "test_jobs_leases.tick"


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    monkeypatch.setattr(registry, "_TASKS", dict(registry._TASKS))
    monkeypatch.setattr(registry, "_PERIODIC", {})
    seen: list[Any] = []
    registry.task(TASK)(lambda n=0: seen.append(n))

    @registry.periodic(TICK, every_seconds=600)
    def tick() -> dict[str, int]:
        seen.append("tick")
        return {"swept": 2}

    return seen


def _enqueue(payload: dict[str, Any] | None = None, name: str = TASK) -> Job:
    with transaction.atomic():
        job = job_enqueue(name, {"n": 1} if payload is None else payload)
    assert job is not None
    return job


def test_the_lease_is_about_thirty_seconds() -> None:
    assert worker.LEASE_SECONDS <= 30
    assert worker.HEARTBEAT_SECONDS * 3 <= worker.LEASE_SECONDS  # two beats may fail before it runs out


@pytest.mark.django_db
def test_a_claim_not_renewed_expires_after_the_lease_and_another_worker_takes_over(ran: list[Any]) -> None:
    job = _enqueue()
    t0 = timezone.now()
    first = worker.claim_job(now=t0)  # this worker is killed now
    assert first is not None
    assert worker.claim_job(now=t0 + timedelta(seconds=worker.LEASE_SECONDS - 1)) is None
    second = worker.claim_job(now=t0 + timedelta(seconds=worker.LEASE_SECONDS + 1))
    assert second is not None
    assert second.pk == job.pk
    assert second.locked_by != first.locked_by
    assert not worker.renew(first)  # the first claim is gone for good
    worker.run_job(second)
    job.refresh_from_db()
    assert (job.status, job.attempts, ran) == (Job.Status.DONE, 2, [1])


@pytest.mark.django_db
def test_a_renewed_claim_is_not_taken_over(ran: list[Any]) -> None:
    _enqueue()
    t0 = timezone.now()
    claim = worker.claim_job(now=t0)
    assert claim is not None
    # The heartbeat renews at t0 + 25 s: the claim now runs to t0 + 55 s.
    assert worker.renew(claim, now=t0 + timedelta(seconds=25))
    assert worker.claim_job(now=t0 + timedelta(seconds=worker.LEASE_SECONDS + 1)) is None
    assert worker.claim_job(now=t0 + timedelta(seconds=25 + worker.LEASE_SECONDS + 1)) is not None


@pytest.mark.django_db
def test_a_worker_that_lost_its_claim_writes_no_outcome(ran: list[Any]) -> None:
    job = _enqueue()
    t0 = timezone.now()
    slow = worker.claim_job(now=t0)
    assert slow is not None
    taker = worker.claim_job(now=t0 + timedelta(seconds=worker.LEASE_SECONDS + 1))
    assert taker is not None
    worker.run_job(slow)  # finishes late: the row belongs to the other worker now
    job.refresh_from_db()
    assert (job.status, job.locked_by) == (Job.Status.RUNNING, taker.locked_by)
    worker.run_job(taker)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE


@pytest.mark.django_db
def test_a_crashed_periodic_task_is_taken_over_within_the_lease(ran: list[Any]) -> None:
    worker.sync_periodic_tasks()
    t0 = timezone.now()
    first = worker.claim_periodic(now=t0)  # killed mid-run
    assert first is not None
    assert first.name == TICK
    assert worker.claim_periodic(now=t0 + timedelta(seconds=worker.LEASE_SECONDS - 1)) is None
    second = worker.claim_periodic(now=t0 + timedelta(seconds=worker.LEASE_SECONDS + 1))
    assert second is not None
    assert second.pk == first.pk
    worker.run_periodic(second)
    worker.run_periodic(first)  # a late finisher of the lost claim changes nothing
    row = PeriodicTask.objects.get(name=TICK)
    assert (row.runs, row.last_status, row.locked_until, row.locked_by) == (1, "ok", None, "")
    assert row.last_result == "swept=2"  # what the task returned, on the status page
    assert ran == ["tick", "tick"]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_claim_of_a_running_job(
    ran: list[Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A job that runs longer than a beat keeps its claim: the heartbeat thread (its own connection)
    moves ``locked_until`` forward while the job runs, then the outcome is written."""
    monkeypatch.setattr(worker, "HEARTBEAT_SECONDS", 0.05)
    renewed = threading.Event()
    real_renew = worker.renew

    def counting_renew(row: Any, *, now: Any = None) -> bool:
        ok = real_renew(row, now=now)
        if ok:
            renewed.set()
        return ok

    monkeypatch.setattr(worker, "renew", counting_renew)
    seen: dict[str, Any] = {}

    @registry.task(SLOW)
    def slow() -> None:
        seen["claimed_until"] = Job.objects.get(name=SLOW).locked_until
        seen["renewed"] = renewed.wait(timeout=30)
        seen["renewed_until"] = Job.objects.get(name=SLOW).locked_until

    with sqlite_file_database(tmp_path / "leases.sqlite3"):
        job = _enqueue({}, name=SLOW)
        claim = worker.claim_job()
        assert claim is not None
        worker.run_job(claim)
        job.refresh_from_db()
        assert seen["renewed"] is True
        assert seen["renewed_until"] > seen["claimed_until"]
        assert (job.status, job.locked_until) == (Job.Status.DONE, None)


def test_the_worker_loop_waits_out_a_database_outage_without_logging_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    from django.db import OperationalError

    stop = threading.Event()
    calls = {"n": 0}

    def unreachable(**kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] >= 2:
            stop.set()
        try:
            raise sqlite3.OperationalError("unable to open database file")
        except sqlite3.OperationalError as cause:
            raise OperationalError(*cause.args) from cause

    monkeypatch.setattr(worker, "run_once", unreachable)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    worker.run_forever(stop, poll_seconds=0)
    assert calls["n"] == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("database unavailable" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
