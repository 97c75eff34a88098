"""Every state change of opinion collection: surveys and their questions, answers by every channel, a meeting's
show of hands.

Each service validates first (a clear error in the user's language, nothing written), then writes in one
transaction with one audit row. An answer's audit row says who answered, for which household and through which
channel: never what was chosen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import record
from anju.consult.models import Ballot, Meeting, Option, Participation, Question, Survey, Tally, TallyCount, Topic
from anju.consult.models.surveys import Channel, Per
from anju.core import screening
from anju.orgs.models import OrgUnit
from anju.people.models import Household, Resident

MAX_OPTIONS = 20
MAX_QUESTIONS = 30
MAX_TEXT = 1000
MAX_RATING = 10
MAX_ATTENDANCE = 100_000


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _line(text: str, field: str, limit: int, *, required: bool = True) -> str:
    text = " ".join((text or "").split())
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return text


# --- surveys and questions --------------------------------------------------------------------


def survey_create(
    *,
    actor: Any,
    community: OrgUnit,
    title: str,
    per: str = Per.HOUSEHOLD,
    description: str = "",
    topic: Topic | None = None,
    request: HttpRequest | None = None,
) -> Survey:
    errors: dict[str, list[str]] = {}
    try:
        title = _line(title, "title", 120)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if topic is not None and topic.community_id != community.pk:
        errors["topic"] = [_("Choose a topic of the survey's own community.")]
    elif topic is not None and topic.status == Topic.Status.CLOSED:
        errors["topic"] = [_("This topic is closed: choose an open one.")]
    if per not in Per.values:
        errors["per"] = [_("Choose one answer per household or one per person.")]
    description = (description or "").strip()
    if len(description) > 4000:
        errors["description"] = [_("At most %(n)d characters.") % {"n": 4000}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        survey = Survey.objects.create(
            community=community,
            title=title,
            description=screening.screen(description),
            per=per,
            topic=topic,
            created_by=_actor(actor),
        )
        record(Action.CONSULT_SURVEY_CREATED, actor=actor, obj=survey, request=request, data={"per": per})
    return survey


def question_add(
    *,
    actor: Any,
    survey: Survey,
    kind: str,
    text: str,
    options: list[str] | None = None,
    rating_max: int = 5,
    required: bool = True,
    request: HttpRequest | None = None,
) -> Question:
    errors: dict[str, list[str]] = {}
    if survey.status != Survey.Status.DRAFT:
        raise ValidationError(_("Questions are added before the survey opens."))
    if kind not in Question.Kind.values:
        errors["kind"] = [_("Choose the kind of question.")]
    try:
        text = _line(text, "text", 300)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    labels = [" ".join(o.split()) for o in (options or []) if o and o.strip()]
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        if len(labels) < 2:
            errors["options"] = [_("Give at least two options, one a line.")]
        elif len(labels) > MAX_OPTIONS:
            errors["options"] = [_("At most %(n)d options.") % {"n": MAX_OPTIONS}]
        elif len(set(labels)) != len(labels):
            errors["options"] = [_("Each option once.")]
        elif any(len(label) > 120 for label in labels):
            errors["options"] = [_("An option has at most 120 characters.")]
    else:
        labels = []
    if kind == Question.Kind.RATING and not 2 <= int(rating_max) <= MAX_RATING:
        errors["rating_max"] = [_("The highest rating is between 2 and %(n)d.") % {"n": MAX_RATING}]
    if survey.questions.count() >= MAX_QUESTIONS:
        errors["text"] = [_("At most %(n)d questions.") % {"n": MAX_QUESTIONS}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        question = Question.objects.create(
            community_id=survey.community_id,
            survey=survey,
            position=survey.questions.count() + 1,
            kind=kind,
            text=text,
            rating_max=rating_max if kind == Question.Kind.RATING else 5,
            required=required,
        )
        Option.objects.bulk_create(
            Option(community_id=survey.community_id, question=question, position=n, label=label)
            for n, label in enumerate(labels, start=1)
        )
        record(
            Action.CONSULT_QUESTION_ADDED,
            actor=actor,
            obj=survey,
            request=request,
            data={"question": question.pk, "kind": kind, "options": len(labels)},
        )
    return question


def survey_open(*, actor: Any, survey: Survey, request: HttpRequest | None = None) -> Survey:
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status != Survey.Status.DRAFT:
            raise ValidationError(_("Only a draft survey can be opened."))
        if not locked.questions.exists():
            raise ValidationError(_("Add a question before opening the survey."))
        locked.status, locked.opened_at = Survey.Status.OPEN, timezone.now()
        locked.save(update_fields=["status", "opened_at"])
        record(Action.CONSULT_SURVEY_OPENED, actor=actor, obj=locked, request=request)
    survey.status, survey.opened_at = locked.status, locked.opened_at
    return locked


def survey_close(*, actor: Any, survey: Survey, request: HttpRequest | None = None) -> Survey:
    """Close the survey: no answer is taken after this commits (answers lock the survey's row too)."""
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status != Survey.Status.OPEN:
            raise ValidationError(_("This survey is not open."))
        locked.status, locked.closed_at, locked.closed_by = Survey.Status.CLOSED, timezone.now(), _actor(actor)
        locked.save(update_fields=["status", "closed_at", "closed_by"])
        record(
            Action.CONSULT_SURVEY_CLOSED,
            actor=actor,
            obj=locked,
            request=request,
            data={"participations": locked.participations.count()},
        )
    survey.status, survey.closed_at, survey.closed_by = locked.status, locked.closed_at, locked.closed_by
    return locked


# --- answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a form or a JSON body gives for one question: an option (or several), a rating or a text."""

    options: tuple[int, ...] = ()
    rating: int | None = None
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.options and self.rating is None and not self.text.strip()


def _ballots(survey: Survey, answers: Mapping[int, Answer]) -> list[Ballot]:
    """The ballots for ``answers`` (question id → answer), or a ValidationError keyed ``q<question id>``."""
    questions = list(survey.questions.prefetch_related("options"))
    known = {q.pk for q in questions}
    errors: dict[str, list[str]] = {}
    ballots: list[Ballot] = []
    for qid in answers:
        if qid not in known:
            errors["answers"] = [_("An answer names a question this survey does not ask.")]
    for q in questions:
        answer = answers.get(q.pk, Answer())
        key = f"q{q.pk}"
        if answer.empty:
            if q.required:
                errors[key] = [_("Answer this question.")]
            continue

        def ballot(**kwargs: Any) -> Ballot:
            return Ballot(community_id=survey.community_id, survey=survey, question=q, **kwargs)  # noqa: B023

        if q.has_options:
            option_ids = {o.pk for o in q.options.all()}
            chosen = list(dict.fromkeys(answer.options))
            if answer.rating is not None or answer.text.strip() or not chosen:
                errors[key] = [_("Choose an option.")]
            elif any(o not in option_ids for o in chosen):
                errors[key] = [_("Choose one of the options given.")]
            elif q.kind == Question.Kind.SINGLE and len(chosen) > 1:
                errors[key] = [_("Choose one option only.")]
            else:
                ballots.extend(ballot(option_id=o) for o in chosen)
        elif q.kind == Question.Kind.RATING:
            if answer.options or answer.text.strip() or answer.rating is None:
                errors[key] = [_("Give a rating.")]
            elif not 1 <= answer.rating <= q.rating_max:
                errors[key] = [_("Give a rating from 1 to %(n)d.") % {"n": q.rating_max}]
            else:
                ballots.append(ballot(rating=answer.rating))
        else:
            text = answer.text.strip()
            if answer.options or answer.rating is not None:
                errors[key] = [_("Write the answer as text.")]
            elif len(text) > MAX_TEXT:
                errors[key] = [_("At most %(n)d characters.") % {"n": MAX_TEXT}]
            else:
                ballots.append(ballot(text=screening.screen(text)))
    if errors:
        raise ValidationError(errors)
    return ballots


def already_answered_message(survey: Survey) -> str:
    if survey.per == Per.PERSON:
        return _("This person has answered this survey already: one answer per person.")
    return _("This household has answered this survey already: one answer per household.")


def survey_answer(
    *,
    actor: Any,
    survey: Survey,
    household: Household,
    resident: Resident | None = None,
    channel: str,
    answers: Mapping[int, Answer],
    request: HttpRequest | None = None,
) -> Participation:
    """Record one household's (or one resident's) answers, through ``channel``.

    The caller has checked who may answer for whom (online: the resident for their own household; assisted
    and paper: a volunteer or worker within reach). The participation row is written first: its partial unique
    constraint refuses a second answer of the same household (or person) even when two channels race; the
    ballots follow in the same transaction, with nothing that links them to it.
    """
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Choose online, assisted or paper.")]
    if household.community_id != survey.community_id or household.status != Household.Status.ACTIVE:
        errors["household"] = [_("Choose a household of this survey's community.")]
    if survey.per == Per.PERSON:
        if resident is None:
            errors["resident"] = [_("Choose who is answering: this survey takes one answer per person.")]
        elif resident.household_id != household.pk or not resident.is_active:
            errors["resident"] = [_("Choose a resident living in this household.")]
    else:
        resident = None
    if errors:
        raise ValidationError(errors)
    ballots = _ballots(survey, answers)
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status == Survey.Status.CLOSED:
            raise ValidationError(_("This survey is closed: answers are no longer taken."))
        if locked.status != Survey.Status.OPEN:
            raise ValidationError(_("This survey is not open yet."))
        try:
            with transaction.atomic():
                participation = Participation.objects.create(
                    community_id=locked.community_id,
                    survey=locked,
                    per=locked.per,
                    household=household,
                    resident=resident,
                    unit_id=household.unit_id,
                    channel=channel,
                    recorded_by=_actor(actor),
                )
        except IntegrityError as exc:
            raise ValidationError({"household": [already_answered_message(locked)]}) from exc
        Ballot.objects.bulk_create(ballots)
        record(
            Action.CONSULT_SURVEY_ANSWERED,
            actor=actor,
            obj=participation,
            request=request,
            data={"survey": locked.pk, "household": household.pk, "channel": channel},
        )
    return participation


# --- a meeting's show of hands ------------------------------------------------------------------


def tally_record(
    *,
    actor: Any,
    survey: Survey,
    question: Question,
    held_on: dt.date,
    attendance: int,
    votes: Mapping[int, int],
    meeting: Meeting | None = None,
    meeting_label: str = "",
    request: HttpRequest | None = None,
) -> Tally:
    """Record a meeting's show of hands on a choice question: hands per option, none above the attendance
    (nor, for a single choice, all of them together). Kept beside the households' answers, never in them.

    ``meeting``: one of consult's meetings (its title names the tally, and the attendance may not pass its head
    count or its check-ins, whichever is known); otherwise ``meeting_label`` names it."""
    errors: dict[str, list[str]] = {}
    if question.survey_id != survey.pk or not question.has_options:
        raise ValidationError({"question": [_("Choose a choice question of this survey.")]})
    if survey.status == Survey.Status.DRAFT:
        raise ValidationError(_("This survey is not open yet."))
    if meeting is not None:
        if meeting.community_id != survey.community_id:
            raise ValidationError({"meeting": [_("Choose a meeting of the survey's own community.")]})
        meeting_label = meeting_label or meeting.title
        present = meeting.head_count or meeting.attendances.count()
        if present and attendance > present:
            errors["attendance"] = [
                _("%(n)d people were counted at this meeting: the attendance cannot be more.") % {"n": present}
            ]
    try:
        meeting_label = _line(meeting_label, "meeting", 200)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not 1 <= attendance <= MAX_ATTENDANCE:
        errors["attendance"] = [_("Give the number of people at the meeting.")]
    option_ids = set(question.options.values_list("pk", flat=True))
    if set(votes) - option_ids:
        errors["votes"] = [_("Choose one of the options given.")]
    if any(v < 0 for v in votes.values()):
        errors["votes"] = [_("Hands are counted from 0.")]
    elif "attendance" not in errors:
        over = [v for v in votes.values() if v > attendance]
        if over:
            errors["votes"] = [
                _("%(votes)d hands for one option, but %(n)d people at the meeting: count again.")
                % {"votes": max(over), "n": attendance}
            ]
        elif question.kind == Question.Kind.SINGLE and sum(votes.values()) > attendance:
            errors["votes"] = [
                _("%(votes)d hands in all on a single choice, but %(n)d people at the meeting: count again.")
                % {"votes": sum(votes.values()), "n": attendance}
            ]
    if not any(votes.values()) and "votes" not in errors:
        errors["votes"] = [_("Give the hands for at least one option.")]
    if held_on > timezone.localdate():
        errors["held_on"] = [_("The meeting has not taken place yet.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        tally = Tally.objects.create(
            community_id=survey.community_id,
            survey=survey,
            question=question,
            meeting=meeting,
            meeting_label=meeting_label,
            held_on=held_on,
            attendance=attendance,
            recorded_by=_actor(actor),
        )
        TallyCount.objects.bulk_create(
            TallyCount(
                community_id=survey.community_id, tally=tally, option_id=o, votes=votes.get(o, 0), attendance=attendance
            )
            for o in sorted(option_ids)
        )
        record(
            Action.CONSULT_TALLY_RECORDED,
            actor=actor,
            obj=tally,
            request=request,
            data={
                "survey": survey.pk,
                "question": question.pk,
                "meeting": meeting.pk if meeting else None,
                "attendance": attendance,
                "votes": sum(votes.values()),
            },
        )
    return tally


def results_exported(*, actor: Any, survey: Survey, request: HttpRequest | None = None) -> None:
    """The audit row of a results export (counts and participation by building: no household's choice)."""
    with transaction.atomic():
        record(Action.CONSULT_RESULTS_EXPORTED, actor=actor, obj=survey, request=request)
