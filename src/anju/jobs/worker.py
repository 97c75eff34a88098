"""The worker loop: claim due rows, run them, record the outcome.

Claims are short transactions that mark a row as taken until
``locked_until`` by a claim token (``locked_by``); the work itself runs
outside them, and the outcome is written in a second transaction, only while
the row still carries this worker's token.

A claim is a lease of ``LEASE_SECONDS`` (30 s), renewed every
``HEARTBEAT_SECONDS`` by a heartbeat thread while the task runs, so a long
task keeps its row however long it takes. A worker that dies (kill -9, a lost
machine) stops renewing: its lease runs out within 30 s and another worker
takes the row over. Tasks are written to be safe to run twice (a task whose
heartbeat could not reach the database may run twice; its outcome is written
once, by whoever holds the claim).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from anju.core.middleware import is_outage
from anju.jobs.models import Job, PeriodicTask
from anju.jobs.registry import periodic_tasks, tasks

log = logging.getLogger("anju.worker")
LEASE_SECONDS = 30
HEARTBEAT_SECONDS = 10
CLAIM_SECONDS = LEASE_SECONDS  # the older name


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim_token() -> str:
    """One claim's token: unique per claim, so a worker that lost a row and claimed it again
    cannot mistake the old claim for the new one."""
    return f"{uuid.uuid4().hex[:12]}@{worker_id()}"[:100]


def renew(row: Job | PeriodicTask, *, now: Any = None) -> bool:
    """Extend this claim's lease; False when the row no longer carries our token (taken over)."""
    now = now or timezone.now()
    until = now + timedelta(seconds=LEASE_SECONDS)
    if isinstance(row, Job):
        jobs = Job.objects.filter(pk=row.pk, locked_by=row.locked_by, status=Job.Status.RUNNING)
        return bool(jobs.update(locked_until=until))
    return bool(PeriodicTask.objects.filter(pk=row.pk, locked_by=row.locked_by).update(locked_until=until))


class Heartbeat:
    """While the block runs, a thread renews the claim every ``HEARTBEAT_SECONDS`` on its own
    connection. A renewal that fails on the database is retried at the next beat; a claim found
    taken over is logged and no longer renewed (the outcome will not be written either)."""

    def __init__(self, row: Job | PeriodicTask, *, every: float | None = None) -> None:
        self.row = row
        self.every = HEARTBEAT_SECONDS if every is None else every
        self.beats = 0
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{row}", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    if not renew(self.row):
                        self.lost.set()
                        log.warning("claim on %s was taken over; no longer renewed", self.row)
                        return
                    self.beats += 1
                except DatabaseError:
                    log.warning("heartbeat could not renew the claim on %s", self.row, exc_info=True)
                    connection.close()  # a fresh connection at the next beat
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def _locking(qs: Any) -> Any:
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True)
    return qs  # SQLite: the IMMEDIATE transaction already serialises writers


def sync_periodic_tasks() -> None:
    """Make sure every registered periodic task has its row."""
    specs = periodic_tasks()
    existing = dict(PeriodicTask.objects.values_list("name", "interval_seconds"))
    for name, spec in specs.items():
        if name not in existing:
            PeriodicTask.objects.get_or_create(
                name=name, defaults={"interval_seconds": spec.every_seconds, "next_run_at": timezone.now()}
            )
        elif existing[name] != spec.every_seconds:
            PeriodicTask.objects.filter(name=name).update(interval_seconds=spec.every_seconds)


def claim_periodic(now: Any = None) -> PeriodicTask | None:
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            _locking(PeriodicTask.objects.filter(next_run_at__lte=now, name__in=list(periodic_tasks())))
            .exclude(locked_until__gt=now)
            .order_by("next_run_at")
            .first()
        )
        if row is None:
            return None
        row.locked_until = now + timedelta(seconds=LEASE_SECONDS)
        row.locked_by = claim_token()
        row.save(update_fields=["locked_until", "locked_by"])
        return row


