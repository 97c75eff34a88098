"""Honours (评比) where people use them: the nominate form's picker (search by name, pinyin, building or door
within the user's reach and the campaign's community; a resident finds only exact matches, shown as the honour
roll prints them, never a number; a bad or out-of-reach choice is refused in the user's language, nothing
written), and the honours panel on a household's and a person's page in the registry (final results only, in
one query)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anju.consult.honours import nominees, panels, services
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import Campaign, Nomination, Subject
from anju.core import registry
from anju.testing.honours import HonoursWorld, full_marks, make_campaign, make_honours_world, notice_over, on_notice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def hw() -> HonoursWorld:
    return make_honours_world()


def _client(user: object, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    client.cookies["anju_language"] = language
    return client


def _open(hw: HonoursWorld, subject: str = Subject.HOUSEHOLD, title: str = "最美好邻居") -> Campaign:
    campaign = make_campaign(hw.community, actor=hw.worker, subject=subject, title=title)
    return services.nominations_open(actor=hw.worker, campaign=campaign)


def _search(client: Client, campaign: Campaign, q: str) -> str:
    response = client.get(reverse("consult:honours_nominee_search", args=[campaign.pk]), {"nominee_q": q})
    assert response.status_code == 200
    return response.content.decode()


def _numbers(hw: HonoursWorld) -> list[str]:
    """Every resident's mobile and ID number, whole and as the registry masks them (head and tail)."""
    found = []
    for r in [*hw.people.residents, hw.people.other_resident]:
        found += [r.mobile, r.id_number, r.mobile[:3] + "****", r.id_number[:4]]
    return [n for n in found if n]


# --- the picker -------------------------------------------------------------------------------


def test_a_worker_finds_households_by_building_door_or_a_members_pinyin(hw: HonoursWorld) -> None:
    campaign = _open(hw)
    client = _client(hw.worker)
    page = client.get(reverse("consult:honours_detail", args=[campaign.pk])).content.decode()
    assert 'name="nominee_q"' in page
    assert 'name="target"' not in page
    h1, h2, _h3 = hw.households
    found = _search(client, campaign, "1栋 101")
    assert f'value="{h1.pk}"' in found
    assert f'value="{hw.sun.pk}"' not in found
    found = _search(client, campaign, "wxm")  # 王小明's initials find his household
    assert f'value="{h2.pk}"' in found
    assert f'value="{h1.pk}"' not in found
    found = _search(client, campaign, "1栋")
    assert f'value="{h1.pk}"' in found
    assert f'value="{hw.sun.pk}"' in found
    # The other community's household (宝塔1栋 303, 赵六) is never listed, whatever is typed.
    assert _search(client, campaign, "宝塔").count('type="radio"') == 0
    assert _search(client, campaign, "zhaoliu").count('type="radio"') == 0
    for number in _numbers(hw):
        assert number not in found


def test_a_worker_finds_a_person_by_name_or_pinyin_and_a_volunteer_sees_the_name_masked(hw: HonoursWorld) -> None:
    campaign = _open(hw, Subject.PERSON, "好人好事")
    wang = hw.people.residents[2]
    found = _search(_client(hw.worker), campaign, "wangxiao")
    assert f'value="{wang.pk}"' in found
    assert "王小明" in found
    masked = _search(_client(hw.people.users["volunteer"]), campaign, "wxm")
    assert f'value="{wang.pk}"' in masked
    assert "王*明" in masked
    assert "王小明" not in masked
    for number in _numbers(hw):
        assert number not in found
        assert number not in masked


def test_a_resident_finds_only_exact_matches_shown_as_the_roll_prints_them(hw: HonoursWorld) -> None:
    person = _open(hw, Subject.PERSON, "好人好事")
    client = _client(hw.resident)
    wang = hw.people.residents[2]
    # Nothing to browse: a part of a name, pinyin, initials or a building alone find nobody.
    for q in ("王", "wangxiaoming", "wxm", "2栋", "小明"):
        assert _search(client, person, q).count('type="radio"') == 0, q
    found = _search(client, person, "王小明")
    assert f'value="{wang.pk}"' in found
    assert "原种场片区" in found
    assert "2栋" not in found
    for number in _numbers(hw):
        assert number not in found
    assert _search(client, person, "赵六").count('type="radio"') == 0  # another community's
    assert "full name" in _search(client, person, "王")  # the hint says what to type
    household = _open(hw, Subject.HOUSEHOLD, "最美家庭")
    found = _search(client, household, "1栋 102")
    assert f'value="{hw.sun.pk}"' in found
    assert found.count('type="radio"') == 1
    assert f'value="{hw.households[1].pk}"' in _search(client, household, "王小明")  # a member's full name
    assert _search(client, household, "102").count('type="radio"') == 0  # a door without its building


def test_lanes_and_buildings_are_found_by_name(hw: HonoursWorld) -> None:
    campaign = _open(hw, Subject.UNIT, "文明巷")
    found = _search(_client(hw.resident), campaign, "栋")
    assert f'value="{hw.people.tree.building.pk}"' in found
    assert f'value="{hw.people.building2.pk}"' in found
    assert f'value="{hw.people.other_building.pk}"' not in found


def test_the_picker_works_without_javascript(hw: HonoursWorld) -> None:
    campaign = _open(hw)
    url = reverse("consult:honours_detail", args=[campaign.pk])
    page = _client(hw.resident).get(url, {"nominee_q": "1栋 102"}).content.decode()
    assert f'name="target" value="{hw.sun.pk}"' in page


