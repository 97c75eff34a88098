from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import MEMBER_ROLES, STAFF_ROLES, Role

declare(
    "space.view",
    [*MEMBER_ROLES, Role.SUPERVISOR],
    upward=True,
    description="See the station and its spaces",
)

declare(
    "booking.create",
    MEMBER_ROLES,
    upward=True,
    description="Book a space of one's community's station",
)

declare(
    "booking.for_groups",
    [Role.VOLUNTEER, *STAFF_ROLES],
    description="Book a space open to groups (party members and station staff)",
)

declare(
    "booking.manage",
    STAFF_ROLES,
    description="Confirm, reject, cancel and check in any booking; book on someone's behalf; close a space",
)


def _owner_or_staff(user: Any, booking: Any) -> bool:
    return bool(booking.booker_id == user.pk or policy.can(user, "booking.manage", booking))


# A booking is seen and acted on (cancel, check in, claim a skipped date) by its owner or by staff
# whose reach covers its community.
declare(
    "booking.view",
    MEMBER_ROLES,
    upward=True,
    description="See and act on one's own bookings (staff: every booking within reach)",
    check=_owner_or_staff,
)

declare(
    "space.manage",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Edit a space's details, bookable hours, closed periods, booking rules and photos",
)
