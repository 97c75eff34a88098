"""Who may do what with honours (评比).

Members of a community (residents, volunteers, its staff) and supervisors read the campaigns past the draft, the
shortlist, the scores and the answered objections; residents and volunteers nominate (when the campaign lets
households nominate), score, object and vote for their own household; the community's workers and secretary
create campaigns, move them through their stages, answer objections and make results final.
"""

from __future__ import annotations

from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, Role

declare(
    "honours.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="Read the honours campaigns of one's community, their shortlists, scores, answers and results",
)
declare(
    "honours.take_part",
    MEMBER_ROLES,
    upward=True,
    description="Nominate, score nominees, raise an objection and vote for one's own household",
)
declare(
    "honours.manage",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Create honours campaigns, run their stages, answer objections, make results final",
)
