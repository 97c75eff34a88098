"""Email delivery of the outbox, swept by ``anju worker``.

Safe to run twice and in several workers at once. A short transaction claims
due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
IMMEDIATE transaction serialises claimers) by counting the attempt and moving
``next_attempt_at`` a lease ahead, so no other sweep takes them; the mail is
sent after that transaction, holding no lock while the mail server answers;
then the row is marked ``sent``. A failed send is retried with exponential
back-off (1, 2, 4 … minutes, capped at six hours) and given up as ``failed``
after :data:`MAX_ATTEMPTS`. A worker that dies between sending and marking
leaves the row to be sent again when the lease ends: at least once, never
lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation

from anju.inbox import services
from anju.inbox.models import Outbox
from anju.jobs.registry import periodic

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _compose(row: Outbox) -> tuple[str, str]:
    message = row.message
    language = getattr(message.recipient, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        title = message.title
        body = title
        # A subject is one line: free text in the title (a typed reason, an activity's name) may hold line breaks.
        title = " ".join(title.split())[:200]
        if message.note:
            body += "\n\n" + message.note
        base = str(getattr(settings, "ANJU_BASE_URL", "") or "").rstrip("/")
        if message.url:
            body += "\n\n" + (base + message.url if message.url.startswith("/") else message.url)
    return title, body


def _claim(batch: int, now: datetime) -> list[Outbox]:
    """Take up to ``batch`` due rows for this sweep; rows that cannot be emailed are skipped on the way."""
    with transaction.atomic():
        qs = (
            Outbox.objects.filter(state=Outbox.State.PENDING, next_attempt_at__lte=now)
            .select_related("message__recipient")
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        enabled = services.email_enabled()
        claimed = []
        for row in qs[:batch]:
            recipient = row.message.recipient
            if not enabled or not recipient.is_active or not services.address_of(recipient):
                row.state = Outbox.State.SKIPPED
                row.save(update_fields=["state"])
                continue
            row.attempts += 1
            row.next_attempt_at = now + LEASE
            row.save(update_fields=["attempts", "next_attempt_at"])
            claimed.append(row)
    return claimed


@periodic("inbox.outbox", every_seconds=60)
def deliver_outbox(batch: int = 200) -> int:
    """Send due outbox rows; return how many were sent."""
    sent = 0
    for row in _claim(batch, timezone.now()):
        try:
            subject, body = _compose(row)
            send_mail(subject, body, None, [services.address_of(row.message.recipient)])
        except Exception as exc:  # noqa: BLE001  (one bad row must not stop the sweep: retry it, then give up)
            log.warning("inbox: email for outbox row %s failed: %s", row.pk, exc)
            if row.attempts >= MAX_ATTEMPTS:
                changes: dict[str, object] = {"state": Outbox.State.FAILED}
            else:
                changes = {"next_attempt_at": timezone.now() + backoff(row.attempts)}
            Outbox.objects.filter(pk=row.pk, state=Outbox.State.PENDING).update(last_error=str(exc)[:300], **changes)
        else:
            Outbox.objects.filter(pk=row.pk).update(state=Outbox.State.SENT, sent_at=timezone.now())
            sent += 1
    return sent
