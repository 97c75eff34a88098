"""The worker loop: claim due rows, run them, record the outcome.

Claims are short transactions that mark a row as taken until
``locked_until``; the work itself runs outside them, and the outcome is
written in a second transaction. A worker that dies mid-task leaves a claim
that expires, and the row is taken again; tasks are written to be safe to
run twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from datetime import timedelta
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from anju.jobs.models import Job, PeriodicTask
from anju.jobs.registry import periodic_tasks, tasks

log = logging.getLogger("anju.worker")
CLAIM_SECONDS = 300


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


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
        row.locked_until = now + timedelta(seconds=CLAIM_SECONDS)
        row.save(update_fields=["locked_until"])
        return row


def run_periodic(row: PeriodicTask) -> None:
    spec = periodic_tasks()[row.name]
    status, error = "ok", ""
    try:
        spec.func()
    except Exception:
        status, error = "failed", traceback.format_exc()[-4000:]
        log.exception("periodic task %s failed", row.name)
    finished = timezone.now()
    PeriodicTask.objects.filter(pk=row.pk).update(
        locked_until=None,
        last_run_at=finished,
        last_status=status,
        last_error=error,
        runs=row.runs + 1,
        next_run_at=finished + timedelta(seconds=row.interval_seconds),
    )


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
        job.locked_until = now + timedelta(seconds=CLAIM_SECONDS)
        job.locked_by = worker_id()[:100]
        job.save(update_fields=["status", "attempts", "locked_until", "locked_by"])
        return job


def run_job(job: Job) -> None:
    """Run a claimed job; the outcome is written only while this worker still
    holds the claim (a claim that expired may have been taken over)."""
    func = tasks().get(job.name)
    try:
        if func is None:
            raise LookupError(f"unknown task {job.name!r}")
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
        except Exception:
            log.exception("worker loop error")
            ran = 0
        finally:
            close_old_connections()
        if ran == 0:
            stop.wait(poll_seconds)
    log.info("worker %s stopped", worker_id())
