"""Honours (评比): mutual evaluation (成果互评) and the vote.

A household scores the nominees of its own area, once each (a unique constraint on nominee and household) and
never its own household, its members or its own lane; a household votes once per campaign (a unique constraint
on campaign and household). Two submissions at once write one row; the other gets the same clear error as a
second try, and nothing else is written. Audit rows say which household scored or voted, never what.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.consult.honours import services as base
from anju.consult.models import (
    Campaign,
    CampaignStatus,
    Criterion,
    Nomination,
    NominationStatus,
    Objection,
    ObjectionStatus,
    Score,
    ScoreSheet,
    Vote,
)
from anju.consult.models.honours import MAX_SCORE
from anju.people.models import Household


def once_scored_message() -> str:
    return _("Your household has scored this nominee already: one score sheet per household.")


def once_voted_message() -> str:
    return _("Your household has voted in this campaign already: one vote per household.")


def weighted(criteria: list[Criterion], values: dict[int, int]) -> Decimal:
    """The weighted mean of one sheet's scores (1 to ``MAX_SCORE``)."""
    total = sum(c.weight * values[c.pk] for c in criteria)
    weights = sum(c.weight for c in criteria)
    return (Decimal(total) / Decimal(weights)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def sheet_submit(
    *,
    actor: Any,
    nomination: Nomination,
    scores: dict[int, int],
    household: Household | None = None,
    request: HttpRequest | None = None,
) -> ScoreSheet:
    """The actor's household's score sheet for ``nomination``: a score from 1 to 5 on every criterion; or a
    paper sheet of ``household`` typed in by the community's staff (scored at a bench meeting)."""
    campaign = nomination.campaign
    paper = household is not None
    if household is None:
        household = base.own_household(actor, campaign)
    elif not policy.can(actor, "honours.manage", household) or household.community_id != campaign.community_id:
        raise ValidationError({"household": [_("Choose a household of the campaign's community.")]})
    if base.is_own(nomination, household):
        raise ValidationError(_("A household does not score itself, its own members or its own lane."))
    if not household.unit.is_within(nomination.area):
        raise ValidationError(
            _("Households score the nominees of their own area: %(area)s.") % {"area": nomination.area.name}
        )
    criteria = list(Criterion.objects.filter(campaign=campaign).order_by("position"))
    values: dict[int, int] = {}
    for c in criteria:
        value = scores.get(c.pk)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SCORE:
            raise ValidationError(
                {"scores": [_("Score “%(name)s” from 1 to %(max)d.") % {"name": c.name, "max": MAX_SCORE}]}
            )
        values[c.pk] = value
    if set(scores) - set(values):
        raise ValidationError({"scores": [_("Score only this campaign's criteria.")]})
    if ScoreSheet.objects.filter(nomination=nomination, household=household).exists():
        raise ValidationError(once_scored_message())
    try:
        with transaction.atomic():
            campaign = base.locked(campaign)
            if campaign.status != CampaignStatus.SCORING:
                raise ValidationError(_("The mutual evaluation of this campaign is not open."))
            sheet = ScoreSheet.objects.create(
                community_id=campaign.community_id,
                campaign=campaign,
                nomination=nomination,
                household=household,
                submitted_by=actor,
                total=weighted(criteria, values),
            )
            Score.objects.bulk_create(
                Score(community_id=campaign.community_id, sheet=sheet, criterion_id=pk, value=v)
                for pk, v in values.items()
            )
            record(
                Action.HONOURS_SCORED,
                actor=actor,
                obj=campaign,
                request=request,
                data={"nomination": nomination.pk, "household": household.pk, "paper": paper},
            )
    except IntegrityError as exc:
        # Two sheets at once: the unique constraint kept one; this one writes nothing.
        raise ValidationError(once_scored_message()) from exc
    return sheet


def vote_open(*, actor: Any, campaign: Campaign, request: HttpRequest | None = None) -> Campaign:
    """Public notice → the vote among the shortlist, once the notice is over and every objection answered."""
    today = timezone.localdate()
    with transaction.atomic():
        campaign = base.locked(campaign)
        if not campaign.vote_round:
            raise ValidationError(_("This campaign has no vote round."))
        if campaign.status != CampaignStatus.NOTICE:
            raise ValidationError(_("The vote opens after the public notice."))
        if campaign.notice_until is not None and today <= campaign.notice_until:
            raise ValidationError(
                _("The public notice runs until %(date)s.") % {"date": campaign.notice_until.isoformat()}
            )
        if Objection.objects.filter(campaign=campaign, status=ObjectionStatus.PENDING).exists():
            raise ValidationError(_("Answer every objection first."))
        if not Nomination.objects.filter(campaign=campaign, status=NominationStatus.SHORTLISTED).exists():
            raise ValidationError(_("Nobody is left on the shortlist."))
        campaign.status = CampaignStatus.VOTING
        campaign.vote_until = today + dt.timedelta(days=campaign.vote_days - 1)
        campaign.save(update_fields=["status", "vote_until", "updated_at"])
        record(
            Action.HONOURS_VOTE_OPENED,
            actor=actor,
            obj=campaign,
            request=request,
            data={"until": campaign.vote_until.isoformat()},
        )
    return campaign


def vote_cast(*, actor: Any, nomination: Nomination, request: HttpRequest | None = None) -> Vote:
    """The actor's household's one vote in the campaign, for a nominee on the shortlist."""
    campaign = nomination.campaign
    household = base.own_household(actor, campaign)
    if nomination.status != NominationStatus.SHORTLISTED:
        raise ValidationError({"nomination": [_("Vote for a nominee on the shortlist.")]})
    if base.is_own(nomination, household):
        raise ValidationError(_("A household does not vote for itself, its own members or its own lane."))
    if Vote.objects.filter(campaign=campaign, household=household).exists():
        raise ValidationError(once_voted_message())
    today = timezone.localdate()
    try:
        with transaction.atomic():
            campaign = base.locked(campaign)
            if campaign.status != CampaignStatus.VOTING or (campaign.vote_until and today > campaign.vote_until):
                raise ValidationError(_("Voting in this campaign is closed."))
            vote = Vote.objects.create(
                community_id=campaign.community_id,
                campaign=campaign,
                nomination=nomination,
                household=household,
                cast_by=actor,
            )
            record(Action.HONOURS_VOTED, actor=actor, obj=campaign, request=request, data={"household": household.pk})
    except IntegrityError as exc:
        raise ValidationError(once_voted_message()) from exc
    return vote
