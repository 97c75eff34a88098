"""Reads shared by the pages, the API and the export: scoped, searchable, masked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from anju.access import policy
from anju.core.masking import mask_id_number, mask_mobile, mask_name
from anju.orgs import selectors as org_selectors
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import profiles, services, validation
from anju.people.models import Household, ImportBatch, Resident, ResidentEvent, Tag, tag_label
from anju.people.validation import Invalid

SCOPE = "unit__path"


def resident_for_user(user: Any) -> Resident | None:
    """The registry entry of a signed-in resident, matched by the mobile number of the account (blind index).

    Appeals, spaces and activities use it to tie an account to its resident and household."""
    if not getattr(user, "is_authenticated", False) or not user.mobile_sealed:
        return None
    return (
        Resident.objects.filter(
            mobile_index=services.mobile_index(user.mobile), status=Resident.Status.ACTIVE, archived_at__isnull=True
        )
        .select_related("household")
        .prefetch_related("tags")
        .order_by("pk")
        .first()
    )


def household_members_of(user: Any) -> list[Resident]:
    """Everyone in the signed-in resident's household (archived members left out); empty when unmatched."""
    me = resident_for_user(user)
    if me is None:
        return []
    return list(
        Resident.objects.filter(household_id=me.household_id, archived_at__isnull=True)
        .prefetch_related("tags")
        .order_by("pk")
    )


def reach_q(user: Any, action: str = "people.view") -> Q:
    """Residents or households within the user's reach for ``action``, by indexed keys from the one reach module:
    their community's id where the user reaches the whole community, their building's id below that (a grid
    worker, a volunteer on an area). The same rows as the path pattern ``unit__path`` through a join (SCOPE)."""
    return policy.rows_in_reach_q(
        user,
        action,
        communities=OrgUnit.objects.communities(),
        units=OrgUnit.objects.filter(kind=UnitKind.BUILDING),
    )


def residents_visible(user: Any, action: str = "people.view") -> QuerySet[Resident]:
    return Resident.objects.filter(reach_q(user, action))


def households_visible(user: Any, action: str = "people.view") -> QuerySet[Household]:
    return Household.objects.filter(reach_q(user, action))


def buildings_visible(user: Any, action: str = "people.view") -> QuerySet[OrgUnit]:
    return policy.visible(OrgUnit.objects.filter(kind=UnitKind.BUILDING, is_active=True), user, action, "path")


def communities_for(user: Any, action: str) -> QuerySet[OrgUnit]:
    """Communities where the user may do ``action`` on the community as a whole."""
    return policy.visible(OrgUnit.objects.communities().filter(is_active=True), user, action, "path")


def communities_reached(user: Any, action: str = "people.view") -> QuerySet[OrgUnit]:
    """Communities the user works in for ``action``: those under a grant, and the community a
    grant below community level (a grid, a building) lies in."""
    return org_selectors.communities_in_reach(user, action=action)


def tags_for(user: Any, community: OrgUnit | None = None) -> QuerySet[Tag]:
    qs = Tag.objects.filter(is_active=True, community__in=communities_reached(user))
    if not policy.can(user, profiles.FULL_ACTION):
        qs = qs.filter(sensitive=False)
    if community is not None:
        qs = qs.filter(community=community)
    return qs.select_related("community").order_by("community__path", "sort_order", "name")


@dataclass
class ResidentFilter:
    q: str = ""
    building: int | None = None
    tag: int | None = None
    party: bool | None = None
    household: int | None = None
    status: str = "active"  # "active", "archived" or "all"
    exact: str = ""  # "mobile:<keyed hash>" or "id_number:<keyed hash>"


_PINYIN = re.compile(r"^[a-z]+$")


_EXACT = re.compile(r"^(mobile|id_number):[0-9a-f]{64}$")


def exact_token(q: str) -> str:
    """For a full mobile or ID number, the token that searches for it by keyed hash (so that
    pages and links never carry the number itself); "" otherwise."""
    text = q.strip()
    try:
        number, _born, _gender = validation.clean_id_number(text)
    except Invalid:
        pass
    else:
        return f"id_number:{services.id_number_index(number)}"
    if len([ch for ch in text if ch.isdigit()]) >= 11:
        try:
            return f"mobile:{services.mobile_index(validation.parse_mobile(text))}"
        except Invalid:
            return ""
    return ""


