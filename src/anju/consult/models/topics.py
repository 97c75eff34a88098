"""Topics (议题), residents' proposals with their supports, and the 每月一题 candidates drawn from appeals.

A topic is what the community discusses: opened by staff, reached by a proposal that gathered its threshold of
households' supports (exactly once: the proposal's ``topic`` is set under the proposal's row lock), or accepted
from a candidate the system grouped from recurring appeals. Surveys and meetings hang off a topic.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Topic(CommunityScopedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open for discussion")
        AGENDA = "agenda", _("On the agenda")
        DECIDED = "decided", _("Decided")
        CLOSED = "closed", _("Closed")

    class Origin(models.TextChoices):
        STAFF = "staff", _("Opened by the community")
        PROPOSAL = "proposal", _("Proposed by residents")
        APPEALS = "appeals", _("Drawn from residents' appeals")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.STAFF)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="consult_topic_status")]

    def __str__(self) -> str:
        return self.title


class Proposal(CommunityScopedModel):
    """A resident's proposal; at ``threshold`` households' supports it becomes a topic on the agenda."""

    class Status(models.TextChoices):
        OPEN = "open", _("Gathering support")
        REACHED = "reached", _("On the agenda")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    threshold = models.PositiveSmallIntegerField(_("households needed"))
    support_count = models.PositiveIntegerField(_("supporting households"), default=0)
    topic = models.OneToOneField(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="proposal")
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    reached_at = models.DateTimeField(_("reached the agenda"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ProposalSupport(CommunityScopedModel):
    """One household's support of a proposal (the database holds one per household)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "household"], name="consult_support_one_per_household")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} {self.household_id}"


class Candidate(CommunityScopedModel):
    """A 每月一题 candidate: recurring appeals of one kind in one building or area, grouped by their text."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        ACCEPTED = "accepted", _("Made a topic")
        DISMISSED = "dismissed", _("Dismissed")

    unit = models.ForeignKey("orgs.OrgUnit", verbose_name=_("where"), on_delete=models.PROTECT, related_name="+")
    category_name = models.CharField(_("kind"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    appeal_ids = models.JSONField(_("appeals"), default=list)
    # The group's signature (unit, category, smallest appeal id): suggesting twice keeps one row.
    key = models.CharField(max_length=120)
    first_at = models.DateTimeField(_("first appeal"))
    last_at = models.DateTimeField(_("last appeal"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="candidates")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("monthly topic candidate")
        verbose_name_plural = _("monthly topic candidates")
        ordering = ["-last_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["community", "key"], name="consult_candidate_unique_key")]

    def __str__(self) -> str:
        return self.title
