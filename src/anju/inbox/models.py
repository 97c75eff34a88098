"""The shared in-app inbox and its email outbox.

A :class:`Message` stores *what happened* (a registered ``kind`` and its JSON
``params``), never a rendered sentence: the title is rendered in the reader's
language when it is shown (:func:`anju.inbox.kinds.render`). An
:class:`Outbox` row, written in the same transaction as its message, is the
promise to deliver it by email; the worker keeps that promise.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
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

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="inbox_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="inbox_recent_idx"),
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


class Outbox(CommunityScopedModel):
    """One email to deliver for one message."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbox")
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
