"""Periodic work of appeals, swept by ``anju worker``."""

from __future__ import annotations

from anju.appeals import recompute
from anju.appeals.sla import sweep_escalations
from anju.jobs.registry import periodic, task


@periodic("appeals.escalations", every_seconds=60)
def escalations() -> int:
    return sweep_escalations()


@task(recompute.TASK)
def deadlines_recompute(*, year: int, revision: int | None = None) -> int:
    """After an official holiday schedule is entered or corrected: recompute the open deadlines touching it."""
    return recompute.deadlines_recompute(year=year, revision=revision)
