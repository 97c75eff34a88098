"""Every state change of the inbox.

:func:`inbox_send` is called by other apps' services inside their own
transaction (it writes no audit row: the calling service records its one);
the mark-read services are the reader's own changes and record theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.functional import Promise

from anju.audit.actions import Action
from anju.audit.services import record
from anju.inbox import kinds
from anju.inbox.models import Message, Outbox

log = logging.getLogger(__name__)

_PLAIN = (str, int, float, bool, type(None))


def email_enabled() -> bool:
    """Email goes out only when the deployment configured it (``ANJU_EMAIL_ENABLED`` or an SMTP host)."""
    return bool(
        getattr(settings, "ANJU_EMAIL_ENABLED", False) or getattr(settings, "EMAIL_HOST", "") not in ("", "localhost")
    )


def address_of(user: Any) -> str:
    """Where to email the user's notices: their address, unless they have none or turned email off."""
    return str(getattr(user, "notice_email", "") or "")


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if not isinstance(key, str):
            raise TypeError("message parameters are named by strings")
        if isinstance(value, Promise) or not isinstance(value, _PLAIN):
            # A lazy string would be frozen in the sender's language: pass data, register the wording.
            raise TypeError(f"message parameter {key!r} must be a plain str, number, bool or None")
        clean[key] = value
    return clean


def _user_ids(recipients: Iterable[Any]) -> list[int]:
    seen: dict[int, None] = {}
    for r in recipients:
        uid = r if isinstance(r, int) else getattr(r, "pk", None)
        if uid is not None:
            seen.setdefault(int(uid), None)
    return list(seen)


def inbox_send(
    *,
    recipients: Iterable[Any],
    kind: str,
    community: Any,
    params: Mapping[str, Any] | None = None,
    url: str = "",
    email: bool = True,
) -> int:
    """Put one message of ``kind`` in each recipient's inbox; return how many were written.

    ``recipients`` are users or user ids (duplicates and inactive accounts are dropped). The title is not
    stored: it is rendered from ``kind`` and ``params`` in the reader's language when shown. When
    ``email`` is true, email is configured and the recipient has an address, an outbox row is written in
    the same transaction; the worker delivers it (:mod:`anju.inbox.tasks`).
    """
    if url and (not url.startswith("/") or url.startswith(("//", "/\\"))):
        # Links are paths inside Anju (``reverse()``); anything else could be ``javascript:`` or another site.
        raise ValueError(f"message links must be local paths, not {url!r}")
    if not kinds.is_registered(kind):
        log.warning("inbox: message kind %r is not registered; readers will see a generic title", kind)
    clean = _clean_params(params)
    community_id = community if isinstance(community, int) else community.pk
    ids = _user_ids(recipients)
    if not ids:
        return 0
    users = list(get_user_model().objects.filter(pk__in=ids, is_active=True))
    if not users:
        return 0
    at = timezone.now()
    with transaction.atomic():
        made = [
            Message(community_id=community_id, recipient=u, kind=kind, params=clean, url=url[:300], created_at=at)
            for u in users
        ]
        Message.objects.bulk_create(made)
        if email and email_enabled():
            outgoing = [
                Outbox(community_id=community_id, message=m, created_at=at, next_attempt_at=at)
                for m, u in zip(made, users, strict=True)
                if address_of(u)
            ]
            if outgoing:
                Outbox.objects.bulk_create(outgoing)
    return len(made)


def message_mark_read(*, actor: Any, message_id: int, request: HttpRequest | None = None) -> Message:
    """The reader marks one of their own messages read (404 for anyone else's)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().filter(recipient_id=getattr(actor, "pk", None), pk=message_id).first()
        )
        if message is None:
            raise Http404
        if message.read_at is None:
            message.read_at = timezone.now()
            message.save(update_fields=["read_at"])
            record(Action.INBOX_READ, actor=actor, obj=message, data={"messages": 1}, request=request)
    return message


def messages_mark_all_read(*, actor: Any, request: HttpRequest | None = None) -> int:
    """The reader marks every unread message of theirs read; returns how many changed."""
    with transaction.atomic():
        n = Message.objects.filter(recipient_id=getattr(actor, "pk", None), read_at=None).update(read_at=timezone.now())
        if n:
            record(Action.INBOX_READ, actor=actor, data={"messages": n, "all": True}, request=request)
    return n
