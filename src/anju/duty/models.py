"""Duty rosters at the station (轮值): shift templates, volunteers, monthly rosters of dated shifts, the seats
volunteers hold, swap and cover requests, the hours ledger and the points store.

What the database holds, whatever a bug in Python does:

* a seat of a shift is held by at most one assignment (a partial unique index on (shift, seat) over the
  holding statuses), and nobody holds two seats of one shift (the same on (shift, volunteer));
* the hours and points ledgers are append-only (triggers on PostgreSQL and SQLite, migration 0002): a
  correction is a reversing entry with a reason, and one entry is reversed at most once (a unique key);
* a points balance and an item's stock never go below zero (CHECK constraints on the rows every change
  goes through).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Skill(models.TextChoices):
    NONE = "", _("No special skill")
    FIRST_AID = "first_aid", _("First aid")
    CHILDREN = "children", _("Looking after children")
    ELDERLY = "elderly", _("Caring for the elderly")


class ShiftTemplate(CommunityScopedModel):
    """A recurring shift of one station (and optionally one space): 共享客厅 09:00–12:00 on working days."""

    class Days(models.TextChoices):
        EVERY_DAY = "every_day", _("Every day")
        WORKDAYS = "workdays", _("Working days (make-up days included)")
        REST_DAYS = "rest_days", _("Weekends and holidays")

    station = models.ForeignKey("spaces.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="+")
    space = models.ForeignKey(
        "spaces.Space", verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    days = models.CharField(_("on"), max_length=10, choices=Days.choices, default=Days.EVERY_DAY)
    skip_holidays = models.BooleanField(_("not on statutory holidays"), default=False)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    seats = models.PositiveSmallIntegerField(_("volunteers needed"), default=1)
    skill = models.CharField(_("skill needed"), max_length=12, choices=Skill.choices, blank=True, default="")
    confirm_hours = models.PositiveIntegerField(_("confirm at least this many hours before"), default=48)
    change_hours = models.PositiveIntegerField(_("sign-up and changes close this many hours before"), default=24)
    offer_hours = models.PositiveIntegerField(_("hours a standby volunteer has to answer"), default=4)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shift template")
        verbose_name_plural = _("shift templates")
        ordering = ["station", "starts", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="duty_template_ends_after_start"),
            models.CheckConstraint(condition=Q(seats__gte=1) & Q(seats__lte=20), name="duty_template_seats_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Volunteer(CommunityScopedModel):
    """A person who takes station duty: their account, their kind, when they can come and how often."""

    class Kind(models.TextChoices):
        PARTY_MEMBER = "party_member", _("Party member")
        CENTRAL_HOUSEHOLD = "central_household", _("Central household")
        RESIDENT = "resident", _("Registered resident volunteer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("resident"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("volunteer"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PARTY_MEMBER)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True, help_text=_("0 = Monday … 6 = Sunday"))
    earliest = models.TimeField(_("not before"), null=True, blank=True)
    latest = models.TimeField(_("not after"), null=True, blank=True)
    monthly_max = models.PositiveSmallIntegerField(_("at most shifts a month"), default=4)
    standby = models.BooleanField(_("in the standby pool"), default=True)
    leaderboard = models.BooleanField(_("shown on the leaderboard"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    code = models.CharField(
        _("volunteer code"), max_length=16, unique=True, help_text=_("shown as a QR code at the counter")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="duty_volunteer_once_per_community"),
            models.CheckConstraint(condition=Q(monthly_max__lte=31), name="duty_volunteer_monthly_max_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Blackout(CommunityScopedModel):
    """A date a volunteer cannot come."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="blackouts")
    day = models.DateField(_("date"))

    class Meta:
        verbose_name = _("date away")
        verbose_name_plural = _("dates away")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["volunteer", "day"], name="duty_blackout_once")]


