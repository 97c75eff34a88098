"""The roles a user can be granted on an org unit (valid over its subtree)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer (party member)")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_WORKER = "community_worker", _("Community worker")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    DEPARTMENT_LIAISON = "department_liaison", _("Department liaison")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


# Named role sets, the one definition every app's ``policies.py`` declares its actions with.
# An administrator's grant counts as every role (``access.policy``), so no set names it.

#: Station staff of a community (社区工作人员): they run the station's work.
STAFF_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY})
#: Residents and party members, who use the station, and its staff.
MEMBER_ROLES = frozenset({Role.RESIDENT, Role.VOLUNTEER}) | STAFF_ROLES
#: Everyone who acts in an office (staff, department liaisons, supervisors, administrators), not as a resident.
OFFICE_ROLES = STAFF_ROLES | {Role.DEPARTMENT_LIAISON, Role.SUPERVISOR, Role.ADMIN}
