"""Finding the resident or household who gave (the record form's picker) and checking the one picked.

Built the way the honours nominee picker is (``consult/honours/nominees.py``): an htmx fragment of radio buttons
with a plain-GET fallback, the registry's own searches and its ``Viewer``. What a user finds, and may pick, is
the project's community only, and within it what the user reaches in the registry (``people.view``):

- a person: by a part of the name, its pinyin or initials (the registry's resident search); when no name
  matches, the members of the households found by the building or the door number (where the user's role sees
  doors);
- a household: the registry's household search (the building, the household or door number, a member's name).

Each is shown through the registry's ``Viewer`` (a volunteer sees ``张*丰`` and the building), with the building
beside it; never a mobile or an ID number. A user outside the registry of the community finds nobody.

The form posts the chosen id; :func:`contributor_pick` refuses an id that is not a number, of another community
or out of the user's reach, with a clear error and nothing written. The contributor's name then comes from the
registry (a household is named after its head), and the public surfaces still follow the anonymity rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from anju.contributions.models import Contribution, Project
from anju.core.params import parse_id
from anju.people import selectors as people
from anju.people.models import Household, Relation, Resident

LIMIT = 10
REGISTRY_KINDS = (Contribution.Contributor.RESIDENT, Contribution.Contributor.HOUSEHOLD)


@dataclass(frozen=True)
class Choice:
    id: int
    label: str  # the name or address as this user may see it
    where: str  # the building; never a number


def works_in_registry(user: Any, project: Project) -> bool:
    """Whether the user searches the registry of the project's community (``people.view`` within it)."""
    return people.communities_reached(user).filter(pk=project.community_id).exists()


def residents_of(user: Any, project: Project) -> QuerySet[Resident]:
    """The residents the user may pick: active, within reach and of the project's community."""
    return people.residents_visible(user).filter(
        community_id=project.community_id, status=Resident.Status.ACTIVE, archived_at__isnull=True
    )


def households_of(user: Any, project: Project) -> QuerySet[Household]:
    return people.households_visible(user).filter(community_id=project.community_id, status=Household.Status.ACTIVE)


def contributor_choices(user: Any, project: Project, contributor: str, q: str, *, limit: int = LIMIT) -> list[Choice]:
    """What the picker lists for ``q`` (at most ``limit``): residents or households, as ``contributor`` says."""
    q = " ".join((q or "").split())[:60]
    if not q or contributor not in REGISTRY_KINDS or not works_in_registry(user, project):
        return []
    viewer = people.Viewer(user)
    if contributor == Contribution.Contributor.HOUSEHOLD:
        households = people.household_search(user, q, community=project.community)[:limit]
        return [Choice(h.pk, viewer.household_label(h), h.unit.name) for h in households]
    by_name = people.resident_search(user, people.ResidentFilter(q=q)).filter(
        community_id=project.community_id, archived_at__isnull=True
    )
    found = list(by_name[:limit])
    if not found:
        homes = people.household_search(user, q, community=project.community).values("pk")
        found = list(
            residents_of(user, project)
            .filter(household_id__in=homes)
            .select_related("unit")
            .order_by("unit__path", "household_id", "id")[:limit]
        )
    return [Choice(r.pk, viewer.name(r), r.unit.name) for r in found]


def search_hint(user: Any, project: Project) -> str:
    """What to type in the picker, for this user and project."""
    if works_in_registry(user, project):
        return _("Type a name (pinyin or its initials work too), the building or the door number.")
    return _("You do not work in this community's registry: type the contributor's name instead.")


def household_name(household: Household) -> str:
    """A household's name in the ledger: after its head (or its first member), never its address (the public page
    may be open without signing in)."""
    members = Resident.objects.filter(household=household, status=Resident.Status.ACTIVE).order_by("id")
    head = members.filter(relation=Relation.HEAD).first() or members.first()
    # A name, not a phrase of the interface: the same "张三家" whatever language the worker reads.
    return f"{head.name}家" if head is not None else ""


def contributor_pick(user: Any, project: Project, contributor: str, raw: Any) -> dict[str, Any]:
    """The resident or household chosen in the picker, as the ``resident`` or ``household`` and ``name`` arguments
    of ``services.contribution_record``; an id that is not a number, of another community or out of the user's
    reach is a clear error (the same for each, so that nothing tells them apart)."""
    if contributor not in REGISTRY_KINDS:
        raise ValidationError({"contributor": [_("Only a resident or a household is chosen from the registry.")]})
    pk = parse_id(raw if isinstance(raw, int) else str(raw or "").strip())
    if pk is None:
        raise ValidationError(
            {f"{contributor}_id": [_("Search the registry and choose the contributor from the list.")]}
        )
    if contributor == Contribution.Contributor.RESIDENT:
        resident = residents_of(user, project).filter(pk=pk).first()
        if resident is None:
            refused = _(
                "That resident is not one you can choose for this project: search again and choose from the list."
            )
            raise ValidationError({"resident": [refused]})
        return {"resident": resident, "name": resident.name}
    household = households_of(user, project).filter(pk=pk).first()
    if household is None:
        refused = _("That household is not one you can choose for this project: search again and choose from the list.")
        raise ValidationError({"household": [refused]})
    return {"household": household, "name": household_name(household)}
