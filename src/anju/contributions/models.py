"""Tables of contributions (共建): projects, what people gave to them, and the money ledger.

The ledger's rows (contributions, money entries, approvals) are append-only (database triggers, migration
0002): a correction is a reversing row with a reason. Money is integer fen. A project's balance row
(``Project.balance_fen``) is moved only by counted money entries, by conditional updates that never take it below
zero, except by an expenditure marked as advanced (垫付), which raises ``advanced_fen`` by as much; a CHECK
constraint holds ``balance_fen + advanced_fen >= 0`` whatever runs at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel

#: Money entries above this many fen need a second person's approval, unless the community set its own.
DEFAULT_APPROVAL_THRESHOLD_FEN = 500_000


class Kind(models.TextChoices):
    MONEY = "money", _("Money")
    LAND = "land", _("Land")
    SPACE = "space", _("Space")
    LABOUR = "labour", _("Labour")
    GOODS = "goods", _("Goods")
    SERVICES = "services", _("Professional services")


class Unit(models.TextChoices):
    YUAN = "yuan", _("yuan")
    SQM = "sqm", _("m²")
    MU = "mu", _("mu")
    PERSON_DAY = "person_day", _("person-days")
    ITEM = "item", _("items")


#: Which units each kind is counted in (m² of money is refused).
UNITS_OF_KIND: dict[str, tuple[str, ...]] = {
    Kind.MONEY: (Unit.YUAN,),
    Kind.LAND: (Unit.SQM, Unit.MU),
    Kind.SPACE: (Unit.SQM,),
    Kind.LABOUR: (Unit.PERSON_DAY,),
    Kind.GOODS: (Unit.ITEM,),
    Kind.SERVICES: (Unit.PERSON_DAY, Unit.ITEM),
}


class Setting(CommunityScopedModel):
    """A community's choices for its ledger. No row: nothing public, the default approval threshold."""

    public = models.BooleanField(_("public pages without signing in"), default=False)
    approval_threshold_fen = models.PositiveBigIntegerField(
        _("approval threshold (fen)"), default=DEFAULT_APPROVAL_THRESHOLD_FEN
    )
    last_receipt = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("contributions setting")
        verbose_name_plural = _("contributions settings")
        constraints = [models.UniqueConstraint(fields=["community"], name="contributions_setting_once")]


class Project(CommunityScopedModel):
    """Something the community builds or improves with what people give (共建项目)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNDERWAY = "underway", _("Underway")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0, editable=False)
    advanced_fen = models.BigIntegerField(_("advanced (fen)"), default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_fen__gte=-F("advanced_fen")), name="contributions_balance_covered"
            ),
            models.CheckConstraint(condition=Q(advanced_fen__gte=0), name="contributions_advanced_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Goal(CommunityScopedModel):
    """What a project aims to gather, in one unit (¥300,000; 1,200 m²; 350 person-days)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="goals")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "unit"], name="contributions_goal_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="contributions_goal_positive"),
        ]


