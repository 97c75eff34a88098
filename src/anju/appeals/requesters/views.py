"""Pages about the people around an appeal: revealing the requester's number, picking the requester from the
registry, and followers' callbacks. (The whistle's site code is in ``whistles.views``.)"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.appeals import privacy
from anju.appeals.callback import followers
from anju.appeals.models import OPEN_STATUSES, Appeal
from anju.appeals.requesters import services as requesters
from anju.appeals.whistles import sitecode

_QS = Appeal.objects.select_related("community", "category", "location", "department")


def detail_extra(request: HttpRequest, appeal: Appeal, *, staff: bool, internal: bool) -> dict[str, Any]:
    """What the appeal page shows of this module (merged into its context)."""
    user = request.user
    return {
        "may_reveal": internal and policy.can(user, "appeal.reveal", appeal),
        "revealable_texts": privacy.revealable(appeal) if internal else [],
        "may_link": staff and policy.can(user, "appeal.link_requester", appeal) and policy.can(user, "people.view"),
        "registry": requesters.registry_link(user, appeal) if internal else None,
        "callbacks": followers.callbacks_for(user, appeal),
        "follower_may_answer": followers.may_answer(appeal, user),
        "followers_to_call": followers.followers_to_call(appeal) if staff else [],
        "site_codes": sitecode.site_codes(appeal) if staff and appeal.status in OPEN_STATUSES else [],
    }


# --- revealing the requester's number -------------------------------------------------------------


@policy.permission("appeal.view")
@require_POST
@never_cache  # a revealed number must not stay in a browser or proxy cache
def contact_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the requester's number in place (htmx), with a reason; 404 for whoever may not."""
    appeal = policy.get_for(request.user, "appeal.reveal", _QS.select_related("requester", "requester_resident"), pk=pk)
    value = ""
    error = ""
    try:
        value = requesters.contact_reveal(
            actor=request.user,
            appeal=appeal,
            purpose=request.POST.get("purpose", ""),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    context = {"appeal": appeal, "value": value, "error": error}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "appeals/_contact_revealed.html", context, status=200 if value else 422)
    if error:
        messages.error(request, error)
        return redirect("appeals:detail", pk=appeal.pk)
    return render(request, "appeals/contact_revealed.html", context)


@policy.permission("appeal.view")
@require_POST
@never_cache  # a revealed number must not stay in a browser or proxy cache
def text_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Reveal the numbers sealed in one of the appeal's texts (``field``), with a reason; 404 for whoever
    may not reveal the requester's contact."""
    appeal = policy.get_for(request.user, "appeal.reveal", _QS, pk=pk)
    value = ""
    error = ""
    try:
        value = privacy.text_reveal(
            actor=request.user,
            appeal=appeal,
            field=request.POST.get("field", "")[:40],
            purpose=request.POST.get("purpose", ""),
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    context = {"appeal": appeal, "value": value, "error": error, "text": True}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "appeals/_contact_revealed.html", context, status=200 if value else 422)
    if error:
        messages.error(request, error)
        return redirect("appeals:detail", pk=appeal.pk)
    return render(request, "appeals/contact_revealed.html", context)


# --- picking the requester from the registry ------------------------------------------------------


@policy.permission("people.view")
def resident_search(request: HttpRequest) -> HttpResponse:
    """The registry search of the on-behalf intake form (an htmx fragment of radio buttons)."""
    q = request.GET.get("resident_q", "")[:60]
    choices = requesters.resident_choices(request.user, q)
    return render(request, "appeals/_resident_choices.html", {"choices": choices, "q": q})


@policy.permission("appeal.link_requester")
@require_POST
def requester_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the appeal to the resident picked in the registry, or unlink it (``unlink``)."""
    appeal = policy.get_for(request.user, "appeal.link_requester", _QS.select_related("requester_resident"), pk=pk)
    try:
        if request.POST.get("unlink"):
            requesters.requester_unlink(actor=request.user, appeal=appeal, request=request)
            messages.success(request, _("The appeal is no longer linked to the registry."))
        else:
            resident = requesters.resident_pick(request.user, request.POST.get("requester_resident"))
            requesters.requester_link(actor=request.user, appeal=appeal, resident=resident, request=request)
            messages.success(request, _("The appeal is linked to the requester's registry entry."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("appeals:detail", pk=appeal.pk)
