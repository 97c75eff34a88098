"""The messages mediation sends through the shared inbox. They name a case by its number only: never a party,
the account or a note (the inbox, its emails and SMS are read far from the mediation room)."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anju.access.roles import Role
from anju.accounts.models import RoleGrant
from anju.inbox.kinds import register
from anju.inbox.services import inbox_send
from anju.mediation.models import Case
from anju.orgs.models import Department

RISK = "mediation.risk"
ASSIGNED = "mediation.assigned"
FOLLOW_UP_DUE = "mediation.follow_up_due"

KINDS = {
    RISK: _("Mediation case {case}: risk of violence, act now"),
    ASSIGNED: _("You are a mediator of case {case}"),
    FOLLOW_UP_DUE: _("Mediation case {case}: a follow-up is due on {due}"),
}


def register_kinds() -> None:
    for kind, title in KINDS.items():
        register(kind, title)


def _url(case: Case) -> str:
    return reverse("mediation:case", kwargs={"case_id": case.pk})


def risk_recipients(case: Case) -> tuple[list[int], list[int]]:
    """The community's branch secretaries, and the liaisons of the police stations above it."""
    community = case.community
    paths = [*community.ancestor_paths, community.path]
    secretaries = RoleGrant.objects.filter(role=Role.BRANCH_SECRETARY, unit_id=community.pk, user__is_active=True)
    police = RoleGrant.objects.filter(
        Q(role=Role.DEPARTMENT_LIAISON),
        department__kind=Department.Kind.POLICE,
        department__is_active=True,
        department__unit__path__in=paths,
        user__is_active=True,
    )
    return (
        list(dict.fromkeys(secretaries.values_list("user_id", flat=True))),
        list(dict.fromkeys(police.values_list("user_id", flat=True))),
    )


def risk(case: Case) -> None:
    """The secretary gets the case's link; the police liaison the number only (the case is not theirs to read)."""
    secretaries, police = risk_recipients(case)
    police = [u for u in police if u not in secretaries]
    for recipients, url in ((secretaries, _url(case)), (police, "")):
        if recipients:
            inbox_send(
                recipients=recipients,
                kind=RISK,
                community=case.community_id,
                params={"case": case.number},
                url=url,
                thread=f"mediation-{case.pk}",
            )


def assigned(case: Case, user_ids: list[int]) -> None:
    if not user_ids:
        return
    inbox_send(
        recipients=user_ids,
        kind=ASSIGNED,
        community=case.community_id,
        params={"case": case.number},
        url=_url(case),
        thread=f"mediation-{case.pk}",
    )


def follow_up_due(case: Case, user_ids: list[int], due: str) -> None:
    """Tell the case's mediator a follow-up is due: the case number and the date only."""
    inbox_send(
        recipients=user_ids,
        kind=FOLLOW_UP_DUE,
        community=case.community_id,
        params={"case": case.number, "due": due},
        url=_url(case),
        thread=f"mediation-{case.pk}",
    )