class Photo(CommunityScopedModel):
    """A photo of a project before or after the work."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("stage"), max_length=6, choices=Stage.choices)
    image = models.ImageField(_("photo"), upload_to="contributions/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("project photo")
        verbose_name_plural = _("project photos")
        ordering = ["stage", "pk"]


class MoneyEntry(CommunityScopedModel):
    """One line of a project's money ledger, in signed integer fen: a receipt (+), an expenditure (−) or the
    reversal of one (the opposite amount, a reason). Counts toward the balance once approved when it needed a
    second person; a reversal counts at once and only reverses a counted entry."""

    class Type(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        EXPENDITURE = "expenditure", _("Expenditure")
        REVERSAL = "reversal", _("Reversal")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="entries")
    type = models.CharField(_("type"), max_length=12, choices=Type.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    day = models.DateField(_("date"))
    purpose = models.CharField(_("what it is for"), max_length=200, blank=True)
    payee = models.CharField(_("paid to"), max_length=100, blank=True)
    invoice = models.ImageField(_("invoice photo"), upload_to="contributions/%Y/%m/", blank=True)
    advanced = models.BooleanField(_("advanced (垫付)"), default=False)
    needs_approval = models.BooleanField(_("needs a second approval"), default=False)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("money entry")
        verbose_name_plural = _("money entries")
        ordering = ["day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(type="receipt") & Q(amount_fen__gt=0) & Q(reverses__isnull=True))
                | (Q(type="expenditure") & Q(amount_fen__lt=0) & Q(reverses__isnull=True))
                | (Q(type="reversal") & ~Q(amount_fen=0) & Q(reverses__isnull=False) & ~Q(reason="")),
                name="contributions_money_entry_shape",
            ),
        ]
        indexes = [models.Index(fields=["project", "day"], name="contributions_money_day")]


class Approval(CommunityScopedModel):
    """The second person's decision on a money entry over the threshold (四眼原则): never the one who recorded
    it (a CHECK on the copied recorder)."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    entry = models.OneToOneField(MoneyEntry, on_delete=models.PROTECT, related_name="approval")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    entry_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.CheckConstraint(condition=~Q(decided_by=F("entry_recorded_by")), name="contributions_four_eyes"),
        ]


class Contribution(CommunityScopedModel):
    """What one contributor gave to a project: a kind, a quantity in a unit that fits it, an optional estimated
    value, the date and evidence. Money contributions carry their receipt in the money ledger. Anonymous ones are
    known to staff and shown to the public as "anonymous"."""

    class Contributor(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        HOUSEHOLD = "household", _("Household")
        ORGANISATION = "organisation", _("Organisation")
        PERSON = "person", _("Other person")

    class Tenure(models.TextChoices):
        GIVEN = "given", _("Given")
        LENT = "lent", _("Lent")

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="contributions")
    contributor = models.CharField(_("contributor"), max_length=12, choices=Contributor.choices)
    name = models.CharField(_("name"), max_length=100)
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    anonymous = models.BooleanField(_("anonymous to the public"), default=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    tenure = models.CharField(_("given or lent"), max_length=6, choices=Tenure.choices, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices)
    people = models.PositiveIntegerField(_("people"), null=True, blank=True)
    days = models.DecimalField(_("days"), max_digits=6, decimal_places=1, null=True, blank=True)
    value_fen = models.BigIntegerField(_("estimated value (fen)"), null=True, blank=True)
    day = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    evidence = models.ImageField(_("evidence photo"), upload_to="contributions/%Y/%m/", blank=True)
    receipt_no = models.CharField(_("receipt number"), max_length=20)
    money_entry = models.OneToOneField(
        MoneyEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="contribution"
    )
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True) & Q(quantity__gt=0))
                | (Q(reverses__isnull=False) & Q(quantity__lt=0) & ~Q(reason="")),
                name="contributions_contribution_shape",
            ),
            models.CheckConstraint(
                condition=Q(value_fen__isnull=True) | Q(value_fen__gte=0) | Q(reverses__isnull=False),
                name="contributions_value_not_negative",
            ),
            models.UniqueConstraint(
                fields=["community", "receipt_no"],
                condition=Q(reverses__isnull=True),
                name="contributions_receipt_once",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "kind", "unit"], name="contributions_project_kind"),
            models.Index(fields=["community", "day"], name="contributions_community_day"),
        ]

    def __str__(self) -> str:
        return self.receipt_no

    def policy_unit(self) -> Any:
        """The community, for scope checks (``unit`` here is the unit of measure)."""
        return self.community

    @property
    def public_name(self) -> str:
        """The name any public surface shows."""
        return str(_("Anonymous")) if self.anonymous else self.name


class HoursImport(CommunityScopedModel):
    """A duty hours-ledger entry taken into a labour contribution (once: a second import skips it)."""

    contribution = models.ForeignKey(Contribution, on_delete=models.PROTECT, related_name="hours_imports")
    hours_entry_id = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "hours_entry_id"], name="contributions_hours_once")]
