"""The messages pairing sends through the shared inbox."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anju.access.roles import Role
from anju.accounts.models import RoleGrant
from anju.inbox.kinds import register
from anju.inbox.services import inbox_send
from anju.pairing.models import CentralHousehold, Visit

WEEKLY = "pairing.weekly"
FOLLOW_UP = "pairing.follow_up"

KINDS = {
    WEEKLY: _("This week: {due} visits due (week of {week})"),
    FOLLOW_UP: _("A visit to {household} needs your follow-up"),
}


def register_kinds() -> None:
    for kind, title in KINDS.items():
        register(kind, title)


def weekly_digest(central: CentralHousehold, *, week: dt.date, due: int, url: str) -> None:
    inbox_send(
        recipients=[central.carrier_id],
        kind=WEEKLY,
        community=central.community_id,
        params={"due": due, "week": week.isoformat()},
        url=url,
        thread=f"pairing-weekly-{central.pk}",
    )


def follow_up_requested(visit: Visit) -> None:
    """To the community workers of the household's community."""
    unit = visit.household.unit
    workers = (
        RoleGrant.objects.filter(
            role__in=[Role.COMMUNITY_WORKER, Role.GRID_WORKER],
            unit__path__in=[*unit.ancestor_paths, unit.path],
            user__is_active=True,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
    inbox_send(
        recipients=list(workers),
        kind=FOLLOW_UP,
        community=visit.community_id,
        params={"household": str(visit.household.address)},
        url=reverse("pairing:visit", kwargs={"visit_id": visit.pk}),
    )
