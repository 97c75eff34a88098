from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role

declare(
    "duty.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="See the station's duty roster (other volunteers' names masked) and one's own shifts",
)
declare(
    "duty.take",
    MEMBER_ROLES,
    upward=True,
    description="As an enrolled volunteer: sign up, confirm, ask for and give cover, check in at the door",
)
declare(
    "duty.manage",
    STAFF_ROLES,
    description="Shift templates, volunteers, roster generation and publishing, reassigning seats, attendance at "
    "the desk, the hours ledger and its reversals, reports, points rules and the store counter",
)


def _own_or_staff(user: Any, obj: Any) -> bool:
    from anju.duty.models import Volunteer

    volunteer = obj if isinstance(obj, Volunteer) else getattr(obj, "volunteer", None)
    if volunteer is None and hasattr(obj, "assignment"):
        volunteer = obj.assignment.volunteer
    return bool((volunteer is not None and volunteer.user_id == user.pk) or policy.can(user, "duty.manage", obj))


declare(
    "duty.own",
    MEMBER_ROLES,
    upward=True,
    description="One's own seats, hours and points (staff: every volunteer's within reach)",
    check=_own_or_staff,
)