def test_a_resident_nominates_through_the_picker(hw: HonoursWorld) -> None:
    campaign = _open(hw)
    client = _client(hw.resident)
    response = client.post(
        reverse("consult:honours_nominate", args=[campaign.pk]), {"target": str(hw.sun.pk), "reason": "热心"}
    )
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    assert nomination.household_id == hw.sun.pk
    assert nomination.by_household_id == hw.households[0].pk


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "That choice is not one you can nominate in this campaign"),
        ("zh-hans", "不在本次评比您可以提名的范围内"),
    ],
)
def test_a_bad_or_out_of_reach_choice_is_refused_and_nothing_written(
    hw: HonoursWorld, language: str, message: str
) -> None:
    campaign = _open(hw)
    client = _client(hw.resident, language)
    url = reverse("consult:honours_nominate", args=[campaign.pk])
    other = hw.households[2]  # the other community's household
    for target in (str(other.pk), "999999"):
        response = client.post(url, {"target": target, "reason": "热心"})
        assert response.status_code == 422
        assert message in response.content.decode()
    response = client.post(url, {"target": "abc", "reason": "热心"})
    assert response.status_code == 422
    assert Nomination.objects.count() == 0


def test_a_volunteer_may_not_pick_a_household_outside_their_reach(hw: HonoursWorld) -> None:
    """A volunteer of the area works in the registry: they pick within their reach only (here, all of it)."""
    campaign = _open(hw, Subject.PERSON, "好人好事")
    volunteer = hw.people.users["volunteer"]
    assert nominees.works_in_registry(volunteer, campaign)
    assert not nominees.works_in_registry(hw.resident, campaign)
    with pytest.raises(ValidationError, match="not one you can nominate"):
        nominees.nominee_pick(volunteer, campaign, hw.people.other_resident.pk)
    assert nominees.nominee_pick(volunteer, campaign, hw.people.residents[2].pk) == {"resident": hw.people.residents[2]}


# --- the honours panel on the registry's pages --------------------------------------------------


def _final(hw: HonoursWorld, **kwargs: object) -> Campaign:
    """A household campaign made final: 王小明's household (h2) is honoured."""
    campaign, _nominations = on_notice(hw, **kwargs)  # type: ignore[arg-type]
    return publicity.results_publish(actor=hw.secretary, campaign=notice_over(campaign))


def _final_person(hw: HonoursWorld) -> Campaign:
    """A person campaign made final: 王小明 is honoured."""
    campaign = _open(hw, Subject.PERSON, "好人好事")
    wang = services.nominate(actor=hw.worker, campaign=campaign, resident=hw.people.residents[2], reason="热心")
    services.scoring_open(actor=hw.worker, campaign=campaign)
    evaluation.sheet_submit(actor=hw.resident, nomination=wang, scores=full_marks(campaign))
    campaign = publicity.notice_publish(actor=hw.worker, campaign=campaign)
    return publicity.results_publish(actor=hw.secretary, campaign=notice_over(campaign))


@pytest.mark.parametrize(("language", "heading"), [("en", "Honours received"), ("zh-hans", "所获荣誉")])
def test_the_household_and_person_pages_show_final_honours(hw: HonoursWorld, language: str, heading: str) -> None:
    h2 = hw.households[1]
    wang = hw.people.residents[2]
    client = _client(hw.worker, language)
    household_url = reverse("people:household", args=[h2.pk])
    resident_url = reverse("people:resident", args=[wang.pk])
    on_notice(hw, title="未完评比")  # not final yet: nothing on the record
    assert heading not in client.get(household_url).content.decode()
    campaign = _final(hw)
    page = client.get(household_url).content.decode()
    assert heading in page
    assert "最美好邻居" in page
    assert str(campaign.period_end.year) in page
    assert "未完评比" not in page
    assert reverse("consult:honours_detail", args=[campaign.pk]) in page
    assert heading not in client.get(reverse("people:household", args=[hw.sun.pk])).content.decode()
    person = _final_person(hw)
    page = client.get(resident_url).content.decode()
    assert heading in page
    assert "好人好事" in page
    page = client.get(household_url).content.decode()  # a member's honour is the household's too
    assert "好人好事" in page
    assert "最美好邻居" in page
    assert person.pk != campaign.pk


def test_a_volunteer_sees_the_honour_without_the_name_it_was_published_under(hw: HonoursWorld) -> None:
    _final(hw)
    h2 = hw.households[1]
    page = _client(hw.people.users["volunteer"]).get(reverse("people:household", args=[h2.pk])).content.decode()
    assert "Honours received" in page
    assert "最美好邻居" in page
    assert "2栋 202" not in page  # the published name is the address, whose door the volunteer does not see


def test_the_panel_is_one_query_however_many_honours(hw: HonoursWorld) -> None:
    h2 = hw.households[1]
    client = _client(hw.worker)
    url = reverse("people:household", args=[h2.pk])
    _final(hw)
    client.get(url)  # warm the caches (grants, the language)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _final(hw, title="文明家庭")
    _final_person(hw)
    with CaptureQueriesContext(connection) as three:
        page = client.get(url).content.decode()
    assert page.count('class="honour"') == 3
    assert len(three) == len(one)
    request = client.get(url).wsgi_request
    with CaptureQueriesContext(connection) as panel:
        html = panels.honours_panel(request, h2)
    assert html is not None
    assert html.count('class="honour"') == 3
    honours_queries = [q for q in panel.captured_queries if "consult_nomination" in q["sql"]]
    assert len(honours_queries) == 1


def test_a_panel_key_is_registered_once() -> None:
    registry.record_panel("honours", panels.honours_panel)  # the same function again: a no-op
    with pytest.raises(ValueError, match="registered twice"):
        registry.record_panel("honours", lambda request, obj: None)