def _exact_q(token: str) -> Q:
    if not _EXACT.match(token):
        return Q(pk__in=[])
    kind, digest = token.split(":", 1)
    return Q(mobile_index=digest) if kind == "mobile" else Q(id_number_index=digest)


def _search_q(q: str) -> Q:
    """Exact mobile or ID number through the keyed hash; pinyin initials or full pinyin for
    Latin letters; otherwise a part of the name."""
    text = q.strip()
    try:
        number, _born, _gender = validation.clean_id_number(text)
    except Invalid:
        pass
    else:
        return Q(id_number_index=services.id_number_index(number))
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 11:
        try:
            mobile = validation.parse_mobile(text)
        except Invalid:
            return Q(pk__in=[])
        return Q(mobile_index=services.mobile_index(mobile))
    lowered = text.lower().replace(" ", "")
    if _PINYIN.match(lowered):
        return Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
    try:
        name = validation.clean_name(text)
    except Invalid:
        return Q(name__icontains=text)
    return Q(name__icontains=name)


def resident_search(user: Any, flt: ResidentFilter) -> QuerySet[Resident]:
    qs = residents_visible(user)
    if flt.status == "active":
        qs = qs.filter(status=Resident.Status.ACTIVE)
    elif flt.status == "archived":
        qs = qs.exclude(status=Resident.Status.ACTIVE)
    if flt.q.strip():
        qs = qs.filter(_search_q(flt.q))
    if flt.exact:
        qs = qs.filter(_exact_q(flt.exact))
    if flt.building:
        qs = qs.filter(unit_id=flt.building)
    if flt.household:
        qs = qs.filter(household_id=flt.household)
    if flt.tag:
        qs = qs.filter(pk__in=Resident.tags.through.objects.filter(tag_id=flt.tag).values("resident_id"))
        if Tag.objects.filter(pk=flt.tag, sensitive=True).exists():
            # Who carries a sensitive tag is only for the roles that see it (people.profiles).
            qs = qs.filter(reach_q(user, profiles.FULL_ACTION))
    if flt.party is not None:
        qs = qs.filter(is_party_member=flt.party)
    return (
        qs.select_related("household__address__unit", "unit")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("sort_order", "name")))
        .order_by("unit__path", "household__address__entrance", "household__address__door", "household_id", "id")
    )


