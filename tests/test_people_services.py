"""Registry services: registration, history, archiving, reveal, scope, anonymisation, key rotation."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from anju.audit.models import AuditEvent, PiiAccess
from anju.core import crypto, pii
from anju.people import selectors, services
from anju.people.models import Household, Resident, ResidentEvent
from anju.testing.people import PeopleWorld, make_people_world, person

pytestmark = pytest.mark.usefixtures("english")


def test_registration_seals_numbers_and_writes_history_and_audit(people_world: PeopleWorld) -> None:
    r = Resident.objects.get(pk=people_world.residents[0].pk)
    assert r.mobile_sealed.startswith("v1:")
    assert r.id_number_sealed.startswith("v1:")
    assert r.mobile == person(1)["mobile"]
    assert r.id_number == person(1)["id_number"]
    assert r.birth_date == date(1950, 5, 17)
    assert r.gender == "M"
    assert r.name_initials == "zs"
    assert r.name_pinyin == "zhangsan"
    assert r.mobile_index == services.mobile_index(r.mobile)
    assert list(r.events.values_list("kind", flat=True)) == ["registered"]
    event = AuditEvent.objects.filter(action="resident.created", object_id=str(r.pk)).get()
    assert event.object_label == "张*"  # audit labels are masked


def test_duplicate_id_number_is_refused_through_the_keyed_hash(people_world: PeopleWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        services.resident_create(
            actor=None,
            household=people_world.households[1],
            name="重复",
            relation="child",
            id_number=person(1)["id_number"],
        )
    assert "registered already" in str(exc.value.message_dict["id_number"])


def test_second_head_and_mismatched_birth_date_are_refused(people_world: PeopleWorld) -> None:
    with pytest.raises(ValidationError) as exc:
        services.resident_create(
            actor=None,
            household=people_world.households[0],
            name="二号户主",
            relation="head",
            id_number=person(50)["id_number"],
            birth_date="1960-01-01",
        )
    errors = exc.value.message_dict
    assert "relation" in errors
    assert "birth_date" in errors
    assert not Resident.objects.filter(name="二号户主").exists()


def test_update_keeps_which_fields_changed_never_values(people_world: PeopleWorld) -> None:
    r = people_world.residents[2]
    services.resident_update(actor=None, resident=r, changes={"mobile": "+86 170 0000 9999", "name": "王晓明"})
    r.refresh_from_db()
    assert r.mobile == "17000009999"
    assert r.name_initials == "wxm"
    event = r.events.get(kind=ResidentEvent.Kind.UPDATED)
    assert event.fields == ["mobile", "name"]
    assert "17000009999" not in str(AuditEvent.objects.filter(action="resident.updated").values_list("data"))


def test_archiving_keeps_the_row_and_frees_the_id_for_a_new_registration(people_world: PeopleWorld) -> None:
    r = people_world.residents[2]
    services.resident_archive(actor=None, resident=r, reason="moved_out", on_date=timezone.localdate(), note="迁往武汉")
    r.refresh_from_db()
    assert r.status == "moved_out"
    assert r.archived_at is not None
    assert [e.kind for e in selectors.resident_history(r)] == ["moved_out", "registered"]
    with pytest.raises(ValidationError):
        services.resident_update(actor=None, resident=r, changes={"name": "新名"})
    # Moving back in later is a new registration with the same ID number.
    back = services.resident_create(
        actor=None, household=people_world.households[1], name="王小明", relation="head", id_number=r.id_number
    )
    assert back.pk != r.pk


def test_household_move_moves_members_and_records_it(people_world: PeopleWorld) -> None:
    h = people_world.households[0]
    services.household_move(actor=None, household=h, unit=people_world.building2, entrance="2", door="909")
    assert set(Resident.objects.filter(household=h).values_list("unit_id", flat=True)) == {people_world.building2.pk}
    assert ResidentEvent.objects.filter(kind="household_moved").count() == 2
    with pytest.raises(ValidationError):
        services.household_move(actor=None, household=h, unit=people_world.other_building, door="1")


def test_reveal_writes_one_access_row(people_world: PeopleWorld) -> None:
    worker = people_world.users["community_worker"]
    r = people_world.residents[0]
    value = services.resident_reveal(
        actor=worker, resident=r, field="mobile", purpose="callback", reason="回访核实联系方式"
    )
    assert value == person(1)["mobile"]
    row = PiiAccess.objects.get()
    assert (row.actor, row.subject_id, row.field, row.reason) == (worker, str(r.pk), "mobile", "回访核实联系方式")
    with pytest.raises(ValidationError):
        services.resident_reveal(actor=worker, resident=r, field="mobile", purpose="callback", reason=" ")
    assert PiiAccess.objects.count() == 1


def test_scope_grid_worker_sees_own_grid_volunteer_sees_masked_names(people_world: PeopleWorld) -> None:
    grid = selectors.resident_search(people_world.users["grid_worker"], selectors.ResidentFilter())
    assert {r.pk for r in grid} == {people_world.residents[0].pk, people_world.residents[1].pk}
    community = selectors.resident_search(people_world.users["community_worker"], selectors.ResidentFilter())
    assert {r.pk for r in community} == {r.pk for r in people_world.residents}
    assert selectors.Viewer(people_world.users["volunteer"]).row(people_world.residents[1])["name"] == "李*英"
    assert selectors.Viewer(people_world.users["supervisor"]).row(people_world.residents[1])["name"] == "李*英"
    assert selectors.Viewer(people_world.users["grid_worker"]).row(people_world.residents[1])["name"] == "李秀英"
    assert not selectors.Viewer(people_world.users["supervisor"]).may_reveal(people_world.residents[0])


@pytest.mark.parametrize(
    ("q", "expected"),
    [("zs", {"张三"}), ("ZS", {"张三"}), ("zhang", {"张三"}), ("秀", {"李秀英"}), ("lxy", {"李秀英"}), ("qq", set())],
)
def test_search_by_name_and_pinyin(people_world: PeopleWorld, q: str, expected: set[str]) -> None:
    found = selectors.resident_search(people_world.users["community_worker"], selectors.ResidentFilter(q=q))
    assert {r.name for r in found} == expected


def test_exact_search_by_mobile_and_id_goes_through_the_hash(
    people_world: PeopleWorld, django_assert_max_num_queries: Any
) -> None:
    user = people_world.users["community_worker"]
    mobile = person(2)["mobile"]
    spaced = f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    assert [r.name for r in selectors.resident_search(user, selectors.ResidentFilter(q=spaced))] == ["李秀英"]
    by_id = selectors.resident_search(user, selectors.ResidentFilter(q=person(3, born=date(1988, 12, 1))["id_number"]))
    assert [r.name for r in by_id] == ["王小明"]
    # Another community's resident stays out of reach even by exact number.
    assert not selectors.resident_search(
        user, selectors.ResidentFilter(q=people_world.other_resident.id_number)
    ).exists()


def test_filters_by_building_tag_and_party(people_world: PeopleWorld) -> None:
    user = people_world.users["community_worker"]
    assert selectors.resident_search(user, selectors.ResidentFilter(building=people_world.building2.pk)).count() == 1
    assert selectors.resident_search(user, selectors.ResidentFilter(tag=people_world.tags["老人"].pk)).count() == 2
    assert [r.name for r in selectors.resident_search(user, selectors.ResidentFilter(party=True))] == ["张三"]


def _stats() -> dict[str, Any]:
    qs = Resident.objects.all()
    return {
        "status": sorted(qs.values_list("status").annotate(n=Count("id"))),
        "gender": sorted(qs.values_list("gender").annotate(n=Count("id"))),
        "birth_year": sorted((r.birth_date.year if r.birth_date else 0) for r in qs),
        "tags": sorted(qs.values_list("tags__name").annotate(n=Count("id")), key=str),
        "party": qs.filter(is_party_member=True).count(),
        "households": Household.objects.count(),
    }


def test_anonymisation_after_retention_keeps_statistics(people_world: PeopleWorld, settings: Any) -> None:
    settings.PEOPLE_RETENTION_DAYS = 30
    old, recent = people_world.residents[0], people_world.residents[2]
    services.resident_archive(actor=None, resident=old, reason="deceased", note="病故")
    services.resident_archive(actor=None, resident=recent, reason="moved_out")
    Resident.objects.filter(pk=old.pk).update(archived_at=timezone.now() - timedelta(days=31))
    before = _stats()
    assert services.residents_anonymise_due() == 1
    assert services.residents_anonymise_due() == 0  # idempotent
    old.refresh_from_db()
    assert old.name == services.ANONYMISED_NAME
    assert old.name_initials == ""
    assert (old.mobile_sealed, old.mobile_index, old.id_number_sealed, old.id_number_index) == ("", None, "", None)
    assert old.birth_date == date(1950, 1, 1)
    assert not old.events.exclude(note="").exists()
    assert _stats() == before
    recent.refresh_from_db()
    assert recent.anonymised_at is None
    assert recent.id_number


def test_anonymisation_runs_as_a_periodic_task(people_world: PeopleWorld, settings: Any) -> None:
    from anju.jobs.registry import periodic_tasks

    settings.PEOPLE_RETENTION_DAYS = 0
    services.resident_archive(actor=None, resident=people_world.residents[2], reason="moved_out")
    Resident.objects.filter(pk=people_world.residents[2].pk).update(archived_at=timezone.now() - timedelta(seconds=5))
    assert periodic_tasks()["people.anonymise_archived"].func() == 1


def test_key_rotation_reseals_everything_and_lookups_still_work(key_file: Path, db: Any, capsys: Any) -> None:
    people_world = make_people_world("rot")
    from anju.testing import make_user

    staff = make_user(mobile="17099998888")
    old_kid = crypto.keyring().current
    call_command("rotate_keys")
    new_kid = crypto.keyring().current
    assert new_kid != old_kid
    assert old_kid in crypto.keyring().keys  # kept so an interrupted rotation can resume
    for r in Resident.objects.all():
        assert crypto.key_id_of(r.id_number_sealed) == new_kid
        assert crypto.key_id_of(r.mobile_sealed) == new_kid
    staff.refresh_from_db()
    assert crypto.key_id_of(staff.mobile_sealed) == new_kid
    assert staff.mobile == "17099998888"
    user = people_world.users["community_worker"]
    for expected in [*people_world.residents]:
        expected.refresh_from_db()
        by_id = selectors.resident_search(user, selectors.ResidentFilter(q=expected.id_number))
        by_mobile = selectors.resident_search(user, selectors.ResidentFilter(q=expected.mobile))
        assert [r.pk for r in by_id] == [expected.pk] == [r.pk for r in by_mobile]
    assert AuditEvent.objects.filter(action="system.keys_rotated").count() == 1
    out = capsys.readouterr().out
    assert "Back up" in out
    # Resuming is a no-op.
    assert sum(pii.reseal_all().values()) == 0


# --- 新增居民 from the residents page ---------------------------------------------------------------


def test_add_a_resident_from_the_residents_page(people_world: PeopleWorld, client_for: Any) -> None:
    from django.urls import reverse

    from anju.testing import english_client

    worker = people_world.users["community_worker"]
    client = english_client(worker)
    page = client.get(reverse("people:residents")).content.decode()
    assert reverse("people:resident_new") in page
    assert 'class="table table-cards"' in page
    assert 'data-label="Mobile: "' in page
    h1 = people_world.households[0]
    form = {
        "building": h1.unit_id,
        "entrance": h1.address.entrance,
        "door": h1.address.door,
        "number": "",
        "name": "张小花",
        "relation": "child",
        "id_number": person(7, born=date(2010, 6, 1), male=False)["id_number"],
        "mobile": "",
        "tags": [str(people_world.tags["老人"].pk)],
    }
    households = Household.objects.count()
    response = client.post(reverse("people:resident_new"), form)
    assert response.status_code == 302
    made = Resident.objects.get(name="张小花")
    assert made.household_id == h1.pk  # joined the household at that address
    assert Household.objects.count() == households
    assert AuditEvent.objects.filter(action="resident.created", object_id=str(made.pk)).exists()
    assert made.id_number_sealed.startswith("v1:")
    # A new door: the household is registered with the resident.
    form |= {"door": "909", "relation": "head", "name": "钱多多", "id_number": person(8)["id_number"], "tags": []}
    assert client.post(reverse("people:resident_new"), form).status_code == 302
    assert Resident.objects.get(name="钱多多").household.address.door == "909"
    # A refused resident (the ID number again) leaves no new household behind, and says why.
    form |= {"door": "910", "name": "孙重复"}
    households = Household.objects.count()
    refused = client.post(reverse("people:resident_new"), form)
    assert refused.status_code == 200
    assert "registered already" in refused.content.decode()
    assert Household.objects.count() == households
    # Another community's building is out of reach; a volunteer may not register anyone.
    form |= {"building": people_world.other_building.pk, "id_number": person(9)["id_number"], "name": "越界"}
    assert client.post(reverse("people:resident_new"), form).status_code == 200
    assert not Resident.objects.filter(name="越界").exists()
    assert client_for(people_world.users["volunteer"]).get(reverse("people:resident_new")).status_code == 403
