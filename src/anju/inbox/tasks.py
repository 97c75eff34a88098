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
from django.db.models import Count
from django.utils import timezone, translation

from anju.inbox import kinds, preferences, services
from anju.inbox.models import NoticeProfile, Outbox, SmsOutbox
from anju.jobs.registry import periodic, task

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
        if message.kind == kinds.DIGEST:
            from anju.inbox.digest import digest_lines

            body += "\n\n" + "\n".join(digest_lines(message.recipient))
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


# --- SMS ------------------------------------------------------------------------------------------------
#
# Never sent twice: a sweep claims due rows in a short transaction (``SKIP LOCKED`` on PostgreSQL, the
# IMMEDIATE transaction on SQLite) by moving them to ``sending``; only that sweep calls the provider, then
# writes the outcome while the row is still ``sending``. A provider answer that says nothing was sent (flow
# control, a fault, no balance) puts the row back to ``pending`` with back-off; an answer that can never
# succeed, or running out of attempts, marks it ``failed``; no answer at all marks it ``unknown``. A row left
# ``sending`` by a sweep that died is marked ``unknown`` once its lease is over, and never resent: a person
# may miss one SMS (the message is in their inbox) but never gets it twice.

SMS_LEASE = timedelta(minutes=5)


def _local_day_start(at: datetime) -> datetime:
    local = timezone.localtime(at)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _claim_sms(batch: int, now: datetime) -> list[SmsOutbox]:
    """Take up to ``batch`` due SMS rows: held ones (quiet hours) are moved on, capped ones skipped."""
    with transaction.atomic():
        # Rows a dead sweep left behind: their outcome is unknown; they are not sent again.
        SmsOutbox.objects.filter(state=SmsOutbox.State.SENDING, locked_until__lt=now).update(
            state=SmsOutbox.State.UNKNOWN, locked_until=None, last_error="the sender stopped before the answer"
        )
        qs = (
            SmsOutbox.objects.filter(state=SmsOutbox.State.PENDING, next_attempt_at__lte=now)
            .select_related("recipient")
            .order_by("next_attempt_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs[:batch])
        if not rows:
            return []
        recipients = {r.recipient_id for r in rows if r.recipient_id is not None}
        today = _local_day_start(now)
        used = dict(
            SmsOutbox.objects.filter(
                recipient_id__in=recipients,
                state__in=[SmsOutbox.State.SENT, SmsOutbox.State.SENDING, SmsOutbox.State.UNKNOWN],
                sent_at__gte=today,
            )
            .values("recipient_id")
            .annotate(n=Count("id"))
            .values_list("recipient_id", "n")
        )
        profiles = {p.user_id: p for p in NoticeProfile.objects.filter(user_id__in=recipients)}
        cap = services.sms_daily_cap()
        claimed = []
        for row in rows:
            recipient = row.recipient
            if row.kind == services.CODE_KIND and row.created_at < now - timedelta(seconds=settings.ANJU_CODE_TTL):
                row.state, row.last_error = SmsOutbox.State.SKIPPED, "the code expired before it could be sent"
                row.template_params = {"code": "******"}
                row.save(update_fields=["state", "last_error", "template_params"])
                continue
            if row.kind == services.CODE_KIND:
                # A sign-in code: now or never (it lives five minutes); its own limits apply, not the cap.
                row.state, row.attempts, row.locked_until = SmsOutbox.State.SENDING, row.attempts + 1, now + SMS_LEASE
                row.sent_at = now
                row.save(update_fields=["state", "attempts", "locked_until", "sent_at"])
                claimed.append(row)
                continue
            rid = row.recipient_id
            if recipient is None or rid is None or not recipient.is_active or not recipient.mobile_sealed:
                row.state, row.last_error = SmsOutbox.State.SKIPPED, "no active account with a mobile number"
                row.save(update_fields=["state", "last_error"])
                continue
            later = preferences.quiet_until(now, preferences.quiet_of(profiles.get(rid)))
            if later is not None:
                row.next_attempt_at = later
                row.save(update_fields=["next_attempt_at"])
                continue
            if used.get(rid, 0) >= cap:
                row.state, row.last_error = SmsOutbox.State.SKIPPED, f"daily cap of {cap} reached"
                row.save(update_fields=["state", "last_error"])
                continue
            used[rid] = used.get(rid, 0) + 1
            row.state = SmsOutbox.State.SENDING
            row.attempts += 1
            row.locked_until = now + SMS_LEASE
            # Counted against today's cap from the claim on (the attempt may succeed).
            row.sent_at = now
            row.save(update_fields=["state", "attempts", "locked_until", "sent_at"])
            claimed.append(row)
    return claimed


@periodic("inbox.sms", every_seconds=60)
def deliver_sms(batch: int = 100) -> int:
    """Send due SMS rows through the configured provider; return how many were sent."""
    from anju.inbox import smsproviders

    rows = _claim_sms(batch, timezone.now())
    if not rows:
        return 0
    provider = smsproviders.backend()
    templates = preferences.sms_templates()
    sent = 0
    for row in rows:
        mine = SmsOutbox.objects.filter(pk=row.pk, state=SmsOutbox.State.SENDING)
        order = [str(n) for n in (templates.get(row.kind) or {}).get("params", list(row.template_params))]
        try:
            result = provider.send(
                phone=phone_of(row),
                template_code=row.template_code,
                params={k: str(v) for k, v in row.template_params.items()},
                order=order,
                reference=row.idempotency_key,
            )
        except Exception as exc:  # noqa: BLE001  (a bug in a backend must not stop the sweep; never resent)
            log.warning("inbox: SMS row %s: the backend failed: %s", row.pk, type(exc).__name__)
            result = smsproviders.Result(smsproviders.UNKNOWN, type(exc).__name__)
        error = f"{result.code} {result.detail}".strip()[:300]
        if row.kind == services.CODE_KIND:
            # The provider has had the code (or never will): it is not kept, and a code is never retried.
            mine.update(template_params={"code": "******"})
            if result.outcome == smsproviders.RETRY:
                result = smsproviders.Result(smsproviders.GIVE_UP, result.code, result.detail)
        if result.outcome == smsproviders.SENT:
            mine.update(state=SmsOutbox.State.SENT, locked_until=None, provider_ref=result.provider_ref, last_error="")
            sent += 1
        elif result.outcome == smsproviders.RETRY and row.attempts < MAX_ATTEMPTS:
            log.info("inbox: SMS row %s will be retried (%s)", row.pk, result.code)
            mine.update(
                state=SmsOutbox.State.PENDING,
                locked_until=None,
                sent_at=None,
                last_error=error,
                next_attempt_at=timezone.now() + backoff(row.attempts),
            )
        elif result.outcome == smsproviders.UNKNOWN:
            mine.update(state=SmsOutbox.State.UNKNOWN, locked_until=None, last_error=error)
        else:
            log.info("inbox: SMS row %s given up (%s)", row.pk, result.code)
            mine.update(state=SmsOutbox.State.FAILED, locked_until=None, sent_at=None, last_error=error)
    return sent


def phone_of(row: SmsOutbox) -> str:
    """The number an SMS row goes to: its own (a sign-in code), else its recipient's."""
    if row.phone_sealed:
        from anju.core import crypto

        return crypto.decrypt(row.phone_sealed)
    return row.recipient.mobile if row.recipient is not None else ""


@task("inbox.sms_now")
def deliver_sms_now(row: int = 0) -> int:
    """Deliver due SMS rows at once (enqueued with each sign-in code); the claim keeps it to one send."""
    return deliver_sms()


@periodic("inbox.digest", every_seconds=600)
def send_digests() -> int:
    """The daily digests that are due (see :mod:`anju.inbox.digest`); return how many were written."""
    from anju.inbox import digest

    return digest.send_due()
