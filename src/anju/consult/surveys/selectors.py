"""Reads of opinion collection shared by the pages, the API and the export.

Results are counts: how many households (or residents) answered, by channel and by building; how many chose each
option, rated each value, and the free texts in no particular order. The choices are counted only once the survey
is closed: while answers still come in, a count that moves as one household answers would tell its choice to
anyone watching the participation list. Nothing here joins who answered with what was chosen: the tables have
no link to join on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from anju.access import policy
from anju.consult.models import Ballot, Meeting, Participation, Question, Survey, Tally, Topic
from anju.consult.models.surveys import Channel, Per
from anju.core import screening
from anju.orgs.models import OrgUnit
from anju.people import selectors as people_selectors
from anju.people.models import Household, Resident


def surveys_for(user: Any, action: str = "consult.survey_view") -> QuerySet[Survey]:
    """Surveys within reach; drafts only for those who run them."""
    qs = policy.visible(Survey.objects.select_related("community", "topic"), user, action, "community__path")
    if not policy.can(user, "consult.survey_manage"):
        qs = qs.exclude(status=Survey.Status.DRAFT)
    return qs


def topics_to_ask(user: Any) -> QuerySet[Topic]:
    """The topics a new survey may belong to: not closed, in a community where the user runs surveys."""
    qs = Topic.objects.exclude(status=Topic.Status.CLOSED).select_related("community")
    return policy.visible(qs, user, "consult.survey_manage", "community__path").order_by("-created_at", "-id")[:200]


def surveys_of_topic(user: Any, topic: Topic) -> QuerySet[Survey]:
    """The surveys gathering opinions on ``topic`` that the user may see (drafts only for those who run them)."""
    return surveys_for(user).filter(topic=topic).order_by("-created_at", "-id")


def resident_for(user: Any) -> Resident | None:
    """The signed-in user's own registry entry (online answers are for it, or for its household)."""
    return people_selectors.resident_for_user(user)


def answered(survey: Survey, resident: Resident | None) -> bool:
    if resident is None:
        return False
    if survey.per == Per.PERSON:
        return Participation.objects.filter(survey=survey, resident=resident).exists()
    return Participation.objects.filter(survey=survey, household_id=resident.household_id).exists()


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.prefetch_related("options"))


# --- results ----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    count: int
    share: int = 0  # per cent of the answers to the question


@dataclass
class TallyRow:
    meeting: str
    held_on: Any
    attendance: int
    counts: list[Row]


@dataclass
class QuestionResult:
    question: Question
    answers: int  # ballots (a multiple choice counts each option chosen)
    options: list[Row] = field(default_factory=list)
    ratings: list[Row] = field(default_factory=list)
    rating_average: float | None = None
    texts: list[str] = field(default_factory=list)
    tallies: list[TallyRow] = field(default_factory=list)


@dataclass
class BuildingRow:
    unit_id: int
    name: str
    answered: int
    of: int  # households (or residents) living there

    @property
    def share(self) -> int:
        return round(100 * self.answered / self.of) if self.of else 0


@dataclass
class Results:
    survey: Survey
    counted: bool  # the choices are counted (the survey is closed)
    participants: int
    of: int
    by_channel: list[Row]
    by_building: list[BuildingRow]
    questions: list[QuestionResult]

    @property
    def share(self) -> int:
        return round(100 * self.participants / self.of) if self.of else 0


def _shares(rows: list[Row]) -> list[Row]:
    total = sum(r.count for r in rows)
    for r in rows:
        r.share = round(100 * r.count / total) if total else 0
    return rows


def _population(survey: Survey) -> dict[int, int]:
    """Households (or, per person, residents) living in each building of the survey's community."""
    if survey.per == Per.PERSON:
        qs: QuerySet[Any] = Resident.objects.filter(
            community_id=survey.community_id, status=Resident.Status.ACTIVE, archived_at__isnull=True
        )
    else:
        qs = Household.objects.filter(community_id=survey.community_id, status=Household.Status.ACTIVE)
    return dict(qs.values_list("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"))


