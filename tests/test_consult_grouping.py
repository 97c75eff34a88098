"""每月一题: the appeal grouping measured on the labelled set (tests/data/consult_appeals.tsv, 205 hand-written
appeals of a community: noise, parking, lights, leaks, rubbish, stray dogs …, each labelled with its recurring
matter or as a one-off), and the candidates written from the appeals in the database."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from anju.audit.actions import Action
from anju.audit.models import AuditEvent
from anju.consult.grouping import services, text
from anju.consult.models import Candidate, Topic
from anju.testing.consult import labelled_appeals, pair_scores

FLOOR = 0.8


def test_the_labelled_set_is_large_and_varied() -> None:
    rows = labelled_appeals()
    assert len(rows) >= 200
    kinds = Counter(r.category for r in rows)
    assert {"noise", "parking", "lights", "leak", "rubbish", "dogs"} <= set(kinds)
    assert len({r.label for r in rows if r.label != "-"}) >= 20
    assert sum(r.label == "-" for r in rows) >= 40  # one-offs that must stay alone
    assert len({r.text for r in rows}) == len(rows)


def test_grouping_precision_and_recall_on_the_labelled_set() -> None:
    rows = labelled_appeals()
    items = [text.Item(i, r.unit, r.category, r.text) for i, r in enumerate(rows)]
    groups = text.group(items)
    precision, recall = pair_scores({i: r.label for i, r in enumerate(rows)}, [g.ids for g in groups])
    print(f"\ngrouping on {len(rows)} labelled appeals: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= FLOOR, precision
    assert recall >= FLOOR, recall


def test_pair_scores() -> None:
    gold = {1: "a", 2: "a", 3: "a", 4: "-", 5: "b", 6: "b"}
    assert pair_scores(gold, [(1, 2, 3), (4,), (5, 6)]) == (1.0, 1.0)
    precision, recall = pair_scores(gold, [(1, 2), (3, 4), (5, 6)])
    assert (precision, recall) == (2 / 3, 2 / 4)


@pytest.mark.django_db
def test_recurring_appeals_become_one_candidate_and_a_topic_once(world: object) -> None:
    tree = world.tree  # type: ignore[attr-defined]
    for description in ("楼道声控灯坏了，晚上上楼很黑", "楼道灯不亮一个星期了，老人怕摔", "单元楼道感应灯不亮，请维修"):
        world.file(description=description)  # type: ignore[attr-defined]
    world.file(description="小区门口的井盖松动")  # type: ignore[attr-defined]
    worker = world.worker  # type: ignore[attr-defined]
    found = services.candidates_suggest(actor=worker, community=tree.community)
    assert len(found) == 1
    candidate = found[0]
    assert len(candidate.appeal_ids) == 3
    assert candidate.unit == tree.building
    assert "灯" in candidate.title
    # Suggesting again writes nothing new.
    assert [c.pk for c in services.candidates_suggest(actor=worker, community=tree.community)] == [candidate.pk]
    assert Candidate.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.CONSULT_CANDIDATES_SUGGESTED).count() == 1
    topic = services.candidate_accept(actor=worker, candidate=candidate)
    assert (topic.origin, topic.community) == (Topic.Origin.APPEALS, tree.community)
    with translation.override("en"), pytest.raises(ValidationError, match="handled already"):
        services.candidate_accept(actor=worker, candidate=candidate)
    assert Topic.objects.count() == 1
    # Appeals older than the window are not read.
    later = timezone.now() + dt.timedelta(days=40)
    assert services.candidates_suggest(actor=worker, community=tree.community, days=30, now=later) == []
    with translation.override("en"), pytest.raises(ValidationError, match="between 30 and 90 days"):
        services.candidates_suggest(actor=worker, community=tree.community, days=365)
