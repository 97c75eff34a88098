"""The daily digest: once a day (local ``ANJU_DIGEST_HOUR`` o'clock, 08:00 by default) each person who has
messages waiting for the digest gets one message summarising their unread threads, in the app (when they
chose the digest there) and by email and SMS (when they chose the digest there).

Exactly once per person per day, whatever runs twice: the digest's :class:`~anju.inbox.models.DigestRun`
row (unique per person and day) is inserted in the same transaction as the digest message and its outbox
rows; a second worker's insert fails on the constraint and its transaction writes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from anju.inbox import kinds, preferences, selectors, services
from anju.inbox.models import Channel, DigestRun, Message, Outbox, SmsOutbox

log = logging.getLogger(__name__)
LINES = 10


def digest_time(day_start: datetime) -> datetime:
    return day_start.replace(hour=preferences.digest_hour(), minute=0, second=0, microsecond=0)


def digest_lines(user: Any, *, limit: int = LINES) -> list[str]:
    """One line per unread thread (its newest title), for the digest email, in the active language."""
    rows = list(
        selectors.shown(user)
        .filter(read_at=None)
        .exclude(kind=kinds.DIGEST)
        .values("thread_key")
        .annotate(latest_id=Max("id"))
        .order_by("-latest_id")[:limit]
    )
    latest = {m.pk: m for m in Message.objects.filter(pk__in=[r["latest_id"] for r in rows])}
    return [f"- {latest[r['latest_id']].title}" for r in rows if r["latest_id"] in latest]


def send_due(now: datetime | None = None) -> int:
    """Write today's digests that are due and not yet written; return how many were written."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    at = digest_time(local)
    if local < at:
        return 0
    day = local.date()
    waiting = (
        Message.objects.filter(created_at__gte=at - timedelta(days=1), created_at__lt=at)
        .exclude(digest_channels="")
        .values_list("recipient_id", "community_id", "digest_channels")
    )
    per_user: dict[int, tuple[int, set[str]]] = {}
    for uid, community_id, held in waiting:
        _, known = per_user.setdefault(uid, (community_id, set()))
        known.update(c for c in held.split(",") if c)
    done = set(DigestRun.objects.filter(day=day, user_id__in=list(per_user)).values_list("user_id", flat=True))
    written = 0
    for uid, (community_id, channels) in per_user.items():
        if uid in done:
            continue
        if digest_for(uid, community_id=community_id, channels=channels, day=day, now=now):
            written += 1
    return written


def digest_for(uid: int, *, community_id: int, channels: set[str], day: Any, now: datetime) -> bool:
    """One person's digest of ``day``; False when another worker wrote it, or nothing is unread."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=uid, is_active=True).first()
    if user is None:
        return False
    try:
        with transaction.atomic():
            run = DigestRun.objects.create(user_id=uid, day=day, created_at=now)
            threads = selectors.shown(user).filter(read_at=None).exclude(kind=kinds.DIGEST)
            count = threads.values("thread_key").distinct().count()
            run.threads = count
            run.save(update_fields=["threads"])
            if not count:
                return False
            message = Message.objects.create(
                community_id=community_id,
                recipient=user,
                kind=kinds.DIGEST,
                params={"threads": count},
                url=reverse("inbox:list"),
                created_at=now,
                visible_at=now,
                thread_key=f"digest:{day.isoformat()}",
                read_at=None if Channel.APP in channels else now,
            )
            if Channel.EMAIL in channels and services.email_enabled() and services.address_of(user):
                Outbox.objects.create(community_id=community_id, message=message, created_at=now, next_attempt_at=now)
            if Channel.SMS in channels:
                rows = services.sms_rows_for([message], [user], kind=kinds.DIGEST, params=message.params, at=now)
                SmsOutbox.objects.bulk_create(rows)
    except IntegrityError:
        log.info("inbox: digest of user %s on %s was already written", uid, day)
        return False
    return True
