"""Who may do what in consult: one declare() per action."""

from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role
from anju.consult.surveys import policies as surveys_policies  # noqa: F401

# Topics, proposals, meetings and decisions (topics/, meetings/).
declare(
    "consult.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="Read the topics, proposals, meetings and decisions of one's community",
)
declare(
    "consult.propose",
    [Role.RESIDENT, Role.VOLUNTEER],
    upward=True,
    description="Make a proposal in one's community and support proposals (one support per household)",
)
declare(
    "consult.manage",
    STAFF_ROLES,
    description="Open topics, run meetings (agenda, invitations, attendance, minutes, decisions, the summary)",
)
declare(
    "consult.checkin",
    MEMBER_ROLES,
    upward=True,
    description="Check in at a meeting of one's community with its QR code",
)

import anju.consult.convention.policies  # noqa: E402  (the convention)
import anju.consult.honours.policies  # noqa: E402, F401  (honours, 评比)
