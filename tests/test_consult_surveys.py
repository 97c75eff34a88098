"""Opinion collection: answers by every channel, one per household (or per person) held by the database, closing,
shows of hands beside the households (never in them), choices nobody can read back, scoping across communities."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone, translation

from anju.audit.models import AuditEvent
from anju.consult.models import Ballot, Participation, Survey, Tally, TallyCount
from anju.consult.surveys import selectors, services
from anju.testing import api_client, english_client
from anju.testing.surveys import SurveyWorld, full_answer, make_survey, make_survey_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def sw() -> SurveyWorld:
    return make_survey_world()


def _answer(sw: SurveyWorld, household: Any, channel: str = "online", choice: int = 0, **kw: Any) -> Participation:
    return services.survey_answer(
        actor=sw.users["community_worker"],
        survey=sw.survey,
        household=household,
        channel=channel,
        answers=full_answer(sw.survey, choice=choice, **kw),
    )


# --- one answer per household / per person --------------------------------------------------------


def test_a_second_answer_from_the_same_household_is_refused_by_any_channel(sw: SurveyWorld) -> None:
    _answer(sw, sw.households[0], "online")
    before = (Participation.objects.count(), Ballot.objects.count(), AuditEvent.objects.count())
    for channel in ("online", "assisted", "paper"):
        with translation.override("en"), pytest.raises(ValidationError) as exc:
            _answer(sw, sw.households[0], channel, choice=1)
        assert "answered this survey already" in str(exc.value)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        _answer(sw, sw.households[0], "paper")
    assert "每户" in str(exc.value) or "已" in str(exc.value)
    assert (Participation.objects.count(), Ballot.objects.count(), AuditEvent.objects.count()) == before


def test_the_database_refuses_a_second_household_row_whatever_the_code_does(sw: SurveyWorld) -> None:
    p = _answer(sw, sw.households[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(
            community_id=p.community_id,
            survey=sw.survey,
            per="household",
            household=sw.households[0],
            unit_id=p.unit_id,
            channel="paper",
        )


def test_per_person_two_residents_of_one_household_answer_once_each(sw: SurveyWorld) -> None:
    survey = make_survey(sw.tree.community, per="person", title="每人一票")
    zhang, li = sw.people.residents[0], sw.people.residents[1]
    household = zhang.household
    for resident in (zhang, li):
        services.survey_answer(
            actor=None,
            survey=survey,
            household=household,
            resident=resident,
            channel="assisted",
            answers=full_answer(survey),
        )
    with pytest.raises(ValidationError, match="one answer per person"), translation.override("en"):
        services.survey_answer(
            actor=None, survey=survey, household=household, resident=li, channel="paper", answers=full_answer(survey)
        )
    with pytest.raises(ValidationError), translation.override("en"):  # per person: who answers is needed
        services.survey_answer(
            actor=None, survey=survey, household=household, channel="paper", answers=full_answer(survey)
        )
    assert Participation.objects.filter(survey=survey).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(
            community_id=survey.community_id,
            survey=survey,
            per="person",
            household=household,
            resident=li,
            unit_id=household.unit_id,
            channel="paper",
        )


def test_bad_answers_write_nothing(sw: SurveyWorld) -> None:
    good = full_answer(sw.survey)
    other_option = sw.multiple.options.first()
    cases = [
        {**good, sw.single.pk: services.Answer(options=(other_option.pk,))},  # not this question's option
        {**good, sw.single.pk: services.Answer(options=tuple(o.pk for o in sw.single.options.all()))},  # two on single
        {**good, sw.rating.pk: services.Answer(rating=9)},
        {k: v for k, v in good.items() if k != sw.single.pk},  # a required question left out
        {**good, 987654: services.Answer(text="?")},
    ]
    for answers in cases:
        with pytest.raises(ValidationError), translation.override("en"):
            services.survey_answer(
                actor=None, survey=sw.survey, household=sw.households[0], channel="online", answers=answers
            )
    assert Participation.objects.count() == 0
    assert Ballot.objects.count() == 0


def test_no_answer_after_closing_and_none_before_opening(sw: SurveyWorld) -> None:
    _answer(sw, sw.households[0])
    services.survey_close(actor=sw.users["community_worker"], survey=sw.survey)
    with translation.override("en"), pytest.raises(ValidationError, match="closed"):
        _answer(sw, sw.households[1])
    draft = make_survey(sw.tree.community, open_=False)
    with translation.override("en"), pytest.raises(ValidationError, match="not open"):
        services.survey_answer(
            actor=None, survey=draft, household=sw.households[1], channel="paper", answers=full_answer(draft)
        )
    assert Participation.objects.count() == 1


def test_free_text_is_screened_for_personal_numbers(sw: SurveyWorld) -> None:
    _answer(sw, sw.households[0], text="有事请打13912345678")
    stored = Ballot.objects.get(question=sw.text).text
    assert "13912345678" not in stored
    services.survey_close(actor=None, survey=sw.survey)
    texts = selectors.results(sw.survey).questions[3].texts
    assert texts
    assert "13912345678" not in texts[0]
    assert "139" in texts[0]


# --- shows of hands ---------------------------------------------------------------------------------


def _votes(question: Any, *counts: int) -> dict[int, int]:
    return {o.pk: n for o, n in zip(question.options.all(), counts, strict=False)}


def test_a_tally_is_reported_beside_the_households_never_added_in(sw: SurveyWorld) -> None:
    _answer(sw, sw.households[0], choice=0)
    _answer(sw, sw.households[1], "paper", choice=1)
    services.tally_record(
        actor=sw.users["community_worker"],
        survey=sw.survey,
        question=sw.single,
        meeting_label="第一次板凳会",
        held_on=timezone.localdate(),
        attendance=30,
        votes=_votes(sw.single, 20, 6, 2),
    )
    services.survey_close(actor=None, survey=sw.survey)
    r = selectors.results(sw.survey)
    assert r.participants == 2
    assert sum(c.count for c in r.by_channel) == 2
    single = r.questions[0]
    assert [o.count for o in single.options] == [1, 1, 0]  # the households only
    assert [c.count for c in single.tallies[0].counts] == [20, 6, 2]  # the meeting, beside them
    assert single.tallies[0].attendance == 30


def test_a_tally_with_more_hands_than_attendance_is_refused_in_the_users_language(sw: SurveyWorld) -> None:
    def record(votes: dict[int, int], attendance: int = 10) -> Any:
        return services.tally_record(
            actor=None,
            survey=sw.survey,
            question=sw.single,
            meeting_label="板凳会",
            held_on=timezone.localdate(),
            attendance=attendance,
            votes=votes,
        )

    with translation.override("en"), pytest.raises(ValidationError, match="11 hands for one option"):
        record(_votes(sw.single, 11, 0, 0))
    with translation.override("en"), pytest.raises(ValidationError, match="in all on a single choice"):
        record(_votes(sw.single, 6, 5, 0))
    with translation.override("en"), pytest.raises(ValidationError):
        record(_votes(sw.rating, 1))  # not a choice question's options
    with translation.override("en"), pytest.raises(ValidationError):
        services.tally_record(
            actor=None,
            survey=sw.survey,
            question=sw.rating,
            meeting_label="板凳会",
            held_on=timezone.localdate(),
            attendance=10,
            votes={},
        )
    # Multiple choice: each option up to the attendance.
    services.tally_record(
        actor=None,
        survey=sw.survey,
        question=sw.multiple,
        meeting_label="板凳会",
        held_on=timezone.localdate(),
        attendance=10,
        votes=_votes(sw.multiple, 10, 8, 3),
    )
    assert Tally.objects.count() == 1
    count = TallyCount.objects.first()
    assert count is not None
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds it too
        TallyCount.objects.filter(pk=count.pk).update(votes=11)


# --- choices unreadable --------------------------------------------------------------------------


def test_choices_cannot_be_read_back_to_a_household_by_pages_api_export_or_audit(sw: SurveyWorld) -> None:
    """Household 1 chooses 反对 (option 2), everyone else 赞成: nothing a worker reads names household 1's choice."""
    _answer(sw, sw.households[0], "online", choice=1, text="楼道太暗")
    for h in sw.households[1:]:
        _answer(sw, h, "paper", choice=0)
    services.survey_close(actor=None, survey=sw.survey)
    # The ballot table has no column that points back.
    ballot_fields = {f.name for f in Ballot._meta.get_fields()}
    assert ballot_fields == {"id", "community", "survey", "question", "option", "rating", "text"}
    # The audit trail: who answered, never the options, rating or text.
    opposed = sw.single.options.get(label="反对")
    for event in AuditEvent.objects.filter(action="consult.survey_answered"):
        assert set(event.data) == {"survey", "household", "channel"}
    # Every page and API answer a worker can read: the household's address never beside its choice.
    worker = sw.users["community_worker"]
    client = english_client(worker)
    api = api_client(worker)
    sid = sw.survey.pk
    household_pages = [
        client.get(f"/consult/surveys/{sid}/participation/"),
        api.get(f"/api/v1/consult/surveys/{sid}/participation"),
    ]
    for response in household_pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert "101" in body  # the household is listed as having answered …
        assert "反对" not in body
        assert "楼道太暗" not in body
    results_pages = [
        client.get(f"/consult/surveys/{sid}/results/"),
        api.get(f"/api/v1/consult/surveys/{sid}/results"),
        client.get(f"/consult/surveys/{sid}/results/export/"),
    ]
    for response in results_pages:
        assert response.status_code == 200
        body = response.content.decode("utf-8", "replace") if "sheet" not in response["Content-Type"] else ""
        assert "1单元" not in body
        assert "李秀英" not in body
        assert "王小明" not in body
    data = json.loads(results_pages[1].content)
    assert "household" not in json.dumps(data)
    single = data["questions"][0]
    assert {o["label"]: o["count"] for o in single["options"]}[opposed.label] == 1
    # The export (xlsx): counts and participation by building, no row of a household with a choice.
    export = results_pages[2]
    assert "spreadsheetml" in export["Content-Type"]
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(export.content), read_only=True)
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert not any("101" in c for c in cells)


