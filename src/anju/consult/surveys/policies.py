"""Who may do what in opinion collection. Surveys belong to a community: every member of it sees the open ones
and answers for themself; volunteers and staff answer on a resident's behalf and see which households have
answered (whom to visit); staff type in paper forms and shows of hands; the community's workers run surveys.
Nobody, by any role, reads who chose what: no action here reaches it."""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role


def _results_readable(user: Any, survey: Any) -> bool:
    """Staff and supervisors read results at any time; residents and volunteers once the survey is closed."""
    if survey.status == "closed" or policy.can(user, "consult.survey_enter", survey):
        return True
    return Role.SUPERVISOR in policy.roles_of(user)


declare(
    "consult.survey_view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="See the surveys of one's community",
)
declare(
    "consult.survey_answer",
    MEMBER_ROLES,
    upward=True,
    description="Answer a survey online, for oneself or one's household",
)
declare(
    "consult.survey_assist",
    [Role.VOLUNTEER, *STAFF_ROLES],
    upward=True,
    description="Answer a survey on a resident's behalf (recorded as assisted) and see which households answered",
)
declare(
    "consult.survey_enter",
    STAFF_ROLES,
    upward=True,
    description="Type in paper survey forms and a meeting's show of hands",
)
declare(
    "consult.survey_manage",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Create surveys, add questions, open and close them, export the results",
)
declare(
    "consult.survey_results",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    check=_results_readable,
    description="Read a survey's results (counts only; residents once it is closed)",
)
