"""Finding the nominee of a campaign (the nominate form's picker) and checking the one picked.

What a user finds, and may pick, is the campaign's community only, and within it:

- a lane, grid or building (文明巷): any active area, grid or building of the community, by part of its name —
  these are public;
- a household or a person, for a user who works in the registry of the community (``people.view``: workers,
  volunteers): the registry's own search within their reach (a name, its pinyin or initials, the building, the
  door number where their role sees doors), shown through the registry's ``Viewer`` (a volunteer sees ``张*丰``
  and the building, never a number);
- a household or a person, for a resident (no registry access): only an exact match of what they already know —
  the person's full name, or the building and door number (or a member's full name) of the household — shown as
  the honour roll would print it (the name, the address) with the area, and never a mobile or ID number. Nothing
  can be browsed: a part of a name, pinyin or initials finds nobody.

The form posts the chosen id; :func:`nominee_pick` refuses an id outside what the same user could have found,
with a clear error and nothing written.

The staff's paper score sheets (``honours.paper``) pick the household that scored with the same registry search
(:func:`household_choices`, :func:`household_pick`), whatever the campaign honours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from anju.consult.honours.services import area_of, default_name
from anju.consult.models import Campaign, Subject
from anju.core.params import parse_id
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import selectors as people
from anju.people.models import Household, Resident

LIMIT = 10
UNIT_KINDS = (UnitKind.AREA, UnitKind.GRID, UnitKind.BUILDING)
_DOOR = re.compile(r"[0-9A-Za-z-]+")


@dataclass(frozen=True)
class Choice:
    id: int
    label: str  # the name or address as this user may see it
    where: str  # the building (registry users) or the area (residents); never a number


def works_in_registry(user: Any, campaign: Campaign) -> bool:
    """Whether the user searches the registry of the campaign's community (``people.view`` within it)."""
    return people.communities_reached(user).filter(pk=campaign.community_id).exists()


def units_of(campaign: Campaign) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.subtree_of(campaign.community).filter(kind__in=UNIT_KINDS, is_active=True)


def households_of(user: Any, campaign: Campaign, *, registry: bool) -> QuerySet[Household]:
    """The households the user may pick: within reach for registry users, the whole community for a resident."""
    qs = people.households_visible(user) if registry else Household.objects.all()
    return qs.filter(community_id=campaign.community_id, status=Household.Status.ACTIVE)


def residents_of(user: Any, campaign: Campaign, *, registry: bool) -> QuerySet[Resident]:
    qs = people.residents_visible(user) if registry else Resident.objects.all()
    return qs.filter(community_id=campaign.community_id, status=Resident.Status.ACTIVE, archived_at__isnull=True)


def nominee_choices(user: Any, campaign: Campaign, q: str, *, limit: int = LIMIT) -> list[Choice]:
    """What the picker lists for ``q`` (at most ``limit``)."""
    q = " ".join((q or "").split())[:60]
    if not q:
        return []
    if campaign.subject == Subject.UNIT:
        units = units_of(campaign).filter(name__icontains=q).select_related("parent").order_by("path")[:limit]
        return [Choice(u.pk, u.name, u.parent.name if u.parent is not None else "") for u in units]
    if works_in_registry(user, campaign):
        return _registry_choices(user, campaign, q, limit)
    return _resident_choices(user, campaign, q, limit)


def _registry_choices(user: Any, campaign: Campaign, q: str, limit: int) -> list[Choice]:
    if campaign.subject == Subject.HOUSEHOLD:
        return household_choices(user, campaign, q, limit=limit)
    viewer = people.Viewer(user)
    residents = people.resident_search(user, people.ResidentFilter(q=q)).filter(
        community_id=campaign.community_id, archived_at__isnull=True
    )[:limit]
    return [Choice(r.pk, viewer.name(r), r.unit.name) for r in residents]


def _resident_choices(user: Any, campaign: Campaign, q: str, limit: int) -> list[Choice]:
    """Exact matches only, as the honour roll would print them, with the area (what the campaign page shows)."""
    name = q.replace(" ", "")
    if campaign.subject == Subject.PERSON:
        people_found = residents_of(user, campaign, registry=False).filter(name=name).select_related("unit")[:limit]
        return [Choice(r.pk, default_name(r), area_of(r.unit).name) for r in people_found]
    doors = set(_DOOR.findall(q))
    households = households_of(user, campaign, registry=False).select_related("address__unit", "unit")
    door_matches = limit * 5  # a door number recurs in every building; the building's name narrows it after
    by_door = [h for h in households.filter(address__door__in=doors)[:door_matches] if h.address.unit.name in name]
    by_member = households.filter(pk__in=Resident.objects.filter(name=name).values("household_id"))[:limit]
    found = list({h.pk: h for h in [*by_door, *by_member]}.values())[:limit]
    return [Choice(h.pk, default_name(h), area_of(h.unit).name) for h in found]


def household_choices(user: Any, campaign: Campaign, q: str, *, limit: int = LIMIT) -> list[Choice]:
    """Households of the campaign's community within a registry user's reach, by the registry's own search
    (a name, its pinyin or initials, the building, the door number where their role sees doors)."""
    q = " ".join((q or "").split())[:60]
    if not q:
        return []
    viewer = people.Viewer(user)
    found = people.household_search(user, q, community=campaign.community)[:limit]
    return [Choice(h.pk, viewer.household_label(h), h.unit.name) for h in found]


def household_pick(user: Any, raw: Any) -> Household:
    """The household chosen in the paper sheet's picker: an active household within the user's registry reach.
    One of another community is left to ``sheet_submit`` to refuse; a missing one or one out of reach is the
    same clear error."""
    pk = parse_id(str(raw or "").strip())
    found = (
        people.households_visible(user)
        .filter(pk=pk or 0, status=Household.Status.ACTIVE)
        .select_related("address__unit", "unit")
        .first()
    )
    if found is None:
        raise ValidationError({"household": [_("Choose a household of the campaign's community.")]})
    return found


def search_hint(user: Any, campaign: Campaign) -> str:
    """What to type in the picker, for this user and campaign."""
    if campaign.subject == Subject.UNIT:
        return _("Type part of the lane's, grid's or building's name.")
    if works_in_registry(user, campaign):
        return _("Type a name (pinyin or its initials work too), the building or the door number.")
    if campaign.subject == Subject.PERSON:
        return _("Type the person's full name.")
    return _("Type the building and the door number (for example 1栋 101), or a member's full name.")


def nominee_pick(user: Any, campaign: Campaign, raw: Any) -> dict[str, Any]:
    """The nominee chosen in the picker, as the ``unit``, ``household`` or ``resident`` argument of
    ``services.nominate``; an id missing, of another community or out of the user's reach is a clear error."""
    pk = parse_id(str(raw or "").strip())
    if pk is None:
        raise ValidationError({"nominee": [_("Search for the nominee and choose one from the list.")]})
    found: Any
    if campaign.subject == Subject.UNIT:
        found = units_of(campaign).filter(pk=pk).first()
        key = "unit"
    else:
        registry = works_in_registry(user, campaign)
        if campaign.subject == Subject.HOUSEHOLD:
            found = households_of(user, campaign, registry=registry).select_related("address__unit").filter(pk=pk)
            key = "household"
        else:
            found = residents_of(user, campaign, registry=registry).filter(pk=pk)
            key = "resident"
        found = found.first()
    if found is None:
        refused = _("That choice is not one you can nominate in this campaign: search again and choose from the list.")
        raise ValidationError({"nominee": [refused]})
    return {key: found}
