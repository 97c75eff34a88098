from anju.accounts.policy import declare
from anju.accounts.roles import Role

STAFF = [Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY]

declare(
    "notice.view",
    [Role.RESIDENT, Role.VOLUNTEER, *STAFF, Role.SUPERVISOR],
    upward=True,
    description="Read the notice board of one's community",
)
declare("notice.manage", STAFF, description="Publish, pin and withdraw notices")
