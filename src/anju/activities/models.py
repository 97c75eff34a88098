"""Activities, their sessions and registrations.

Capacity is held by the database: ``Session.taken`` counts the places held (confirmed registrations and open
offers); a CHECK constraint keeps it between 0 and the capacity, and every change of it happens on the session
row locked for update (PostgreSQL) inside an IMMEDIATE transaction (SQLite), so no bug can over-confirm.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Activity(CommunityScopedModel):
    class Category(models.TextChoices):
        CLASS = "class", _("Class")
        CARE = "care", _("Day care")
        HEALTH = "health", _("Health")
        SAFETY = "safety", _("Safety publicity")
        SPORTS = "sports", _("Sports and games")
        CULTURE = "culture", _("Culture and festivals")
        SERVICE = "service", _("Free service")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, default=Category.OTHER)
    target_tags = models.ManyToManyField(
        "people.Tag", verbose_name=_("target group"), blank=True, related_name="activities"
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("organiser"), on_delete=models.PROTECT, related_name="+"
    )
    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    capacity = models.PositiveIntegerField(_("places per session"))
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    household_limit = models.PositiveIntegerField(_("places per household"), default=0, help_text=_("0 = no limit"))
    guardian_checkout = models.BooleanField(_("a guardian must check the child out"), default=False)
    offer_hours = models.PositiveIntegerField(_("hours to answer a freed place"), default=24)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    poster = models.ImageField(_("poster"), upload_to="activities/posters/%Y/%m/", blank=True)
    poster_width = models.PositiveIntegerField(default=0)
    poster_height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Session(CommunityScopedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CANCELLED = "cancelled", _("Cancelled")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    booking = models.ForeignKey("spaces.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"))
    taken = models.PositiveIntegerField(_("places held"), default=0)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(taken__gte=0) & Q(taken__lte=F("capacity")), name="activities_session_taken_le_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


class Registration(CommunityScopedModel):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        OFFERED = "offered", _("Place offered")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")
        WALK_IN = "walk_in", _("Walk-in")

    HOLDING = (Status.CONFIRMED, Status.OFFERED)
    LIVE = (Status.CONFIRMED, Status.OFFERED, Status.WAITLISTED)

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("participant"), max_length=50)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True, db_index=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    short_code = models.CharField(_("short code"), max_length=8, unique=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guardian = models.CharField(_("collected by"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["session", "status", "created_at"])]

    def __str__(self) -> str:
        return self.name


class Helper(CommunityScopedModel):
    """A volunteer who helped at an activity (one session, or the activity as a whole) and for how long; the
    duty and hours ledger reads these rows."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="helpers")
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.CASCADE, related_name="helpers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("volunteer"), max_length=50)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    task = models.CharField(_("what they did"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("helper")
        verbose_name_plural = _("helpers")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=999), name="activities_helper_hours_range"),
            # One entry per person and session, and one per person for the activity as a whole. NULLs are
            # distinct in a unique index (SQLite, PostgreSQL by default), so the whole-activity entries (no
            # session) get partial indexes of their own; the same on every backend.
            models.UniqueConstraint(fields=["activity", "session", "user"], name="activities_helper_once_per_user"),
            models.UniqueConstraint(
                fields=["activity", "session", "resident"], name="activities_helper_once_per_resident"
            ),
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=Q(session__isnull=True),
                name="activities_helper_once_per_user_whole",
            ),
            models.UniqueConstraint(
                fields=["activity", "resident"],
                condition=Q(session__isnull=True),
                name="activities_helper_once_per_resident_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.hours}h"
