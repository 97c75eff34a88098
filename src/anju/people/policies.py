from anju.access.policy import declare
from anju.access.roles import Role

_WORKERS = [Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY]

declare("people.view", [Role.VOLUNTEER, *_WORKERS, Role.SUPERVISOR], description="See households and residents")
declare(
    "people.names",
    _WORKERS,
    description="See residents in full: names, birth dates, door numbers, sensitive tags (people.profiles)",
)
declare("people.manage", _WORKERS, description="Register, edit and archive residents and households")
declare(
    "people.reveal",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Reveal one mobile or ID number, giving a reason (logged)",
)
declare("people.import", [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY], description="Import residents from Excel")
declare("people.export", [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY], description="Export residents to Excel")
declare("people.tags.manage", [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY], description="Edit the list of tags")
declare(
    "people.invite",
    _WORKERS,
    description="Issue and revoke a resident's sign-in invitation at the desk, after checking them in person",
)
