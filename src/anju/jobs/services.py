"""Enqueueing work. Call inside the transaction of the change that needs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from anju.jobs.models import Job
from anju.jobs.registry import tasks


def job_enqueue(
    name: str, payload: dict[str, Any] | None = None, *, run_at: datetime | None = None, dedupe_key: str | None = None
) -> Job | None:
    """Insert a job row in the current transaction. With ``dedupe_key`` a
    second enqueue of the same key is a no-op (returns ``None``) while the first
    is queued or running; the worker releases the key when the job finishes or
    fails for good, so the same work can be asked for again later."""
    if name not in tasks():
        raise LookupError(f"unknown task {name!r}")
    if run_at is not None and timezone.is_naive(run_at):
        raise ValueError("run_at must be timezone-aware")
    try:
        with transaction.atomic():
            return Job.objects.create(
                name=name, payload=payload or {}, run_at=run_at or timezone.now(), dedupe_key=dedupe_key
            )
    except IntegrityError:
        if dedupe_key and Job.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
