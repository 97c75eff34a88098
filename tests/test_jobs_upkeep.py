"""Dedupe keys hold only while a job is pending; finished work is pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anju.jobs import registry
from anju.jobs.models import Job
from anju.jobs.services import job_enqueue
from anju.jobs.tasks import prune
from anju.jobs.worker import run_once

pytestmark = pytest.mark.django_db

OK = "test_jobs_upkeep.ok"
BOOM = "test_jobs_upkeep.boom"


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(registry, "_TASKS", dict(registry._TASKS))
    monkeypatch.setattr(registry, "_PERIODIC", {})
    seen: list[str] = []

    @registry.task(OK)
    def ok(tag: str = "") -> None:
        seen.append(tag)

    @registry.task(BOOM)
    def boom() -> None:
        raise RuntimeError("boom")

    return seen


def test_a_dedupe_key_blocks_a_second_enqueue_only_while_the_first_is_pending(ran: list[str]) -> None:
    first = job_enqueue(OK, {"tag": "a"}, dedupe_key="recompute:1")
    assert first is not None
    assert job_enqueue(OK, {"tag": "b"}, dedupe_key="recompute:1") is None

    run_once()
    assert ran == ["a"]
    first.refresh_from_db()
    assert first.status == Job.Status.DONE
    assert first.dedupe_key is None

    again = job_enqueue(OK, {"tag": "c"}, dedupe_key="recompute:1")
    assert again is not None
    run_once()
    assert ran == ["a", "c"]


def test_a_job_that_fails_for_good_releases_its_key(ran: list[str]) -> None:
    job = job_enqueue(BOOM, dedupe_key="boom:1")
    assert job is not None
    Job.objects.filter(pk=job.pk).update(max_attempts=1)
    run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.dedupe_key is None
    assert job_enqueue(BOOM, dedupe_key="boom:1") is not None


def test_a_job_waiting_to_retry_keeps_its_key(ran: list[str]) -> None:
    job = job_enqueue(BOOM, dedupe_key="boom:2")
    assert job is not None
    run_once()
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.dedupe_key == "boom:2"
    assert job_enqueue(BOOM, dedupe_key="boom:2") is None


def test_prune_forgets_old_finished_work_and_keeps_the_rest(ran: list[str]) -> None:
    now = timezone.now()

    def make(status: str, age_days: int | None) -> Job:
        return Job.objects.create(
            name=OK,
            status=status,
            finished_at=None if age_days is None else now - timedelta(days=age_days),
        )

    make(Job.Status.DONE, 31)
    make(Job.Status.FAILED, 91)
    new_done, newer_failed = make(Job.Status.DONE, 29), make(Job.Status.FAILED, 40)
    queued = make(Job.Status.QUEUED, None)

    prune()

    left = set(Job.objects.values_list("pk", flat=True))
    assert left == {new_done.pk, newer_failed.pk, queued.pk}
