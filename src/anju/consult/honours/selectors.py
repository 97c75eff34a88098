"""Reads of honours (评比) shared by the pages and the API: which campaigns a user sees, the nominees a household
may score, the public objections (never the objector), and the honours on a household's or a person's record.

Members of a community see its campaigns past the draft (``honours.view``, upward from their building); staff
see drafts too (``honours.manage``). Anything else answers 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from anju.access import policy
from anju.consult.models import (
    Campaign,
    CampaignStatus,
    Nomination,
    NominationStatus,
    Objection,
    ScoreSheet,
    Vote,
)
from anju.core import screening
from anju.people.models import Household, Resident

ON_THE_LIST = (NominationStatus.SHORTLISTED, NominationStatus.STRUCK, NominationStatus.HONOURED)


def campaigns_visible(user: Any) -> QuerySet[Campaign]:
    """Campaigns ``user`` may open: every campaign for staff of the community, those past the draft for members."""
    qs = Campaign.objects.select_related("community")
    members = policy.scope_q(user, "honours.view", "community__path") & ~Q(status=CampaignStatus.DRAFT)
    if policy.can(user, "honours.manage"):
        return qs.filter(members | policy.scope_q(user, "honours.manage", "community__path"))
    return qs.filter(members)


def nominations_visible(user: Any) -> QuerySet[Nomination]:
    return Nomination.objects.filter(campaign__in=campaigns_visible(user)).select_related("campaign", "area")


def objections_visible(user: Any) -> QuerySet[Objection]:
    return Objection.objects.filter(campaign__in=campaigns_visible(user)).select_related("campaign")


def may_manage(user: Any, obj: Any) -> bool:
    return policy.can(user, "honours.manage", obj)


def nominations_of(campaign: Campaign) -> list[Nomination]:
    return list(
        Nomination.objects.filter(campaign=campaign)
        .select_related("area", "resident", "unit")
        # the honoured by rank first, then by score (SQLite sorts NULL first, PostgreSQL last: say which)
        .order_by(F("rank").asc(nulls_last=True), F("score").desc(nulls_last=True), "id")
    )


def shortlist_of(campaign: Campaign) -> list[Nomination]:
    return [n for n in nominations_of(campaign) if n.status in ON_THE_LIST]


def sheets_by(campaign: Campaign, household: Household | None) -> set[int]:
    """The nominees ``household`` has scored in ``campaign``."""
    if household is None:
        return set()
    return set(
        ScoreSheet.objects.filter(campaign=campaign, household=household).values_list("nomination_id", flat=True)
    )


def vote_of(campaign: Campaign, household: Household | None) -> Vote | None:
    if household is None:
        return None
    return Vote.objects.filter(campaign=campaign, household=household).first()


def objections_public(campaign: Campaign) -> list[dict[str, Any]]:
    """Every objection of a campaign as the public sees it: the nominee, the text (numbers masked), the status
    and the answer — never who raised it."""
    return [
        {
            "id": o.pk,
            "nominee": o.nomination.name if o.nomination else "",
            "body": screening.masked(o.body),
            "status": str(o.status),
            "answer": o.answer,
        }
        for o in Objection.objects.filter(campaign=campaign).select_related("nomination").order_by("created_at", "id")
    ]


def honours_of_household(household: Household) -> list[Nomination]:
    """The honours on a household's record (final results only): the household honoured, or one of its members.
    One query, whatever the number of honours."""
    return list(
        Nomination.objects.filter(status=NominationStatus.HONOURED, campaign__status=CampaignStatus.FINAL)
        .filter(Q(household=household) | Q(resident__household=household))
        .select_related("campaign")
        .order_by("-campaign__period_end", "id")
    )


def honours_of_resident(resident: Resident) -> list[Nomination]:
    """The honours on a person's record (final results only), in one query."""
    return list(
        Nomination.objects.filter(
            status=NominationStatus.HONOURED, campaign__status=CampaignStatus.FINAL, resident=resident
        )
        .select_related("campaign")
        .order_by("-campaign__period_end", "id")
    )
