"""The station's rooms and shared areas, their booking rules, and bookings.

The no-double-booking invariant (DESIGN.md rule 4) lives in :class:`Occupancy`:
a confirmed booking holds one active row for the space it books and one for
each of that space's parts (a composite booked whole blocks its parts; a part
booked blocks the whole because the whole's booking would need a row on that
part). On PostgreSQL an exclusion constraint (migration 0003) forbids two
active rows of one space with overlapping times; on SQLite the IMMEDIATE write
transaction serialises the check and the insert in ``services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from anju.core.screening import ScreenedCharField
from anju.orgs.models import CommunityScopedModel


class Station(CommunityScopedModel):
    """A party–mass service station (党群服务站)."""

    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    floor_area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="station_unique_name")]

    def __str__(self) -> str:
        return self.name


class Space(CommunityScopedModel):
    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        OUTDOOR = "outdoor", _("Outdoor area")

    class Audience(models.TextChoices):
        RESIDENTS = "residents", _("Residents")
        GROUPS = "groups", _("Groups")
        STAFF = "staff", _("Staff only")

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="spaces")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROOM)
    capacity = models.PositiveIntegerField(_("capacity"), default=10)
    description = models.TextField(_("description"), blank=True)
    bookable_by = models.CharField(
        _("who may book"), max_length=10, choices=Audience.choices, default=Audience.RESIDENTS
    )
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        help_text=_("For an area inside a larger space (e.g. the reading area of the shared living room)."),
    )
    sort_order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)
    area_m2 = models.PositiveIntegerField(_("area (m²)"), null=True, blank=True)
    equipment = models.TextField(_("equipment"), blank=True)
    key_location = models.CharField(_("where the key is"), max_length=200, blank=True)

    # Booking rules.
    min_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=30)
    max_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=240)
    max_days_ahead = models.PositiveIntegerField(_("bookable days ahead"), default=30)
    weekly_limit = models.PositiveIntegerField(
        _("bookings per household per week"), default=3, help_text=_("0 means no limit.")
    )
    requires_approval = models.BooleanField(_("staff approve bookings"), default=False)
    closed_on_holidays = models.BooleanField(_("closed on statutory holidays"), default=False)
    checkin_grace_minutes = models.PositiveIntegerField(_("check-in grace period (minutes)"), default=15)
    no_show_limit = models.PositiveIntegerField(
        _("no-shows in 90 days that stop booking"), default=3, help_text=_("0 means no limit.")
    )

    class Meta:
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        ordering = ["station_id", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="space_unique_name")]

    def __str__(self) -> str:
        return self.name


class SpacePhoto(CommunityScopedModel):
    space = models.ForeignKey(Space, verbose_name=_("space"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="spaces/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        verbose_name = _("space photo")
        verbose_name_plural = _("space photos")
        ordering = ["space_id", "id"]


class OpeningHours(CommunityScopedModel):
    """Bookable hours of a space on one weekday (0 = Monday). A space without rows is bookable 08:00–21:00."""

    space = models.ForeignKey(Space, verbose_name=_("space"), on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("bookable hours")
        verbose_name_plural = _("bookable hours")
        ordering = ["space_id", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_range"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="hours_closes_after_opens"),
        ]


class ClosedPeriod(CommunityScopedModel):
    """A holiday or maintenance closure of one space, or of the whole station when ``space`` is empty."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="closures")
    space = models.ForeignKey(
        Space, verbose_name=_("space"), null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="closure_ends_after")]


class Series(CommunityScopedModel):
    """A recurring booking: the rule it was made from, and its re-confirmation deadline."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LAPSED = "lapsed", _("Lapsed (not re-confirmed)")
        CANCELLED = "cancelled", _("Cancelled")

    space = models.ForeignKey(Space, verbose_name=_("space"), on_delete=models.PROTECT, related_name="series")
    booker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked for"), on_delete=models.PROTECT, related_name="+"
    )
    title = ScreenedCharField(_("purpose"), max_length=400)  # numbers in it sealed, read back masked
    rule = models.JSONField(_("recurrence"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reconfirm_by = models.DateTimeField(_("re-confirm by"), null=True, blank=True)
    reconfirm_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recurring booking")
        verbose_name_plural = _("recurring bookings")
        indexes = [models.Index(fields=["status", "reconfirm_by"], name="series_reconfirm_idx")]

    def __str__(self) -> str:
        return self.title


class Booking(CommunityScopedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        RELEASED = "released", _("Released (no-show)")
        SKIPPED = "skipped", _("Skipped (slot was taken)")
        LAPSED = "lapsed", _("Lapsed (not re-confirmed)")

    space = models.ForeignKey(Space, verbose_name=_("space"), on_delete=models.PROTECT, related_name="bookings")
    series = models.ForeignKey(
        Series, verbose_name=_("series"), null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    booker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked for"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked by"), on_delete=models.PROTECT, related_name="+"
    )
    # The household the booking counts against (weekly limit, no-shows): the booker's household in the
    # resident registry, or the one staff chose when booking on a resident's behalf. Empty for an account
    # the registry does not know; such bookings are limited per account (booker) instead.
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = ScreenedCharField(_("purpose"), max_length=400)  # numbers in it sealed, read back masked
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    # Set while a confirmed booking waits for its check-in; the worker releases rows past it.
    checkin_deadline = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after")]
        indexes = [
            models.Index(fields=["space", "starts_at"], name="booking_space_start_idx"),
            models.Index(fields=["booker", "starts_at"], name="booking_booker_start_idx"),
            models.Index(fields=["household", "starts_at"], name="booking_household_start_idx"),
            models.Index(fields=["checkin_deadline"], name="booking_checkin_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.space} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.CONFIRMED)


class Occupancy(CommunityScopedModel):
    """One space held by one confirmed booking. See the module docstring."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="occupancies")
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="occupancy_ends_after")]
        indexes = [models.Index(fields=["space", "starts_at", "ends_at"], name="occupancy_space_time_idx")]


class FeedKey(models.Model):
    """The secret in a user's iCalendar feed URL (calendar apps cannot sign in). A new nonce revokes old URLs."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"feed key of user {self.user_id}"
