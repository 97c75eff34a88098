"""Honours (评比): the public notice (公示) of the shortlist and scores, objections and their public answers, and
the final results (the honour roll on the notice board, the honours on the nominees' records, points).

The notice lasts ``notice_days`` days from the day it is published (that day included); objections are taken
until its last day. Each objection is answered, upheld (the nominee is struck off the shortlist) or rejected,
with a reason published beside it and never the objector's household. Results are final only once the notice
(and the vote, when there is one) is over and no objection waits for an answer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.bulletin import services as bulletin
from anju.bulletin.models import Notice
from anju.consult.honours import services as base
from anju.consult.models import (
    Campaign,
    CampaignStatus,
    Nomination,
    NominationStatus,
    Objection,
    ObjectionStatus,
    ScoreSheet,
    Subject,
    Vote,
)
from anju.core import screening
from anju.duty import points as duty_points  # the duty ledger (an edge listed in .importlinter)
from anju.duty.models import PointsEntry
from anju.people.models import Resident

SCALE = Decimal(20)  # a weighted mean of 1..5 shown out of 100


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())


def notice_open(campaign: Campaign, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        campaign.status == CampaignStatus.NOTICE
        and campaign.notice_until is not None
        and today <= campaign.notice_until
    )


def notice_publish(
    *, actor: Any, campaign: Campaign, today: dt.date | None = None, request: HttpRequest | None = None
) -> Campaign:
    """Mutual evaluation → public notice: every nominee's score is computed, the best ``shortlist_size`` scored
    nominees are shortlisted, and the shortlist with its scores goes on the notice board for ``notice_days``
    (from ``today``, default the local date: the demo records a past campaign)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        campaign = base.locked(campaign)
        if campaign.status != CampaignStatus.SCORING:
            raise ValidationError(_("Publish the shortlist after the mutual evaluation."))
        stats = {
            row["nomination_id"]: row
            for row in ScoreSheet.objects.filter(campaign=campaign)
            .values("nomination_id")
            .annotate(n=Count("id"), mean=Avg("total"))
        }
        if not stats:
            raise ValidationError(_("No nominee has been scored yet."))
        nominations = list(Nomination.objects.select_for_update().filter(campaign=campaign).order_by("id"))
        for n in nominations:
            row = stats.get(n.pk)
            n.sheets = row["n"] if row else 0
            n.score = (Decimal(row["mean"]) * SCALE).quantize(Decimal("0.1")) if row else None
        ranked = sorted((n for n in nominations if n.sheets), key=lambda n: (-(n.score or 0), -n.sheets, n.pk))
        shortlisted = {n.pk for n in ranked[: campaign.shortlist_size]}
        for n in nominations:
            n.status = NominationStatus.SHORTLISTED if n.pk in shortlisted else NominationStatus.NOT_SHORTLISTED
        Nomination.objects.bulk_update(nominations, ["sheets", "score", "status"])
        campaign.status = CampaignStatus.NOTICE
        campaign.notice_from = today
        campaign.notice_until = today + dt.timedelta(days=campaign.notice_days - 1)
        campaign.notice = bulletin.notice_create(
            actor=actor,
            community=campaign.community,
            title=_("%(campaign)s: the shortlist on public notice until %(date)s")
            % {"campaign": campaign.title, "date": campaign.notice_until.isoformat()},
            body=shortlist_body(campaign, [n for n in ranked if n.pk in shortlisted]),
            category=Notice.Category.NOTICE,
            publish_at=_end_of(today - dt.timedelta(days=1)) if today < timezone.localdate() else None,
            expires_at=_end_of(campaign.notice_until),
            request=request,
        )
        campaign.save(update_fields=["status", "notice_from", "notice_until", "notice", "updated_at"])
        record(
            Action.HONOURS_NOTICE_PUBLISHED,
            actor=actor,
            obj=campaign,
            request=request,
            data={
                "until": campaign.notice_until.isoformat(),
                "shortlist": [[n.pk, str(n.score)] for n in ranked if n.pk in shortlisted],
                "notice": campaign.notice.pk,
            },
        )
    return campaign


