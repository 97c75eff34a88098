"""Honours (评比): the staff's page for paper score sheets (成果互评 at a bench meeting), and the API's
``household_id`` for the same. Staff type one household after another; every refusal (a second sheet, the
household's own nominee, another area, a score out of range, a campaign past its scoring, a household of another
community) re-renders in the user's language with nothing written for that sheet; residents and another
community's staff cannot reach the page."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anju.audit.models import AuditEvent
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import Campaign, Criterion, Nomination, Score, ScoreSheet
from anju.orgs.models import UnitKind
from anju.people.models import Household
from anju.testing import api_client, unit
from anju.testing.honours import HonoursWorld, full_marks, in_scoring, make_honours_world
from anju.testing.pairing import add_household

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SCORED = "honours.scored"


@pytest.fixture
def hw() -> HonoursWorld:
    return make_honours_world()


def _client(user: object, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    client.cookies["anju_language"] = language
    return client


def _url(campaign: Campaign) -> str:
    return reverse("consult:honours_paper", args=[campaign.pk])


def _sheet(household: Household, rows: dict[Nomination, list[int | str]]) -> dict[str, str]:
    """The page's form: the household and, per nominee, the values typed in criterion order."""
    form = {"household": str(household.pk)}
    for n, values in rows.items():
        criteria = Criterion.objects.filter(campaign=n.campaign).order_by("position")
        form.update({f"s-{n.pk}-{c.pk}": str(v) for c, v in zip(criteria, values, strict=True)})
    return form


def _written() -> tuple[int, int, int]:
    return ScoreSheet.objects.count(), Score.objects.count(), AuditEvent.objects.filter(action=SCORED).count()


