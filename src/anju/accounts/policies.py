from anju.accounts.policy import declare
from anju.accounts.roles import Role

declare("user.view", [Role.ADMIN, Role.SUPERVISOR, Role.BRANCH_SECRETARY], description="See accounts in one's scope")
declare("user.manage", [Role.ADMIN], description="Create, disable and grant roles to accounts")
declare("pii.log.view", [Role.SUPERVISOR, Role.ADMIN], description="Read the personal-data access log")