def results(survey: Survey) -> Results:
    """The counts of ``survey``: participation by channel and building; choices once it is closed; shows of
    hands per meeting beside them (never added in)."""
    participations = Participation.objects.filter(survey=survey)
    by_channel_raw = dict(participations.values_list("channel").annotate(n=Count("id")).values_list("channel", "n"))
    by_channel = [Row(str(label), by_channel_raw.get(value, 0)) for value, label in Channel.choices]
    population = _population(survey)
    answered_by_unit = dict(participations.values_list("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"))
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=set(population) | set(answered_by_unit))}
    by_building = sorted(
        (BuildingRow(pk, units[pk].name, answered_by_unit.get(pk, 0), population.get(pk, 0)) for pk in units),
        key=lambda r: units[r.unit_id].path,
    )
    counted = survey.status == Survey.Status.CLOSED
    questions = questions_of(survey)
    tallies: dict[int, list[TallyRow]] = defaultdict(list)
    for tally in Tally.objects.filter(survey=survey).prefetch_related("counts__option").order_by("held_on", "id"):
        counts = sorted(tally.counts.all(), key=lambda c: (c.option.position, c.option_id))
        tallies[tally.question_id].append(
            TallyRow(
                tally.meeting_label, tally.held_on, tally.attendance, [Row(c.option.label, c.votes) for c in counts]
            )
        )
    ballots = Ballot.objects.filter(survey=survey)
    per_question = dict(ballots.values_list("question_id").annotate(n=Count("id")).values_list("question_id", "n"))
    option_counts: Counter[int] = Counter()
    rating_counts: dict[int, Counter[int]] = defaultdict(Counter)
    texts: dict[int, list[str]] = defaultdict(list)
    if counted:
        for option_id, n in ballots.filter(option__isnull=False).values_list("option_id").annotate(n=Count("id")):
            option_counts[option_id] = n
        for qid, rating, n in (
            ballots.filter(rating__isnull=False).values_list("question_id", "rating").annotate(n=Count("id"))
        ):
            rating_counts[qid][rating] = n
        # A random key: this order says nothing about who wrote what, or when.
        for qid, text in ballots.exclude(text="").order_by("pk").values_list("question_id", "text"):
            texts[qid].append(screening.masked(text))
    rows: list[QuestionResult] = []
    for q in questions:
        result = QuestionResult(q, per_question.get(q.pk, 0) if counted else 0, tallies=tallies.get(q.pk, []))
        if counted:
            if q.has_options:
                result.options = _shares([Row(o.label, option_counts.get(o.pk, 0)) for o in q.options.all()])
            elif q.kind == Question.Kind.RATING:
                got = rating_counts.get(q.pk, Counter())
                result.ratings = _shares([Row(str(v), got.get(v, 0)) for v in range(1, q.rating_max + 1)])
                total = sum(got.values())
                result.rating_average = round(sum(v * n for v, n in got.items()) / total, 1) if total else None
            else:
                result.texts = texts.get(q.pk, [])
        rows.append(result)
    return Results(
        survey=survey,
        counted=counted,
        participants=sum(by_channel_raw.values()),
        of=sum(population.values()),
        by_channel=by_channel,
        by_building=by_building,
        questions=rows,
    )


# --- participation: whom to visit ---------------------------------------------------------------


@dataclass
class HouseholdRow:
    household: Household
    answered: int  # the household's participations (per person: how many of its residents)
    members: int
    channels: list[str]


@dataclass
class BuildingGroup:
    name: str
    rows: list[HouseholdRow]

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.answered)


def participation(survey: Survey, user: Any) -> list[BuildingGroup]:
    """The households within the user's reach, each with whether (and through which channels) it answered."""
    households = (
        people_selectors.households_visible(user, "consult.survey_assist")
        .filter(community_id=survey.community_id, status=Household.Status.ACTIVE)
        .select_related("address__unit")
        .annotate(
            residents=Count(
                "members",
                filter=Q(members__status=Resident.Status.ACTIVE, members__archived_at__isnull=True),
            )
        )
        .order_by("unit__path", "address__entrance", "address__door", "number", "id")
    )
    done: dict[int, list[str]] = defaultdict(list)
    for household_id, channel in Participation.objects.filter(survey=survey).values_list("household_id", "channel"):
        done[household_id].append(channel)
    labels = dict(Channel.choices)
    groups: dict[int, BuildingGroup] = {}
    for h in households:
        group = groups.setdefault(h.unit_id, BuildingGroup(h.address.unit.name, []))
        channels = done.get(h.pk, [])
        group.rows.append(HouseholdRow(h, len(channels), h.residents, [str(labels[c]) for c in sorted(set(channels))]))
    return list(groups.values())


def household_by_door(survey: Survey, user: Any, door: str, building_id: int | None) -> list[Household]:
    """The households within reach whose door number is ``door`` (``1-101`` or ``101``), in ``building_id``
    when given: what the paper entry page looks a form's door number up by."""
    door = "".join(door.split())
    entrance = ""
    if "-" in door:
        entrance, door = door.split("-", 1)
    if not door:
        return []
    qs = (
        people_selectors.households_visible(user, "consult.survey_assist")
        .filter(community_id=survey.community_id, status=Household.Status.ACTIVE, address__door=door)
        .select_related("address__unit")
    )
    if entrance:
        qs = qs.filter(address__entrance=entrance)
    if building_id:
        qs = qs.filter(unit_id=building_id)
    return list(qs[:10])


def meetings_for_tally(survey: Survey) -> QuerySet[Meeting]:
    """The community's meetings a show of hands may have been taken at: those held, or begun, by now."""
    return Meeting.objects.filter(community_id=survey.community_id, starts_at__lte=timezone.now()).exclude(
        status="cancelled"
    )[:50]


def buildings_of(survey: Survey, user: Any) -> QuerySet[OrgUnit]:
    return people_selectors.buildings_visible(user, "consult.survey_assist").filter(OrgUnit.subtree_q(survey.community))
