"""Every state change of topics, proposals and supports.

A proposal gathers one support per household (a unique constraint); the support that reaches the threshold
turns it into a topic on the agenda, exactly once: supports take the proposal's row lock (``FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers), so the count and the topic are decided by one
writer at a time, and the proposal's one-to-one ``topic`` cannot be set twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.consult.models import Proposal, ProposalSupport, Topic
from anju.core import screening
from anju.orgs.models import OrgUnit
from anju.people.models import Household
from anju.people.selectors import resident_for_user

#: Households a proposal needs, unless the community's staff set another number on it.
DEFAULT_THRESHOLD = 10
MAX_THRESHOLD = 10_000


def threshold_default() -> int:
    return int(getattr(settings, "ANJU_CONSULT_SUPPORT_THRESHOLD", DEFAULT_THRESHOLD))


def _text(title: str, body: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give it a title.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if len(body) > 5000:
        errors["body"] = [_("At most 5000 characters.")]
    if errors:
        raise ValidationError(errors)
    return public_text(title)[:200], public_text(body)


def public_text(text: str) -> str:
    """Text shown to the whole community: numbers typed into it (mobile, ID, card, plate) masked for good."""
    return screening.masked(screening.screen(text)) if text else ""


def topic_open(
    *,
    actor: Any,
    community: OrgUnit,
    title: str,
    body: str = "",
    origin: str = Topic.Origin.STAFF,
    status: str = Topic.Status.OPEN,
    request: HttpRequest | None = None,
) -> Topic:
    """Open a topic in ``community`` (staff)."""
    title, body = _text(title, body)
    with transaction.atomic():
        topic = Topic.objects.create(
            community=community,
            title=title,
            body=body,
            origin=origin,
            status=status,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record(Action.CONSULT_TOPIC_OPENED, actor=actor, obj=topic, request=request, data={"origin": origin})
    return topic


def topic_update(
    *,
    actor: Any,
    topic: Topic,
    title: str,
    body: str,
    status: str,
    request: HttpRequest | None = None,
) -> Topic:
    title, body = _text(title, body)
    if status not in Topic.Status.values:
        raise ValidationError({"status": [_("Choose a status from the list.")]})
    with transaction.atomic():
        before = {"title": topic.title, "status": topic.status}
        topic.title, topic.body, topic.status = title, body, status
        topic.save(update_fields=["title", "body", "status", "updated_at"])
        record(
            Action.CONSULT_TOPIC_CHANGED,
            actor=actor,
            obj=topic,
            request=request,
            data=diff(before, {"title": topic.title, "status": topic.status}),
        )
    return topic


def household_of(user: Any) -> Household | None:
    """The signed-in resident's household (matched through the registry), or None."""
    me = resident_for_user(user)
    return me.household if me is not None else None


def proposal_make(
    *,
    actor: Any,
    title: str,
    body: str = "",
    community: OrgUnit | None = None,
    threshold: int | None = None,
    request: HttpRequest | None = None,
) -> Proposal:
    """A resident proposes a topic in their own household's community (the proposer's household supports it)."""
    household = household_of(actor)
    if household is None:
        raise ValidationError(
            {"household": [_("Your account is not linked to a household yet: ask the community's workers.")]}
        )
    if community is not None and community.pk != household.community_id:
        raise ValidationError({"community": [_("You can make a proposal only in your own community.")]})
    threshold = threshold_default() if threshold is None else threshold
    if not 1 <= int(threshold) <= MAX_THRESHOLD:
        raise ValidationError(
            {"threshold": [_("The threshold is between 1 and %(max)d households.") % {"max": MAX_THRESHOLD}]}
        )
    title, body = _text(title, body)
    with transaction.atomic():
        proposal = Proposal.objects.create(
            community_id=household.community_id,
            title=title,
            body=body,
            proposer=actor,
            household=household,
            threshold=threshold,
        )
        record(Action.CONSULT_PROPOSAL_MADE, actor=actor, obj=proposal, request=request, data={"threshold": threshold})
        _support(proposal, actor=actor, household=household, request=request)
    proposal.refresh_from_db()
    return proposal


def proposal_support(*, actor: Any, proposal: Proposal, request: HttpRequest | None = None) -> Proposal:
    """The actor's household supports ``proposal`` (once per household; the one that reaches the threshold
    puts it on the agenda)."""
    household = household_of(actor)
    if household is None:
        raise ValidationError(
            {"household": [_("Your account is not linked to a household yet: ask the community's workers.")]}
        )
    if household.community_id != proposal.community_id:
        raise ValidationError({"proposal": [_("You can support proposals of your own community only.")]})
    with transaction.atomic():
        _support(proposal, actor=actor, household=household, request=request)
    proposal.refresh_from_db()
    return proposal


def _support(proposal: Proposal, *, actor: Any, household: Household, request: HttpRequest | None) -> None:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != Proposal.Status.OPEN:
        raise ValidationError({"proposal": [_("This proposal no longer gathers support.")]})
    if ProposalSupport.objects.filter(proposal=locked, household=household).exists():
        raise ValidationError({"proposal": [_("Your household supports this proposal already.")]})
    try:
        with transaction.atomic():
            ProposalSupport.objects.create(
                community_id=locked.community_id, proposal=locked, household=household, user=actor
            )
    except IntegrityError as exc:
        raise ValidationError({"proposal": [_("Your household supports this proposal already.")]}) from exc
    locked.support_count = ProposalSupport.objects.filter(proposal=locked).count()
    fields = ["support_count"]
    record(
        Action.CONSULT_PROPOSAL_SUPPORTED,
        actor=actor,
        obj=locked,
        request=request,
        data={"household": household.pk, "supports": locked.support_count},
    )
    if locked.support_count >= locked.threshold and locked.topic_id is None:
        topic = Topic.objects.create(
            community_id=locked.community_id,
            title=locked.title,
            body=locked.body,
            origin=Topic.Origin.PROPOSAL,
            status=Topic.Status.AGENDA,
            created_by=locked.proposer,
        )
        locked.topic = topic
        locked.status = Proposal.Status.REACHED
        locked.reached_at = timezone.now()
        fields += ["topic", "status", "reached_at"]
        record(
            Action.CONSULT_PROPOSAL_REACHED,
            actor=actor,
            obj=locked,
            request=request,
            data={"topic": topic.pk, "supports": locked.support_count, "threshold": locked.threshold},
        )
    locked.save(update_fields=fields)
