"""Which home page a user sees: one declared action per kind of home, asked in the order of
``site.home.HOME_ORDER`` (the first the user may open wins). An administrator's grant carries every action, so
administrators get the administrator's home."""

from anju.access.policy import declare
from anju.access.roles import STAFF_ROLES, Role

declare("home.admin", [Role.ADMIN], description="The administrator's home: the whole tree, jobs and the trail")
declare("home.supervisor", [Role.SUPERVISOR], description="The supervisor's home: units overseen, recent events")
declare("home.worker", STAFF_ROLES, description="The station staff's home: units, task forces, departments")
declare("home.department", [Role.DEPARTMENT_LIAISON], description="A department liaison's home")
declare("home.volunteer", [Role.VOLUNTEER], description="A volunteer's home: where they serve")
declare("home.resident", [Role.RESIDENT], description="A resident's home: where they live")