def shortlist_body(campaign: Campaign, shortlist: list[Nomination]) -> str:
    rows = "".join(
        f"<li>{escape(n.name)}: {escape(_('score'))} {n.score} ({escape(_('%(n)d score sheets') % {'n': n.sheets})})"
        "</li>"
        for n in shortlist
    )
    lead = _(
        "The shortlist of %(campaign)s and its mutual evaluation scores are on public notice for %(days)d days, "
        "until %(date)s. Anyone who objects may say so on the campaign's page; every objection is answered "
        "in public, without the name of who raised it."
    ) % {"campaign": campaign.title, "days": campaign.notice_days, "date": str(campaign.notice_until)}
    return f"<p>{escape(lead)}</p><ol>{rows}</ol>"


def objection_raise(
    *,
    actor: Any,
    campaign: Campaign,
    body: str,
    nomination: Nomination | None = None,
    request: HttpRequest | None = None,
) -> Objection:
    """An objection during the public notice, about a nominee or the campaign; the household is kept, never shown."""
    body = base.text(body, "body", 1000, multiline=True)
    if nomination is not None and nomination.campaign_id != campaign.pk:
        raise ValidationError({"nomination": [_("Choose a nominee of this campaign.")]})
    household = base.household_of(actor)
    if household is not None and household.community_id != campaign.community_id:
        household = None
    with transaction.atomic():
        campaign = base.locked(campaign)
        if not notice_open(campaign):
            raise ValidationError(_("The public notice period is over: objections are no longer taken."))
        objection = Objection.objects.create(
            community_id=campaign.community_id,
            campaign=campaign,
            nomination=nomination,
            household=household,
            raised_by=actor,
            body=screening.screen(body),
        )
        record(
            Action.HONOURS_OBJECTION_RAISED,
            actor=actor,
            obj=campaign,
            request=request,
            data={"objection": objection.pk, "nomination": nomination.pk if nomination else None},
        )
    return objection


def objection_answer(
    *, actor: Any, objection: Objection, upheld: bool, answer: str, request: HttpRequest | None = None
) -> Objection:
    """Uphold (the nominee is struck off the shortlist) or reject an objection, with a published answer."""
    answer = base.no_numbers(base.text(answer, "answer", 300), "answer")
    with transaction.atomic():
        campaign = base.locked(objection.campaign)
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if campaign.status not in (CampaignStatus.NOTICE, CampaignStatus.VOTING):
            raise ValidationError(_("Objections are answered before the results are final."))
        if objection.status != ObjectionStatus.PENDING:
            raise ValidationError(_("This objection has been answered already."))
        struck = False
        if upheld and objection.nomination_id is not None:
            struck = bool(
                Nomination.objects.filter(pk=objection.nomination_id, status=NominationStatus.SHORTLISTED).update(
                    status=NominationStatus.STRUCK
                )
            )
        objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
        objection.answer, objection.answered_by, objection.answered_at = answer, actor, timezone.now()
        objection.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        record(
            Action.HONOURS_OBJECTION_ANSWERED,
            actor=actor,
            obj=campaign,
            request=request,
            data={"objection": objection.pk, "upheld": upheld, "struck": struck, "answer": answer},
        )
    return objection


