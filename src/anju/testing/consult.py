"""Builders for the consult tests (topics, proposals, meetings); they go through the real services."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

from anju.access.roles import Role
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import fakes
from anju.people import services as people_services
from anju.people.models import Household
from anju.testing import Tree, build_tree, make_user, unit


@dataclass
class ConsultWorld:
    tree: Tree
    households: list[Household]
    residents: list[Any]  # one signed-in resident account per household, in order
    users: dict[str, Any]


def make_consult_world(prefix: str = "", *, households: int = 3) -> ConsultWorld:
    """``households`` households in the tree's building, each with a registered resident who has an account;
    one more in the other community (``users["outsider"]``); a community worker of each community."""
    tree = build_tree(prefix)
    homes: list[Household] = []
    residents: list[Any] = []
    base = 5000
    rng = random.Random(16)  # noqa: S311 (fictional names for tests)
    for n in range(households):
        household = people_services.household_create(actor=None, unit=tree.building, entrance="1", door=f"{101 + n}")
        people_services.resident_create(
            actor=None,
            household=household,
            name=fakes.name(rng),
            relation="head",
            id_number=fakes.id_number(date(1955, 3, 1), n + 1, male=n % 2 == 0),
            mobile=fakes.mobile(base + n),
        )
        homes.append(household)
        residents.append(make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(base + n)))
    other_building = OrgUnit.objects.subtree_of(tree.other_grid).filter(kind=UnitKind.BUILDING).first()
    if other_building is None:
        other_building = unit(UnitKind.BUILDING, "宝塔1栋", tree.other_grid)
    away = people_services.household_create(actor=None, unit=other_building, door="909")
    people_services.resident_create(
        actor=None,
        household=away,
        name="外区居民",
        relation="head",
        id_number=fakes.id_number(date(1960, 1, 1), 99, male=True),
        mobile=fakes.mobile(base + 99),
    )
    users = {
        "worker": make_user(Role.COMMUNITY_WORKER, tree.community, display_name="王社工"),
        "other_worker": make_user(Role.COMMUNITY_WORKER, tree.other_community),
        "outsider": make_user(Role.RESIDENT, other_building, mobile=fakes.mobile(base + 99)),
        "unlinked": make_user(Role.RESIDENT, tree.building),
    }
    if residents:
        users["resident"] = residents[0]
    return ConsultWorld(tree, homes, residents, users)


LABELLED_SET = Path(__file__).resolve().parents[3] / "tests" / "data" / "consult_appeals.tsv"


@dataclass(frozen=True)
class LabelledAppeal:
    label: str  # the recurring matter ("1栋/广场舞"), or "-" for a one-off
    unit: str
    category: str
    days: int
    text: str


def labelled_appeals(path: Path = LABELLED_SET) -> list[LabelledAppeal]:
    """The labelled set of the 每月一题 grouping (tests/data/consult_appeals.tsv)."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [LabelledAppeal(r[0], r[1], r[2], int(r[3]), r[4]) for r in rows[1:]]


def pair_scores(gold: dict[int, str], predicted: list[tuple[int, ...]]) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping: of the pairs put together, how many belong together; of the
    pairs that belong together, how many were put together (one-offs belong with nobody)."""
    put = {frozenset((a, b)) for ids in predicted for a, b in combinations(ids, 2)}
    by_label: dict[str, list[int]] = {}
    for i, label in gold.items():
        if label != "-":
            by_label.setdefault(label, []).append(i)
    truth = {frozenset(p) for ids in by_label.values() for p in combinations(ids, 2)}
    hits = len(put & truth)
    return (hits / len(put) if put else 1.0), (hits / len(truth) if truth else 1.0)


def consult_objects(community: OrgUnit, worker: Any, proposer: Any, household: Household) -> dict[str, Any]:
    """One of each consult object in ``community`` (for the permission matrix's other community): a topic on a
    meeting's agenda with a decision, a proposal and a 每月一题 candidate."""
    from datetime import timedelta

    from django.utils import timezone

    from anju.consult.meetings import services as meetings
    from anju.consult.models import Candidate, Meeting, Proposal
    from anju.consult.topics import services as topics

    topic = topics.topic_open(actor=worker, community=community, title="加装电梯")
    starts = timezone.now() + timedelta(days=5)
    meeting = meetings.meeting_plan(
        actor=worker,
        community=community,
        kind=Meeting.Kind.BENCH,
        title="板凳会",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        place="巷口",
        topics=[topic],
    )
    due = timezone.localtime(starts).date()  # the meeting's day where it is held, not in UTC
    decision = meetings.decision_record(
        actor=worker, meeting=meeting, topic=topic, text="请物业报价", owner=worker, due_on=due
    )
    # Built as rows: a proposal needs a registered household's account, a candidate three similar appeals.
    proposal = Proposal.objects.create(
        community=community, title="增设晾衣架", proposer=proposer, household=household, threshold=10
    )
    now = timezone.now()
    candidate = Candidate.objects.create(
        community=community,
        unit=community,
        category_name="路灯",
        title="路灯不亮",
        appeal_ids=[1, 2, 3],
        key="matrix",
        first_at=now,
        last_at=now,
    )
    return {
        "consult_topic": topic,
        "consult_meeting": meeting,
        "consult_decision": decision,
        "consult_proposal": proposal,
        "consult_candidate": candidate,
    }
