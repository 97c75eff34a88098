"""Who may do what in pairing. Staff work on their community; a central household's carrier (a volunteer)
works only on the households paired with it now (the ``check`` below); nobody else sees anything."""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.access.policy import declare
from anju.access.roles import STAFF_ROLES, Role


def _serves(user: Any, obj: Any) -> bool:
    """Staff within reach, or the carrier of the central household serving the object's household."""
    from anju.pairing.models import CentralHousehold
    from anju.pairing.selectors import serves

    if policy.can(user, "pairing.manage", obj):
        return True
    if isinstance(obj, CentralHousehold):
        return obj.carrier_id == getattr(user, "pk", None) and obj.is_active
    household_id = getattr(obj, "household_id", None) if not hasattr(obj, "address_id") else obj.pk
    return household_id is not None and serves(user, household_id)


# The pages of central households and coverage show a whole community's households by door, with their care
# levels (sensitive: disability, 低保): they are for the community's own workers. A grid worker's grant lies
# below the community (a grid worker visits through ``pairing.visit``); a supervisor's profile of a resident is
# the limited one (no door, no sensitive tags), which these pages would break.
declare(
    "pairing.view",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Read central households and visit coverage",
)
declare(
    "pairing.manage",
    [Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    description="Designate central households, pair households, set care levels and cadences",
)
declare(
    "pairing.visit",
    [Role.VOLUNTEER, *STAFF_ROLES],
    check=_serves,
    description="See one's paired households and record visits (a central household: only its own)",
)
declare(
    "pairing.reveal",
    [Role.VOLUNTEER, Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY],
    check=_serves,
    description="Reveal the mobile number of a household one serves, giving a reason (logged)",
)
