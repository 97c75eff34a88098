"""Tables of mediation (矛盾纠纷调解): confidential dispute cases, their parties, mediators, sessions in the
mediation room, the agreement's undertakings and the follow-ups (回访).

A case's content (parties, the account, session notes, the agreement) is read only by its assigned mediators
and the community's branch secretary (``policies``); everything else names a case by its number alone
(``str(case)``), which is what the audit trail, the inbox and the booking of the room carry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Kind(models.TextChoices):
    NEIGHBOURS = "neighbours", _("Neighbours")
    FAMILY = "family", _("Family")
    PROPERTY = "property", _("Property management")
    NOISE = "noise", _("Noise")
    LAND = "land", _("Land and boundaries")
    DEBT = "debt", _("Debts")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    DESK = "desk", _("At the desk")
    APPEAL = "appeal", _("From an appeal")
    VISIT = "visit", _("From a visit")


class Status(models.TextChoices):
    OPEN = "open", _("Being mediated")
    AGREED = "agreed", _("Agreement reached, following up")
    NO_AGREEMENT = "no_agreement", _("No agreement")
    REFERRED = "referred", _("Referred on")
    CLOSED = "closed", _("Closed")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class ReferredTo(models.TextChoices):
    JUSTICE = "justice", _("Judicial office (司法所)")
    POLICE = "police", _("Police station (派出所)")
    COURT = "court", _("Court")


class Case(CommunityScopedModel):
    number = models.CharField(_("case number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    source = models.CharField(_("opened"), max_length=8, choices=Source.choices, default=Source.DESK)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.OPEN)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    violence_risk = models.BooleanField(_("risk of violence"), default=False)
    # Set once, by the conditional update that sends the alert: the alert goes out exactly once.
    risk_alerted_at = models.DateTimeField(null=True, blank=True)
    account = models.TextField(_("short account"))  # screened (core.screening)
    appeal = models.ForeignKey(
        "appeals.Appeal", verbose_name=_("appeal"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    visit_ref = models.PositiveIntegerField(_("visit number"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    facts = models.TextField(_("facts"), blank=True)  # screened
    no_agreement_reason = models.TextField(_("why no agreement"), blank=True)
    referred_to = models.CharField(_("referred to"), max_length=10, choices=ReferredTo.choices, blank=True)
    referral_reason = models.TextField(_("why referred"), blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        verbose_name = _("mediation case")
        verbose_name_plural = _("mediation cases")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="mediation_case_status")]

    def __str__(self) -> str:
        # The number only: this label lands in the audit trail, the inbox and the room's booking.
        return self.number

    @property
    def unit(self) -> object:
        return self.community


class Party(CommunityScopedModel):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESPONDENT = "respondent", _("Respondent")
        OTHER = "other", _("Other party")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    resident = models.ForeignKey(
        "people.Resident", verbose_name=_("resident"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} #{self.pk}"


class Mediator(CommunityScopedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="mediators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_lead = models.BooleanField(_("lead"), default=False)

    class Meta:
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        ordering = ["case", "-is_lead", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="mediation_mediator_once"),
            models.UniqueConstraint(fields=["case"], condition=models.Q(is_lead=True), name="mediation_one_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} #{self.pk}"


class Session(CommunityScopedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sessions")
    booking = models.ForeignKey("spaces.Booking", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    space = models.ForeignKey("spaces.Space", verbose_name=_("room"), on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    attended = models.ManyToManyField(Party, verbose_name=_("attended"), blank=True, related_name="+")
    notes = models.TextField(_("notes"), blank=True)  # screened
    held = models.BooleanField(_("held"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["case", "starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} #{self.pk}"


class Undertaking(CommunityScopedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="undertakings")
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("undertakes to"))
    due_on = models.DateField(_("by"))

    class Meta:
        verbose_name = _("undertaking")
        verbose_name_plural = _("undertakings")
        ordering = ["case", "due_on", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} #{self.pk}"


class FollowUp(CommunityScopedModel):
    class Result(models.TextChoices):
        KEPT = "kept", _("Kept")
        PARTLY = "partly", _("Partly kept")
        BROKEN = "broken", _("Broken")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField(_("due"))
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, blank=True)
    note = models.TextField(_("note"), blank=True)  # screened
    done_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)  # the due reminder went to the mediator (once)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["case", "due_on", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} #{self.pk}"
