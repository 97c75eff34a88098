"""The worker's sweeps for mediation: the follow-up reminder to the mediator, once per follow-up."""

from __future__ import annotations

from anju.jobs.registry import periodic
from anju.mediation import services


@periodic("mediation.follow_up_reminders", every_seconds=3600)
def follow_up_reminders() -> None:
    services.follow_up_reminders_send()
