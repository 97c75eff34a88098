from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role

declare(
    "notice.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="Read the notice board of one's community",
)
declare("notice.manage", STAFF_ROLES, description="Publish, pin and withdraw notices")
