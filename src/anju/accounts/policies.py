from anju.access.policy import declare
from anju.access.roles import OFFICE_ROLES, STAFF_ROLES, Role

declare("user.view", [Role.ADMIN, Role.SUPERVISOR, Role.BRANCH_SECRETARY], description="See accounts in one's scope")
declare("user.manage", [Role.ADMIN], description="Create, disable and grant roles to accounts")
declare(
    "user.unlock",
    [Role.ADMIN, Role.BRANCH_SECRETARY, Role.COMMUNITY_WORKER],
    description="Unlock an account locked after failed sign-ins, for its owner",
)
declare("pii.log.view", [Role.SUPERVISOR, Role.ADMIN], description="Read the personal-data access log")
declare(
    "proxy.record",
    STAFF_ROLES,
    description="Record or end a family proxy (子女代办) for a resident of one's community, with their consent",
)
declare(
    "proxy.grant",
    [Role.RESIDENT, Role.VOLUNTEER],
    description="Let a family member's account act for one (子女代办); the resident's own community",
)
declare(
    "account.office",
    OFFICE_ROLES,
    description="Acts in an office (staff, liaison, supervisor, administrator): no family proxy acts for it",
)
