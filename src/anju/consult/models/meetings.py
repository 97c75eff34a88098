"""Meetings (板凳会, 议事亭 sessions, 居民代表会议): agenda from topics, invitations, attendance, minutes and
decisions, each decision with an owner and a due date, tracked to done."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.consult.models.topics import Topic
from anju.orgs.models import CommunityScopedModel


def new_checkin_token() -> str:
    return secrets.token_urlsafe(16)


class Meeting(CommunityScopedModel):
    class Kind(models.TextChoices):
        BENCH = "bench", _("Bench meeting")
        PAVILION = "pavilion", _("Pavilion session")
        REPRESENTATIVES = "representatives", _("Residents' representatives meeting")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        PUBLISHED = "published", _("Summary published")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BENCH)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("space"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    booking = models.ForeignKey("spaces.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checkin_token = models.CharField(max_length=40, default=new_checkin_token, unique=True)
    head_count = models.PositiveIntegerField(_("head count"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    summary = models.TextField(_("published summary"), blank=True)
    notice = models.ForeignKey("bulletin.Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["community", "starts_at"], name="consult_meeting_start")]

    def __str__(self) -> str:
        return self.title


class AgendaItem(CommunityScopedModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "topic"], name="consult_agenda_topic_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.topic_id}"


class Invitation(CommunityScopedModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="consult_invitation_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.user_id}"


class Attendance(CommunityScopedModel):
    """Someone who checked in (by the meeting's QR code or at the staff's desk)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_in_at = models.DateTimeField(auto_now_add=True)
    by_staff = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="consult_attendance_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.user_id}"


class Decision(CommunityScopedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Done")

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(_("decision"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    # The last day the owner was reminded (the periodic sweep reminds at most once a day).
    reminded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="consult_decision_due")]

    def __str__(self) -> str:
        return self.text[:60]
