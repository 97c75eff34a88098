"""Periodic work of appeals, swept by ``anju worker``."""

from __future__ import annotations

from anju.appeals.sla import sweep_escalations
from anju.jobs.registry import periodic


@periodic("appeals.escalations", every_seconds=60)
def escalations() -> int:
    return sweep_escalations()