def test_choices_are_counted_only_once_the_survey_is_closed(sw: SurveyWorld) -> None:
    _answer(sw, sw.households[0], choice=1)
    r = selectors.results(sw.survey)
    assert r.participants == 1
    assert not r.counted
    assert all(q.options == [] and q.ratings == [] and q.texts == [] for q in r.questions)
    services.survey_close(actor=None, survey=sw.survey)
    assert selectors.results(sw.survey).questions[0].options[1].count == 1


@pytest.mark.usefixtures("english")  # the channels' labels in English, whatever an earlier test left active
def test_results_count_by_channel_and_building(sw: SurveyWorld) -> None:
    _answer(sw, sw.households[0], "online")
    _answer(sw, sw.households[1], "assisted")
    _answer(sw, sw.households[2], "paper")
    _answer(sw, sw.households[3], "paper")
    r = selectors.results(sw.survey)
    assert {c.label: c.count for c in r.by_channel} == {"Online": 1, "Assisted": 1, "Paper form": 2}
    buildings = {b.name: (b.answered, b.of) for b in r.by_building}
    assert buildings["1栋"] == (3, 4)
    assert buildings["2栋"] == (1, 1)
    assert r.participants == 4
    assert r.of == 5


# --- who may do what ------------------------------------------------------------------------------


