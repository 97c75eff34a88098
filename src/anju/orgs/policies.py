from anju.access.policy import declare
from anju.access.roles import Role

_READERS = [
    Role.VOLUNTEER,
    Role.GRID_WORKER,
    Role.COMMUNITY_WORKER,
    Role.BRANCH_SECRETARY,
    Role.DEPARTMENT_LIAISON,
    Role.SUPERVISOR,
]
declare("orgunit.view", _READERS, upward=True, description="See the org tree within reach")
declare("orgunit.manage", [Role.ADMIN], description="Add and rename org units")
declare("department.view", _READERS, upward=True, description="See departments")
declare("department.manage", [Role.ADMIN], description="Add and edit departments")
declare(
    "taskforce.view",
    [Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY, Role.SUPERVISOR],
    description="See task forces",
)
declare("taskforce.manage", [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY], description="Form task forces")
