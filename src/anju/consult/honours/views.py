"""Pages of honours (评比): the campaigns one sees, a campaign's page (on the phone: nominate, score the nominees
of one's area, read the shortlist and the answered objections, object during the notice, vote; on the desktop
for staff: the stage steps and the answers to objections), the nominee's photo and the award certificate (PDF
on request).

Every POST goes to one service; a refused input re-renders the campaign's page with the error (422), nothing
written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.audit.actions import Action
from anju.audit.services import record
from anju.consult.honours import nominees, selectors, services
from anju.consult.honours.api import STEPS
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import (
    Campaign,
    CampaignStatus,
    Criterion,
    Nomination,
    NominationStatus,
    Nominators,
    Subject,
)
from anju.consult.models.honours import MAX_SCORE
from anju.core import printing, screening
from anju.core.images import image_response
from anju.core.params import parse_id
from anju.orgs.models import OrgUnit, UnitKind


def _campaign(request: HttpRequest, campaign_id: int, action: str = "honours.view") -> Campaign:
    return policy.get_for(request.user, action, selectors.campaigns_visible(request.user), pk=campaign_id)


def _nomination(request: HttpRequest, nomination_id: int, action: str = "honours.view") -> Nomination:
    return policy.get_for(request.user, action, selectors.nominations_visible(request.user), pk=nomination_id)


@policy.permission("honours.view")
def campaigns(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.campaigns_visible(request.user).order_by("community__path", "-period_end", "-id")[:200])
    return render(
        request,
        "consult/honours/list.html",
        {"campaigns": rows, "manage": policy.can(request.user, "honours.manage")},
    )


def _context(request: HttpRequest, campaign: Campaign, **extra: Any) -> dict[str, Any]:
    household = services.household_of(request.user)
    if household is not None and household.community_id != campaign.community_id:
        household = None
    nominations = selectors.nominations_of(campaign)
    scored = selectors.sheets_by(campaign, household)
    rows = []
    for n in nominations:
        may_score = (
            campaign.status == CampaignStatus.SCORING
            and household is not None
            and n.pk not in scored
            and not services.is_own(n, household)
            and household.unit.is_within(n.area)
        )
        rows.append({"n": n, "reason": screening.masked(n.reason), "scored": n.pk in scored, "may_score": may_score})
    manage = selectors.may_manage(request.user, campaign)
    context: dict[str, Any] = {
        "campaign": campaign,
        "rows": rows,
        "criteria": list(Criterion.objects.filter(campaign=campaign).order_by("position")),
        "score_range": range(MAX_SCORE, 0, -1),
        "household": household,
        "vote": selectors.vote_of(campaign, household),
        "objections": selectors.objections_public(campaign),
        "pending": list(campaign.objections.filter(status="pending").select_related("nomination")),
        "manage": manage,
        "statuses": CampaignStatus,
        "shortlisted": NominationStatus.SHORTLISTED,
        "honoured": NominationStatus.HONOURED,
        "notice_open": publicity.notice_open(campaign),
        "voting_open": campaign.status == CampaignStatus.VOTING
        and campaign.vote_until is not None
        and timezone.localdate() <= campaign.vote_until,
        "may_nominate": campaign.status == CampaignStatus.NOMINATING
        and (manage or campaign.nominators == Nominators.RESIDENTS)
        and policy.can(request.user, "honours.take_part"),
        "scores_public": campaign.status in (CampaignStatus.NOTICE, CampaignStatus.VOTING, CampaignStatus.FINAL),
        "errors": [],
    }
    if context["may_nominate"]:
        context["hint"] = nominees.search_hint(request.user, campaign)
        if "nominee_q" in request.GET:  # the picker without JavaScript: a plain GET of this page
            q = request.GET.get("nominee_q", "")[:60]
            context["nominee_q"] = q.strip()
            context["nominee_choices"] = nominees.nominee_choices(request.user, campaign, q)
    context.update(extra)
    return context


@policy.permission("honours.view")
def detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    return render(request, "consult/honours/detail.html", _context(request, campaign))


def _act(request: HttpRequest, campaign: Campaign, run: Callable[[], Any], done: str) -> HttpResponse:
    """Run the service; on success redirect with ``done``, else re-render the campaign's page with the error."""
    try:
        run()
    except ValidationError as exc:
        context = _context(request, campaign, errors=[str(m) for m in exc.messages])
        return render(request, "consult/honours/detail.html", context, status=422)
    messages.success(request, done)
    return redirect("consult:honours_detail", campaign.pk)


@policy.permission("honours.take_part")
@require_POST
def score(request: HttpRequest, nomination_id: int) -> HttpResponse:
    nomination = _nomination(request, nomination_id, "honours.take_part")
    campaign = nomination.campaign
    values: dict[int, int] = {}
    for c in Criterion.objects.filter(campaign=campaign):
        value = parse_id(request.POST.get(f"c{c.pk}"))
        values[c.pk] = value if value is not None else 0
    return _act(
        request,
        campaign,
        lambda: evaluation.sheet_submit(actor=request.user, nomination=nomination, scores=values, request=request),
        _("Thank you: your household's scores are recorded."),
    )


@policy.permission("honours.take_part")
@require_POST
def vote(request: HttpRequest, nomination_id: int) -> HttpResponse:
    nomination = _nomination(request, nomination_id, "honours.take_part")
    return _act(
        request,
        nomination.campaign,
        lambda: evaluation.vote_cast(actor=request.user, nomination=nomination, request=request),
        _("Thank you: your household's vote is recorded."),
    )


