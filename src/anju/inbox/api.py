from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from anju.access import policy
from anju.core.api import ErrorOut, Pagination
from anju.core.params import Id
from anju.inbox import selectors, services
from anju.inbox.models import Message
from anju.inbox.policies import READ

router = Router(tags=["inbox"])


class MessageOut(Schema):
    id: int
    kind: str = Field(..., description="The registered kind, e.g. appeal.dispatched or spaces.booking_confirmed")
    title: str = Field(..., description="Rendered in the caller's language")
    note: str = Field("", description="Free text a person wrote (a reason), as written")
    url: str = Field("", description="Where the message points in the web app (a path), or empty")
    thread_key: str = Field(
        "", description="Messages about one object (an appeal, a booking …) share it; the inbox groups them"
    )
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_title(obj: Message) -> str:
        return obj.title

    @staticmethod
    def resolve_note(obj: Message) -> str:
        return obj.note


class MessageFilter(Schema):
    unread: bool = Field(False, description="Only unread messages")


class UnreadOut(Schema):
    unread: int = Field(..., description="Unread messages")
    threads: int = Field(0, description="Threads (objects) with unread messages: the web inbox's badge")


class MarkedOut(Schema):
    marked: int


@router.get("/inbox/messages", response=list[MessageOut], summary="One's own messages, unread first")
@paginate(Pagination)
@policy.permission(READ)
def list_messages(request: HttpRequest, filters: Query[MessageFilter]) -> Any:
    return selectors.messages_for(request.user, unread_only=filters.unread)


@router.get("/inbox/unread", response=UnreadOut, summary="How many of one's messages are unread")
@policy.permission(READ)
def unread(request: HttpRequest) -> Any:
    return {"unread": selectors.unread_count(request.user), "threads": selectors.unread_threads(request.user)}


@router.post(
    "/inbox/messages/{message_id}/read", response={200: MessageOut, 404: ErrorOut}, summary="Mark a message read"
)
@policy.permission(READ)
def mark_read(request: HttpRequest, message_id: Id) -> Any:
    """404 for a missing message and for anyone else's."""
    return services.message_mark_read(actor=request.user, message_id=message_id, request=request)


@router.post(
    "/inbox/messages/{message_id}/read-thread",
    response={200: MarkedOut, 404: ErrorOut},
    summary="Mark every message of a message's thread read",
)
@policy.permission(READ)
def mark_thread_read(request: HttpRequest, message_id: Id) -> Any:
    """404 for a missing message and for anyone else's."""
    return {"marked": services.thread_mark_read(actor=request.user, message_id=message_id, request=request)}


@router.post("/inbox/messages/read-all", response=MarkedOut, summary="Mark all of one's messages read")
@policy.permission(READ)
def mark_all_read(request: HttpRequest) -> Any:
    return {"marked": services.messages_mark_all_read(actor=request.user, request=request)}