def test_staff_type_two_households_sheets_one_after_another(hw: HonoursWorld) -> None:
    campaign, (wang, sun) = in_scoring(hw)
    h1, h2 = hw.households[0], hw.households[1]
    client = _client(hw.worker)
    # Reachable from the campaign's page while it is in its scoring stage.
    detail = client.get(reverse("consult:honours_detail", args=[campaign.pk])).content.decode()
    assert f'href="{_url(campaign)}"' in detail
    # The registry's search: one match opens the household's sheet, the first choice focused.
    page = client.get(_url(campaign), {"household_q": "张三"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="household" value="{h1.pk}"' in html
    assert f'id="s-{wang.pk}-' in html
    assert f'id="s-{sun.pk}-' in html
    assert "autofocus" in html.split(f'id="s-{wang.pk}-', 1)[1].split(">", 1)[0]
    # 张三's household scores both nominees; the page is ready for the next household.
    saved = client.post(_url(campaign), _sheet(h1, {wang: [5, 4, 3], sun: [4, 4, 4]}), follow=True)
    assert saved.status_code == 200
    html = saved.content.decode()
    assert "Saved 2 paper sheets of" in html
    assert 'id="p-q"' in html
    # 王小明's household: its own nominee is shown but not scored; it scores 孙大爷's.
    page = client.get(_url(campaign), {"household": h2.pk}).content.decode()
    assert f'id="paper-state-{wang.pk}"' in page
    assert "own nominee" in page
    assert f'name="s-{wang.pk}-' not in page
    saved = client.post(_url(campaign), _sheet(h2, {sun: [3, 2, 1]}), follow=True)
    assert "Saved 1 paper sheet of" in saved.content.decode()

    sheets = {(s.household_id, s.nomination_id): s for s in ScoreSheet.objects.all()}
    assert set(sheets) == {(h1.pk, wang.pk), (h1.pk, sun.pk), (h2.pk, sun.pk)}
    assert all(s.submitted_by_id == hw.worker.pk for s in sheets.values())
    assert sorted(Score.objects.filter(sheet=sheets[(h1.pk, wang.pk)]).values_list("value", flat=True)) == [3, 4, 5]
    events = AuditEvent.objects.filter(action=SCORED)
    assert events.count() == 3
    assert all(e.data["paper"] is True and e.actor_id == hw.worker.pk for e in events)
    assert {(e.data["household"], e.data["nomination"]) for e in events} == set(sheets)
    # Scored sheets come back as done, not as a second form.
    again = client.get(_url(campaign), {"household": h1.pk}).content.decode()
    assert "scored this nominee already" in again
    assert f'name="s-{wang.pk}-' not in again
    assert 'id="paper-save"' not in again


def _far_household(hw: HonoursWorld) -> Household:
    """A household of another area of the same community (the nominees are in the first area)."""
    area = unit(UnitKind.AREA, "第二片区", hw.community)
    building = unit(UnitKind.BUILDING, "9栋", unit(UnitKind.GRID, "第9网格", area))
    return add_household(building, "901", name="钱奶奶")


REFUSALS: dict[str, dict[str, str]] = {
    "already": {"en": "one score sheet per household", "zh-hans": "每户只能打一次分"},
    "own": {"en": "does not score itself", "zh-hans": "不能给自己家"},
    "area": {"en": "score the nominees of their own area", "zh-hans": "住户只给本片区的被提名者打分"},
    "range": {"en": "from 1 to 5", "zh-hans": "打 1 到 5 分"},
    "stage": {"en": "is not open", "zh-hans": "成果互评没有开放"},
    "community": {"en": "Choose a household of the campaign's community", "zh-hans": "请选择本社区的住户"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_sheet_re_renders_with_its_message_and_writes_nothing(
    hw: HonoursWorld, case: str, language: str
) -> None:
    campaign, (wang, sun) = in_scoring(hw)
    h1, h2 = hw.households[0], hw.households[1]
    staff: Any = hw.worker
    form: dict[str, str]
    if case == "already":
        _client(hw.worker).post(_url(campaign), _sheet(h1, {wang: [5, 5, 5]}))
        form = _sheet(h1, {wang: [4, 4, 4]})
    elif case == "own":
        form = _sheet(h2, {wang: [5, 5, 5]})
    elif case == "area":
        form = _sheet(_far_household(hw), {wang: [5, 5, 5]})
    elif case == "range":
        form = _sheet(h1, {wang: [5, 9, 5]})
    elif case == "stage":
        form = _sheet(h1, {wang: [5, 5, 5]})
        evaluation.sheet_submit(actor=hw.neighbour, nomination=sun, scores=full_marks(campaign))
        publicity.notice_publish(actor=hw.secretary, campaign=campaign)
    else:
        form = _sheet(hw.households[2], {wang: [5, 5, 5]})
        # the administrator reaches the other community's household, and the service refuses it there
        staff = hw.people.users["admin"] if language == "zh-hans" else hw.worker
    before = _written()
    response = _client(staff, language).post(_url(campaign), form)
    assert response.status_code == 422
    html = unescape(response.content.decode())
    assert REFUSALS[case][language] in html, html
    assert 'role="alert"' in html
    assert _written() == before


def test_one_sheet_refused_the_others_saved_and_reported(hw: HonoursWorld) -> None:
    campaign, (wang, sun) = in_scoring(hw)
    h1 = hw.households[0]
    form = _sheet(h1, {wang: [5, 5, 5], sun: [4, "", 4]})  # the second row half typed
    response = _client(hw.worker).post(_url(campaign), form)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Saved 1 paper sheet of" in html
    assert f'id="paper-error-{sun.pk}"' in html
    assert f"Not saved, {sun.name}: Score" in html
    # what was typed in the refused row comes back, for correcting it
    assert '<option value="4" selected>' in html.split(f'id="paper-row-{sun.pk}"', 1)[1]
    assert list(ScoreSheet.objects.values_list("nomination_id", flat=True)) == [wang.pk]
    # an empty form is a clear error too
    empty = _client(hw.worker).post(_url(campaign), {"household": str(h1.pk)})
    assert empty.status_code == 422
    assert "at least one nominee" in empty.content.decode()
    assert ScoreSheet.objects.count() == 1


def test_residents_and_another_communitys_staff_cannot_reach_the_page(hw: HonoursWorld) -> None:
    campaign, (wang, _sun) = in_scoring(hw)
    form = _sheet(hw.households[0], {wang: [5, 5, 5]})
    assert _client(hw.resident).get(_url(campaign)).status_code == 403
    assert _client(hw.resident).post(_url(campaign), form).status_code == 403
    assert _client(hw.other_worker).get(_url(campaign)).status_code == 404
    assert _client(hw.other_worker).post(_url(campaign), form).status_code == 404
    assert _written() == (0, 0, 0)
    # and a resident does not see the link on the campaign's page
    page = _client(hw.resident).get(reverse("consult:honours_detail", args=[campaign.pk])).content.decode()
    assert _url(campaign) not in page


def test_the_api_takes_a_paper_sheet_from_staff_only(hw: HonoursWorld) -> None:
    campaign, (wang, sun) = in_scoring(hw)
    h1 = hw.households[0]
    marks = {str(k): v for k, v in full_marks(campaign, 4).items()}
    url = f"/api/v1/consult/honours/nominations/{wang.pk}/scores"
    created = api_client(hw.worker).post(url, {"scores": marks, "household_id": h1.pk}, content_type="application/json")
    assert created.status_code == 201, created.content
    sheet = ScoreSheet.objects.get()
    assert (sheet.household_id, sheet.submitted_by_id) == (h1.pk, hw.worker.pk)
    assert AuditEvent.objects.get(action=SCORED).data["paper"] is True
    # a resident passing a household is refused, even their own (张三's household has not scored 孙大爷 yet)
    sun_url = f"/api/v1/consult/honours/nominations/{sun.pk}/scores"
    resident = api_client(hw.resident)
    refused = resident.post(sun_url, {"scores": marks, "household_id": h1.pk}, content_type="application/json")
    assert refused.status_code == 422
    assert "Only the community's staff" in refused.content.decode()
    # staff: a household of another community, or none at all, is the same refusal
    for household_id in (hw.households[2].pk, 10**9):
        other = api_client(hw.worker).post(
            sun_url, {"scores": marks, "household_id": household_id}, content_type="application/json"
        )
        assert other.status_code == 422
        assert "Choose a household of the campaign's community" in other.content.decode()
    # in the user's language
    chinese = api_client(hw.resident)
    chinese.cookies["anju_language"] = "zh-hans"
    zh = chinese.post(sun_url, {"scores": marks, "household_id": h1.pk}, content_type="application/json")
    assert zh.status_code == 422
    assert "只有本社区工作人员可以录入" in str(zh.json()), zh.json()
    assert ScoreSheet.objects.count() == 1
    # without it, the resident scores for their own household as before
    assert resident.post(sun_url, {"scores": marks}, content_type="application/json").status_code == 201