@policy.permission("honours.take_part")
@require_POST
def object_to(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id, "honours.take_part")
    nomination = None
    if request.POST.get("nomination"):
        nomination = campaign.nominations.filter(pk=parse_id(request.POST["nomination"]) or 0).first()
    return _act(
        request,
        campaign,
        lambda: publicity.objection_raise(
            actor=request.user,
            campaign=campaign,
            nomination=nomination,
            body=request.POST.get("body", ""),
            request=request,
        ),
        _("Your objection is recorded; its answer will be published here without your name."),
    )


@policy.permission("honours.take_part")
def nominee_search(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The nominate form's picker (an htmx fragment of radio buttons): the lanes, households or people matching
    what was typed, within the user's reach and the campaign's community (``honours.nominees``)."""
    campaign = _campaign(request, campaign_id, "honours.take_part")
    q = request.GET.get("nominee_q", "")[:60]
    return render(
        request,
        "consult/honours/_nominee_choices.html",
        {
            "choices": nominees.nominee_choices(request.user, campaign, q),
            "q": q.strip(),
            "hint": nominees.search_hint(request.user, campaign),
        },
    )


@policy.permission("honours.take_part")
@require_POST
def nominate(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id, "honours.take_part")

    def run() -> Nomination:
        picked = nominees.nominee_pick(request.user, campaign, request.POST.get("target"))
        return services.nominate(
            actor=request.user,
            campaign=campaign,
            name=request.POST.get("name", ""),
            reason=request.POST.get("reason", ""),
            photo=request.FILES.get("photo"),
            request=request,
            **picked,
        )

    return _act(request, campaign, run, _("The nomination is recorded."))


# --- staff ------------------------------------------------------------------------------------


@policy.permission("honours.manage")
@require_POST
def step(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id, "honours.manage")
    run = STEPS.get(request.POST.get("step", ""))
    if run is None:
        context = _context(request, campaign, errors=[_("Choose a step.")])
        return render(request, "consult/honours/detail.html", context, status=422)
    return _act(
        request,
        campaign,
        lambda: run(actor=request.user, campaign=campaign, request=request),
        _("Done: the campaign has moved on."),
    )


@policy.permission("honours.manage")
@require_POST
def answer(request: HttpRequest, objection_id: int) -> HttpResponse:
    objection = policy.get_for(
        request.user, "honours.manage", selectors.objections_visible(request.user), pk=objection_id
    )
    return _act(
        request,
        objection.campaign,
        lambda: publicity.objection_answer(
            actor=request.user,
            objection=objection,
            upheld=request.POST.get("upheld") == "1",
            answer=request.POST.get("answer", ""),
            request=request,
        ),
        _("The answer is published."),
    )


@policy.permission("honours.manage")
def create(request: HttpRequest) -> HttpResponse:
    communities = policy.visible(
        OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True), request.user, "honours.manage", "path"
    ).order_by("path")
    errors: list[str] = []
    if request.method == "POST":
        community = policy.get_for(
            request.user, "honours.manage", communities, pk=parse_id(request.POST.get("community")) or 0
        )
        criteria = []
        for line in request.POST.get("criteria", "").splitlines():
            name, _sep, weight = line.rpartition(" ")
            criteria.append((name, parse_id(weight) or 0) if name else (line, 0))
        try:
            campaign = services.campaign_create(
                actor=request.user,
                community=community,
                title=request.POST.get("title", ""),
                subject=request.POST.get("subject", ""),
                description=request.POST.get("description", ""),
                nominators=request.POST.get("nominators", Nominators.RESIDENTS),
                period_start=_date(request.POST.get("period_start")),
                period_end=_date(request.POST.get("period_end")),
                criteria=criteria,
                places=parse_id(request.POST.get("places")) or 0,
                shortlist_size=parse_id(request.POST.get("shortlist_size")) or 0,
                notice_days=parse_id(request.POST.get("notice_days")) or 0,
                vote_round=request.POST.get("vote_round") == "1",
                points=parse_id(request.POST.get("points")) or 0,
                request=request,
            )
        except ValidationError as exc:
            errors = [str(m) for m in exc.messages]
        else:
            return redirect("consult:honours_detail", campaign.pk)
    return render(
        request,
        "consult/honours/new.html",
        {"communities": communities, "errors": errors, "subjects": Subject.choices, "data": request.POST},
        status=422 if errors else 200,
    )


def _date(value: str | None) -> Any:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


@policy.permission("honours.view")
def photo(request: HttpRequest, nomination_id: int) -> Any:
    return image_response(_nomination(request, nomination_id).photo)


@policy.permission("honours.view")
def certificate(request: HttpRequest, nomination_id: int) -> HttpResponse:
    """The award certificate (荣誉证书) of an honoured nominee: an A4 page, or its PDF with ``?format=pdf``."""
    nomination = _nomination(request, nomination_id)
    if nomination.status != NominationStatus.HONOURED:
        raise Http404
    fmt = printing.wanted_format(request)
    with transaction.atomic():
        record(
            Action.HONOURS_CERTIFICATE_PRINTED,
            actor=request.user,
            obj=nomination.campaign,
            request=request,
            data={"nomination": nomination.pk, "format": fmt},
        )
    return printing.print_response(
        request,
        "consult/honours/certificate.html",
        {"nomination": nomination, "campaign": nomination.campaign},
        filename=f"certificate-{nomination.pk}",
        fmt=fmt,
    )
