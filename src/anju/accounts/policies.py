from anju.access.policy import declare
from anju.access.roles import Role

declare("user.view", [Role.ADMIN, Role.SUPERVISOR, Role.BRANCH_SECRETARY], description="See accounts in one's scope")
declare("user.manage", [Role.ADMIN], description="Create, disable and grant roles to accounts")
declare(
    "user.unlock",
    [Role.ADMIN, Role.BRANCH_SECRETARY, Role.COMMUNITY_WORKER],
    description="Unlock an account locked after failed sign-ins, for its owner",
)
declare("pii.log.view", [Role.SUPERVISOR, Role.ADMIN], description="Read the personal-data access log")
