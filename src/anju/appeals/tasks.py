"""Periodic work of appeals, swept by ``anju worker``."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from anju.appeals.models import Outbox
from anju.appeals.sla import sweep_escalations
from anju.jobs.registry import periodic


@periodic("appeals.escalations", every_seconds=60)
def escalations() -> int:
    return sweep_escalations()


def email_enabled() -> bool:
    return bool(
        getattr(settings, "ANJU_EMAIL_ENABLED", False) or getattr(settings, "EMAIL_HOST", "") not in ("", "localhost")
    )


@periodic("appeals.outbox", every_seconds=60)
def send_outbox(batch: int = 200) -> int:
    """Send pending outbox rows by email when email is configured; rows without an address are skipped."""
    sent = 0
    with transaction.atomic():
        qs = Outbox.objects.filter(state=Outbox.State.PENDING).select_related("notification__user").order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs[:batch])
        enabled = email_enabled()
        for row in rows:
            address = getattr(row.notification.user, "email", "") or ""
            if not enabled or not address:
                row.state = Outbox.State.SKIPPED
            else:
                try:
                    send_mail(row.notification.title, row.notification.title, None, [address])
                    row.state, row.sent_at = Outbox.State.SENT, timezone.now()
                    sent += 1
                except OSError:
                    row.attempts += 1
                    row.state = Outbox.State.FAILED if row.attempts >= 5 else Outbox.State.PENDING
            row.save(update_fields=["state", "sent_at", "attempts"])
    return sent
