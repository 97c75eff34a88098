"""The inbox page: one's own messages grouped by what they are about (threads), unread first; mark a
message, a thread or all read (htmx or plain forms); one's own notice settings."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from anju.access import policy
from anju.inbox import kinds, preferences, selectors, services
from anju.inbox.models import Channel, Mode
from anju.inbox.policies import READ, SETTINGS


def _counts(request: HttpRequest) -> dict[str, Any]:
    return {"unread": selectors.unread_threads(request.user), "oob_badge": True}


@policy.permission(READ)
def inbox(request: HttpRequest) -> HttpResponse:
    page = selectors.threads_page(request, request.user)
    return render(
        request,
        "inbox/list.html",
        {"page": page, "unread": selectors.unread_threads_of_request(request), "query": ""},
    )


@policy.permission(READ)
def thread(request: HttpRequest, message_id: int) -> HttpResponse:
    message, items = selectors.thread_of(request.user, message_id)
    return render(
        request,
        "inbox/thread.html",
        {"message": message, "items": items, "unread_here": sum(1 for m in items if m.read_at is None)},
    )


@policy.permission(READ)
@require_POST
def mark_read(request: HttpRequest, message_id: int) -> HttpResponse:
    message = services.message_mark_read(actor=request.user, message_id=message_id, request=request)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "inbox/_message.html", {"m": message, **_counts(request)})
    return redirect("inbox:thread", message.pk) if request.POST.get("back") == "thread" else redirect("inbox:list")


@policy.permission(READ)
@require_POST
def mark_thread_read(request: HttpRequest, message_id: int) -> HttpResponse:
    services.thread_mark_read(actor=request.user, message_id=message_id, request=request)
    if request.htmx:  # type: ignore[attr-defined]
        message = selectors.message_for(request.user, message_id)
        summary = selectors.thread_summary(request.user, message.thread_key)
        return render(request, "inbox/_thread.html", {"t": summary, **_counts(request)})
    return redirect("inbox:list")


@policy.permission(READ)
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.messages_mark_all_read(actor=request.user, request=request)
    if request.htmx:  # type: ignore[attr-defined]
        page = selectors.threads_page(request, request.user)
        return render(request, "inbox/_list.html", {"page": page, "unread": 0, "query": "", "oob_badge": True})
    return redirect("inbox:list")


@policy.permission(READ)
@require_POST
def open_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """Mark the message's thread read and follow its link (a local one only; otherwise back to the inbox)."""
    message = selectors.message_for(request.user, message_id)
    services.thread_mark_read(actor=request.user, message_id=message_id, request=request)
    if message.url and url_has_allowed_host_and_scheme(
        message.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(message.url)
    return redirect("inbox:list")


# --- notice settings ------------------------------------------------------------------------------------

GROUP_LABELS = {
    "appeal": gettext_lazy("Appeals"),
    "spaces": gettext_lazy("Rooms and bookings"),
    "activities": gettext_lazy("Activities"),
}


def _parse_time(raw: str) -> time | bool | None:
    """``None`` for empty, a time, or ``False`` when it is not one."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        hours, minutes = raw.split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return False


def _settings_context(request: HttpRequest, errors: list[str]) -> dict[str, Any]:
    rows = preferences.table_for(request.user)
    for row in rows:
        row["title"] = kinds.sample(row["kind"])
        row["cells"] = []
        for channel, label in Channel.choices:
            options = [(m, ml) for m, ml in Mode.choices if preferences.allowed(row["kind"], channel, m)]
            row["cells"].append(
                {
                    "name": f"{row['kind']}__{channel}",
                    "label": label,
                    "mode": row["modes"][channel],
                    "options": options,
                    "fixed": len(options) == 1,
                }
            )
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["group"], []).append(row)
    window = preferences.quiet_hours(int(request.user.pk or 0))
    return {
        "groups": [(str(GROUP_LABELS.get(g, g)), items) for g, items in groups.items()],
        "channels": Channel.choices,
        "modes": Mode.choices,
        "quiet": window,
        "errors": errors,
        "sms_cap": services.sms_daily_cap(),
        "digest_hour": preferences.digest_hour(),
    }


@policy.permission(SETTINGS)
def notice_settings(request: HttpRequest) -> HttpResponse:
    """One's own notice settings: per kind and channel, immediately / daily digest / off; SMS quiet hours."""
    errors: list[str] = []
    if request.method == "POST":
        modes: dict[tuple[str, str], str] = {}
        for row in preferences.table_for(request.user):
            for channel in Channel.values:
                value = request.POST.get(f"{row['kind']}__{channel}")
                if value is not None:
                    modes[(row["kind"], channel)] = value
        start = _parse_time(request.POST.get("quiet_start", ""))
        end = _parse_time(request.POST.get("quiet_end", ""))
        if start is False or end is False or (start is None) != (end is None):
            errors.append(_("Quiet hours need a start and an end time, such as 21:00 and 08:00, or both left empty."))
        if not errors:
            try:
                changed = services.notice_settings_update(
                    actor=request.user,
                    modes=modes,
                    quiet_start=start or None,
                    quiet_end=end or None,
                    request=request,
                )
            except ValueError:
                errors.append(_("One of the choices is not possible (some notices must always show in the app)."))
            else:
                if changed:
                    flash.success(request, _("Your notice settings are saved."))
                else:
                    flash.info(request, _("Nothing changed."))
                return redirect("inbox:settings")
    response = render(request, "inbox/settings.html", _settings_context(request, errors))
    if errors:
        response.status_code = 400
    return response