def results_publish(
    *, actor: Any, campaign: Campaign, today: dt.date | None = None, request: HttpRequest | None = None
) -> Campaign:
    """Make the results final: the best ``places`` of the shortlist (by votes when there was a vote, then by score)
    are honoured, the honour roll goes on the notice board, and points go to the duty ledger when the campaign
    gives any. Refused while an objection waits for an answer, or before the notice (or the vote) is over (on
    ``today``, default the local date)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        campaign = base.locked(campaign)
        if Objection.objects.filter(campaign=campaign, status=ObjectionStatus.PENDING).exists():
            raise ValidationError(_("Answer every objection before the results are final."))
        if campaign.status == CampaignStatus.NOTICE and campaign.vote_round:
            raise ValidationError(_("This campaign has a vote round: open the vote first."))
        if campaign.status == CampaignStatus.NOTICE:
            if campaign.notice_until is not None and today <= campaign.notice_until:
                raise ValidationError(
                    _("The public notice runs until %(date)s.") % {"date": campaign.notice_until.isoformat()}
                )
        elif campaign.status == CampaignStatus.VOTING:
            if campaign.vote_until is not None and today <= campaign.vote_until:
                raise ValidationError(_("The vote runs until %(date)s.") % {"date": campaign.vote_until.isoformat()})
        else:
            raise ValidationError(_("Results are made final after the public notice."))
        shortlist = list(
            Nomination.objects.select_for_update()
            .filter(campaign=campaign, status=NominationStatus.SHORTLISTED)
            .order_by("id")
        )
        if not shortlist:
            raise ValidationError(_("Nobody is left on the shortlist."))
        if campaign.vote_round:
            counts = dict(Vote.objects.filter(campaign=campaign).values_list("nomination_id").annotate(n=Count("id")))
            for n in shortlist:
                n.votes = counts.get(n.pk, 0)
        shortlist.sort(key=lambda n: (-n.votes, -(n.score or 0), -n.sheets, n.pk))
        honoured = shortlist[: campaign.places]
        for rank, n in enumerate(honoured, start=1):
            n.status, n.rank = NominationStatus.HONOURED, rank
        Nomination.objects.bulk_update(shortlist, ["votes", "status", "rank"])
        campaign.status, campaign.finalised_on = CampaignStatus.FINAL, today
        campaign.roll = bulletin.notice_create(
            actor=actor,
            community=campaign.community,
            title=_("Honour roll: %(campaign)s") % {"campaign": campaign.title},
            body=roll_body(campaign, honoured),
            category=Notice.Category.NEWS,
            publish_at=_end_of(today - dt.timedelta(days=1)) if today < timezone.localdate() else None,
            request=request,
        )
        campaign.save(update_fields=["status", "finalised_on", "roll", "updated_at"])
        awarded = award_points(actor=actor, campaign=campaign, honoured=honoured, request=request)
        record(
            Action.HONOURS_RESULTS_PUBLISHED,
            actor=actor,
            obj=campaign,
            request=request,
            data={
                "honoured": [[n.pk, n.rank] for n in honoured],
                "roll": campaign.roll.pk,
                "points": awarded,
            },
        )
    return campaign


def roll_body(campaign: Campaign, honoured: list[Nomination]) -> str:
    lead = _(
        "These are honoured as %(campaign)s (%(start)s to %(end)s), after mutual evaluation and public notice:"
    ) % {
        "campaign": campaign.title,
        "start": campaign.period_start.isoformat(),
        "end": campaign.period_end.isoformat(),
    }
    rows = "".join(f"<li>{escape(n.name)}</li>" for n in honoured)
    return f"<p>{escape(lead)}</p><ol>{rows}</ol>"


def points_earner(nomination: Nomination) -> Resident | None:
    """Who earns an honour's points: the person honoured, or the head of the household honoured."""
    if campaign_subject(nomination) == Subject.PERSON:
        return nomination.resident
    if nomination.household_id is not None:
        members = Resident.objects.filter(household_id=nomination.household_id, status=Resident.Status.ACTIVE)
        return members.filter(relation="head").first() or members.order_by("id").first()
    return None


def campaign_subject(nomination: Nomination) -> str:
    return str(nomination.campaign.subject)


def award_points(*, actor: Any, campaign: Campaign, honoured: list[Nomination], request: HttpRequest | None) -> int:
    """Points in the duty ledger for each honour, when the campaign gives any (idempotent on the nomination)."""
    if campaign.points <= 0:
        return 0
    awarded = 0
    for n in honoured:
        earner = points_earner(n)
        if earner is None:
            continue
        entry = duty_points.points_award(
            actor=actor,
            source=PointsEntry.Source.HONOUR,
            ref=n.pk,
            resident=earner,
            points=campaign.points,
            note=f"{campaign.title}: {n.name}",
            request=request,
        )
        awarded += 1 if entry is not None else 0
    return awarded