class Roster(CommunityScopedModel):
    """One station's month: generated as a draft, edited, then published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    station = models.ForeignKey("spaces.Station", verbose_name=_("station"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"), help_text=_("the first day of the month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    holes = models.PositiveIntegerField(_("seats left open"), default=0)
    generated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["station", "month"], name="duty_roster_once_per_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Shift(CommunityScopedModel):
    """One dated shift of a template in a roster."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="shifts")
    template = models.ForeignKey(ShiftTemplate, on_delete=models.PROTECT, related_name="shifts")
    day = models.DateField(_("date"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    seats = models.PositiveSmallIntegerField(_("volunteers needed"))
    confirm_by = models.DateTimeField(_("confirm by"), db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "template"]
        constraints = [
            models.UniqueConstraint(fields=["template", "day"], name="duty_shift_once_per_day"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="duty_shift_ends_after_start"),
        ]
        indexes = [models.Index(fields=["community", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.template.name} {self.day}"


class Assignment(CommunityScopedModel):
    """A volunteer on one seat of a shift. Ended rows stay as history (dropped, lapsed, replaced …)."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned, to confirm")
        CONFIRMED = "confirmed", _("Confirmed")
        OFFERED = "offered", _("Offered from the standby pool")
        DROPPED = "dropped", _("Dropped")
        LAPSED = "lapsed", _("Not confirmed in time")
        DECLINED = "declined", _("Offer declined or expired")
        HANDED_OVER = "handed_over", _("Handed over (swap or cover)")
        REMOVED = "removed", _("Removed by a coordinator")

    HOLDING = (Status.ASSIGNED, Status.CONFIRMED, Status.OFFERED)

    class Source(models.TextChoices):
        GENERATED = "generated", _("Roster")
        SIGNUP = "signup", _("Signed up")
        COVER = "cover", _("Cover")
        SWAP = "swap", _("Swap")
        STANDBY = "standby", _("Standby")
        COORDINATOR = "coordinator", _("Coordinator")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    seat = models.PositiveSmallIntegerField(_("seat"))
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    source = models.CharField(_("how"), max_length=12, choices=Source.choices)
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True, db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    late = models.BooleanField(_("late"), default=False)
    no_show = models.BooleanField(_("no-show"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["shift", "seat", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(seat__gte=1) & Q(seat__lte=20), name="duty_assignment_seat_range"),
            models.UniqueConstraint(
                fields=["shift", "seat"],
                condition=Q(status__in=["assigned", "confirmed", "offered"]),
                name="duty_assignment_one_per_seat",
            ),
            models.UniqueConstraint(
                fields=["shift", "volunteer"],
                condition=Q(status__in=["assigned", "confirmed", "offered"]),
                name="duty_assignment_one_seat_per_volunteer",
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "status"]), models.Index(fields=["status", "offer_expires_at"])]

    def __str__(self) -> str:
        return f"{self.shift_id}#{self.seat} {self.volunteer_id}"

    @property
    def holding(self) -> bool:
        return self.status in self.HOLDING


class SwapRequest(CommunityScopedModel):
    """A volunteer asks for someone to cover their seat, or offers it in exchange for another volunteer's seat
    (one named seat, or any the taker holds); the first acceptance wins."""

    class Kind(models.TextChoices):
        COVER = "cover", _("Cover")
        SWAP = "swap", _("Swap")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        TAKEN = "taken", _("Taken")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CLOSED = "closed", _("Closed")
        DECLINED = "declined", _("Declined")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="swap_requests")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.COVER)
    want = models.ForeignKey(
        Assignment,
        verbose_name=_("in exchange for"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("a swap for one named seat; empty: any seat the taker holds"),
    )
    given = models.ForeignKey(
        Assignment,
        verbose_name=_("seat given in exchange"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    taken_by = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cover request")
        verbose_name_plural = _("cover requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status="open"), name="duty_swap_one_open_per_assignment"
            ),
            models.CheckConstraint(
                condition=Q(kind="swap") | (Q(want__isnull=True) & Q(given__isnull=True)), name="duty_swap_cover_shape"
            ),
        ]


class DoorCode(CommunityScopedModel):
    """The duty QR code at a station's door: scanning it checks the signed-in volunteer in or out."""

    station = models.OneToOneField("spaces.Station", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class HoursEntry(CommunityScopedModel):
    """One line of the append-only hours ledger. A correction reverses an entry (negative hours, a reason)."""

    class Source(models.TextChoices):
        DUTY = "duty", _("Duty shift")
        ACTIVITY = "activity", _("Activity helper")
        LABOUR = "labour", _("Labour contribution")
        REVERSAL = "reversal", _("Reversal")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    category = models.CharField(_("category"), max_length=40, blank=True)
    source_ref = models.PositiveBigIntegerField(null=True, blank=True)
    day = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours entries")
        ordering = ["day", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=Q(source_ref__isnull=False),
                name="duty_hours_once_per_source",
            ),
            models.CheckConstraint(
                condition=(Q(source="reversal") & Q(reverses__isnull=False) & ~Q(note=""))
                | (~Q(source="reversal") & Q(reverses__isnull=True) & Q(hours__gt=0)),
                name="duty_hours_reversal_shape",
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "day"]), models.Index(fields=["community", "day"])]


class PointsRule(CommunityScopedModel):
    """How many points a source earns: per hour or per shift of duty, per activity helped at."""

    class Basis(models.TextChoices):
        PER_HOUR = "per_hour", _("Per hour of duty or help")
        PER_SHIFT = "per_shift", _("Per duty shift attended")
        PER_ACTIVITY = "per_activity", _("Per activity helped at")
        PER_SUGGESTION = "per_suggestion", _("Per accepted suggestion")

    basis = models.CharField(_("basis"), max_length=16, choices=Basis.choices)
    points = models.PositiveIntegerField(_("points"))

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        constraints = [models.UniqueConstraint(fields=["community", "basis"], name="duty_points_rule_once")]


class PointsAccount(CommunityScopedModel):
    """A volunteer's balance; the CHECK keeps it at zero or above whatever runs at once."""

    volunteer = models.OneToOneField(Volunteer, on_delete=models.PROTECT, related_name="points")
    balance = models.IntegerField(_("balance"), default=0)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="duty_points_balance_not_negative")]


class PointsEntry(CommunityScopedModel):
    """One line of the append-only points ledger (earned +, redeemed −)."""

    class Source(models.TextChoices):
        DUTY = "duty", _("Duty shift")
        HOURS = "hours", _("Hours")
        ACTIVITY = "activity", _("Activity helper")
        REDEMPTION = "redemption", _("Redeemed at the store")
        EXPIRY = "expiry", _("Expired")
        SUGGESTION = "suggestion", _("Accepted suggestion")
        HONOUR = "honour", _("Honour (评比)")
        YEAR_END = "year_end", _("Expired at the year's end")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="points_entries")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_ref = models.PositiveBigIntegerField(null=True, blank=True)
    points = models.IntegerField(_("points"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=Q(source_ref__isnull=False) & ~Q(source="redemption"),
                name="duty_points_once_per_source",
            )
        ]


class PointsSettings(CommunityScopedModel):
    """A community's choice on points: whether points left from earlier years expire at the start of a year."""

    expire_yearly = models.BooleanField(
        _("points expire yearly"),
        default=False,
        help_text=_("points earned before a year began and not spent expire in its first days"),
    )

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")
        constraints = [models.UniqueConstraint(fields=["community"], name="duty_points_settings_once")]


class StoreItem(CommunityScopedModel):
    """An item of the points store (积分超市)."""

    name = models.CharField(_("item"), max_length=60)
    cost = models.PositiveIntegerField(_("points"))
    stock = models.IntegerField(_("in stock"), default=0)
    is_active = models.BooleanField(_("on offer"), default=True)

    class Meta:
        verbose_name = _("store item")
        verbose_name_plural = _("store items")
        ordering = ["cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="duty_store_stock_not_negative"),
            models.CheckConstraint(condition=Q(cost__gte=1), name="duty_store_cost_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(CommunityScopedModel):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="redemptions")
    item = models.ForeignKey(StoreItem, on_delete=models.PROTECT, related_name="redemptions")
    points = models.PositiveIntegerField(_("points"))
    served_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at"]
