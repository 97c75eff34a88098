"""Opinion collection (征集意见): a survey, or a single question, asked of a community's households or residents.

Who answered and what was chosen are two tables with no link between them, so no page, export or API answer can
join them back:

* :class:`Participation` says that a household (or a resident) answered, through which channel, and who helped.
  One per household, or one per resident, as the organiser chose: partial unique constraints hold it in the
  database whatever the code does (two phones and a paper form racing for one household: one row).
* :class:`Ballot` holds one answer to one question: an option, a rating or a screened free text. It carries the
  survey and the question only: no household, no channel, no building, no time, and a random key (not a
  counter), so neither its columns nor its order point back to a participation.
* :class:`Tally` is a meeting's anonymous show of hands, counted per option (:class:`TallyCount`) and kept beside
  the households' answers, never added to them; no option gets more hands than the meeting's attendance
  (a check constraint).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from anju.orgs.models import CommunityScopedModel


class Per(models.TextChoices):
    HOUSEHOLD = "household", _("One answer per household")
    PERSON = "person", _("One answer per person")


class Channel(models.TextChoices):
    ONLINE = "online", pgettext_lazy("survey channel", "Online")
    ASSISTED = "assisted", pgettext_lazy("survey channel", "Assisted")
    PAPER = "paper", pgettext_lazy("survey channel", "Paper form")


class Survey(CommunityScopedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("survey", "Draft")
        OPEN = "open", pgettext_lazy("survey", "Open")
        CLOSED = "closed", pgettext_lazy("survey", "Closed")

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    per = models.CharField(_("who answers"), max_length=10, choices=Per.choices, default=Per.HOUSEHOLD)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    topic = models.ForeignKey(
        "consult.Topic",
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "status"], name="consult_survey_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Question(CommunityScopedModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        RATING = "rating", _("Rating")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    rating_max = models.PositiveSmallIntegerField(_("highest rating"), default=5)
    required = models.BooleanField(_("an answer is needed"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def has_options(self) -> bool:
        return self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE)


class Option(CommunityScopedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("option"), max_length=120)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "position", "id"]

    def __str__(self) -> str:
        return self.label


class Participation(CommunityScopedModel):
    """That a household (and, per person, a resident) answered a survey: never what it chose."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="participations")
    # The survey's ``per`` when answered (a survey's ``per`` is fixed once it opens): the partial constraints key.
    per = models.CharField(max_length=10, choices=Per.choices)
    household = models.ForeignKey("people.Household", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey("people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The household's building (denormalised) for the counts by building.
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # Online: the resident's own account. Assisted: the volunteer or worker who helped. Paper: who typed it in.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["survey", "unit__path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "household"],
                condition=models.Q(per="household"),
                name="consult_one_answer_per_household",
            ),
            models.UniqueConstraint(
                fields=["survey", "resident"],
                condition=models.Q(per="person"),
                name="consult_one_answer_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(per="household") | models.Q(resident__isnull=False),
                name="consult_person_answer_names_resident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.household_id} ({self.channel})"


class Ballot(CommunityScopedModel):
    """One answer to one question, with nothing that says whose it is."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="ballots")
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.PROTECT, related_name="ballots")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)  # screened (core.screening)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["question", "option"], name="consult_ballot_option")]

    def __str__(self) -> str:
        return str(self.question_id)


class Tally(CommunityScopedModel):
    """A meeting's anonymous show of hands on one question: reported beside the households, never in them."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="tallies")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="tallies")
    # The meeting (a bench meeting, a pavilion session): one planned in consult, or named here.
    meeting = models.ForeignKey(
        "consult.Meeting",
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tallies",
    )
    meeting_label = models.CharField(_("meeting"), max_length=200)
    held_on = models.DateField(_("held on"))
    attendance = models.PositiveIntegerField(_("attendance"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("show of hands")
        verbose_name_plural = _("shows of hands")
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.meeting_label} {self.held_on}"


class TallyCount(CommunityScopedModel):
    tally = models.ForeignKey(Tally, on_delete=models.CASCADE, related_name="counts")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")
    votes = models.PositiveIntegerField(_("hands"))
    # The tally's attendance (denormalised), so that the database refuses more hands than people there.
    attendance = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("hands for an option")
        verbose_name_plural = _("hands for options")
        constraints = [
            models.UniqueConstraint(fields=["tally", "option"], name="consult_tally_one_count_per_option"),
            models.CheckConstraint(
                condition=models.Q(votes__lte=models.F("attendance")), name="consult_tally_votes_within_attendance"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.option_id}: {self.votes}"
