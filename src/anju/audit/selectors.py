"""Reads of the audit trail and the personal-data access log."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from anju.access import policy
from anju.audit.models import AuditEvent, PiiAccess


def _communities() -> QuerySet[Any]:
    """Every community, reached through the rows' own foreign key (audit sits below orgs and never imports it)."""
    unit_model: Any = AuditEvent._meta.get_field("community").related_model
    return unit_model.objects.communities()


def _scoped(qs: QuerySet[Any], user: Any, action: str) -> QuerySet[Any]:
    """Rows of communities within reach; rows with no community (sign-ins,
    system events) only for those whose reach includes a tree root.

    The communities are ids from the one reach module (``policy.reach_ids``), matched on the rows' indexed key
    (``community_id IN (…)``), never a path pattern through a join: the newest page reads about a page of rows
    through ``audit_community_time`` whatever the size of the trail."""
    if policy.is_superuser(user):
        return qs
    ids = policy.reach_ids(user, _communities(), action=action, name="communities")
    scope = Q(community_id__in=ids) if ids else Q(pk__in=[])
    if policy.reaches_root(user, action):
        scope |= Q(community__isnull=True)
    return qs.filter(scope)


def communities_for_filter(user: Any) -> QuerySet[Any]:
    """The communities the user may filter the trail by. They are reached through the event's own foreign key
    (``AuditEvent.community``), so audit, which sits below orgs (DEVELOPMENT.md, "Layers"), never imports it."""
    return policy.visible(_communities(), user, "audit.view", "path")


def events_visible(user: Any) -> QuerySet[AuditEvent]:
    return _scoped(AuditEvent.objects.all(), user, "audit.view")


def _day_bounds(day: date | None, *, end: bool) -> datetime | None:
    if day is None:
        return None
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment)


def event_search(
    user: Any,
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    community_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    qs = events_visible(user).select_related("community")
    if action:
        qs = qs.filter(action=action) if "." in action else qs.filter(action__startswith=action + ".")
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if community_id:
        qs = qs.filter(community_id=community_id)
    if since:
        qs = qs.filter(created_at__gte=_day_bounds(since, end=False))
    if until:
        qs = qs.filter(created_at__lte=_day_bounds(until, end=True))
    return qs.order_by("-created_at", "-id")


def pii_accesses_visible(user: Any) -> QuerySet[PiiAccess]:
    return _scoped(PiiAccess.objects.select_related("actor", "community"), user, "pii.log.view")
