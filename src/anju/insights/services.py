"""Every state change of insights: asking for a community's annual report, recording its download, and the
worker's writes while it builds one (claim, progress, finish, fail)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.insights.models import Report
from anju.jobs.services import job_enqueue
from anju.orgs.models import OrgUnit

TASK = "insights.report_build"
#: The action that asks for a report and downloads it (policies.py).
ACTION = "insights.report"
#: The first year a report may be asked for; the last is the current one.
FIRST_YEAR = 2000


def year_check(year: Any) -> int:
    """The year as a number, or a :class:`ValidationError` in the user's language."""
    last = timezone.localdate().year
    try:
        value = int(year)
    except (TypeError, ValueError):
        value = 0
    if not FIRST_YEAR <= value <= last:
        raise ValidationError(
            {"year": [_("Choose a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": last}]}
        )
    return value


def running_report(community: OrgUnit, year: int) -> Report | None:
    return (
        Report.objects.filter(community=community, year=year, status__in=Report.RUNNING_STATUSES)
        .select_related("community")
        .first()
    )


def report_request(
    *, actor: Any, community: OrgUnit, year: Any, request: HttpRequest | None = None
) -> tuple[Report, bool]:
    """Ask the worker for ``community``'s report of ``year``. Returns ``(report, created)``: while a report of the
    same community and year is waiting or being written, that one (``created`` False) and nothing is written —
    also when two requests race each other (the partial unique constraint lets one insert; the other finds its
    row). Raises :class:`ValidationError` for a year out of range."""
    year = year_check(year)
    existing = running_report(community, year)
    if existing is not None:
        return existing, False
    with transaction.atomic():
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    community=community,
                    year=year,
                    requested_by=actor,
                    language=translation.get_language() or "zh-hans",
                )
        except IntegrityError:
            existing = running_report(community, year)
            if existing is None:
                raise
            return existing, False
        record(
            Action.REPORT_REQUESTED,
            actor=actor,
            obj=report,
            community=community,
            request=request,
            data={"year": year},
        )
        job_enqueue(TASK, {"report_id": report.pk}, dedupe_key=f"insights.report:{report.pk}")
    return report, True


def report_downloaded(*, actor: Any, report: Report, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        record(
            Action.REPORT_DOWNLOADED,
            actor=actor,
            obj=report,
            community=report.community,
            request=request,
            data={"year": report.year},
        )


def report_claim(*, report_id: int) -> Report | None:
    """The worker starts (or, after a crash, starts again) a waiting or running report; None for a finished one."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .filter(pk=report_id, status__in=Report.RUNNING_STATUSES)
            .select_related("community", "requested_by")
            .first()
        )
        if report is None:
            return None
        report.status = Report.Status.RUNNING
        report.started_at = timezone.now()
        report.progress = 1
        report.phase = "start"
        report.save(update_fields=["status", "started_at", "progress", "phase"])
    return report


def report_progress(*, report_id: int, progress: int, phase: str) -> None:
    """Visible to the page at once (outside any transaction): the worker's own bookkeeping, not a change anyone
    made, so no audit row."""
    Report.objects.filter(pk=report_id, status=Report.Status.RUNNING).update(progress=min(progress, 99), phase=phase)


def report_finish(*, report_id: int, pdf: bytes, pages: int) -> bool:
    """Store the PDF and mark the report ready, in one transaction (the file goes live when it commits). False
    when another run finished it meanwhile (nothing written)."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id, status=Report.Status.RUNNING).first()
        if report is None:
            return False
        report.file.save(f"report-{report.community_id}-{report.year}-{report.pk}.pdf", ContentFile(pdf), save=False)
        report.status = Report.Status.DONE
        report.progress = 100
        report.phase = "done"
        report.pages = pages
        report.finished_at = timezone.now()
        report.save(update_fields=["file", "status", "progress", "phase", "pages", "finished_at"])
    return True


def report_fail(*, report_id: int, error: str) -> None:
    Report.objects.filter(pk=report_id, status__in=Report.RUNNING_STATUSES).update(
        status=Report.Status.FAILED, error=error[:300], finished_at=timezone.now()
    )
