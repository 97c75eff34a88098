"""The notices activities send through the shared inbox (``anju.inbox``).

Each kind is registered once with a lazy title template; the inbox renders it in the reader's language at
display time from the ``params`` given when sending."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anju.activities.models import Registration, Session
from anju.core.text import local_minute
from anju.inbox.kinds import register
from anju.inbox.services import inbox_send

REGISTRATION_CANCELLED = "activities.registration_cancelled"
ACTIVITY_CANCELLED = "activities.activity_cancelled"
SESSION_CANCELLED = "activities.session_cancelled"
OFFER = "activities.offer"
OFFER_EXPIRED = "activities.offer_expired"
PROMOTED = "activities.promoted"

KINDS = {
    REGISTRATION_CANCELLED: _("The organiser cancelled the registration of {name} for {activity}: {reason}"),
    ACTIVITY_CANCELLED: _("{activity} is cancelled: {reason}"),
    SESSION_CANCELLED: _("The session of {activity} on {when} is cancelled: {reason}"),
    OFFER: _("A place is free for {name} in {activity} on {when}: take it by {deadline}"),
    OFFER_EXPIRED: _("The place offered to {name} in {activity} was not taken up in time and passed on"),
    PROMOTED: _("{name} has a confirmed place in {activity} on {when}"),
}


def register_kinds() -> None:
    for kind, title in KINDS.items():
        register(kind, title)


def send(
    *, kind: str, recipients: Iterable[Any], community: Any, params: dict[str, Any], activity_id: int | None = None
) -> int:
    """Send one notice to each distinct recipient (users or user ids; empty ones are left out)."""
    ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    if not ids:
        return 0
    url = reverse("activities:detail", args=[activity_id]) if activity_id else ""
    sent: int = inbox_send(recipients=ids, kind=kind, community=community, params=params, url=url)
    return sent


def recipients_of(reg: Registration, *, besides: Any = None) -> list[int]:
    """Who hears about a registration: the participant's account and whoever registered them, except
    ``besides`` (the person who acted: nobody is told of their own act)."""
    skip = getattr(besides, "pk", besides)
    return [pk for pk in {reg.user_id, reg.registered_by_id} if pk is not None and pk != skip]


def tell(kind: str, reg: Registration, session: Session, *, besides: Any = None, **params: Any) -> None:
    """Send ``kind`` about one registration in ``session`` to :func:`recipients_of` it."""
    recipients = recipients_of(reg, besides=besides)
    if not recipients:
        return
    activity = session.activity
    send(
        kind=kind,
        recipients=recipients,
        community=activity.community_id,
        activity_id=activity.pk,
        params={"name": reg.name, "activity": activity.title, "when": local_minute(session.starts_at), **params},
    )
