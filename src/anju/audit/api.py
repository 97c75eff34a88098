from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from anju.access import policy
from anju.audit import selectors
from anju.core.api import BoundedPagination
from anju.core.params import Id

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    community_id: int | None
    data: dict[str, Any]
    ip: str | None


class AuditFilter(Schema):
    action: str = Field("", max_length=64)
    actor: str = Field("", max_length=150)
    community_id: Id | None = None
    since: date | None = None
    until: date | None = None


@router.get("/audit/events", response=list[AuditEventOut], summary="The audit trail, newest first")
@paginate(BoundedPagination)
@policy.permission("audit.view")
def list_events(request: HttpRequest, filters: Query[AuditFilter]) -> Any:
    return selectors.event_search(
        request.user,
        action=filters.action,
        actor=filters.actor,
        community_id=filters.community_id,
        since=filters.since,
        until=filters.until,
    )
