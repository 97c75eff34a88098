"""Central households (党员中心户), their pairings with resident households (包保), care levels, visits (定期上门)
and the weekly digest's once-per-week key.

A pairing row is never edited into another one: a change ends the row (``ended_at``, who, why) and starts a
new one, so the rows of a household are its history. At most one row per household is open (a partial unique
constraint), and a visit's client key makes a re-sent form one visit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.orgs.models import CommunityScopedModel


class CareLevel(models.TextChoices):
    ALONE = "alone", _("Older resident living alone")
    AGED_80 = "aged80", _("Aged 80 or over")
    DISABILITY = "disability", _("Disability")
    DIBAO = "dibao", _("Minimum living allowance")
    FOCUS = "focus", _("Needs close attention")
    ORDINARY = "ordinary", _("Ordinary")


class CadenceUnit(models.TextChoices):
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")


#: The defaults of every community (DESIGN: living alone weekly, 80+ and disability every two weeks,
#: 低保 and 重点关注 monthly, ordinary quarterly): (every, unit).
DEFAULT_CADENCES: dict[str, tuple[int, str]] = {
    CareLevel.ALONE: (1, CadenceUnit.WEEKS),
    CareLevel.AGED_80: (2, CadenceUnit.WEEKS),
    CareLevel.DISABILITY: (2, CadenceUnit.WEEKS),
    CareLevel.DIBAO: (1, CadenceUnit.MONTHS),
    CareLevel.FOCUS: (1, CadenceUnit.MONTHS),
    CareLevel.ORDINARY: (3, CadenceUnit.MONTHS),
}

#: Care levels whose name is health or income data (PIPL art. 28): shown to the central household, which
#: serves the household, and to staff; never in an export without the staff role.
SENSITIVE_LEVELS = frozenset({CareLevel.DISABILITY, CareLevel.DIBAO})


class Cadence(CommunityScopedModel):
    """A community's own cadence of one care level (absent: the default)."""

    level = models.CharField(_("care level"), max_length=12, choices=CareLevel.choices)
    every = models.PositiveSmallIntegerField(_("every"))
    unit = models.CharField(_("unit"), max_length=8, choices=CadenceUnit.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("visit cadence")
        verbose_name_plural = _("visit cadences")
        constraints = [models.UniqueConstraint(fields=["community", "level"], name="pairing_cadence_unique_level")]

    def __str__(self) -> str:
        return f"{self.level} {self.every} {self.unit}"


class CentralHousehold(CommunityScopedModel):
    """A registry household with a party member, designated to serve up to ``capacity`` households of ``area``."""

    household = models.OneToOneField(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="central"
    )
    member = models.ForeignKey(
        "people.Resident", verbose_name=_("party member"), on_delete=models.PROTECT, related_name="+"
    )
    # The account that carries it on the phone: the party member's own (or a family member's).
    carrier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("carried on the phone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="central_households",
    )
    area = models.ForeignKey("orgs.OrgUnit", verbose_name=_("area served"), on_delete=models.PROTECT, related_name="+")
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=10)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("central household")
        verbose_name_plural = _("central households")
        ordering = ["area__path", "household__unit__path", "id"]

    def __str__(self) -> str:
        return f"{self.household} ({self.member})"

    @property
    def unit(self) -> object:
        """Where the policy looks: the household's building."""
        return self.household.unit


class Pairing(CommunityScopedModel):
    """One household served by one central household, from ``started_at`` until ``ended_at``."""

    household = models.ForeignKey(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="pairings"
    )
    central = models.ForeignKey(
        CentralHousehold, verbose_name=_("central household"), on_delete=models.PROTECT, related_name="pairings"
    )
    started_at = models.DateTimeField(_("from"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_reason = models.CharField(_("why"), max_length=200, blank=True)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(_("why ended"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(ended_at__isnull=True), name="pairing_one_open_per_household"
            )
        ]
        indexes = [models.Index(fields=["central", "ended_at"], name="pairing_central_open")]

    def __str__(self) -> str:
        return f"{self.household_id} → {self.central_id}"

    @property
    def unit(self) -> object:
        return self.household.unit


class Care(CommunityScopedModel):
    """A household's care level, set by staff with a reason (the audit trail keeps the earlier ones)."""

    household = models.OneToOneField(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="care"
    )
    level = models.CharField(_("care level"), max_length=12, choices=CareLevel.choices, default=CareLevel.ORDINARY)
    reason = models.CharField(_("reason"), max_length=200)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("set"))

    class Meta:
        verbose_name = _("care level")
        verbose_name_plural = _("care levels")

    def __str__(self) -> str:
        return f"{self.household_id}: {self.level}"


class Visit(CommunityScopedModel):
    class Method(models.TextChoices):
        DOOR = "door", _("At the door")
        PHONE = "phone", pgettext_lazy("visit method", "By phone")
        WECHAT = "wechat", _("WeChat")
        STATION = "station", _("At the station")

    class Condition(models.TextChoices):
        GOOD = "good", _("Good")
        SO_SO = "so_so", _("So-so")
        ATTENTION = "attention", _("Needs attention")

    class Need(models.TextChoices):
        REPAIR = "repair", _("Repairs, lights, stairs")
        HEALTH = "health", _("Health and care")
        LIVING = "living", _("Daily living")
        NEIGHBOURS = "neighbours", _("Neighbours and disputes")
        POLICY = "policy", _("Allowances and paperwork")
        OTHER = "other", _("Other")

    class FollowUp(models.TextChoices):
        NONE = "", _("Nothing to follow up")
        APPEAL = "appeal", _("Filed as an appeal")
        WORKER = "worker", _("Follow-up for the community worker")
        DONE = "done", _("Followed up")

    household = models.ForeignKey(
        "people.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    central = models.ForeignKey(
        CentralHousehold, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("date"))
    method = models.CharField(_("how"), max_length=8, choices=Method.choices)
    met = models.CharField(_("whom you met"), max_length=60, blank=True)
    condition = models.CharField(_("how things are"), max_length=10, choices=Condition.choices)
    needs = models.JSONField(_("needs found"), default=list, blank=True)
    note = models.TextField(_("what you found"), blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=8, choices=FollowUp.choices, blank=True, default="")
    # The appeal filed in the same step (its id: appeals is another domain app, linked by number both ways
    # through the appeal's registry resident and this id).
    appeal_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The form's one-time key: a double tap or a re-sent form records one visit.
    client_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["household", "visited_on"], name="pairing_visit_household_day")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.visited_on}"

    @property
    def unit(self) -> object:
        return self.household.unit


class DigestSent(CommunityScopedModel):
    """The weekly digest of one central household for the week starting ``week`` (a Monday): at most one."""

    central = models.ForeignKey(CentralHousehold, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    due = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("weekly digest")
        verbose_name_plural = _("weekly digests")
        constraints = [models.UniqueConstraint(fields=["central", "week"], name="pairing_digest_once_a_week")]

    def __str__(self) -> str:
        return f"{self.central_id} {self.week}"
