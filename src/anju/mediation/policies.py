"""Who may do what in mediation: one declare() per action.

A case is need-to-know. Its content is read by its assigned mediators and by the branch secretary of its
community, nobody else (an administrator included); the worker who opened it reads its number and status. Every
role may *ask*, so that the decorator lets the request through and the object check answers 404 alike for a
case that does not exist and one the user may not know of. The case actions reach upward (a co-mediator who
is a volunteer of an area below the community reaches the community's case): the check, not the reach, decides.
"""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import OFFICE_ROLES, STAFF_ROLES, Role

EVERYONE = [*Role.values]


def _case_of(obj: Any) -> Any:
    return obj if hasattr(obj, "opened_by_id") else getattr(obj, "case", None)


def is_mediator(user: Any, case: Any) -> bool:
    """Is ``user`` assigned to ``case`` (lead or co-mediator)?"""
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return False
    cached = getattr(case, "_mediator_ids", None)
    if cached is None:
        cached = set(case.mediators.values_list("user_id", flat=True))
        case._mediator_ids = cached
    return user_id in cached


def is_secretary(user: Any, case: Any) -> bool:
    """Does ``user`` hold the branch secretary's role over the case's community?"""
    if not policy.can(user, "mediation.oversee", case.community):
        return False
    return any(g.role == Role.BRANCH_SECRETARY for g in policy.grants_for(user, "mediation.oversee"))


def _reads(user: Any, obj: Any) -> bool:
    case = _case_of(obj)
    return case is not None and (is_mediator(user, case) or is_secretary(user, case))


def _mediates(user: Any, obj: Any) -> bool:
    case = _case_of(obj)
    return case is not None and is_mediator(user, case)


def _leads(user: Any, obj: Any) -> bool:
    case = _case_of(obj)
    if case is None:
        return False
    return is_secretary(user, case) or case.mediators.filter(user_id=getattr(user, "pk", None), is_lead=True).exists()


def _sees_status(user: Any, obj: Any) -> bool:
    case = _case_of(obj)
    if case is None:
        return False
    return _reads(user, case) or (case.opened_by_id is not None and case.opened_by_id == getattr(user, "pk", None))


declare(
    "mediation.oversee",
    [Role.BRANCH_SECRETARY],
    description="The branch secretary's oversight of the community's mediation cases",
)
declare(
    "mediation.open",
    [*STAFF_ROLES],
    description="Open a mediation case (at the desk, from an appeal or a visit)",
)
declare(
    "mediation.list",
    [Role.VOLUNTEER, *STAFF_ROLES],
    description="List the mediation cases one mediates, oversees or opened",
)
declare(
    "mediation.read",
    EVERYONE,
    upward=True,
    check=_reads,
    description="Read a case's content (its assigned mediators and the community's branch secretary only)",
)
declare(
    "mediation.status",
    EVERYONE,
    upward=True,
    check=_sees_status,
    description="Read a case's number and status (also the worker who opened it)",
)
declare(
    "mediation.mediate",
    EVERYONE,
    upward=True,
    check=_mediates,
    description="Schedule sessions, record attendance, notes, the outcome and follow-ups (assigned mediators)",
)
declare(
    "mediation.assign",
    EVERYONE,
    upward=True,
    check=_leads,
    description="Change a case's mediators (the lead mediator or the branch secretary)",
)
declare(
    "mediation.stats",
    [*OFFICE_ROLES - {Role.DEPARTMENT_LIAISON, Role.GRID_WORKER}],
    description="Read mediation statistics (counts only, no personal data)",
)
