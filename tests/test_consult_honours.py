"""Honours (评比): the lifecycle and the rules that guard it (no self-scoring, scores only from the nominee's area,
one score sheet per household and nominee, one vote per household, no objection after the notice, no final
results with an unanswered objection or before the notice is over), objections answered in public, results on the
notice board and in the duty ledger, and an audit row for every decision."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from anju.audit.models import AuditEvent
from anju.bulletin.models import Notice
from anju.consult.honours import selectors, services
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import (
    Campaign,
    CampaignStatus,
    Nomination,
    NominationStatus,
    Objection,
    ObjectionStatus,
    ScoreSheet,
    Subject,
    Vote,
)
from anju.duty import services as duty_services
from anju.duty.models import PointsEntry
from anju.testing.honours import (
    HonoursWorld,
    full_marks,
    in_scoring,
    make_campaign,
    make_honours_world,
    notice_over,
    on_notice,
    vote_over,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def hw() -> HonoursWorld:
    return make_honours_world()


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_lifecycle_from_draft_to_final_writes_an_audit_row_for_every_decision(hw: HonoursWorld) -> None:
    campaign, nominations = on_notice(hw)
    assert campaign.status == CampaignStatus.NOTICE
    assert (campaign.notice_until - campaign.notice_from).days == 6  # seven days, the first included
    first, second = nominations
    assert first.status == NominationStatus.SHORTLISTED
    assert first.score == 100
    assert first.sheets == 1
    assert second.score == 70
    assert second.sheets == 2
    notice = Notice.objects.get(pk=campaign.notice_id)
    assert first.name in notice.body
    assert "100" in notice.body
    objection = publicity.objection_raise(actor=hw.neighbour, campaign=campaign, nomination=first, body="他家常占楼道")
    publicity.objection_answer(actor=hw.secretary, objection=objection, upheld=False, answer="经核实，楼道已清理")
    campaign = publicity.results_publish(actor=hw.secretary, campaign=notice_over(campaign))
    assert campaign.status == CampaignStatus.FINAL
    first.refresh_from_db()
    assert first.status == NominationStatus.HONOURED
    assert first.rank == 1
    assert Nomination.objects.get(pk=second.pk).status == NominationStatus.SHORTLISTED  # places = 1
    roll = Notice.objects.get(pk=campaign.roll_id)
    assert first.name in roll.body
    assert second.name not in roll.body
    assert [n.pk for n in selectors.honours_of_household(hw.households[1])] == [first.pk]
    for action in (
        "honours.campaign_created",
        "honours.nominations_opened",
        "honours.scoring_opened",
        "honours.notice_published",
        "honours.objection_raised",
        "honours.objection_answered",
        "honours.results_published",
    ):
        assert _audits(action) == 1, action
    assert _audits("honours.nominated") == 2
    assert _audits("honours.scored") == 3
    scored = AuditEvent.objects.filter(action="honours.scored").first()
    assert set(scored.data) == {"nomination", "household", "paper"}  # who scored, never the scores


def test_no_self_scoring_and_only_the_nominees_area(hw: HonoursWorld) -> None:
    campaign, (wang, sun) = in_scoring(hw)
    with pytest.raises(ValidationError, match="does not score itself"):
        evaluation.sheet_submit(actor=hw.neighbour, nomination=wang, scores=full_marks(campaign))
    assert not ScoreSheet.objects.exists()
    with pytest.raises(ValidationError, match="households of the campaign's community"):
        evaluation.sheet_submit(actor=hw.other_resident, nomination=sun, scores=full_marks(campaign))
    # A lane: the households living in it do not score it either.
    lane = make_campaign(hw.community, actor=hw.worker, title="文明巷", subject=Subject.UNIT)
    services.nominations_open(actor=hw.worker, campaign=lane)
    building = services.nominate(actor=hw.worker, campaign=lane, unit=hw.people.tree.building, reason="楼道整洁")
    services.scoring_open(actor=hw.worker, campaign=lane)
    with pytest.raises(ValidationError, match="does not score itself"):
        evaluation.sheet_submit(actor=hw.resident, nomination=building, scores=full_marks(lane))
    evaluation.sheet_submit(actor=hw.neighbour, nomination=building, scores=full_marks(lane))
    assert ScoreSheet.objects.count() == 1


def test_one_score_sheet_per_household_and_every_criterion_scored(hw: HonoursWorld) -> None:
    campaign, (wang, _sun) = in_scoring(hw)
    with pytest.raises(ValidationError, match="only this campaign's criteria"):
        evaluation.sheet_submit(actor=hw.resident, nomination=wang, scores={**full_marks(campaign), -1: 3})
    marks = full_marks(campaign)
    marks[next(iter(marks))] = 6
    with pytest.raises(ValidationError, match="from 1 to 5"):
        evaluation.sheet_submit(actor=hw.resident, nomination=wang, scores=marks)
    evaluation.sheet_submit(actor=hw.resident, nomination=wang, scores=full_marks(campaign, 4))
    with pytest.raises(ValidationError, match="one score sheet per household"):
        evaluation.sheet_submit(actor=hw.resident, nomination=wang, scores=full_marks(campaign, 2))
    assert ScoreSheet.objects.count() == 1
    assert _audits("honours.scored") == 1


def test_scores_only_while_the_evaluation_is_open(hw: HonoursWorld) -> None:
    campaign, (wang, sun) = in_scoring(hw)
    evaluation.sheet_submit(actor=hw.resident, nomination=wang, scores=full_marks(campaign))
    publicity.notice_publish(actor=hw.worker, campaign=campaign)
    with pytest.raises(ValidationError, match="not open"):
        evaluation.sheet_submit(actor=hw.neighbour, nomination=sun, scores=full_marks(campaign))
    with pytest.raises(ValidationError, match="not matched to a household"):
        evaluation.sheet_submit(actor=hw.secretary, nomination=sun, scores=full_marks(campaign))
    assert ScoreSheet.objects.count() == 1


def test_no_final_results_with_an_unanswered_objection_nor_before_the_notice_ends(hw: HonoursWorld) -> None:
    campaign, (wang, _sun) = on_notice(hw)
    with pytest.raises(ValidationError, match="runs until"):
        publicity.results_publish(actor=hw.secretary, campaign=campaign)
    objection = publicity.objection_raise(actor=hw.resident, campaign=campaign, nomination=wang, body="有异议")
    campaign = notice_over(campaign)
    with pytest.raises(ValidationError, match="Answer every objection"):
        publicity.results_publish(actor=hw.secretary, campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.NOTICE
    assert not Nomination.objects.filter(status=NominationStatus.HONOURED).exists()
    # Upheld: the nominee is struck off, the next one is honoured.
    publicity.objection_answer(actor=hw.secretary, objection=objection, upheld=True, answer="情况属实，取消提名")
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.UPHELD
    assert Nomination.objects.get(pk=wang.pk).status == NominationStatus.STRUCK
    with pytest.raises(ValidationError, match="answered already"):
        publicity.objection_answer(actor=hw.secretary, objection=objection, upheld=False, answer="改判")
    publicity.results_publish(actor=hw.secretary, campaign=campaign)
    assert list(Nomination.objects.filter(status=NominationStatus.HONOURED).values_list("name", flat=True)) == [
        _sun.name
    ]


def test_objections_only_during_the_notice_and_answers_public_without_the_objector(hw: HonoursWorld) -> None:
    campaign, (wang, _sun) = on_notice(hw)
    objection = publicity.objection_raise(actor=hw.resident, campaign=campaign, nomination=wang, body="有异议")
    assert objection.household_id == hw.households[0].pk  # kept for the office
    publicity.objection_answer(actor=hw.secretary, objection=objection, upheld=False, answer="经核实不属实")
    public = selectors.objections_public(campaign)
    assert public == [
        {"id": objection.pk, "nominee": wang.name, "body": "有异议", "status": "rejected", "answer": "经核实不属实"}
    ]
    campaign = notice_over(campaign)
    with pytest.raises(ValidationError, match="notice period is over"):
        publicity.objection_raise(actor=hw.resident, campaign=campaign, body="太晚了")
    assert Objection.objects.count() == 1


def test_vote_round_one_vote_per_household_and_none_after_the_period(hw: HonoursWorld) -> None:
    campaign, (wang, sun) = on_notice(hw, vote_round=True)
    with pytest.raises(ValidationError, match="open the vote first"):
        publicity.results_publish(actor=hw.secretary, campaign=notice_over(campaign))
    campaign = evaluation.vote_open(actor=hw.secretary, campaign=campaign)
    with pytest.raises(ValidationError, match="vote for itself"):
        evaluation.vote_cast(actor=hw.neighbour, nomination=wang)
    evaluation.vote_cast(actor=hw.resident, nomination=sun)
    with pytest.raises(ValidationError, match="one vote per household"):
        evaluation.vote_cast(actor=hw.resident, nomination=wang)
    assert Vote.objects.count() == 1
    with pytest.raises(ValidationError, match="vote runs until"):
        publicity.results_publish(actor=hw.secretary, campaign=campaign)
    campaign = vote_over(campaign)
    with pytest.raises(ValidationError, match="Voting in this campaign is closed"):
        evaluation.vote_cast(actor=hw.neighbour, nomination=sun)
    assert Vote.objects.count() == 1
    assert _audits("honours.voted") == 1
    publicity.results_publish(actor=hw.secretary, campaign=campaign)
    sun.refresh_from_db()
    assert sun.status == NominationStatus.HONOURED
    assert sun.votes == 1


def test_points_in_the_duty_ledger_when_the_campaign_gives_them(hw: HonoursWorld) -> None:
    head = hw.people.residents[2]  # 王小明, head of h2
    duty_services.volunteer_enrol(actor=None, community=hw.community, user=hw.neighbour, resident=head)
    campaign, (wang, _sun) = on_notice(hw, points=20)
    publicity.results_publish(actor=hw.secretary, campaign=notice_over(campaign))
    entry = PointsEntry.objects.get(source="honour", source_ref=wang.pk)
    assert entry.points == 20
    assert entry.volunteer.resident_id == head.pk
    # Without points on the campaign the ledger is left alone.
    other, (_w2, _s2) = on_notice(hw, title="最美家庭")
    publicity.results_publish(actor=hw.secretary, campaign=notice_over(other))
    assert PointsEntry.objects.filter(source="honour").count() == 1


def test_nomination_rules(hw: HonoursWorld) -> None:
    campaign = make_campaign(hw.community, actor=hw.worker)
    with pytest.raises(ValidationError, match="not open"):
        services.nominate(actor=hw.worker, campaign=campaign, household=hw.sun, reason="好")
    services.nominations_open(actor=hw.worker, campaign=campaign)
    with pytest.raises(ValidationError) as exc:
        services.nominate(actor=hw.worker, campaign=campaign, household=hw.households[2], reason="好")
    assert "nominee" in exc.value.message_dict  # another community's household
    with pytest.raises(ValidationError) as exc:
        services.nominate(actor=hw.worker, campaign=campaign, resident=hw.people.residents[0], reason="好")
    assert "nominee" in exc.value.message_dict  # a person, in a household campaign
    services.nominate(actor=hw.resident, campaign=campaign, household=hw.sun, reason="热心")
    with pytest.raises(ValidationError, match="put forward already"):
        services.nominate(actor=hw.worker, campaign=campaign, household=hw.sun, reason="热心")
    assert Nomination.objects.get().by_household_id == hw.households[0].pk
    with pytest.raises(ValidationError, match="at least one criterion"):
        services.criteria_set(actor=hw.worker, campaign=campaign, criteria=[("", 3)])
    with pytest.raises(ValidationError, match="fixed once nominations open"):
        services.criteria_set(actor=hw.worker, campaign=campaign, criteria=[("整洁", 3)])
