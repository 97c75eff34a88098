"""Which notices a user sees: published, not expired, within reach, and addressed to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from anju.access import policy
from anju.bulletin.models import Notice


def _audience_q(user: Any) -> Q:
    if policy.can(user, "notice.manage"):
        return Q()
    q = Q(audience=Notice.Audience.COMMUNITY)
    # An area's notice reaches whoever holds a grant in that area: the area is the granted unit or above it.
    areas = {path for g in policy.grants_of(user) for path in (*g.above, g.path)}
    if areas:
        q |= Q(audience=Notice.Audience.AREA, area__path__in=sorted(areas))
    from anju.people.selectors import resident_for_user as resident_for

    me = resident_for(user)
    if me is not None:
        q |= Q(audience=Notice.Audience.TAG, tag__in=me.tags.all())
    return q


def notices_for(user: Any) -> QuerySet[Notice]:
    now = timezone.now()
    return (
        policy.visible(Notice.objects.all(), user, "notice.view", "community__path")
        .filter(_audience_q(user), publish_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("area", "tag", "author", "activity")
        .order_by("-pinned", "-publish_at", "-pk")
    )


def hot(user: Any, days: int = 30, limit: int = 5) -> list[Notice]:
    since = timezone.now() - timedelta(days=days)
    return list(notices_for(user).filter(publish_at__gte=since).order_by("-read_count", "-publish_at")[:limit])


def neighbours(user: Any, notice: Notice) -> tuple[Notice | None, Notice | None]:
    """The previous (older) and next (newer) notice by publish time among those the user sees."""
    qs = notices_for(user).exclude(pk=notice.pk)
    older = qs.filter(Q(publish_at__lt=notice.publish_at) | Q(publish_at=notice.publish_at, pk__lt=notice.pk))
    newer = qs.filter(Q(publish_at__gt=notice.publish_at) | Q(publish_at=notice.publish_at, pk__gt=notice.pk))
    return (
        older.order_by("-publish_at", "-pk").first(),
        newer.order_by("publish_at", "pk").first(),
    )


def notices_to_manage(user: Any) -> QuerySet[Notice]:
    """Every notice of the communities the user manages, whether on the board now or not."""
    return policy.visible(Notice.objects.all(), user, "notice.manage", "community__path").select_related(
        "community", "area", "tag"
    )


def off_board(user: Any, limit: int = 20) -> list[Notice]:
    """For staff: notices not on the board now, scheduled (published later) or expired."""
    now = timezone.now()
    return list(
        notices_to_manage(user)
        .filter(Q(publish_at__gt=now) | Q(expires_at__lte=now))
        .order_by("-publish_at", "-pk")[:limit]
    )


def filter_notices(
    qs: QuerySet[Notice], *, category: str = "", pinned: bool | None = None, q: str = ""
) -> QuerySet[Notice]:
    """Narrow a board listing by category, pin and a words search in the title and text (page and API)."""
    if category:
        qs = qs.filter(category=category)
    if pinned is not None:
        qs = qs.filter(pinned=pinned)
    for word in (q or "").split()[:5]:
        qs = qs.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return qs
