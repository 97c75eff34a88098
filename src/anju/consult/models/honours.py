"""Honours (评比): a campaign names what is honoured (a lane or building for 文明巷, a household or a person for
最美好邻居, or any title the community defines), its weighted criteria, the period and who may nominate.

A campaign moves draft → nominations → mutual evaluation (成果互评: households score the nominees of their own
area, one score sheet per household and nominee) → public notice (公示, ``notice_days`` days, objections answered
in public without the objector's name) → optional vote (one vote per household) → final (awards, the honour roll
on the notice board, certificates, points in the duty ledger when the campaign gives any).

The database holds the rules that must survive a crowd: one score sheet per household and nominee, one vote per
household and campaign, one nomination per subject and campaign.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel

MAX_SCORE = 5


class Subject(models.TextChoices):
    UNIT = "unit", _("A lane or building")
    HOUSEHOLD = "household", _("A household")
    PERSON = "person", _("A person")


class Nominators(models.TextChoices):
    STAFF = "staff", _("The community's staff")
    RESIDENTS = "residents", _("Every household and the staff")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOMINATING = "nominating", _("Nominations")
    SCORING = "scoring", _("Mutual evaluation")
    NOTICE = "notice", _("Public notice")
    VOTING = "voting", _("Vote")
    FINAL = "final", _("Final")


class Campaign(CommunityScopedModel):
    """One honours campaign of a community."""

    title = models.CharField(_("title"), max_length=60)
    subject = models.CharField(_("what is honoured"), max_length=10, choices=Subject.choices)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    nominators = models.CharField(
        _("who may nominate"), max_length=10, choices=Nominators.choices, default=Nominators.RESIDENTS
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    places = models.PositiveSmallIntegerField(_("honours given"), default=3)
    shortlist_size = models.PositiveSmallIntegerField(_("shortlist size"), default=5)
    notice_days = models.PositiveSmallIntegerField(_("public notice days"), default=7)
    vote_round = models.BooleanField(_("a vote after the notice"), default=False)
    vote_days = models.PositiveSmallIntegerField(_("vote days"), default=7)
    points = models.PositiveSmallIntegerField(_("points per honour (0: none)"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    notice_from = models.DateField(_("public notice from"), null=True, blank=True)
    notice_until = models.DateField(_("public notice until"), null=True, blank=True)
    vote_until = models.DateField(_("vote until"), null=True, blank=True)
    finalised_on = models.DateField(_("final on"), null=True, blank=True)
    notice = models.ForeignKey("bulletin.Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    roll = models.ForeignKey("bulletin.Notice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("honours campaign")
        verbose_name_plural = _("honours campaigns")
        ordering = ["community_id", "-period_end", "-id"]

    def __str__(self) -> str:
        return self.title


class Criterion(CommunityScopedModel):
    """One criterion households score (1 to ``MAX_SCORE``), with its weight in the total."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("criterion"), max_length=60)
    weight = models.PositiveSmallIntegerField(_("weight"))

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["campaign_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="consult_criterion_position"),
        ]

    def __str__(self) -> str:
        return self.name


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    NOT_SHORTLISTED = "not_shortlisted", _("Not shortlisted")
    STRUCK = "struck", _("Struck off after an objection")
    HONOURED = "honoured", _("Honoured")


class Nomination(CommunityScopedModel):
    """A nominee with the reason, a photo, and the area whose households score it. Exactly one of ``unit``,
    ``household``, ``resident`` is set, as the campaign's subject says; ``name`` is what the notice board and
    the certificate show (chosen to be published)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="nominations")
    unit = models.ForeignKey("orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("scored by the households of")
    )
    name = models.CharField(_("name shown"), max_length=60)
    reason = models.TextField(_("reason"), max_length=1000)
    photo = models.ImageField(_("photo"), upload_to="honours/%Y/%m/", blank=True)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_household = models.ForeignKey(
        "people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=NominationStatus.choices, default=NominationStatus.NOMINATED
    )
    sheets = models.PositiveIntegerField(_("score sheets"), default=0)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    votes = models.PositiveIntegerField(_("votes"), default=0)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["campaign_id", "rank", "-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit"], condition=Q(unit__isnull=False), name="consult_nomination_unit_once"
            ),
            models.UniqueConstraint(
                fields=["campaign", "household"],
                condition=Q(household__isnull=False),
                name="consult_nomination_household_once",
            ),
            models.UniqueConstraint(
                fields=["campaign", "resident"],
                condition=Q(resident__isnull=False),
                name="consult_nomination_resident_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScoreSheet(CommunityScopedModel):
    """One household's scores of one nominee: one sheet per household and nominee (a unique constraint)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="sheets")
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="score_sheets")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    total = models.DecimalField(_("weighted score"), max_digits=5, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        ordering = ["nomination_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["nomination", "household"], name="consult_score_sheet_once"),
        ]


class Score(CommunityScopedModel):
    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["sheet_id", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="consult_score_once"),
            models.CheckConstraint(condition=Q(value__gte=1, value__lte=MAX_SCORE), name="consult_score_range"),
        ]


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Objection(CommunityScopedModel):
    """An objection raised during the public notice; its answer is public, the objector's household never is."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="objections")
    nomination = models.ForeignKey(
        Nomination, null=True, blank=True, on_delete=models.CASCADE, related_name="objections"
    )
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("objection"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    answer = models.CharField(_("published answer"), max_length=300, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["campaign_id", "created_at", "id"]


class Vote(CommunityScopedModel):
    """A household's vote in a campaign's vote round: one per household and campaign (a unique constraint)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="vote_rows")
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["campaign_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="consult_vote_one_per_household"),
        ]
