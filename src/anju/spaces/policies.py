from typing import Any

from anju.accounts import policy
from anju.accounts.policy import declare
from anju.accounts.roles import Role

STAFF = [Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY]

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

declare(
    "booking.create",
    [Role.RESIDENT, Role.VOLUNTEER, *STAFF],
    upward=True,
    description="Book a space of one's community's station",
)

declare(
    "booking.manage",
    STAFF,
    description="Confirm, reject, cancel and check in any booking; book on someone's behalf; close a space",
)


def _owner_or_staff(user: Any, booking: Any) -> bool:
    return bool(booking.booker_id == user.pk or policy.can(user, "booking.manage", booking))


# A booking is seen and acted on (cancel, check in, claim a skipped date) by its owner or by staff
# whose reach covers its community.
declare(
    "booking.view",
    [Role.RESIDENT, Role.VOLUNTEER, *STAFF],
    upward=True,
    description="See and act on one's own bookings (staff: every booking within reach)",
    check=_owner_or_staff,
)

declare(
    "space.manage",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Edit a space's details, bookable hours, closed periods, booking rules and photos",
)
