"""Reads of topics, proposals and candidates shared by the pages and the API, scoped by the policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from anju.access import policy
from anju.consult.models import Candidate, Proposal, ProposalSupport, Topic
from anju.consult.topics.services import household_of
from anju.orgs.models import OrgUnit, UnitKind


def communities_for(user: Any, action: str = "consult.view") -> QuerySet[OrgUnit]:
    return policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), user, action, "path").order_by("path")


def topics_for(user: Any) -> QuerySet[Topic]:
    return policy.visible(Topic.objects.all(), user, "consult.view", "community__path")


def proposals_for(user: Any) -> QuerySet[Proposal]:
    """Proposals within reach, each with ``supported``: whether the user's household supports it."""
    qs = policy.visible(Proposal.objects.all(), user, "consult.view", "community__path").select_related("topic")
    household = household_of(user) if getattr(user, "is_authenticated", False) else None
    if household is None:
        return qs.annotate(supported=Exists(ProposalSupport.objects.none()))
    return qs.annotate(
        supported=Exists(ProposalSupport.objects.filter(proposal=OuterRef("pk"), household_id=household.pk))
    )


def candidates_for(user: Any) -> QuerySet[Candidate]:
    return policy.visible(Candidate.objects.all(), user, "consult.manage", "community__path").select_related(
        "unit", "topic"
    )
