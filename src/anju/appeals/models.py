"""Residents' appeals: catalogue, SLA, the appeal and its timeline, whistles,
escalations and notifications. The roll-up tiers the three-rate page reads are the rates' own
(``appeals.rates.models``), imported here so that they are the app's models."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from anju.appeals.rates.models import DailyRollup, MonthlyRollup, RollupCounters  # noqa: F401  the app's models too
from anju.orgs.models import CommunityScopedModel

if TYPE_CHECKING:
    from anju.accounts.models import User  # noqa: F401


class Urgency(models.TextChoices):
    GENERAL = "general", _("General")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    SIGNED = "signed", _("Signed for")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting")
    HANDLED = "handled", _("Handled")
    VERIFIED = "verified", _("Verified, awaiting callback")
    CLOSED_RESOLVED = "closed_resolved", _("Closed, resolved")
    CLOSED_UNRESOLVED = "closed_unresolved", _("Closed, unresolved")
    DUPLICATE = "duplicate", _("Duplicate")
    REFERRED = "referred", _("Referred back for re-dispatch")
    REOPENED = "reopened", _("Reopened")
    REJECTED = "rejected", _("Rejected")


CLOSED_STATUSES = frozenset({Status.CLOSED_RESOLVED, Status.CLOSED_UNRESOLVED, Status.DUPLICATE, Status.REJECTED})
OPEN_STATUSES = frozenset(set(Status.values) - {str(s) for s in CLOSED_STATUSES})
AWAITING_CALLBACK = frozenset({Status.HANDLED, Status.VERIFIED})
_OPEN = sorted(str(s) for s in OPEN_STATUSES)  # the partial indexes' condition, in a stable order


class Channel(models.TextChoices):
    APP = "app", _("Resident on the web")
    ANONYMOUS = "anonymous", _("Anonymous, with a contact number")
    VISIT = "visit", _("Met on a visit")
    PHONE = "phone", _("By phone")
    BENCH = "bench", _("At a bench meeting")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")


ON_BEHALF_CHANNELS = frozenset({Channel.VISIT, Channel.PHONE, Channel.BENCH})


# The catalogue we seed (migration 0002), by code: its Chinese name and the name shown in English. A name
# the community has edited is its own and is shown as typed, in every language.
SEEDED_CATEGORY_NAMES = {
    "street-lamp": ("路灯损坏", _("Broken street lamp")),
    "road-damage": ("道路破损", _("Damaged road")),
    "illegal-structure": ("违章搭建", _("Illegal structure")),
    "garbage": ("垃圾清运", _("Rubbish collection")),
    "street-vending": ("占道经营", _("Street vending on the road")),
    "drain-blocked": ("下水道堵塞", _("Blocked drain")),
    "water-outage": ("停水或水压低", _("No water or low pressure")),
    "power-outage": ("停电", _("Power cut")),
    "gas-leak": ("燃气泄漏", _("Gas leak")),
    "building-repair": ("房屋及公共设施维修", _("Repairs to buildings and shared facilities")),
    "elevator": ("电梯故障", _("Broken lift")),
    "neighbour-dispute": ("邻里纠纷", _("Dispute between neighbours")),
    "noise": ("噪音扰民", _("Noise nuisance")),
    "public-security": ("治安隐患", _("Public safety risk")),
    "sanitation": ("环境卫生与病媒", _("Sanitation and pests")),
    "elderly-care": ("养老服务", _("Care for older people")),
    "other": ("其他", _("Other")),
}


class Category(models.Model):
    """One entry of the dispatch catalogue (派单目录); an Open311 service."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    group = models.CharField(_("group"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True)
    department_kind = models.CharField(_("usual kind of department"), max_length=16, blank=True)
    default_urgency = models.CharField(
        _("default urgency"), max_length=10, choices=Urgency.choices, default=Urgency.GENERAL
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language: a seeded name the community kept is shown in English to English
        readers; any other name as typed."""
        seeded = SEEDED_CATEGORY_NAMES.get(self.code)
        if seeded is None or seeded[0] != self.name or (get_language() or "").startswith("zh"):
            return self.name
        return str(seeded[1])


class CategoryRoute(models.Model):
    """The default department for a category within an org unit's subtree."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routes")
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("orgs.Department", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [models.UniqueConstraint(fields=["category", "unit"], name="appeals_route_unique")]

    def __str__(self) -> str:
        return f"{self.category} @ {self.unit} → {self.department}"


class SlaUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    WORKDAYS = "workdays", _("working days")


class SlaBasis(models.TextChoices):
    """What a deadline counts from: the appeal's receipt (the reopen, in a reopened round), or the step before
    it (the dispatch, for signing, contact and feedback; the receipt, for the dispatch itself)."""

    RECEIPT = "receipt", _("from receipt")
    PREVIOUS = "previous", _("from the previous step")


class SlaPolicy(models.Model):
    """Deadlines for one urgency (and optionally one category; a blank category is the default). Each deadline
    says what it counts from (:class:`SlaBasis`); the defaults are DESIGN.md's table: dispatch and feedback to
    the requester from receipt, signing and contact from the dispatch."""

    #: Each deadline's basis when none is chosen (DESIGN.md).
    DEFAULT_BASES: dict[str, str] = {
        "dispatch": SlaBasis.RECEIPT,
        "sign": SlaBasis.PREVIOUS,
        "contact": SlaBasis.PREVIOUS,
        "feedback": SlaBasis.RECEIPT,
    }

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="sla")
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    complex = models.BooleanField(_("complex"), default=False)
    dispatch_value = models.PositiveIntegerField(_("dispatch within"))
    dispatch_unit = models.CharField(max_length=10, choices=SlaUnit.choices, default=SlaUnit.HOURS)
    dispatch_basis = models.CharField(max_length=10, choices=SlaBasis.choices, default=SlaBasis.RECEIPT)
    sign_value = models.PositiveIntegerField(_("sign within"))
    sign_unit = models.CharField(max_length=10, choices=SlaUnit.choices, default=SlaUnit.HOURS)
    sign_basis = models.CharField(max_length=10, choices=SlaBasis.choices, default=SlaBasis.PREVIOUS)
    contact_value = models.PositiveIntegerField(_("contact within"))
    contact_unit = models.CharField(max_length=10, choices=SlaUnit.choices, default=SlaUnit.HOURS)
    contact_basis = models.CharField(max_length=10, choices=SlaBasis.choices, default=SlaBasis.PREVIOUS)
    feedback_value = models.PositiveIntegerField(_("feedback within"))
    feedback_unit = models.CharField(max_length=10, choices=SlaUnit.choices, default=SlaUnit.HOURS)
    feedback_basis = models.CharField(max_length=10, choices=SlaBasis.choices, default=SlaBasis.RECEIPT)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return f"{self.category or '*'} / {self.urgency}{' / complex' if self.complex else ''}"


class SatisfactionLevel(models.Model):
    """The configurable rating scale (default 满意 / 基本满意 / 不满意)."""

    code = models.SlugField(max_length=20, unique=True)
    label = models.CharField(_("label"), max_length=40)
    counts_as_satisfied = models.BooleanField(_("counts as satisfied"), default=False)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("satisfaction level")
        verbose_name_plural = _("satisfaction levels")
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return self.label


class Appeal(CommunityScopedModel):
    """A resident's problem. ``description`` and ``address`` are stored screened (``core.screening``): numbers in
    them are sealed and shown masked (``description_masked``, ``address_masked``) unless revealed."""

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"))
    location = models.ForeignKey("orgs.OrgUnit", verbose_name=_("location"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # 200 characters as typed; room for the sealed trailer of numbers found in it (``core.screening``).
    address = models.CharField(_("address"), max_length=400, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.GENERAL)
    is_complex = models.BooleanField(_("complex"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    requester = models.ForeignKey(
        "accounts.User", verbose_name=_("requester"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requester_resident = models.ForeignKey(
        "people.Resident",
        verbose_name=_("requester in the registry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_name_sealed = models.TextField(blank=True, editable=False)
    contact_mobile_sealed = models.TextField(blank=True, editable=False)
    contact_mobile_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    filed_by = models.ForeignKey(
        "accounts.User", verbose_name=_("filed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    consent = models.BooleanField(_("the resident agreed"), default=False)

    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    waiting_reason = models.CharField(_("waiting reason"), max_length=200, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The round: 0 until the requester first reopens it, then one more per reopen. A round starts its SLA
    # afresh at ``round_started_at`` (the receipt, in round 0) and its escalation ladders from zero.
    reopen_count = models.PositiveSmallIntegerField(default=0)
    round_started_at = models.DateTimeField(null=True, blank=True)

    received_at = models.DateTimeField(_("received"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    dispatch_due = models.DateTimeField(_("dispatch due"), null=True, blank=True)
    sign_due = models.DateTimeField(_("signing due"), null=True, blank=True)
    contact_due = models.DateTimeField(_("contact due"), null=True, blank=True)
    feedback_due = models.DateTimeField(_("feedback due"), null=True, blank=True)
    deadlines_provisional = models.BooleanField(default=False)
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    responded_on_time = models.BooleanField(null=True, blank=True)

    # The highest level fired on the ladder of the current deadline(s) this round, and when the sweeper must
    # next look at the appeal (the earliest next level of the current deadlines' ladders).
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    # Staff may let followers (我也遇到) read the description and see the photos; by default a follower sees
    # only what the public may see (``appeals.privacy``).
    shared_with_followers = models.BooleanField(_("details shared with followers"), default=False)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "due_at"], name="appeal_queue"),
            models.Index(fields=["department", "status", "due_at"], name="appeal_dept_queue"),
            models.Index(fields=["escalation_due_at"], name="appeal_escalation_due"),
            models.Index(fields=["category", "location", "received_at"], name="appeal_dup"),
            models.Index(fields=["requester", "status"], name="appeal_requester"),
            # The lists (appeals.selectors): each index matches a list's filter and order, so an ordered,
            # limited page reads about a page of rows. Open work, due first: narrow reach walks a community's
            # or a department's entries, wide reach walks every open appeal in due order.
            models.Index(fields=["due_at", "id"], name="appeal_open_due", condition=Q(status__in=_OPEN)),
            models.Index(
                fields=["community", "due_at", "id"], name="appeal_open_comm_due", condition=Q(status__in=_OPEN)
            ),
            models.Index(
                fields=["department", "due_at", "id"], name="appeal_open_dept_due", condition=Q(status__in=_OPEN)
            ),
            # "All I can see" and the API: newest first.
            models.Index(fields=["received_at", "id"], name="appeal_received"),
            models.Index(fields=["community", "received_at", "id"], name="appeal_comm_received"),
            # ... of one category (the list's category filter): the bounded count reads the community's entries of
            # that category alone (at 10^6, 8 ms through a BitmapAnd of 20,000 and 59,000 entries -> 0.3 ms).
            models.Index(fields=["community", "category", "received_at", "id"], name="appeal_comm_cat_recv"),
            # ... filtered by an open status (received, waiting ...): one of them is a few in a thousand rows, so
            # walking every appeal newest first read 3,500 of them to find a page (18 ms at 10^6); this reads the page.
            models.Index(
                fields=["status", "received_at", "id"], name="appeal_open_status_recv", condition=Q(status__in=_OPEN)
            ),
        ]
        # PostgreSQL also keeps extended statistics (migration 0020, ``appeal_place_dependencies``): the place and
        # the grid lie in the community, which the planner needs told to estimate "same category and place".

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id and self.category.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def round_start(self) -> dt.datetime:
        """When the current round's SLA started: the receipt, or the latest reopen."""
        return self.round_started_at or self.received_at

    @property
    def number(self) -> str:
        return f"A{self.pk:08d}"

    @property
    def description_masked(self) -> str:
        from anju.core import screening

        return screening.masked(self.description)

    @property
    def address_masked(self) -> str:
        from anju.core import screening

        return screening.masked(self.address)


class AppealAssist(CommunityScopedModel):
    """An assisting department (首接负责: the lead leads, these assist)."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey("orgs.Department", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appeal", "department"], name="appeals_assist_unique")]


class AppealFollower(CommunityScopedModel):
    """ "我也遇到": a resident who has the same problem and is called back too."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appeal", "user"], name="appeals_follower_unique")]


class AppealPhoto(CommunityScopedModel):
    class Stage(models.TextChoices):
        INTAKE = "intake", _("Reported")
        FEEDBACK = "feedback", _("Handling feedback")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.INTAKE)
    image = models.FileField(upload_to="appeals/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class AppealEvent(CommunityScopedModel):
    """One step on the appeal's timeline. ``public`` steps are shown to the requester."""

    @property
    def to_status_label(self) -> str:
        return str(Status(self.to_status).label) if self.to_status in Status.values else self.to_status

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True)
    # A family member who did this step for the actor (子女代办): the timeline says "由 X 代办".
    proxy = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proxy_label = models.CharField(max_length=100, blank=True)
    department = models.ForeignKey(
        "orgs.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)  # what a person typed, shown as typed
    # A sentence the system wrote (see anju.appeals.notes), rendered in the reader's language when shown.
    note_key = models.CharField(max_length=40, blank=True)
    note_params = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    @property
    def text(self) -> str:
        """The note as the reader sees it: the system's sentence in the active language, then the typed note."""
        from anju.appeals import notes
        from anju.core import screening

        return notes.text(self.note_key, self.note_params, screening.masked(self.note))


class Callback(CommunityScopedModel):
    """A callback answer (回访), counted against the department that handled the appeal."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="callbacks")
    department = models.ForeignKey("orgs.Department", null=True, on_delete=models.PROTECT, related_name="+")
    respondent = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_follower = models.BooleanField(default=False)
    # Whether this answer was added to the three rates (a follower's only when the community chose so).
    counted = models.BooleanField(default=True)
    resolved = models.BooleanField()
    satisfaction = models.ForeignKey(SatisfactionLevel, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)  # screened (``core.screening``)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    @property
    def comment_masked(self) -> str:
        from anju.core import screening

        return screening.masked(self.comment)


class Publication(CommunityScopedModel):
    """What one community chose to publish of its appeals (Open311 and every public surface), and whether
    followers' callback answers count in its three rates. No row: nothing published, followers not counted.

    Never published, whatever the choice: personal data, the exact address or door number, photos, notes."""

    class Level(models.TextChoices):
        OFF = "off", _("Nothing (not listed)")
        BASIC = "basic", _("Category and status")

    level = models.CharField(_("publish"), max_length=10, choices=Level.choices, default=Level.OFF)
    area = models.BooleanField(_("the area (片区 or grid), never the building or address"), default=False)
    summary = models.BooleanField(_("a screened summary of the description"), default=False)
    followers_counted = models.BooleanField(_("followers' callback answers count in the three rates"), default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("publication setting")
        verbose_name_plural = _("publication settings")
        constraints = [models.UniqueConstraint(fields=["community"], name="appeals_publication_one")]

    def __str__(self) -> str:
        return f"{self.community_id}: {self.level}"


class Escalation(CommunityScopedModel):
    """One rung of an escalation ladder, fired for one appeal. Each deadline (stage) of each round has its own
    ladder: at most one row per (appeal, stage, round, level)."""

    class Level(models.IntegerChoices):
        REMINDER = 1, _("Reminder before the deadline")
        URGE = 2, _("Reminder notice (催办)")
        NOTICE = 3, _("Notice to the supervising level (通报)")
        ESCALATE = 4, _("Escalated up the org tree")

    class Stage(models.TextChoices):
        DISPATCH = "dispatch", _("dispatch")
        SIGN = "sign", _("signing")
        CONTACT = "contact", _("contact with the requester")
        FEEDBACK = "feedback", _("feedback to the requester")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="escalations")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    round = models.PositiveSmallIntegerField(default=0)  # the appeal's ``reopen_count`` when it fired
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    deadline = models.DateTimeField()
    fired_at = models.DateTimeField()
    target_unit = models.ForeignKey("orgs.OrgUnit", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["appeal_id", "round", "fired_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "stage", "round", "level"], name="appeals_escalation_once")
        ]


class Whistle(CommunityScopedModel):
    """吹哨: the community summons departments to the site."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="whistles")
    blown_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    blown_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-blown_at"]


class Summons(CommunityScopedModel):
    """One department summoned by a whistle: arrival deadline, check-in, evaluation."""

    class Arrival(models.TextChoices):
        """How an arrival was recorded; only a scanned site code or a community worker's confirmation on site
        proves the department was there (a self-declared arrival never counts as on time)."""

        SCANNED = "scanned", _("scanned the site code")
        CONFIRMED = "confirmed", _("confirmed on site by a community worker")
        SELF_DECLARED = "self_declared", _("self-declared, not verified")

    VERIFIED = (Arrival.SCANNED, Arrival.CONFIRMED)

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey("orgs.Department", on_delete=models.PROTECT, related_name="+")
    arrive_by = models.DateTimeField()
    arrived_at = models.DateTimeField(null=True, blank=True)
    arrived_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    arrival_method = models.CharField(max_length=16, choices=Arrival.choices, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["whistle", "department"], name="appeals_summons_unique")]
        indexes = [
            # The arrival ladder's sweep: summonses still awaited, by deadline.
            models.Index(fields=["arrive_by"], name="appeal_summons_awaited", condition=Q(arrived_at__isnull=True)),
        ]

    @property
    def verified(self) -> bool:
        return self.arrived_at is not None and self.arrival_method in self.VERIFIED

    @property
    def on_time(self) -> bool | None:
        """None before an arrival; a self-declared arrival is never on time."""
        if self.arrived_at is None:
            return None
        return self.verified and self.arrived_at <= self.arrive_by


class SummonsEscalation(CommunityScopedModel):
    """One rung of a summoned department's arrival ladder (its own deadline, ``Summons.arrive_by``): 催办 at
    the deadline, 通报 to the supervising level later (``anju.appeals.whistles.ladder``). At most one row per
    (summons, level); a second summons of the same appeal has a ladder of its own."""

    summons = models.ForeignKey(Summons, on_delete=models.CASCADE, related_name="escalations")
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="arrival_escalations")
    level = models.PositiveSmallIntegerField(choices=Escalation.Level.choices)
    deadline = models.DateTimeField()
    fired_at = models.DateTimeField()
    target_unit = models.ForeignKey("orgs.OrgUnit", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["appeal_id", "fired_at", "id"]
        constraints = [models.UniqueConstraint(fields=["summons", "level"], name="appeals_summons_escalation_once")]


class IntakeCounter(models.Model):
    """Anonymous intakes per address and hour (a keyed hash of the address, never the address)."""

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="appeals_intake_window")]

    def __str__(self) -> str:
        return f"{self.window_start:%Y-%m-%d %H}: {self.count}"
