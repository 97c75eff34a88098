"""The residents' convention (公约): a numbered list of articles, versioned, commented per article, amended,
adopted with a recorded quorum, put in force, acknowledged once per household, and revised as a new version.

A version moves draft → public comment → amendments → adopted → in force → superseded (by the next version in
force). Its text changes only as a draft (staff edit it) or through an accepted amendment while it is under
comment or amendment; a version adopted or in force is never changed: the convention is revised as a new
version, whose articles keep the ``key`` of the article they came from, so the two compare article by article.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.orgs.models import CommunityScopedModel


class Convention(CommunityScopedModel):
    """A community's convention (all its versions)."""

    title = models.CharField(_("title"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["community_id", "id"]

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMMENT = "comment", _("Public comment")
    AMENDMENT = "amendment", _("Amendments")
    ADOPTED = "adopted", _("Adopted")
    IN_FORCE = "in_force", _("In force")
    SUPERSEDED = "superseded", _("Superseded")


class AdoptionMethod(models.TextChoices):
    HOUSEHOLD_VOTE = "household_vote", _("Household vote")
    MEETING = "meeting", _("Residents' representative meeting")


class ConventionVersion(CommunityScopedModel):
    """One version of a convention, with its lifecycle and, once adopted, the decision that adopted it."""

    convention = models.ForeignKey(Convention, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("revises")
    )
    status = models.CharField(_("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    preamble = models.TextField(_("preamble"), blank=True)
    change_note = models.CharField(_("what this version changes"), max_length=300, blank=True)
    comment_until = models.DateField(_("comments until"), null=True, blank=True)
    # The adoption (存档: who decided, how, the quorum rule and the counts it was judged by).
    adoption_method = models.CharField(
        _("adopted by"), max_length=16, choices=AdoptionMethod.choices, blank=True, default=""
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    eligible = models.PositiveIntegerField(_("entitled to take part"), null=True, blank=True)
    present = models.PositiveIntegerField(_("took part"), null=True, blank=True)
    in_favour = models.PositiveIntegerField(_("in favour"), null=True, blank=True)
    against = models.PositiveIntegerField(_("against"), null=True, blank=True)
    quorum_rule = models.CharField(_("quorum rule"), max_length=300, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    in_force_from = models.DateField(_("in force from"), null=True, blank=True)
    superseded_on = models.DateField(_("superseded on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("convention version")
        verbose_name_plural = _("convention versions")
        ordering = ["convention_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["convention", "number"], name="consult_convention_version_number"),
            models.UniqueConstraint(
                fields=["convention"], condition=Q(status="in_force"), name="consult_convention_one_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.convention.title} v{self.number}"

    @property
    def editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def amendable(self) -> bool:
        return self.status in (VersionStatus.COMMENT, VersionStatus.AMENDMENT)


class Article(CommunityScopedModel):
    """One numbered article of a version. ``key`` is the article's identity across versions."""

    version = models.ForeignKey(ConventionVersion, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveSmallIntegerField(_("article"))
    key = models.PositiveIntegerField(editable=False)
    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), max_length=2000)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["version_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="consult_article_number"),
            models.UniqueConstraint(fields=["version", "key"], name="consult_article_key"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ArticleComment(CommunityScopedModel):
    """A household's comment on one article during public comment; ``assisted_by`` when a volunteer or worker
    typed it for the household (on paper, at the door)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="comments")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assisted = models.BooleanField(_("recorded by a volunteer"), default=False)
    body = models.TextField(_("comment"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("comment on an article")
        verbose_name_plural = _("comments on articles")
        ordering = ["article_id", "created_at", "id"]


class AmendmentKind(models.TextChoices):
    CHANGE = "change", _("Change an article")
    ADD = "add", _("Add an article")
    REMOVE = "remove", _("Remove an article")


class AmendmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Amendment(CommunityScopedModel):
    """A proposed change of a version under comment or amendment; accepted or rejected with a published reason."""

    version = models.ForeignKey(ConventionVersion, on_delete=models.CASCADE, related_name="amendments")
    kind = models.CharField(_("kind"), max_length=8, choices=AmendmentKind.choices)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="amendments")
    article_number = models.PositiveSmallIntegerField(_("article"), null=True, blank=True)
    title = models.CharField(_("proposed title"), max_length=60, blank=True)
    body = models.TextField(_("proposed text"), max_length=2000, blank=True)
    rationale = models.TextField(_("why"), max_length=1000)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_resident = models.BooleanField(_("proposed by a resident"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.PROPOSED
    )
    reason = models.CharField(_("published reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["version_id", "created_at", "id"]


class AckMethod(models.TextChoices):
    ONLINE = "online", _("Online, by the household")
    PAPER_WORKER = "paper_worker", _("On paper, recorded by a worker")
    PAPER_CENTRAL = "paper_central", _("On paper, recorded by the central household")


class Acknowledgement(CommunityScopedModel):
    """A household's acknowledgement (签字确认) of a version in force: one per household per version."""

    version = models.ForeignKey(ConventionVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("how"), max_length=14, choices=AckMethod.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        ordering = ["version_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "household"], name="consult_acknowledgement_once"),
        ]
