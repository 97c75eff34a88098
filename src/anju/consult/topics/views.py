"""Pages of topics: the resident's phone page (open topics, proposals to support, meetings to come, "you said,
we did"), a topic, making and supporting a proposal, and the staff desk (topics, 每月一题 candidates)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.consult.grouping import services as grouping
from anju.consult.meetings import selectors as meeting_selectors
from anju.consult.models import Candidate, Decision, Meeting, Proposal, Topic
from anju.consult.surveys import selectors as survey_selectors
from anju.consult.topics import forms, selectors, services
from anju.core.forms import apply_service_errors
from anju.orgs.models import OrgUnit


def _community(request: HttpRequest, action: str) -> OrgUnit:
    communities = list(selectors.communities_for(request.user, action))
    if not communities:
        raise PermissionDenied
    wanted = request.GET.get("community") or request.POST.get("community")
    return next((c for c in communities if str(c.pk) == wanted), communities[0])


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@policy.permission("consult.view")
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    topics = selectors.topics_for(user).exclude(status=Topic.Status.CLOSED).order_by("-created_at")[:30]
    proposals = selectors.proposals_for(user).filter(status=Proposal.Status.OPEN).order_by("-created_at")[:30]
    meetings = (
        meeting_selectors.meetings_for(user)
        .filter(ends_at__gte=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")[:10]
    )
    done = meeting_selectors.decisions_for(user).filter(status=Decision.Status.DONE).order_by("-done_at")[:20]
    return render(
        request,
        "consult/home.html",
        {
            "topics": topics,
            "proposals": proposals,
            "meetings": meetings,
            "done": done,
            "may_propose": policy.can(user, "consult.propose"),
            "staff": policy.can(user, "consult.manage"),
            "form": forms.ProposalForm(),
        },
    )


@policy.permission("consult.view")
def topic(request: HttpRequest, topic_id: int) -> HttpResponse:
    obj: Topic = policy.get_for(request.user, "consult.view", selectors.topics_for(request.user), pk=topic_id)
    proposal = Proposal.objects.filter(topic=obj).first()
    return render(
        request,
        "consult/topic.html",
        {
            "topic": obj,
            "proposal": proposal,
            "meetings": [a.meeting for a in obj.agenda_items.select_related("meeting").order_by("meeting__starts_at")],
            "decisions": list(obj.decisions.select_related("owner").order_by("due_on", "id")),
            "surveys": list(survey_selectors.surveys_of_topic(request.user, obj)[:50]),
            "new_survey": obj.status != Topic.Status.CLOSED and policy.can(request.user, "consult.survey_manage", obj),
            "staff": policy.can(request.user, "consult.manage", obj),
            "user_id": request.user.pk,
        },
    )


@policy.permission("consult.propose")
def proposal_new(request: HttpRequest) -> HttpResponse:
    form = forms.ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_make(
                actor=request.user, title=form.cleaned_data["title"], body=form.cleaned_data["body"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your proposal is up: your neighbours can support it now."))
            return redirect("consult:home")
    return render(request, "consult/proposal_form.html", {"form": form})


@policy.permission("consult.propose")
@require_POST
def proposal_support(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal: Proposal = policy.get_for(
        request.user, "consult.propose", selectors.proposals_for(request.user), pk=proposal_id
    )
    try:
        proposal = services.proposal_support(actor=request.user, proposal=proposal, request=request)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        if proposal.topic_id:
            messages.success(request, _("Thank you: with your support the proposal is on the agenda."))
        else:
            messages.success(request, _("Thank you for your support."))
    return redirect("consult:home")


@policy.permission("consult.manage")
def desk(request: HttpRequest) -> HttpResponse:
    community = _community(request, "consult.manage")
    return render(
        request,
        "consult/desk.html",
        {
            "community": community,
            "communities": selectors.communities_for(request.user, "consult.manage"),
            "topics": selectors.topics_for(request.user).filter(community=community).order_by("-created_at")[:100],
            "proposals": selectors.proposals_for(request.user).filter(community=community).order_by("-created_at")[:50],
            "candidates": selectors.candidates_for(request.user)
            .filter(community=community, status=Candidate.Status.SUGGESTED)
            .order_by("-last_at")[:50],
            "meetings": meeting_selectors.meetings_for(request.user)
            .filter(community=community)
            .order_by("-starts_at")[:50],
            "form": forms.TopicForm(),
        },
    )


@policy.permission("consult.manage")
@require_POST
def topic_new(request: HttpRequest) -> HttpResponse:
    community = _community(request, "consult.manage")
    form = forms.TopicForm(request.POST)
    if form.is_valid():
        try:
            created = services.topic_open(
                actor=request.user,
                community=community,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                request=request,
            )
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Topic opened."))
            return redirect("consult:topic", topic_id=created.pk)
    else:
        messages.error(request, _("Give it a title."))
    return redirect(f"{_desk_url()}?community={community.pk}")


def _desk_url() -> str:
    return reverse("consult:desk")


@policy.permission("consult.manage")
@require_POST
def candidates_suggest(request: HttpRequest) -> HttpResponse:
    community = _community(request, "consult.manage")
    found = grouping.candidates_suggest(actor=request.user, community=community)
    messages.success(request, _("%(n)d candidates from the appeals of the last 90 days.") % {"n": len(found)})
    return redirect(f"{_desk_url()}?community={community.pk}")


@policy.permission("consult.manage")
@require_POST
def candidate_decide(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate: Candidate = policy.get_for(
        request.user, "consult.manage", selectors.candidates_for(request.user), pk=candidate_id
    )
    try:
        if request.POST.get("accept"):
            created = grouping.candidate_accept(actor=request.user, candidate=candidate, request=request)
            messages.success(request, _("Topic opened."))
            return redirect("consult:topic", topic_id=created.pk)
        grouping.candidate_dismiss(actor=request.user, candidate=candidate, request=request)
    except ValidationError as exc:
        _refused(request, exc)
    return redirect(f"{_desk_url()}?community={candidate.community_id}")
