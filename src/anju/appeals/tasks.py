"""Periodic work of appeals, swept by ``anju worker``."""

from __future__ import annotations

from anju.appeals import recompute
from anju.appeals.sla import sweep_escalations
from anju.appeals.whistles.ladder import sweep_arrivals
from anju.jobs.registry import periodic, task


@periodic("appeals.escalations", every_seconds=60)
def escalations() -> int:
    """The appeals' deadline ladders, then the whistles' arrival ladders."""
    return sweep_escalations() + sweep_arrivals()


@task(recompute.TASK)
def deadlines_recompute(*, year: int, revision: int | None = None) -> int:
    """After an official holiday schedule is entered or corrected: recompute the open deadlines touching it."""
    return recompute.deadlines_recompute(year=year, revision=revision)
