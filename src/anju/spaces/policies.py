from anju.accounts.policy import declare
from anju.accounts.roles import Role

declare(
    "space.view",
    [
        Role.RESIDENT,
        Role.VOLUNTEER,
        Role.GRID_WORKER,
        Role.COMMUNITY_WORKER,
        Role.BRANCH_SECRETARY,
        Role.SUPERVISOR,
    ],
    upward=True,
    description="See the station and its spaces",
)
