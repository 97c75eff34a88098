"""Reads of the inbox shared by the page, the header badge and the API. A user only ever reads their own.

Only *shown* messages count: a message held for the daily digest shows from its ``visible_at``.
The inbox lists threads (messages about one object, :attr:`Message.thread_key`): one row each, with its
newest message, how many messages it holds and how many are unread; the header badge counts the threads
with unread messages, the same number the list's heading shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db import connections
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from anju.core.pagination import paginate
from anju.inbox.models import Message, Unread


def _uid(user: Any) -> int:
    return getattr(user, "pk", None) or 0


def shown(user: Any) -> QuerySet[Message]:
    return Message.objects.filter(recipient_id=_uid(user), visible_at__lte=timezone.now())


def messages_for(user: Any, *, unread_only: bool = False) -> QuerySet[Message]:
    """The user's messages, unread first, newest first within each group."""
    qs = shown(user)
    if unread_only:
        qs = qs.filter(read_at=None)
    return qs.annotate(unread=ExpressionWrapper(Q(read_at=None), output_field=BooleanField())).order_by(
        "-unread", "-created_at", "-id"
    )


def message_for(user: Any, message_id: int) -> Message:
    """One of the user's own messages; 404 for a missing one and for anyone else's."""
    message = shown(user).filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message


def unread_count(user: Any) -> int:
    """Unread messages. One COUNT query; 0 for anonymous visitors without touching the database."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return shown(user).filter(read_at=None).count()


def unread_threads(user: Any) -> int:
    """Threads with unread messages (the header badge). One query; none when anonymous. On PostgreSQL it reads
    the unread messages' own table (:class:`~anju.inbox.models.Unread`, kept by a trigger): the messages are
    partitioned by month there, and counting them by recipient meant planning every month's partition."""
    if not getattr(user, "is_authenticated", False):
        return 0
    connection = connections[Unread.objects.db]
    if connection.vendor == "postgresql":
        # Written here: the ORM took 0.5 ms to build this count (a DISTINCT in a subquery), PostgreSQL 0.3 ms
        # to send its answer; on every signed-in page.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(DISTINCT thread_key) FROM {connection.ops.quote_name(Unread._meta.db_table)}"  # noqa: S608
                " WHERE recipient_id = %s AND visible_at <= %s",
                [_uid(user), timezone.now()],
            )
            return int(cursor.fetchone()[0])
    return shown(user).filter(read_at=None).values("thread_key").distinct().count()


def unread_threads_of_request(request: Any) -> int:
    """:func:`unread_threads` of the request's user, counted once per request (the page and the header
    badge share it; marking read counts afresh through :func:`unread_threads`)."""
    cached = getattr(request, "_anju_unread_threads", None)
    if cached is None:
        cached = unread_threads(getattr(request, "user", None))
        request._anju_unread_threads = cached
    return int(cached)


@dataclass
class Thread:
    key: str
    latest: Message
    total: int
    unread: int

    @property
    def earlier(self) -> int:
        return self.total - 1


def _thread_rows(user: Any, *, unread_only: bool = False) -> QuerySet[Any]:
    qs = shown(user)
    if unread_only:
        qs = qs.filter(read_at=None)
    return (
        qs.values("thread_key")
        .annotate(
            latest_id=Max("id"),
            total=Count("id"),
            unread=Count("id", filter=Q(read_at=None)),
        )
        .order_by("-unread", "-latest_id")
    )


def threads_page(request: HttpRequest, user: Any, *, unread_only: bool = False) -> Page:
    """A page of the user's threads, those with unread messages first, then by newest message: three
    queries whatever the page holds (count, the page's threads, their newest messages)."""
    page = paginate(request, _thread_rows(user, unread_only=unread_only))
    rows = list(page.object_list)
    latest = {m.pk: m for m in Message.objects.filter(pk__in=[r["latest_id"] for r in rows])}
    page.object_list = [
        Thread(r["thread_key"], latest[r["latest_id"]], r["total"], r["unread"])
        for r in rows
        if r["latest_id"] in latest
    ]
    return page


def thread_of(user: Any, message_id: int) -> tuple[Message, list[Message]]:
    """The thread of one of the user's messages, newest first; 404 for a missing one and anyone else's."""
    message = message_for(user, message_id)
    messages = list(shown(user).filter(thread_key=message.thread_key).order_by("-created_at", "-id"))
    return message, messages


def thread_summary(user: Any, thread_key: str) -> Thread | None:
    """One thread's row (after marking it read), or ``None`` when it has no shown messages."""
    rows = list(_thread_rows(user).filter(thread_key=thread_key)[:1])
    if not rows:
        return None
    r = rows[0]
    latest = Message.objects.get(pk=r["latest_id"])
    return Thread(r["thread_key"], latest, r["total"], r["unread"])
