"""The record form's contributor picker: a worker finds a resident or a household of the project's community in
the registry (name, pinyin, building, door number) and the contribution is linked to it, its name taken from the
registry; a volunteer sees masked names; another community's residents are never listed; an id of another
community, out of reach or not a number is refused in the user's language with nothing written (page and API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from anju.contributions import contributors
from anju.contributions.models import Contribution, MoneyEntry, Project
from anju.testing import api_client, english_client
from anju.testing.contributions import make_project
from anju.testing.people import PeopleWorld, make_people_world, plaintexts


@dataclass
class PickerWorld:
    pw: PeopleWorld
    project: Project
    worker: Any

    @property
    def zhang(self) -> Any:  # 张三, head of 1栋 1单元 101
        return self.pw.residents[0]

    @property
    def other(self) -> Any:  # 赵六, of the other community
        return self.pw.other_resident


@pytest.fixture
def pw(db: None) -> PickerWorld:
    pw = make_people_world()
    worker = pw.users["community_worker"]
    return PickerWorld(pw, make_project(worker, pw.community), worker)


def _search(client: Client, w: PickerWorld, kind: str, q: str) -> Any:
    return client.get(
        reverse("contributions:contributor_search", args=[w.project.pk]), {"contributor": kind, "contributor_q": q}
    )


def _gift(**extra: str) -> dict[str, str]:
    return {"kind": "goods", "quantity": "3", "unit": "item", "day": "2026-03-01", **extra}


def _record(client: Client, w: PickerWorld, data: dict[str, str]) -> Any:
    return client.post(reverse("contributions:contribute", args=[w.project.pk]), data)


def test_a_worker_finds_residents_by_name_pinyin_and_building_and_households_by_door(pw: PickerWorld) -> None:
    client = english_client(pw.worker)
    html = _search(client, pw, "resident", "张三").content.decode()
    assert f'name="resident_id" value="{pw.zhang.pk}"' in html
    assert "张三" in html
    assert "1栋" in html
    assert "李秀英" not in html  # a name finds that name, not the whole household
    assert f'value="{pw.zhang.pk}"' in _search(client, pw, "resident", "zs").content.decode()
    by_building = _search(client, pw, "resident", "2栋").content.decode()  # no name matches: the building's people
    assert "王小明" in by_building
    assert "张三" not in by_building
    door = _search(client, pw, "household", "101").content.decode()
    assert f'name="household_id" value="{pw.pw.households[0].pk}"' in door
    assert "101" in door
    # Never a mobile or an ID number, in any list.
    pages = [_search(client, pw, kind, q).content.decode() for kind in ("resident", "household") for q in ("张", "1栋")]
    assert not any(secret in page for secret in plaintexts() for page in pages)


def test_the_plain_get_fallback_lists_the_same_choices_on_the_page(pw: PickerWorld) -> None:
    page = english_client(pw.worker).get(
        reverse("contributions:project", args=[pw.project.pk]), {"contributor": "household", "contributor_q": "张三"}
    )
    html = page.content.decode()
    assert f'name="household_id" value="{pw.pw.households[0].pk}"' in html
    assert '<option value="household" selected>' in html


def test_a_volunteer_sees_masked_names_and_no_door(pw: PickerWorld) -> None:
    volunteer = pw.pw.users["volunteer"]
    people = contributors.contributor_choices(volunteer, pw.project, "resident", "张三")
    assert [(c.id, c.label, c.where) for c in people] == [(pw.zhang.pk, "张*", "1栋")]
    households = contributors.contributor_choices(volunteer, pw.project, "household", "张三")
    assert [c.id for c in households] == [pw.pw.households[0].pk]
    assert "101" not in households[0].label
    # A volunteer does not record contributions: the picker's page is not theirs.
    assert _search(english_client(volunteer), pw, "resident", "张三").status_code == 403


def test_another_community_and_out_of_reach_are_never_listed(pw: PickerWorld) -> None:
    client = english_client(pw.worker)
    for kind, q in (("resident", "赵六"), ("resident", "宝塔1栋"), ("household", "303"), ("household", "赵六")):
        html = _search(client, pw, kind, q).content.decode()
        assert "赵六" not in html
        assert "303" not in html
        assert "Nobody found in the registry" in html
    grid_worker = pw.pw.users["grid_worker"]  # reaches 1栋 only
    assert contributors.contributor_choices(grid_worker, pw.project, "resident", "王小明") == []
    with pytest.raises(ValidationError):
        contributors.contributor_pick(grid_worker, pw.project, "resident", pw.pw.residents[2].pk)
    # Nor in the other community's project, for its own worker, are this community's residents.
    other_worker = pw.pw.users["other_worker"]
    other = make_project(other_worker, pw.pw.tree.other_community, "宝塔小广场")
    assert contributors.contributor_choices(other_worker, other, "resident", "张三") == []


def test_posting_a_resident_links_the_contribution_and_takes_the_registry_name(pw: PickerWorld) -> None:
    client = english_client(pw.worker)
    response = _record(client, pw, _gift(contributor="resident", resident_id=str(pw.zhang.pk), name="老张"))
    assert response.status_code == 302
    c = Contribution.objects.get()
    assert (c.resident, c.household, c.name) == (pw.zhang, None, "张三")


def test_posting_a_household_links_it_named_after_its_head(pw: PickerWorld) -> None:
    household = pw.pw.households[0]
    _record(english_client(pw.worker), pw, _gift(contributor="household", household_id=str(household.pk)))
    c = Contribution.objects.get()
    assert (c.household, c.resident, c.name) == (household, None, "张三家")


def test_a_choice_left_from_the_other_list_is_not_taken(pw: PickerWorld) -> None:
    data = _gift(contributor="organisation", name="城东超市", resident_id=str(pw.zhang.pk))
    _record(english_client(pw.worker), pw, data)
    c = Contribution.objects.get()
    assert (c.resident, c.name) == (None, "城东超市")


def test_an_anonymous_resident_is_never_named_in_public(pw: PickerWorld) -> None:
    data = _gift(contributor="resident", resident_id=str(pw.zhang.pk), anonymous="1")
    _record(english_client(pw.worker), pw, data)
    assert Contribution.objects.get().resident == pw.zhang
    public = english_client(pw.pw.users["resident"]).get(reverse("contributions:project", args=[pw.project.pk]))
    assert public.status_code == 200
    assert "张三" not in public.content.decode()


@pytest.mark.parametrize(
    ("language", "kind", "raw", "message"),
    [
        ("en", "resident", "other", "That resident is not one you can choose for this project"),
        ("zh-hans", "resident", "other", "您不能为本项目选择该居民"),
        ("en", "household", "other_household", "That household is not one you can choose for this project"),
        ("zh-hans", "household", "other_household", "您不能为本项目选择该户"),
        ("en", "resident", "abc", "Search the registry and choose the contributor from the list."),
        ("zh-hans", "resident", "１", "请在居民台账中搜索，并从列表中选择贡献者。"),
        ("en", "resident", "99999999999999999999", "Search the registry and choose the contributor from the list."),
    ],
)
def test_a_refused_id_re_renders_the_page_with_the_error_and_writes_nothing(
    pw: PickerWorld, language: str, kind: str, raw: str, message: str
) -> None:
    ids = {"other": str(pw.other.pk), "other_household": str(pw.pw.households[2].pk)}
    client = Client()
    client.force_login(pw.worker)
    client.cookies["anju_language"] = language
    response = _record(client, pw, _gift(contributor=kind, name="某人", **{f"{kind}_id": ids.get(raw, raw)}))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'id="record-errors"' in html
    assert "某人" in html  # what was typed is kept
    assert not Contribution.objects.exists()
    assert not MoneyEntry.objects.exists()


def test_the_api_links_a_resident_and_refuses_another_communitys(pw: PickerWorld) -> None:
    api = api_client(pw.worker)
    url = f"/api/v1/contributions/projects/{pw.project.pk}/contributions"
    body = {"contributor": "resident", "kind": "goods", "quantity": "3", "unit": "item", "day": "2026-03-01"}
    refused = api.post(url, {**body, "resident_id": pw.other.pk}, content_type="application/json")
    assert refused.status_code == 422
    assert "That resident is not one you can choose for this project" in refused.content.decode()
    household = {**body, "contributor": "household", "household_id": pw.pw.households[2].pk}
    assert api.post(url, household, content_type="application/json").status_code == 422
    assert not Contribution.objects.exists()
    made = api.post(url, {**body, "resident_id": pw.zhang.pk}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert (made.json()["resident_id"], made.json()["name"]) == (pw.zhang.pk, "张三")
    assert Contribution.objects.get().resident == pw.zhang