def household_list(
    user: Any, *, q: str = "", building: int | None = None, status: str = "active"
) -> QuerySet[Household]:
    qs = households_visible(user).select_related("unit", "address__unit")
    if status == "active":
        qs = qs.filter(status=Household.Status.ACTIVE)
    elif status == "archived":
        qs = qs.filter(status=Household.Status.ARCHIVED)
    if building:
        qs = qs.filter(unit_id=building)
    if q.strip():
        # The door number is searched only where the user may see it (people.profiles).
        door = Q(address__door__icontains=q.strip()) & reach_q(user, profiles.FULL_ACTION)
        qs = qs.filter(door | Q(number__icontains=q.strip()))
    # The members counted by a subquery per row shown (PostgreSQL evaluates it after the LIMIT), not a GROUP BY
    # over every household in reach.
    members = (
        Resident.objects.filter(household_id=OuterRef("pk"), status=Resident.Status.ACTIVE)
        .order_by()
        .values("household_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0)).order_by(
        "unit__path", "address__entrance", "address__door", "number", "id"
    )


def household_search(user: Any, q: str, *, community: OrgUnit | None = None) -> QuerySet[Household]:
    """Active households within reach found by what a worker types in a picker: every word must match the
    building's name, the household number, the door number (only where the user may see doors,
    ``people.profiles``) or a member's name (part of it, its pinyin or initials, as the resident search)."""
    qs = households_visible(user).filter(status=Household.Status.ACTIVE)
    if community is not None:
        qs = qs.filter(community=community)
    words = q.split()[:4]
    if not words:
        return qs.none()
    full = reach_q(user, profiles.FULL_ACTION)
    for word in words:
        members = residents_visible(user).filter(_search_q(word), status=Resident.Status.ACTIVE).values("household_id")
        qs = qs.filter(
            Q(unit__name__icontains=word)
            | Q(number__icontains=word)
            | (Q(address__door__iexact=word) & full)
            | Q(pk__in=members)
        )
    return qs.select_related("address__unit", "unit").order_by("unit__path", "address__entrance", "address__door", "id")


def resident_history(resident: Resident) -> QuerySet[ResidentEvent]:
    return resident.events.select_related("actor").order_by("-on_date", "-id")


def batches_for(user: Any) -> QuerySet[ImportBatch]:
    return policy.visible(ImportBatch.objects.all(), user, "people.import", "community__path").select_related(
        "community", "created_by"
    )


# --- masking -------------------------------------------------------------------------------


class Viewer:
    """What one user sees of residents and households: the profile of ``people.profiles``, decided once per
    object. Pages, the API, the export and every other app that shows a resident go through it."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.full = policy.can(user, profiles.FULL_ACTION)
        self.reveal = policy.can(user, "people.reveal")

    def profile(self, obj: Resident | Household) -> profiles.Profile:
        return profiles.profile_for(self.user, obj, full_anywhere=self.full)

    def sees_names(self, resident: Resident) -> bool:
        return self.profile(resident).names

    def may_reveal(self, resident: Resident) -> bool:
        return self.reveal and policy.can(self.user, "people.reveal", resident)

    def name(self, resident: Resident) -> str:
        return resident.name if self.sees_names(resident) else mask_name(resident.name)

    def household_label(self, household: Household, *, number: bool = True) -> str:
        return profiles.address_label(self.profile(household), household.address, household.number if number else "")

    def row(self, resident: Resident) -> dict[str, Any]:
        """The resident as this user may see them, shared by pages, the API and the export."""
        profile = self.profile(resident)
        mobile = resident.mobile
        born = resident.birth_date
        return {
            "id": resident.pk,
            "profile": profile.key,
            "name": resident.name if profile.names else mask_name(resident.name),
            "gender": resident.gender,
            "gender_label": resident.get_gender_display() if resident.gender else "",
            "birth_date": born if profile.birth_date else None,
            "age_band": profiles.age_band(born),
            "birth": (born.isoformat() if profile.birth_date else profiles.age_band(born)) if born else "",
            "mobile": mask_mobile(mobile),
            "id_number": mask_id_number(resident.id_number) if profile.id_number else "",
            "has_mobile": bool(mobile),
            "relation": resident.relation,
            "relation_label": resident.get_relation_display(),
            "household_id": resident.household_id,
            "address": profiles.address_label(profile, resident.household.address),
            "building_id": resident.unit_id,
            "tags": [t.label for t in resident.tags.all() if profile.sensitive_tags or not t.sensitive],
            # As stored, for the export that imports back (a label may hold spaces and reads differently by language).
            "tag_names": [t.name for t in resident.tags.all() if profile.sensitive_tags or not t.sensitive],
            "is_party_member": resident.is_party_member,
            "party_branch": resident.party_branch,
            "status": resident.status,
            "status_label": resident.get_status_display(),
            "status_date": resident.status_date,
            "is_central_household": resident.household.is_central,
            "may_reveal": self.may_reveal(resident) and resident.is_active,
        }


def registry_summary(user: Any) -> dict[str, Any]:
    """The workers' home card: households, residents and residents per tag, within reach."""
    residents = residents_visible(user).filter(status=Resident.Status.ACTIVE)
    tag_counts = (
        Tag.objects.filter(residents__in=residents, is_active=True)
        .values("name")
        .annotate(n=Count("residents", distinct=True))
        .order_by("-n", "name")
    )
    return {
        "households": households_visible(user).filter(status=Household.Status.ACTIVE).count(),
        "residents": residents.count(),
        "party_members": residents.filter(is_party_member=True).count(),
        "tags": [{"name": tag_label(row["name"]), "count": row["n"]} for row in tag_counts[:12]],
    }
