"""The inbox page: one's own messages, unread first; mark one or all read (htmx or plain forms)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.core.pagination import paginate
from anju.inbox import selectors, services
from anju.inbox.policies import READ


@policy.permission(READ)
def inbox(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.messages_for(request.user))
    return render(
        request,
        "inbox/list.html",
        {"page": page, "unread": selectors.unread_count(request.user), "query": ""},
    )


@policy.permission(READ)
@require_POST
def mark_read(request: HttpRequest, message_id: int) -> HttpResponse:
    message = services.message_mark_read(actor=request.user, message_id=message_id, request=request)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "inbox/_message.html",
            {"m": message, "unread": selectors.unread_count(request.user), "oob_badge": True},
        )
    return redirect("inbox:list")


@policy.permission(READ)
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.messages_mark_all_read(actor=request.user, request=request)
    if request.htmx:  # type: ignore[attr-defined]
        page = paginate(request, selectors.messages_for(request.user))
        return render(request, "inbox/_list.html", {"page": page, "unread": 0, "query": "", "oob_badge": True})
    return redirect("inbox:list")


@policy.permission(READ)
@require_POST
def open_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """Mark the message read and follow its link (a local one only; otherwise back to the inbox)."""
    message = services.message_mark_read(actor=request.user, message_id=message_id, request=request)
    if message.url and url_has_allowed_host_and_scheme(
        message.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(message.url)
    return redirect("inbox:list")