def _result_text(result: Any) -> str:
    """What a periodic task returned, for the status page (counts, usually)."""
    if result is None:
        return ""
    if isinstance(result, dict):
        return ", ".join(f"{k}={v}" for k, v in result.items())[:500]
    return str(result)[:500]


def run_periodic(row: PeriodicTask) -> None:
    """Run a claimed periodic row; its outcome (and its next due time) is written only while
    this worker still holds the claim."""
    spec = periodic_tasks()[row.name]
    status, error, result = "ok", "", None
    with Heartbeat(row):
        try:
            result = spec.func()
        except Exception:
            status, error = "failed", traceback.format_exc()[-4000:]
            log.exception("periodic task %s failed", row.name)
    if status == "ok":
        log.info("periodic task %s done %s", row.name, _result_text(result))
    finished = timezone.now()
    written = PeriodicTask.objects.filter(pk=row.pk, locked_by=row.locked_by).update(
        locked_until=None,
        locked_by="",
        last_run_at=finished,
        last_status=status,
        last_error=error,
        last_result=_result_text(result),
        runs=row.runs + 1,
        next_run_at=finished + timedelta(seconds=row.interval_seconds),
    )
    if not written:
        log.warning("periodic task %s finished after its claim was taken over; outcome not written", row.name)


def claim_job(now: Any = None) -> Job | None:
    now = now or timezone.now()
    with transaction.atomic():
        qs = Job.objects.filter(run_at__lte=now, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        qs = qs.exclude(locked_until__gt=now)
        job = _locking(qs).order_by("run_at", "id").first()
        if job is None:
            return None
        job.status = Job.Status.RUNNING
        job.attempts += 1
        job.locked_until = now + timedelta(seconds=LEASE_SECONDS)
        job.locked_by = claim_token()
        job.save(update_fields=["status", "attempts", "locked_until", "locked_by"])
        return job


def run_job(job: Job) -> None:
    """Run a claimed job; the outcome is written only while this worker still
    holds the claim (a claim that expired may have been taken over)."""
    func = tasks().get(job.name)
    try:
        if func is None:
            raise LookupError(f"unknown task {job.name!r}")
        with Heartbeat(job):
            func(**job.payload)
    except Exception:
        log.exception("job %s failed", job)
        error = traceback.format_exc()[-4000:]
        if job.attempts >= job.max_attempts:
            Job.objects.filter(pk=job.pk, locked_by=job.locked_by).update(
                status=Job.Status.FAILED,
                last_error=error,
                locked_until=None,
                finished_at=timezone.now(),
                dedupe_key=None,
            )
        else:
            backoff = timedelta(seconds=30 * 2 ** (job.attempts - 1))
            Job.objects.filter(pk=job.pk, locked_by=job.locked_by).update(
                status=Job.Status.QUEUED, last_error=error, locked_until=None, run_at=timezone.now() + backoff
            )
        return
    Job.objects.filter(pk=job.pk, locked_by=job.locked_by).update(
        status=Job.Status.DONE, locked_until=None, finished_at=timezone.now(), dedupe_key=None
    )


def run_once(*, limit: int = 100) -> int:
    """Run what is due now; returns how many rows were run."""
    done = 0
    sync_periodic_tasks()
    while done < limit:
        row = claim_periodic()
        if row is None:
            break
        run_periodic(row)
        done += 1
    while done < limit:
        job = claim_job()
        if job is None:
            break
        run_job(job)
        done += 1
    return done


def run_forever(stop: threading.Event, *, poll_seconds: float = 5.0) -> None:
    log.info("worker %s started", worker_id())
    while not stop.is_set():
        try:
            close_old_connections()
            ran = run_once()
        except Exception as exc:
            if is_outage(exc):  # the database is down: wait for it, this is not a bug
                log.warning("worker %s: database unavailable (%s); retrying", worker_id(), type(exc).__name__)
            else:
                log.exception("worker loop error")
            ran = 0
        finally:
            close_old_connections()
        if ran == 0:
            stop.wait(poll_seconds)
    log.info("worker %s stopped", worker_id())
