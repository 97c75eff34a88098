"""Reads of meetings and decisions shared by the pages and the API, scoped by the policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from anju.access import policy
from anju.accounts.models import User
from anju.consult.models import Decision, Meeting
from anju.orgs.models import OrgUnit


def meetings_for(user: Any) -> QuerySet[Meeting]:
    return (
        policy.visible(Meeting.objects.all(), user, "consult.view", "community__path")
        .select_related("space")
        .annotate(checked_in=Count("attendances", distinct=True))
    )


def decisions_for(user: Any) -> QuerySet[Decision]:
    return policy.visible(Decision.objects.all(), user, "consult.view", "community__path").select_related(
        "owner", "topic", "meeting"
    )


def owners_for(community: OrgUnit) -> QuerySet[User]:
    """Who may own a decision: the active accounts with a grant in the community (staff, volunteers, residents)."""
    return (
        User.objects.filter(OrgUnit.subtree_q(community, "grants__unit__"), is_active=True)
        .distinct()
        .order_by("display_name", "id")
    )
