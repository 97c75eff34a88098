"""Import batches on the page: upload → check (a job) → commit (a job), with progress in the row.

The workbook waits in the batch row sealed like any personal value and is
emptied once the batch is finished or rejected. The check and the first part of
a commit (re-checking every row) report progress as they go; the write itself
is one transaction, shown as "writing", and the batch is marked done inside that same
transaction: a crash leaves either the rows and "done" or neither (and the job, its claim
expired, runs the import again).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import crypto
from anju.jobs.services import job_enqueue
from anju.orgs.models import OrgUnit
from anju.people.importing import columns, parse, validate, write
from anju.people.models import ImportBatch

PROGRESS_EVERY = 250


def import_start(
    *, actor: Any, community: OrgUnit, filename: str, data: bytes, request: HttpRequest | None = None
) -> ImportBatch:
    """Accept a workbook for checking. File-level problems (size, not xlsx) are refused here
    and nothing is stored."""
    problems = parse.check_file(data)
    if problems:
        raise ValidationError({"file": [p.message for p in problems]})
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            community=community,
            created_by=actor,
            filename=(filename or "residents.xlsx")[:200],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            file_sealed=crypto.encrypt(base64.b64encode(data).decode("ascii")),
            language=translation.get_language() or "zh-hans",
            status=ImportBatch.Status.CHECKING,
        )
        record(
            Action.RESIDENT_IMPORT_UPLOADED,
            actor=actor,
            obj=batch,
            request=request,
            data={"file": batch.filename[:100], "size": len(data)},
        )
        job_enqueue("people.import_run", {"batch_id": batch.pk, "commit": False})
    return batch


def import_commit(*, actor: Any, batch: ImportBatch, request: HttpRequest | None = None) -> ImportBatch:
    if batch.status != ImportBatch.Status.READY:
        raise ValidationError(_("Only a checked workbook without problems can be imported."))
    with transaction.atomic():
        updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.READY).update(
            status=ImportBatch.Status.COMMITTING, progress_done=0, phase=""
        )
        if not updated:
            raise ValidationError(_("This workbook is being imported already."))
        job_enqueue("people.import_run", {"batch_id": batch.pk, "commit": True}, dedupe_key=f"people.import:{batch.pk}")
    batch.refresh_from_db()
    return batch


def _progress(batch_id: int) -> columns.Progress:
    last = {"at": -PROGRESS_EVERY}

    def report(phase: str, done: int, total: int) -> None:
        if done - last["at"] < PROGRESS_EVERY and done < total and phase == "checking":
            return
        last["at"] = done
        # Outside the write transaction this is visible to the page at once.
        if not transaction.get_connection().in_atomic_block:
            ImportBatch.objects.filter(pk=batch_id).update(phase=phase, progress_done=done, progress_total=total)

    return report


def run_batch(*, batch_id: int, commit: bool) -> None:
    """The job body; safe to run twice (a finished batch is left alone)."""
    batch = ImportBatch.objects.select_related("community", "created_by").filter(pk=batch_id).first()
    if batch is None or not batch.file_sealed:
        return
    expected = ImportBatch.Status.COMMITTING if commit else ImportBatch.Status.CHECKING
    if batch.status != expected:
        return
    data = base64.b64decode(crypto.decrypt(batch.file_sealed))
    progress = _progress(batch.pk)
    with translation.override(batch.language):
        if not commit:
            plan = validate.dry_run(batch.community, data, progress)
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.READY if plan.ok else ImportBatch.Status.REJECTED,
                errors=[p.as_dict() for p in plan.problems],
                summary=plan.summary(),
                rows_total=plan.rows_read,
                phase="checked",
                progress_done=plan.rows_read,
                progress_total=plan.rows_read,
                file_sealed=batch.file_sealed if plan.ok else "",
                finished_at=None if plan.ok else timezone.now(),
            )
            return

        def mark_done(summary: dict[str, Any]) -> None:
            # In the rows' own transaction: rows and status commit together, or neither does.
            finished = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.COMMITTING).update(
                status=ImportBatch.Status.DONE,
                summary=summary,
                phase="done",
                file_sealed="",
                progress_done=summary["rows"],
                progress_total=summary["rows"],
                finished_at=timezone.now(),
            )
            if not finished:
                raise _AlreadyFinished  # another run finished this batch meanwhile: write nothing

        try:
            write.commit(
                actor=batch.created_by,
                community=batch.community,
                data=data,
                progress=progress,
                filename=batch.filename,
                on_written=mark_done,
            )
        except columns.ImportRejected as exc:
            # Only a batch still being imported is rejected: never one whose rows another run committed.
            ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.COMMITTING).update(
                status=ImportBatch.Status.REJECTED,
                errors=[p.as_dict() for p in exc.problems],
                file_sealed="",
                finished_at=timezone.now(),
            )
        except _AlreadyFinished:
            pass


class _AlreadyFinished(Exception):
    """The batch left "committing" while this run was writing it."""
