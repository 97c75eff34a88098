"""Who may do what with the convention (公约).

Members of a community (residents, volunteers, its staff) and supervisors read the versions past the draft and
comment during public comment; residents and volunteers acknowledge the version in force for their own
household; a volunteer (a central household) or a worker types comments and paper acknowledgements for the
households they serve; the community's workers and secretary draft, open and close comment, decide amendments,
record the adoption, put a version in force, revise it, and read coverage with the households' doors.
"""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role


def _serves(user: Any, household: Any) -> bool:
    """Staff within reach of the household, or the central household serving it (pairing's own rule)."""
    return policy.can(user, "convention.manage", household) or policy.can(user, "pairing.visit", household)


declare(
    "convention.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="Read the convention of one's community (past the draft), its comments, amendments and diffs",
)
declare(
    "convention.comment",
    MEMBER_ROLES,
    upward=True,
    description="Comment on an article during public comment and propose amendments",
)
declare(
    "convention.acknowledge",
    MEMBER_ROLES,
    upward=True,
    description="Acknowledge the convention in force for one's own household",
)
declare(
    "convention.assist",
    [Role.VOLUNTEER, *STAFF_ROLES],
    check=_serves,
    description="Record a comment or a paper acknowledgement for a household one serves",
)
declare(
    "convention.manage",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Draft the convention, run comment and amendments, record adoption, put in force, read coverage",
)
