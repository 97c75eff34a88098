"""The registry's API: same masking, permissions and services as the pages."""

from __future__ import annotations

from typing import Any

import pytest

from anju.audit.models import AuditEvent
from anju.people import fakes
from anju.people.models import Resident
from anju.testing.people import PeopleWorld, person

pytestmark = pytest.mark.usefixtures("english")


def test_list_and_detail_are_masked_and_scoped(
    people_world: PeopleWorld, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(people_world.users["community_worker"])
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/people/residents?limit=50").json()
    assert body["count"] == 3
    first = next(r for r in body["results"] if r["id"] == people_world.residents[0].pk)
    assert first["name"] == "张三"
    assert first["mobile"] == "170****0001"
    assert first["id_number"].startswith("4299")
    assert "*" in first["id_number"]
    assert first["tags"] == ["老人", "退役军人"]
    assert first["is_central_household"]
    assert client.get(f"/api/v1/people/residents/{people_world.other_resident.pk}").status_code == 404
    grid = client_for(people_world.users["grid_worker"]).get("/api/v1/people/residents").json()
    assert grid["count"] == 2
    assert client_for(people_world.users["liaison"]).get("/api/v1/people/residents").status_code == 403
    assert client_for(people_world.users["resident"]).get("/api/v1/people/households").status_code == 403


def test_create_update_archive_through_the_api(people_world: PeopleWorld, client_for: Any) -> None:
    client = client_for(people_world.users["grid_worker"])
    household = client.post(
        "/api/v1/people/households",
        {"building_id": people_world.tree.building.pk, "door": "601", "entrance": "2", "is_central": False},
        content_type="application/json",
    )
    assert household.status_code == 201, household.content
    hid = household.json()["id"]
    new = person(77)
    created = client.post(
        "/api/v1/people/residents",
        {
            "household_id": hid,
            "name": " 陈 静 ",
            "id_number": new["id_number"].lower(),
            "relation": "head",
            "mobile": "+86 170-0000-0077",
            "tag_ids": [people_world.tags["低保"].pk],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["name"] == "陈静"
    assert data["mobile"] == "170****0077"
    assert data["tags"] == ["低保"]
    rid = data["id"]
    bad = client.post(
        "/api/v1/people/residents",
        {"household_id": hid, "name": "重复", "id_number": new["id_number"], "relation": "child"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"id_number"}
    patched = client.patch(
        f"/api/v1/people/residents/{rid}",
        {"is_party_member": True, "party_branch": "第二支部"},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["is_party_member"] is True
    moved = client.patch(f"/api/v1/people/households/{hid}", {"door": "602"}, content_type="application/json")
    assert moved.status_code == 200
    assert moved.json()["door"] == "602"
    archived = client.post(
        f"/api/v1/people/residents/{rid}/archive", {"reason": "moved_out"}, content_type="application/json"
    )
    assert archived.json()["status"] == "moved_out"
    assert Resident.objects.filter(pk=rid).exists()  # never deleted
    assert client.post(f"/api/v1/people/households/{hid}/archive").json()["status"] == "archived"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "household.created",
        "resident.created",
        "resident.updated",
        "household.moved",
        "resident.archived",
    } <= actions
    # Out of reach and wrong role.
    other = client.post(
        "/api/v1/people/households",
        {"building_id": people_world.other_building.pk, "door": "1"},
        content_type="application/json",
    )
    assert other.status_code == 404
    volunteer = client_for(people_world.users["volunteer"]).post(
        "/api/v1/people/households",
        {"building_id": people_world.tree.building.pk, "door": "1"},
        content_type="application/json",
    )
    assert volunteer.status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "张三", "id_number": "not-a-number", "relation": "child"},
        {"name": "张3", "id_number": fakes.id_number(fakes.date(1990, 1, 1), 3, male=True), "relation": "child"},
        {
            "name": "张三",
            "id_number": fakes.id_number(fakes.date(1990, 1, 1), 4, male=True),
            "relation": "child",
            "birth_date": "1990-02-30",
        },
        {"name": "张三", "id_number": fakes.id_number(fakes.date(1990, 1, 1), 5, male=True), "relation": "boss"},
        {
            "name": "张三",
            "id_number": fakes.id_number(fakes.date(1990, 1, 1), 6, male=True),
            "relation": "child",
            "mobile": "12",
        },
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(
    people_world: PeopleWorld, client_for: Any, payload: dict[str, Any]
) -> None:
    before = Resident.objects.count()
    response = client_for(people_world.users["community_worker"]).post(
        "/api/v1/people/residents",
        {"household_id": people_world.households[1].pk, **payload},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert Resident.objects.count() == before
