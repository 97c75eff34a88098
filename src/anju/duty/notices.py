"""The notices duty sends through the shared inbox (``anju.inbox``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.inbox.kinds import register
from anju.inbox.services import inbox_send

PUBLISHED = "duty.published"
ASSIGNED = "duty.assigned"
REMINDER = "duty.reminder"
OFFER = "duty.offer"
LAPSED = "duty.lapsed"
COVER_ASKED = "duty.cover_asked"
COVER_TAKEN = "duty.cover_taken"
SWAP_ASKED = "duty.swap_asked"
SWAP_TAKEN = "duty.swap_taken"
SWAP_DECLINED = "duty.swap_declined"

KINDS = {
    PUBLISHED: _("The duty roster for {month} is published: please confirm your shifts"),
    ASSIGNED: _("A coordinator put you on duty: {shift} on {when}"),
    REMINDER: _("Reminder: you are on duty tomorrow, {shift} on {when}"),
    OFFER: _("A duty seat is free for you: {shift} on {when}; take it by {deadline}"),
    LAPSED: _("Your duty seat {shift} on {when} was not confirmed in time and passed on"),
    COVER_ASKED: _("{name} asks for cover: {shift} on {when}"),
    COVER_TAKEN: _("{name} covers your duty {shift} on {when}"),
    SWAP_ASKED: _("{name} offers a swap for their duty {shift} on {when}"),
    SWAP_TAKEN: _("{name} swapped with you: you are now on duty {shift} on {when} instead of {gave}"),
    SWAP_DECLINED: _("{name} declined your swap offer for your duty {shift} on {when}"),
}


def register_kinds() -> None:
    for kind, title in KINDS.items():
        register(kind, title)


def shift_params(shift: Any) -> dict[str, Any]:
    local = timezone.localtime(shift.starts_at, timezone.get_default_timezone())
    return {"shift": shift.template.name, "when": local.strftime("%Y-%m-%d %H:%M"), "thread": f"duty-shift-{shift.pk}"}


def send(*, kind: str, recipients: Iterable[Any], community: Any, params: dict[str, Any], url_name: str) -> int:
    ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    if not ids:
        return 0
    params = dict(params)
    thread = str(params.pop("thread", ""))
    sent: int = inbox_send(
        recipients=ids, kind=kind, community=community, params=params, url=reverse(url_name), thread=thread
    )
    return sent
