"""Reads of the inbox shared by the page, the header badge and the API. A user only ever reads their own."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404

from anju.inbox.models import Message


def messages_for(user: Any, *, unread_only: bool = False) -> QuerySet[Message]:
    """The user's messages, unread first, newest first within each group."""
    qs = Message.objects.filter(recipient_id=getattr(user, "pk", None) or 0)
    if unread_only:
        qs = qs.filter(read_at=None)
    return qs.annotate(unread=ExpressionWrapper(Q(read_at=None), output_field=BooleanField())).order_by(
        "-unread", "-created_at", "-id"
    )


def message_for(user: Any, message_id: int) -> Message:
    """One of the user's own messages; 404 for a missing one and for anyone else's."""
    message = Message.objects.filter(recipient_id=getattr(user, "pk", None) or 0, pk=message_id).first()
    if message is None:
        raise Http404
    return message


def unread_count(user: Any) -> int:
    """One indexed COUNT query; 0 for anonymous visitors without touching the database."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at=None).count()
