from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role

declare(
    "activity.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="See the activities of one's community",
)
declare(
    "activity.register",
    MEMBER_ROLES,
    upward=True,
    description="Register oneself or one's household for an activity",
)
declare(
    "activity.manage",
    STAFF_ROLES,
    description="Create activities, register residents on their behalf, cancel any registration",
)
declare(
    "activity.checkin",
    [Role.VOLUNTEER, *STAFF_ROLES],
    upward=True,
    description="Check participants in and out at the door, add walk-ins, see attendance",
)
declare(
    "activity.register_for",
    [Role.VOLUNTEER, *STAFF_ROLES],
    upward=True,
    description="Register a resident on their behalf (elderly without phones)",
)


def _owner_or_staff(user: Any, registration: Any) -> bool:
    return bool(
        registration.user_id == user.pk
        or registration.registered_by_id == user.pk
        or policy.can(user, "activity.manage", registration)
    )


declare(
    "registration.view",
    MEMBER_ROLES,
    upward=True,
    description="See and cancel one's own registrations (staff: every registration within reach)",
    check=_owner_or_staff,
)
