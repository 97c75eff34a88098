"""An import's rows and its batch status commit together: a crash at any point leaves a batch whose
status tells the truth, and the rerun neither duplicates nor rejects rows already committed. A
worker killed mid-import is replaced within the claim's lease, not five minutes later."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from anju.jobs.models import Job
from anju.jobs.worker import LEASE_SECONDS, claim_job, run_job, run_once
from anju.people import batches, fakes
from anju.people.importing import write
from anju.people.models import ImportBatch, Resident
from anju.testing.people import PeopleWorld

ROWS = 30


class Crash(BaseException):
    """The process dies here (a BaseException, like a kill: no handler of the code under test sees it)."""


def _committing_batch(people_world: PeopleWorld) -> ImportBatch:
    actor = people_world.users["community_worker"]
    data = fakes.workbook(fakes.people_rows(ROWS, buildings=["1栋", "2栋"], start=500))
    batch = batches.import_start(actor=actor, community=people_world.community, filename="居民.xlsx", data=data)
    run_once()  # the check
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.READY, batch.errors
    return batches.import_commit(actor=actor, batch=batch)


def _crash_at(monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    real_commit = write.commit

    def crashing_commit(**kwargs: Any) -> dict[str, Any]:
        on_written = kwargs.get("on_written")
        if point == "before_status" and on_written is not None:

            def crash_before_status(summary: dict[str, Any]) -> None:
                raise Crash(point)  # every row written, the batch status not yet

            kwargs["on_written"] = crash_before_status
        real_commit(**kwargs)
        raise Crash(point)  # the writing function returned: whatever it committed stays

    monkeypatch.setattr(write, "commit", crashing_commit)


@pytest.mark.parametrize("point", ["before_status", "after_write"])
def test_a_crash_between_rows_and_status_leaves_the_truth_and_the_rerun_imports_once(
    people_world: PeopleWorld, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    batch = _committing_batch(people_world)
    before = Resident.objects.count()
    with monkeypatch.context() as patch:
        _crash_at(patch, point)
        with pytest.raises(Crash):
            batches.run_batch(batch_id=batch.pk, commit=True)
    batch.refresh_from_db()
    written = Resident.objects.count() - before
    # The status tells the truth: "importing" with no rows, or "done" with all of them.
    assert (batch.status, written) in {(ImportBatch.Status.COMMITTING, 0), (ImportBatch.Status.DONE, ROWS)}
    batches.run_batch(batch_id=batch.pk, commit=True)  # the job runs again after the crash
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert batch.errors == []
    assert batch.summary["residents_created"] == ROWS
    assert Resident.objects.count() - before == ROWS  # neither duplicated nor rejected


def test_a_rerun_after_the_batch_finished_changes_nothing(people_world: PeopleWorld) -> None:
    batch = _committing_batch(people_world)
    before = Resident.objects.count()
    batches.run_batch(batch_id=batch.pk, commit=True)
    batches.run_batch(batch_id=batch.pk, commit=True)
    batch.refresh_from_db()
    assert (batch.status, Resident.objects.count() - before) == (ImportBatch.Status.DONE, ROWS)


def test_a_run_that_finds_its_batch_finished_meanwhile_writes_nothing(
    people_world: PeopleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run finished the batch while this one was writing: this one's rows roll back and the
    batch is not marked rejected."""
    batch = _committing_batch(people_world)
    before = Resident.objects.count()
    real_commit = write.commit

    def other_run_finished_first(**kwargs: Any) -> dict[str, Any]:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.DONE)
        return real_commit(**kwargs)

    monkeypatch.setattr(write, "commit", other_run_finished_first)
    batches.run_batch(batch_id=batch.pk, commit=True)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert Resident.objects.count() == before


def test_an_import_whose_worker_was_killed_is_taken_over_within_the_lease(people_world: PeopleWorld) -> None:
    batch = _committing_batch(people_world)
    t0 = timezone.now()
    dead = claim_job(now=t0)  # the worker is killed before it finishes
    assert dead is not None
    assert dead.name == "people.import_run"
    assert claim_job(now=t0 + timedelta(seconds=LEASE_SECONDS - 1)) is None
    taker = claim_job(now=t0 + timedelta(seconds=LEASE_SECONDS + 1))
    assert taker is not None
    assert taker.pk == dead.pk
    run_job(taker)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert Job.objects.get(pk=taker.pk).status == Job.Status.DONE
