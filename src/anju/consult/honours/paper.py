"""Paper score sheets (成果互评 on paper): elderly households score the nominees at a bench meeting, and the
community's staff type the sheets in, one household after another.

The page (``honours.manage`` of the campaign's community) finds the household with the registry's own search
(``nominees.household_choices``), then lists one row per nominee of the household's area with a 1–5 choice per
criterion, in tab order. Each row typed in is one sheet, submitted on its own through
``evaluation.sheet_submit`` (which enforces one sheet per household and nominee, no self-scoring, the area, the
range, the stage and the community, and audits it as paper). A refused sheet writes nothing and comes back with
its message and what was typed; the others are saved and listed. When every sheet is saved the page is ready for
the next household.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from anju.access import policy
from anju.consult.honours import nominees, selectors, services
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.models import Campaign, CampaignStatus, Criterion, Nomination
from anju.consult.models.honours import MAX_SCORE
from anju.core.params import parse_id
from anju.people import selectors as people
from anju.people.models import Household

TEMPLATE = "consult/honours/paper.html"


@dataclass
class Row:
    """One nominee on the household's sheet: ``open`` to type in, or ``saved``, ``scored`` (before) or ``own``."""

    n: Nomination
    state: str
    cells: list[tuple[Criterion, str]] = field(default_factory=list)
    error: str = ""


def field_name(nomination: Nomination, criterion: Criterion) -> str:
    return f"s-{nomination.pk}-{criterion.pk}"


def _rows(
    campaign: Campaign,
    household: Household,
    criteria: list[Criterion],
    *,
    typed: dict[int, dict[int, str]] | None = None,
    refused: dict[int, str] | None = None,
    saved: set[int] | None = None,
) -> list[Row]:
    """The nominees of the household's area (and any other one refused just now, with its message)."""
    typed, refused, saved = typed or {}, refused or {}, saved or set()
    scored = selectors.sheets_by(campaign, household)
    rows = []
    for n in selectors.nominations_of(campaign):
        if not household.unit.is_within(n.area) and n.pk not in refused:
            continue
        if n.pk in saved:
            state = "saved"
        elif n.pk in scored:
            state = "scored"
        elif services.is_own(n, household):
            state = "own"
        else:
            state = "open"
        values = typed.get(n.pk, {}) if n.pk in refused else {}
        cells = [(c, values.get(c.pk, "")) for c in criteria]
        rows.append(Row(n, state, cells, refused.get(n.pk, "")))
    return rows


def _render(
    request: HttpRequest,
    campaign: Campaign,
    criteria: list[Criterion],
    *,
    household: Household | None = None,
    rows: list[Row] | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context: dict[str, Any] = {
        "campaign": campaign,
        "criteria": criteria,
        "score_range": range(1, MAX_SCORE + 1),
        "scoring": campaign.status == CampaignStatus.SCORING,
        "household": household,
        "rows": rows if rows is not None else (_rows(campaign, household, criteria) if household else []),
        "errors": [],
        "saved": [],
        "q": "",
        "choices": [],
        "searched": False,
    }
    if household is not None:
        context["household_label"] = people.Viewer(request.user).household_label(household)
        context["area"] = services.area_of(household.unit)
    context.update(extra)
    if household is not None:
        context["focus"] = next((r.n.pk for r in context["rows"] if r.state == "open"), None)
    return render(request, TEMPLATE, context, status=status)


@policy.permission("honours.manage")
def paper(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = policy.get_for(request.user, "honours.manage", selectors.campaigns_visible(request.user), pk=campaign_id)
    criteria = list(Criterion.objects.filter(campaign=campaign).order_by("position"))
    if request.method == "POST":
        return _submit(request, campaign, criteria)
    q = " ".join(request.GET.get("household_q", "").split())[:60]
    choices = nominees.household_choices(request.user, campaign, q) if q else []
    raw = request.GET.get("household") or (choices[0].id if len(choices) == 1 else None)
    household, errors = None, []
    if raw:
        try:
            household = nominees.household_pick(request.user, raw)
        except ValidationError as exc:
            errors = list(exc.messages)
        else:
            if household.community_id != campaign.community_id:
                household, errors = None, [_("Choose a household of the campaign's community.")]
    return _render(
        request,
        campaign,
        criteria,
        household=household,
        q=q,
        choices=choices,
        searched=bool(q),
        errors=errors,
        status=422 if errors else 200,
    )


def _submit(request: HttpRequest, campaign: Campaign, criteria: list[Criterion]) -> HttpResponse:
    """Each nominee's row typed in is one sheet through ``sheet_submit``; a refused one writes nothing."""
    try:
        household = nominees.household_pick(request.user, request.POST.get("household"))
    except ValidationError as exc:
        return _render(request, campaign, criteria, errors=list(exc.messages), status=422)
    nominations = selectors.nominations_of(campaign)
    typed = {n.pk: {c.pk: request.POST.get(field_name(n, c), "").strip()[:4] for c in criteria} for n in nominations}
    entered = [n for n in nominations if any(typed[n.pk].values())]
    if not entered:
        rows = _rows(campaign, household, criteria)
        return _render(
            request,
            campaign,
            criteria,
            household=household,
            rows=rows,
            errors=[_("Type the scores of at least one nominee.")],
            status=422,
        )
    saved: list[Nomination] = []
    refused: dict[int, str] = {}
    for n in entered:
        scores = {pk: parse_id(value) or 0 for pk, value in typed[n.pk].items()}
        try:
            evaluation.sheet_submit(
                actor=request.user, nomination=n, scores=scores, household=household, request=request
            )
        except ValidationError as exc:
            refused[n.pk] = " ".join(str(m) for m in exc.messages)
        else:
            saved.append(n)
    label = people.Viewer(request.user).household_label(household)
    if not refused:
        messages.success(request, _saved_message(label, saved))
        return redirect("consult:honours_paper", campaign.pk)
    rows = _rows(campaign, household, criteria, typed=typed, refused=refused, saved={n.pk for n in saved})
    errors = [
        _("Not saved, %(nominee)s: %(reason)s") % {"nominee": n.name, "reason": refused[n.pk]}
        for n in entered
        if n.pk in refused
    ]
    return _render(
        request,
        campaign,
        criteria,
        household=household,
        rows=rows,
        errors=errors,
        saved=[_saved_message(label, saved)] if saved else [],
        status=422,
    )


def _saved_message(label: str, saved: list[Nomination]) -> str:
    return ngettext(
        "Saved %(count)d paper sheet of %(household)s: %(nominees)s.",
        "Saved %(count)d paper sheets of %(household)s: %(nominees)s.",
        len(saved),
    ) % {"count": len(saved), "household": label, "nominees": " · ".join(n.name for n in saved)}
