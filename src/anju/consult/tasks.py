"""The worker's sweeps for consult: decision owners reminded (once a day each), and the 每月一题 candidates
suggested from the appeals of every community (a weekly look; the candidate's key keeps it one row)."""

from __future__ import annotations

from anju.consult.grouping import services as grouping
from anju.consult.meetings import services as meetings
from anju.jobs.registry import periodic
from anju.orgs.models import OrgUnit


@periodic("consult.decision_reminders", every_seconds=3600)
def decision_reminders() -> None:
    meetings.decisions_remind()


@periodic("consult.monthly_candidates", every_seconds=7 * 86400)
def monthly_candidates() -> None:
    for community in OrgUnit.objects.communities():
        grouping.candidates_suggest(actor=None, community=community)
