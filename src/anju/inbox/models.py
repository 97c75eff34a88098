"""The shared in-app inbox and its email outbox.

A :class:`Message` stores *what happened* (a registered ``kind`` and its JSON
``params``), never a rendered sentence: the title is rendered in the reader's
language when it is shown (:func:`anju.inbox.kinds.render`). An
:class:`Outbox` row, written in the same transaction as its message, is the
promise to deliver it by email, an :class:`SmsOutbox` row by SMS; the worker
keeps those promises.

Messages about one object (an appeal, a booking, an activity) share a
``thread_key``; the inbox lists one row per thread. What reaches a person, and
how, follows their :class:`NoticeSetting` rows (defaults in
:mod:`anju.inbox.preferences`); a message held for the daily digest becomes
visible at ``visible_at`` and is summarised by one digest per person per day
(:class:`DigestRun`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Message(CommunityScopedModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=60)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # The object the message is about ("appeal:12", a link path), shared by its thread; "once:…" stands alone.
    thread_key = models.CharField(_("thread"), max_length=120, default="", db_default="", blank=True)
    # When it shows in the inbox: at once, or (held for the daily digest) at the next digest time.
    visible_at = models.DateTimeField(_("shown from"), default=timezone.now, db_default=Now())
    # The channels ("app,email,sms") that wait for the daily digest instead of hearing of it at once.
    digest_channels = models.CharField(max_length=20, default="", db_default="", blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="inbox_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="inbox_recent_idx"),
            models.Index(fields=["recipient", "thread_key"], name="inbox_thread_idx"),
            # The digest job's sweep: only messages that wait for a digest.
            models.Index(fields=["created_at"], condition=~models.Q(digest_channels=""), name="inbox_digest_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        from anju.inbox.kinds import render

        return render(self.kind, self.params)

    @property
    def note(self) -> str:
        """Free text a person wrote (a reason), shown under the title as written."""
        value = (self.params or {}).get("note")
        return value if isinstance(value, str) else ""


class Unread(models.Model):
    """One row per unread message, for the header badge on PostgreSQL. There the messages are partitioned by month
    (``core.partitions``), and a query by recipient cannot be pruned to a month: planning it over every month's
    partition and its indexes cost each signed-in page 1 ms with five partitions and 3 ms with forty-one (a city
    three years on), more every month. This plain table answers the same count in one index range.

    Kept by a row trigger on ``inbox_message`` (migration ``0005_unread``), so every write keeps it exact — the
    services', the escalation sweep's bulk inserts and any SQL: a message stored unread adds its row, reading it
    removes the row, marking it unread again puts it back, and a change of its recipient, thread or
    ``visible_at`` is copied. SQLite keeps one plain table of messages, read directly; this table stays empty
    there (:func:`anju.inbox.selectors.unread_threads`)."""

    message_id = models.BigIntegerField(primary_key=True)
    recipient_id = models.BigIntegerField()
    thread_key = models.CharField(max_length=120)
    visible_at = models.DateTimeField()

    class Meta:
        db_table = "inbox_unread"
        indexes = [models.Index(fields=["recipient_id", "visible_at"], name="inbox_unread_badge_idx")]

    def __str__(self) -> str:
        return f"unread {self.message_id}"


class Outbox(CommunityScopedModel):
    """One email to deliver for one message."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    # No database constraint: the message table is partitioned by month on PostgreSQL (``core.partitions``), and
    # PostgreSQL cannot point a foreign key at it; Django still deletes the row with its message (CASCADE).
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbox", db_constraint=False)
    channel = models.CharField(max_length=10, default="email")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="inbox_outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} #{self.message_id} {self.state}"


class Channel(models.TextChoices):
    APP = "app", _("In the app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Mode(models.TextChoices):
    NOW = "now", _("Immediately")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("Off")


class NoticeSetting(models.Model):
    """One person's choice for one kind of message on one channel (absent: the default for their role)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    mode = models.CharField(_("when"), max_length=10, choices=Mode.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notice setting")
        verbose_name_plural = _("notice settings")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="inbox_notice_setting_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel}={self.mode}"


class NoticeProfile(models.Model):
    """A person's quiet hours for SMS (local time; a window may span midnight). No row: the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice profile")
        verbose_name_plural = _("notice profiles")

    def __str__(self) -> str:
        return f"{self.user_id} quiet {self.quiet_start}-{self.quiet_end}"


class DigestRun(models.Model):
    """The daily digest of one person on one (local) day: the unique row makes it happen once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    threads = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="inbox_digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class SmsOutbox(CommunityScopedModel):
    """One SMS to deliver for one message: a provider template and its parameters, never free text.

    Sent at most once: a sweep claims the row (``sending``) in a transaction before it calls the provider;
    a row whose sender died mid-call is marked ``unknown``, never sent again. The idempotency key (one per
    message and channel) keeps a second row for the same message from being written and travels to the
    provider (Alibaba ``OutId``, Tencent ``SessionContext``) to match receipts.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")

    # A sign-in code (kind ``accounts.code``) belongs to no message and no community, and may go to a number
    # no account uses yet (a desk invitation): it carries its number sealed, and its code only until the
    # provider has had it (then the parameters are blanked).
    # Nullable here (a code has no community): the base class declares it required.
    community = models.ForeignKey(  # type: ignore[assignment]
        "orgs.OrgUnit", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # No database constraint, as for Outbox.message: the message table is partitioned on PostgreSQL.
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="+", null=True, blank=True, db_constraint=False
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    phone_sealed = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=60)
    template_code = models.CharField(max_length=60)
    template_params = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    provider_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing SMS")
        verbose_name_plural = _("outgoing SMS")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="inbox_sms_due_idx"),
            models.Index(fields=["recipient", "sent_at"], name="inbox_sms_cap_idx"),
        ]

    def __str__(self) -> str:
        return f"sms #{self.message_id or self.idempotency_key} {self.state}"