def test_a_resident_answers_online_for_their_household_once(sw: SurveyWorld) -> None:
    api = api_client(sw.users["resident"])
    url = f"/api/v1/consult/surveys/{sw.survey.pk}/answers"
    body = {
        "answers": [
            {"question_id": sw.single.pk, "options": [sw.single.options.first().pk]},
            {"question_id": sw.multiple.pk, "options": [o.pk for o in sw.multiple.options.all()]},
            {"question_id": sw.rating.pk, "rating": 4},
        ]
    }
    first = api.post(url, body, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["channel"] == "online"
    second = api.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert second.status_code == 422
    # 张三 lives in the same household: a paper form for it is refused too.
    paper = api_client(sw.users["community_worker"]).post(
        f"/api/v1/consult/surveys/{sw.survey.pk}/paper",
        {**body, "household_id": sw.households[0].pk},
        content_type="application/json",
    )
    assert paper.status_code == 422
    assert Participation.objects.count() == 1
    detail = api.get(f"/api/v1/consult/surveys/{sw.survey.pk}")
    assert detail.json()["answered"] is True


def test_an_assisted_answer_records_who_helped(sw: SurveyWorld) -> None:
    volunteer = sw.users["volunteer"]
    response = api_client(volunteer).post(
        f"/api/v1/consult/surveys/{sw.survey.pk}/assisted",
        {
            "household_id": sw.households[2].pk,
            "answers": [
                {"question_id": sw.single.pk, "options": [sw.single.options.first().pk]},
                {"question_id": sw.multiple.pk, "options": [sw.multiple.options.first().pk]},
                {"question_id": sw.rating.pk, "rating": 5},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    p = Participation.objects.get()
    assert (p.channel, p.recorded_by_id, p.household_id) == ("assisted", volunteer.pk, sw.households[2].pk)


def test_another_communitys_survey_answers_404_to_everyone_here(sw: SurveyWorld) -> None:
    other = make_survey(sw.tree.other_community, title="宝塔社区征集")
    sid = other.pk
    for who in ("resident", "volunteer", "grid_worker", "community_worker", "branch_secretary"):
        client = english_client(sw.users[who])
        api = api_client(sw.users[who])
        for url in (f"/consult/surveys/{sid}/", f"/consult/surveys/{sid}/results/"):
            assert client.get(url).status_code in (403, 404), (who, url)
        assert api.get(f"/api/v1/consult/surveys/{sid}").status_code == 404, who
        posted = api.post(
            f"/api/v1/consult/surveys/{sid}/paper",
            {"household_id": sw.people.households[2].pk, "answers": []},
            content_type="application/json",
        )
        assert posted.status_code in (403, 404), who
    # A worker here cannot answer this community's survey for another community's household either.
    response = api_client(sw.users["community_worker"]).post(
        f"/api/v1/consult/surveys/{sw.survey.pk}/paper",
        {"household_id": sw.people.households[2].pk, "answers": []},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Participation.objects.count() == 0


def test_a_resident_reads_results_only_once_closed_and_never_the_participation(sw: SurveyWorld) -> None:
    client = english_client(sw.users["resident"])
    sid = sw.survey.pk
    assert client.get(f"/consult/surveys/{sid}/results/").status_code == 404
    assert client.get(f"/consult/surveys/{sid}/participation/").status_code == 403
    services.survey_close(actor=None, survey=sw.survey)
    assert client.get(f"/consult/surveys/{sid}/results/").status_code == 200


def test_closing_twice_and_opening_a_closed_survey_are_refused(sw: SurveyWorld) -> None:
    services.survey_close(actor=None, survey=sw.survey)
    with pytest.raises(ValidationError):
        services.survey_close(actor=None, survey=sw.survey)
    with pytest.raises(ValidationError):
        services.survey_open(actor=None, survey=sw.survey)
    assert Survey.objects.get(pk=sw.survey.pk).status == "closed"
    assert AuditEvent.objects.filter(action="consult.survey_closed").count() == 1


def test_a_survey_date_in_the_future_is_no_meeting(sw: SurveyWorld) -> None:
    with translation.override("en"), pytest.raises(ValidationError, match="not taken place"):
        services.tally_record(
            actor=None,
            survey=sw.survey,
            question=sw.single,
            meeting_label="板凳会",
            held_on=timezone.localdate() + dt.timedelta(days=3),
            attendance=10,
            votes=_votes(sw.single, 1),
        )


def test_pages_answer_bad_input_with_a_form_error_not_a_500(sw: SurveyWorld) -> None:
    worker: Client = english_client(sw.users["community_worker"])
    sid = sw.survey.pk
    _answer(sw, sw.households[0])
    response = worker.post(
        f"/consult/surveys/{sid}/paper/",
        {"door": "1-101", f"q{sw.single.pk}": "1", f"q{sw.multiple.pk}": "1", f"q{sw.rating.pk}": "3"},
    )
    assert response.status_code == 422
    assert "answered this survey already" in response.content.decode()
    response = worker.post(
        f"/consult/surveys/{sid}/tally/",
        {"question": sw.single.pk, "meeting": "板凳会", "held_on": "2026-01-05", "attendance": "5", "votes_1": "9"},
    )
    assert response.status_code == 422
    assert Participation.objects.count() == 1
    assert Tally.objects.count() == 0


def test_a_tally_at_a_planned_meeting_cannot_pass_its_head_count(sw: SurveyWorld) -> None:
    from anju.consult.models import Meeting

    # The meeting row as consult's meetings keep it (their services plan it; here only its head count matters).
    starts = timezone.now() - dt.timedelta(days=1)
    meeting = Meeting.objects.create(
        community=sw.tree.community,
        title="第二次板凳会",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        organiser=sw.users["community_worker"],
        status="held",
        head_count=12,
    )
    api = api_client(sw.users["community_worker"])
    url = f"/api/v1/consult/surveys/{sw.survey.pk}/tallies"
    body = {
        "question_id": sw.single.pk,
        "meeting_id": meeting.pk,
        "held_on": str(timezone.localdate() - dt.timedelta(days=1)),
        "attendance": 15,
        "votes": {str(o.pk): 1 for o in sw.single.options.all()},
    }
    refused = api.post(url, body, content_type="application/json")
    assert refused.status_code == 422
    assert Tally.objects.count() == 0
    taken = api.post(url, {**body, "attendance": 12}, content_type="application/json")
    assert taken.status_code == 201, taken.content
    assert taken.json()["meeting"] == "第二次板凳会"
    assert Tally.objects.get().meeting_id == meeting.pk
    # Another community's meeting is not found from here.
    other = Meeting.objects.create(
        community=sw.tree.other_community,
        title="宝塔板凳会",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        organiser=sw.users["other_worker"],
        head_count=30,
    )
    assert api.post(url, {**body, "meeting_id": other.pk}, content_type="application/json").status_code == 404


def test_the_demo_consultation_of_2023_has_every_channel_and_the_hands_beside(db: Any) -> None:
    from anju.consult.surveys.demo import TITLE
    from anju.site.demo import load_demo

    load_demo(log=lambda *args: None)
    survey = Survey.objects.get(title=TITLE)
    assert survey.status == "closed"
    assert survey.opened_at is not None
    assert survey.opened_at.year == 2023
    r = selectors.results(survey)
    assert all(c.count > 0 for c in r.by_channel), r.by_channel
    assert 0 < r.participants < r.of  # some households are left for a visit
    assert len(r.questions[0].tallies) == 2
    assert sum(o.count for o in r.questions[0].options) == r.participants


# --- a survey on a topic (每月一题) ---------------------------------------------------------------------------------


def test_a_survey_is_made_on_a_topic_within_reach_and_the_topic_page_lists_it(sw: SurveyWorld) -> None:
    from anju.consult.models import Topic
    from anju.consult.topics import services as topic_services

    worker = sw.users["community_worker"]
    topic = topic_services.topic_open(actor=worker, community=sw.tree.community, title="3栋门口停车难")
    closed = topic_services.topic_open(actor=worker, community=sw.tree.community, title="去年的议题")
    Topic.objects.filter(pk=closed.pk).update(status=Topic.Status.CLOSED)
    closed.refresh_from_db()
    away = topic_services.topic_open(actor=None, community=sw.tree.other_community, title="宝塔社区的议题")
    client = english_client(worker)

    # The picker offers this community's open topics only; the topic page links to it with the topic chosen.
    page = client.get(f"/consult/surveys/?topic={topic.pk}").content.decode()
    assert f'<option value="{topic.pk}" selected>3栋门口停车难</option>' in page
    assert "去年的议题" not in page
    assert "宝塔社区的议题" not in page

    # Another community's topic, or a closed one: a form error, nothing written.
    before = Survey.objects.count()
    for bad in (away, closed):
        response = client.post("/consult/surveys/new/", {"title": "停车意见", "per": "household", "topic": bad.pk})
        assert response.status_code == 422, bad
        assert "Select a valid choice" in response.content.decode()
    assert Survey.objects.count() == before

    response = client.post("/consult/surveys/new/", {"title": "停车意见征集", "per": "household", "topic": topic.pk})
    assert response.status_code == 302
    survey = Survey.objects.get(title="停车意见征集")
    assert survey.topic_id == topic.pk

    # The topic page lists it: the worker sees the draft, a resident only once it is open.
    assert "停车意见征集" in client.get(f"/consult/topics/{topic.pk}/").content.decode()
    resident = english_client(sw.users["resident"])
    assert "停车意见征集" not in resident.get(f"/consult/topics/{topic.pk}/").content.decode()
    services.question_add(actor=worker, survey=survey, kind="single", text="划线停车？", options=["赞成", "反对"])
    services.survey_open(actor=worker, survey=survey)
    assert "停车意见征集" in resident.get(f"/consult/topics/{topic.pk}/").content.decode()

    # The API lists a topic's surveys; a closed topic is refused by the service too.
    listed = api_client(worker).get(f"/api/v1/consult/surveys?topic_id={topic.pk}").json()
    assert [s["id"] for s in listed] == [survey.pk]
    with translation.override("en"), pytest.raises(ValidationError, match="topic is closed"):
        services.survey_create(actor=worker, community=sw.tree.community, title="x", topic=closed)
    response = api_client(worker).post(
        "/api/v1/consult/surveys",
        {"community_id": sw.tree.community.pk, "title": "x", "topic_id": away.pk},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Survey.objects.filter(topic=away).count() == 0
