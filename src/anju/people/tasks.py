"""Background work of the registry: import batches and the anonymisation sweep."""

from __future__ import annotations

from anju.jobs.registry import periodic, task


@task("people.import_run")
def import_run(*, batch_id: int, commit: bool = False) -> None:
    from anju.people.batches import run_batch

    run_batch(batch_id=batch_id, commit=commit)


@periodic("people.anonymise_archived", every_seconds=24 * 3600)
def anonymise_archived() -> int:
    from anju.people.services import residents_anonymise_due

    return residents_anonymise_due()
