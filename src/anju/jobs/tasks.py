"""Upkeep of the job table itself, and of the uploaded files."""

from datetime import timedelta

from django.utils import timezone

from anju.jobs.models import Job
from anju.jobs.registry import periodic

KEEP_DONE = timedelta(days=30)
KEEP_FAILED = timedelta(days=90)


@periodic("jobs.prune", every_seconds=24 * 3600)
def prune() -> None:
    """Forget finished work: done jobs after 30 days, failed ones (kept longer, for inspection) after 90."""
    now = timezone.now()
    Job.objects.filter(status=Job.Status.DONE, finished_at__lt=now - KEEP_DONE).delete()
    Job.objects.filter(status=Job.Status.FAILED, finished_at__lt=now - KEEP_FAILED).delete()


@periodic("jobs.sweep_media", every_seconds=3600)
def sweep_media() -> dict[str, int]:
    """Remove uploaded files no row points at once they are an hour old (what a crash left), and move
    committed ones a crash left pending into place; the counts show on the worker page."""
    from anju.core.files import media_sweep

    return media_sweep()


@periodic("jobs.partitions_ensure", every_seconds=24 * 3600)
def partitions_ensure() -> dict[str, int]:
    """Create the months ahead of the time-partitioned tables (PostgreSQL; nothing on SQLite), so rows of the
    coming months never land in a default partition."""
    from anju.core import partitions

    return {"created": len(partitions.ensure())}
