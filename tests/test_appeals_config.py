"""Configuration pages of appeals: catalogue, routing rules, SLA policies, the satisfaction scale and the
holiday schedule reached from them. Who may, what bad input changes (nothing), one audit row per change, and
the effect of each setting on the next appeal."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anju.access.roles import Role
from anju.appeals import clock, services
from anju.appeals.config import services as config
from anju.appeals.dispatch import services as dispatch
from anju.appeals.models import Appeal, Category, CategoryRoute, SatisfactionLevel, SlaPolicy, SlaUnit, Urgency
from anju.audit.models import AuditEvent
from anju.jobs.worker import run_once
from anju.orgs import services as org_services
from anju.orgs.models import Department
from anju.testing import english_client, make_user
from anju.testing.appeals import AppealsWorld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "media_root")]
TZ = timezone.get_current_timezone()


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


@pytest.fixture
def secretary(world: AppealsWorld) -> Any:
    return make_user(Role.BRANCH_SECRETARY, world.tree.community)


@pytest.fixture
def power(world: AppealsWorld) -> Department:
    """A second department of the appeal's street."""
    return Department.objects.get(name="东湖街道供电所")


ADMIN_PAGES = [
    "appeals:config_categories",
    "appeals:config_category_new",
    "appeals:config_sla",
    "appeals:config_satisfaction",
    "appeals:holidays",
]


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["resident", "worker", "liaison", "supervisor", "volunteer"])
def test_non_admins_are_refused_every_config_page(world: AppealsWorld, who: str) -> None:
    c = english_client(getattr(world, who))
    sla_pk = SlaPolicy.objects.first().pk  # type: ignore[union-attr]
    urls = [reverse(n) for n in ADMIN_PAGES] + [
        reverse("appeals:config"),
        reverse("appeals:config_routes"),
        reverse("appeals:config_category", kwargs={"pk": world.category.pk}),
        reverse("appeals:config_sla_edit", kwargs={"pk": sla_pk}),
    ]
    for url in urls:
        assert c.get(url).status_code == 403, url
    before = AuditEvent.objects.count()
    assert c.post(reverse("appeals:config_category_new"), {"code": "x", "name": "x"}).status_code == 403
    route = CategoryRoute.objects.get()
    assert c.post(reverse("appeals:config_route_remove", kwargs={"pk": route.pk})).status_code == 403
    assert CategoryRoute.objects.filter(pk=route.pk).exists()
    assert AuditEvent.objects.count() == before


def test_admin_reaches_every_config_page_from_the_nav(world: AppealsWorld) -> None:
    c = english_client(world.admin)
    home = c.get("/").content.decode()
    assert reverse("appeals:config") in home
    index = c.get(reverse("appeals:config")).content.decode()
    for name in ("config_categories", "config_routes", "config_sla", "config_satisfaction", "holidays"):
        assert reverse(f"appeals:{name}") in index
    for name in ADMIN_PAGES:
        assert c.get(reverse(name)).status_code == 200, name
    level = SatisfactionLevel.objects.first()
    assert level is not None
    assert c.get(reverse("appeals:config_satisfaction_edit", kwargs={"pk": level.pk})).status_code == 200
    assert c.get(reverse("appeals:config_category", kwargs={"pk": world.category.pk})).status_code == 200
    assert c.get(reverse("appeals:config_category", kwargs={"pk": 987654321})).status_code == 404


def test_branch_secretary_sets_routes_only_within_the_community(
    world: AppealsWorld, secretary: Any, power: Any
) -> None:
    c = english_client(secretary)
    index = c.get(reverse("appeals:config")).content.decode()
    assert reverse("appeals:config_routes") in index
    assert reverse("appeals:config_sla") not in index
    for name in ADMIN_PAGES:
        assert c.get(reverse(name)).status_code == 403, name
    url = reverse("appeals:config_routes")
    assert c.get(url, {"unit": world.tree.community.pk}).status_code == 200
    assert c.get(url, {"unit": world.tree.other_community.pk}).status_code == 404
    assert c.get(url, {"unit": world.tree.street.pk}).status_code == 404
    # Another community or the street above are not among the choices: the form refuses them.
    before = AuditEvent.objects.count()
    for unit in (world.tree.other_community, world.tree.street):
        response = c.post(url, {"unit": unit.pk, "category": world.category.pk, "department": power.pk})
        assert response.status_code == 200
    assert not CategoryRoute.objects.filter(department=power).exists()
    assert AuditEvent.objects.count() == before
    # Its own grid: fine.
    response = c.post(url, {"unit": world.tree.grid.pk, "category": world.category.pk, "department": power.pk})
    assert response.status_code == 302
    assert CategoryRoute.objects.get(unit=world.tree.grid).department == power
    # A rule of the other community is out of reach: 404, and it stays.
    other = CategoryRoute.objects.create(category=world.category, unit=world.tree.other_community, department=power)
    assert c.post(reverse("appeals:config_route_remove", kwargs={"pk": other.pk})).status_code == 404
    assert CategoryRoute.objects.filter(pk=other.pk).exists()
    # The list shows only rules within reach.
    page = c.get(url).content.decode()
    assert world.tree.grid.name in page
    assert world.tree.other_community.name not in page.split('id="route-form"')[0]


def test_services_refuse_an_actor_without_the_action(world: AppealsWorld) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        config.category_create(actor=world.worker, code="x", name="x")
    with pytest.raises(PermissionDenied):
        config.route_set(
            actor=world.worker, unit=world.tree.community, category=world.category, department=world.tree.department
        )
    assert not Category.objects.filter(code="x").exists()


# --- catalogue ----------------------------------------------------------------------------------


def test_category_create_writes_one_audit_row_and_reaches_open311(world: AppealsWorld) -> None:
    c = english_client(world.admin)
    response = c.post(
        reverse("appeals:config_category_new"),
        {
            "code": "pet-nuisance",
            "name": "宠物扰民",
            "group": "社会治理",
            "default_urgency": "general",
            "sort_order": 50,
        },
    )
    assert response.status_code == 302
    category = Category.objects.get(code="pet-nuisance")
    assert (category.name, category.group, category.is_active) == ("宠物扰民", "社会治理", True)
    event = AuditEvent.objects.get(action="appeal.category_created")
    assert (event.actor_id, event.object_id) == (world.admin.pk, str(category.pk))
    services_json = json.loads(Client().get("/open311/v2/services.json").content)
    assert "pet-nuisance" in {s["service_code"] for s in services_json}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code": "Street Lamp", "name": "新类别"}, "code", "lower-case letters"),
        ({"code": "a,b", "name": "新类别"}, "code", "lower-case letters"),
        ({"code": "-lamp", "name": "新类别"}, "code", "lower-case letters"),
        ({"code": "street-lamp", "name": "新类别"}, "code", "already has this code"),
        ({"code": "new-one", "name": "路灯损坏"}, "name", "already has this name"),
        ({"code": "new-one", "name": "新类别", "sort_order": -1}, "sort_order", "between 0 and"),
    ],
)
def test_category_bad_input_changes_nothing(
    world: AppealsWorld, data: dict[str, Any], field: str, message: str
) -> None:
    c = english_client(world.admin)
    before = (Category.objects.count(), AuditEvent.objects.count())
    post = {"default_urgency": "general", "sort_order": 0, **data}
    response = c.post(reverse("appeals:config_category_new"), post)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert (Category.objects.count(), AuditEvent.objects.count()) == before


def test_category_in_use_keeps_its_code_and_is_deactivated_not_deleted(world: AppealsWorld) -> None:
    world.file()
    c = english_client(world.admin)
    url = reverse("appeals:config_category", kwargs={"pk": world.category.pk})
    base = {"name": "路灯损坏", "group": "市政设施", "department_kind": "urban", "default_urgency": "general"}
    before = AuditEvent.objects.count()
    response = c.post(url, {**base, "code": "lamp", "sort_order": 0})
    assert response.status_code == 200
    assert "can no longer change" in response.content.decode()
    world.category.refresh_from_db()
    assert world.category.code == "street-lamp"
    assert AuditEvent.objects.count() == before
    # Renaming is fine, and audited once.
    assert c.post(url, {**base, "code": "street-lamp", "name": "路灯不亮", "sort_order": 0}).status_code == 302
    world.category.refresh_from_db()
    assert world.category.name == "路灯不亮"
    assert _audits("appeal.category_updated") == 1
    # Delete is refused while appeals use it.
    response = c.post(reverse("appeals:config_category_delete", kwargs={"pk": world.category.pk}), follow=True)
    assert "deactivate it instead" in response.content.decode()
    assert Category.objects.filter(pk=world.category.pk).exists()
    assert _audits("appeal.category_deleted") == 0
    # Deactivated: gone from intake and Open311, the open appeal keeps it.
    active_url = reverse("appeals:config_category_active", kwargs={"pk": world.category.pk})
    assert c.post(active_url, {"active": "0"}).status_code == 302
    world.category.refresh_from_db()
    assert world.category.is_active is False
    assert _audits("appeal.category_deactivated") == 1
    assert "street-lamp" not in {
        s["service_code"] for s in json.loads(Client().get("/open311/v2/services.json").content)
    }
    assert Appeal.objects.filter(category=world.category).count() == 1
    with pytest.raises(services.ValidationError):
        world.file()
    # Posting the same state again writes nothing more.
    c.post(active_url, {"active": "0"})
    assert _audits("appeal.category_deactivated") == 1
    assert c.post(active_url, {"active": "1"}).status_code == 302
    assert _audits("appeal.category_activated") == 1


def test_unused_category_can_be_deleted(world: AppealsWorld) -> None:
    category = config.category_create(actor=world.admin, code="tmp-cat", name="临时")
    c = english_client(world.admin)
    assert c.post(reverse("appeals:config_category_delete", kwargs={"pk": category.pk})).status_code == 302
    assert not Category.objects.filter(code="tmp-cat").exists()
    assert _audits("appeal.category_deleted") == 1


def test_category_list_search_pagination_and_constant_queries(
    world: AppealsWorld, django_assert_max_num_queries: Any
) -> None:
    c = english_client(world.admin)
    page = c.get(reverse("appeals:config_categories"), {"q": "路灯"}).content.decode()
    assert "路灯损坏" in page
    assert "下水道堵塞" not in page
    empty = c.get(reverse("appeals:config_categories"), {"q": "没有这种类别"}).content.decode()
    assert "No category matches." in empty
    for n in range(30):
        config.category_create(actor=None, code=f"extra-{n}", name=f"额外{n}", sort_order=1000 + n)
    first = c.get(reverse("appeals:config_categories"))
    assert len(first.context["page"].object_list) == 25
    assert "extra-29" not in first.content.decode()
    assert "extra-29" in c.get(reverse("appeals:config_categories"), {"page": 2}).content.decode()
    with django_assert_max_num_queries(12):
        c.get(reverse("appeals:config_categories"))


# --- routing ------------------------------------------------------------------------------------


def test_new_route_is_used_by_the_next_appeal(world: AppealsWorld, power: Any) -> None:
    first = world.file()
    dispatch.appeal_dispatch(actor=world.worker, appeal=first, department=None)
    assert first.department_id == world.tree.department.pk
    c = english_client(world.admin)
    url = reverse("appeals:config_routes")
    response = c.post(url, {"unit": world.tree.community.pk, "category": world.category.pk, "department": power.pk})
    assert response.status_code == 302
    assert CategoryRoute.objects.get(unit=world.tree.community, category=world.category).department == power
    assert _audits("appeal.route_set") == 1
    nxt = world.file()
    dispatch.appeal_dispatch(actor=world.worker, appeal=nxt, department=None)
    assert nxt.department_id == power.pk
    # The page shows it as the effective rule, also for a unit below (inherited).
    page = c.get(url, {"unit": world.tree.grid.pk}).content.decode()
    assert "inherited from" in page
    assert power.name in page
    # A nearer rule wins over the community's.
    config.route_set(
        actor=world.admin, unit=world.tree.building, category=world.category, department=world.tree.department
    )
    third = world.file()
    dispatch.appeal_dispatch(actor=world.worker, appeal=third, department=None)
    assert third.department_id == world.tree.department.pk
    # Removing the community's rule: appeals elsewhere in the community have no default any more.
    route = CategoryRoute.objects.get(unit=world.tree.community, category=world.category)
    assert c.post(reverse("appeals:config_route_remove", kwargs={"pk": route.pk})).status_code == 302
    assert _audits("appeal.route_removed") == 1
    assert dispatch.default_department(world.category, world.tree.grid) is None


def test_route_to_a_department_outside_the_unit_is_refused(world: AppealsWorld) -> None:
    closed = org_services.department_create(
        actor=None, name="已撤销的所", kind=Department.Kind.OTHER, unit=world.tree.street
    )
    Department.objects.filter(pk=closed.pk).update(is_active=False)
    closed.refresh_from_db()
    c = english_client(world.admin)
    url = reverse("appeals:config_routes")
    before = (list(CategoryRoute.objects.values_list("pk", "department_id")), AuditEvent.objects.count())
    # The other street's department does not serve this community.
    response = c.post(
        url,
        {"unit": world.tree.community.pk, "category": world.category.pk, "department": world.tree.other_department.pk},
    )
    assert response.status_code == 200
    assert "does not serve" in response.content.decode()
    # A street department cannot be the default of the whole district.
    response = c.post(
        url, {"unit": world.tree.district.pk, "category": world.category.pk, "department": world.tree.department.pk}
    )
    assert "does not serve" in response.content.decode()
    # An inactive department is refused too.
    with pytest.raises(services.ValidationError):
        config.route_set(actor=world.admin, unit=world.tree.community, category=world.category, department=closed)
    assert (list(CategoryRoute.objects.values_list("pk", "department_id")), AuditEvent.objects.count()) == before


# --- SLA ----------------------------------------------------------------------------------------


def _sla_post(**over: Any) -> dict[str, Any]:
    data = {
        "dispatch_value": 12,
        "dispatch_unit": "hours",
        "sign_value": 2,
        "sign_unit": "hours",
        "contact_value": 24,
        "contact_unit": "hours",
        "feedback_value": 5,
        "feedback_unit": "workdays",
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"dispatch_value": 0}, "dispatch_value", "at least 1"),
        ({"sign_value": -3}, "sign_value", "at least 1"),
        ({"contact_value": 721}, "contact_value", "At most 720"),
        ({"feedback_value": 61}, "feedback_value", "At most 60"),
        ({"feedback_value": 2, "feedback_unit": "hours"}, "feedback_value", "cannot be due before the dispatch"),
        ({"sign_unit": "weeks"}, "sign_unit", "valid choice"),
    ],
)
def test_sla_bad_values_change_nothing(world: AppealsWorld, over: dict[str, Any], field: str, message: str) -> None:
    policy = SlaPolicy.objects.get(category=None, urgency=Urgency.GENERAL, complex=False)
    before = {f.attname: getattr(policy, f.attname) for f in SlaPolicy._meta.fields}
    audits = AuditEvent.objects.count()
    response = english_client(world.admin).post(
        reverse("appeals:config_sla_edit", kwargs={"pk": policy.pk}), _sla_post(**over)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    policy.refresh_from_db()
    assert {f.attname: getattr(policy, f.attname) for f in SlaPolicy._meta.fields} == before
    assert AuditEvent.objects.count() == audits


def test_sla_change_applies_to_new_appeals_not_to_stored_deadlines(world: AppealsWorld) -> None:
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)  # a Monday
    with clock.frozen(start):
        old = world.file()
    assert old.dispatch_due == start + dt.timedelta(hours=24)
    policy = SlaPolicy.objects.get(category=None, urgency=Urgency.GENERAL, complex=False)
    c = english_client(world.admin)
    page = c.get(reverse("appeals:config_sla_edit", kwargs={"pk": policy.pk})).content.decode()
    assert "deadlines computed from now on" in page
    response = c.post(reverse("appeals:config_sla_edit", kwargs={"pk": policy.pk}), _sla_post(dispatch_value=4))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.dispatch_value, policy.feedback_value, policy.feedback_unit) == (4, 5, SlaUnit.WORKDAYS)
    event = AuditEvent.objects.get(action="appeal.sla_updated")
    assert event.data["changed"]["dispatch_value"] == [24, 4]
    old.refresh_from_db()
    assert old.dispatch_due == start + dt.timedelta(hours=24)
    with clock.frozen(start):
        new = world.file()
    assert new.dispatch_due == start + dt.timedelta(hours=4)
    # Saving the same values again writes no second row.
    c.post(reverse("appeals:config_sla_edit", kwargs={"pk": policy.pk}), _sla_post(dispatch_value=4))
    assert _audits("appeal.sla_updated") == 1


def test_category_sla_override_added_used_and_removed(world: AppealsWorld) -> None:
    c = english_client(world.admin)
    data = _sla_post(dispatch_value=1, category=world.category.pk, urgency="general")
    assert c.post(reverse("appeals:config_sla"), data).status_code == 302
    override = SlaPolicy.objects.get(category=world.category)
    assert _audits("appeal.sla_created") == 1
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    with clock.frozen(start):
        appeal = world.file()
    assert appeal.dispatch_due == start + dt.timedelta(hours=1)
    # A second policy for the same key is refused.
    response = c.post(reverse("appeals:config_sla"), data)
    assert response.status_code == 200
    assert "exists already" in response.content.decode()
    assert SlaPolicy.objects.filter(category=world.category).count() == 1
    # Defaults cannot be removed; the override can.
    default = SlaPolicy.objects.get(category=None, urgency=Urgency.GENERAL, complex=False)
    c.post(reverse("appeals:config_sla_remove", kwargs={"pk": default.pk}))
    assert SlaPolicy.objects.filter(pk=default.pk).exists()
    assert c.post(reverse("appeals:config_sla_remove", kwargs={"pk": override.pk})).status_code == 302
    assert not SlaPolicy.objects.filter(pk=override.pk).exists()
    assert _audits("appeal.sla_removed") == 1


# --- satisfaction scale -------------------------------------------------------------------------


def test_satisfaction_scale_edit_and_validation(world: AppealsWorld) -> None:
    c = english_client(world.admin)
    unsatisfied = world.level("unsatisfied")
    basic = world.level("basic")
    url = reverse("appeals:config_satisfaction_edit", kwargs={"pk": unsatisfied.pk})
    before = AuditEvent.objects.count()
    # Every level counting as satisfied would make the rate meaningless.
    response = c.post(url, {"label": "不满意", "counts_as_satisfied": "on", "sort_order": 2})
    assert response.status_code == 200
    assert "one that does not" in response.content.decode()
    # A duplicate label.
    response = c.post(url, {"label": "满意", "sort_order": 2})
    assert "already has this label" in response.content.decode()
    unsatisfied.refresh_from_db()
    assert (unsatisfied.label, unsatisfied.counts_as_satisfied) == ("不满意", False)
    assert AuditEvent.objects.count() == before
    # Reclassify 基本满意 as not satisfied: applies to the next rating.
    edit_basic = reverse("appeals:config_satisfaction_edit", kwargs={"pk": basic.pk})
    assert c.post(edit_basic, {"label": "基本满意", "sort_order": 1}).status_code == 302
    basic.refresh_from_db()
    assert basic.counts_as_satisfied is False
    assert _audits("appeal.satisfaction_updated") == 1
    # Add a level.
    data = {"code": "very-satisfied", "label": "非常满意", "counts_as_satisfied": "on", "sort_order": 0}
    assert c.post(reverse("appeals:config_satisfaction"), data).status_code == 302
    assert SatisfactionLevel.objects.get(code="very-satisfied").counts_as_satisfied is True
    assert _audits("appeal.satisfaction_created") == 1
    response = c.post(reverse("appeals:config_satisfaction"), {**data, "label": "很满意"})
    assert "already has this code" in response.content.decode()
    assert SatisfactionLevel.objects.count() == 4


# --- holiday schedule ---------------------------------------------------------------------------


def test_holiday_entry_from_config_recomputes_an_open_deadline_into_that_year(world: AppealsWorld) -> None:
    start = dt.datetime(2026, 12, 30, 9, 0, tzinfo=TZ)  # seven working days run into 2027
    with clock.frozen(start):
        appeal = world.file()
    assert appeal.deadlines_provisional is True
    assert appeal.feedback_due.date() == dt.date(2027, 1, 8)  # weekends only
    c = english_client(world.admin)
    index = c.get(reverse("appeals:config")).content.decode()
    assert reverse("appeals:holidays") in index
    days = "2027-01-01 holiday\n2027-01-04 holiday\n2027-01-05 holiday\n2027-01-09 workday"
    response = c.post(reverse("appeals:holidays"), {"year": "2027", "days": days})
    assert response.status_code == 302
    assert "Queued" in c.get(reverse("appeals:holidays")).content.decode()
    run_once()
    assert "Finished" in c.get(reverse("appeals:holidays")).content.decode()
    appeal.refresh_from_db()
    assert appeal.deadlines_provisional is False
    # Seven working days from 30 Dec: 31 Dec, 6, 7, 8, 9 (make-up), 11, 12 January.
    assert appeal.feedback_due.date() == dt.date(2027, 1, 12)
    assert _audits("appeal.holidays_set") == 1
    assert "2027" in c.get(reverse("appeals:config")).content.decode()


# --- the JSON API -------------------------------------------------------------------------------


def _json(c: Client, method: str, url: str, body: Any = None) -> Any:
    return getattr(c, method)(
        f"/api/v1{url}", json.dumps(body) if body is not None else None, content_type="application/json"
    )


def test_api_catalogue_same_rules_as_the_pages(world: AppealsWorld) -> None:
    admin, worker = english_client(world.admin), english_client(world.worker)
    body = {"code": "pet-nuisance", "name": "宠物扰民", "group": "社会治理"}
    assert _json(worker, "post", "/appeals/config/categories", body).status_code == 403
    assert _json(worker, "get", "/appeals/config/categories").status_code == 403
    before = (Category.objects.count(), AuditEvent.objects.count())
    bad = _json(admin, "post", "/appeals/config/categories", {**body, "code": "Pet Nuisance"})
    assert bad.status_code == 422
    assert (Category.objects.count(), AuditEvent.objects.count()) == before
    created = _json(admin, "post", "/appeals/config/categories", body)
    assert created.status_code == 201
    assert created.json()["code"] == "pet-nuisance"
    assert _audits("appeal.category_created") == 1
    listing = _json(admin, "get", "/appeals/config/categories?q=宠物").json()
    assert [c["code"] for c in listing["results"]] == ["pet-nuisance"]
    pk = created.json()["id"]
    off = _json(admin, "post", f"/appeals/config/categories/{pk}/active", {"active": False})
    assert off.status_code == 200
    assert off.json()["is_active"] is False
    assert _json(admin, "put", "/appeals/config/categories/987654321", body).status_code == 404


def test_api_routes_sla_and_scale(world: AppealsWorld, secretary: Any, power: Any) -> None:
    c = english_client(secretary)
    body = {"unit_id": world.tree.community.pk, "category": world.category.code, "department_id": power.pk}
    response = _json(c, "put", "/appeals/config/routes", body)
    assert response.status_code == 200
    assert dispatch.default_department(world.category, world.tree.building) == power
    outside = _json(c, "put", "/appeals/config/routes", {**body, "unit_id": world.tree.other_community.pk})
    assert outside.status_code == 404
    wrong = _json(c, "put", "/appeals/config/routes", {**body, "department_id": world.tree.other_department.pk})
    assert wrong.status_code == 422
    assert [
        r["department_id"] for r in _json(c, "get", f"/appeals/config/routes?unit_id={world.tree.community.pk}").json()
    ] == [power.pk]
    assert _json(c, "delete", f"/appeals/config/routes/{response.json()['id']}").status_code == 204
    assert _audits("appeal.route_set") == 1
    assert _audits("appeal.route_removed") == 1
    # SLA and the scale are the administrator's.
    assert _json(c, "get", "/appeals/config/sla").status_code == 403
    admin = english_client(world.admin)
    listed = [(p["category"], p["urgency"], p["complex"]) for p in _json(admin, "get", "/appeals/config/sla").json()]
    assert listed[:3] == [(None, "emergency", False), (None, "urgent", False), (None, "urgent", True)]
    policy = SlaPolicy.objects.get(category=None, urgency=Urgency.EMERGENCY, complex=False)
    bad = _json(admin, "put", f"/appeals/config/sla/{policy.pk}", {**_sla_post(), "dispatch_value": 0})
    assert bad.status_code == 422
    policy.refresh_from_db()
    assert policy.dispatch_value == 1
    ok = _json(
        admin,
        "put",
        f"/appeals/config/sla/{policy.pk}",
        _sla_post(dispatch_value=2, feedback_value=4, feedback_unit="hours"),
    )
    assert ok.status_code == 200
    assert (ok.json()["dispatch_value"], ok.json()["feedback_unit"]) == (2, "hours")
    level = world.level("basic")
    renamed = _json(
        admin,
        "put",
        f"/appeals/config/satisfaction/{level.pk}",
        {"label": "比较满意", "counts_as_satisfied": True, "sort_order": 1},
    )
    assert renamed.status_code == 200
    assert [lv["label"] for lv in _json(admin, "get", "/appeals/config/satisfaction").json()] == [
        "满意",
        "比较满意",
        "不满意",
    ]


# --- list pages stay at a constant number of queries --------------------------------------------


def _queries(c: Client, url: str, params: dict[str, Any] | None = None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_do_not_grow_queries_with_rows(world: AppealsWorld, power: Any) -> None:
    c = english_client(world.admin)
    community = {"unit": world.tree.community.pk}
    routes_url, sla_url = reverse("appeals:config_routes"), reverse("appeals:config_sla")
    cats_url = reverse("appeals:config_categories")
    _queries(c, routes_url)  # the first request fills the shared session and user cache
    few = (_queries(c, routes_url), _queries(c, routes_url, community), _queries(c, sla_url), _queries(c, cats_url))
    units = [world.tree.area, world.tree.grid, world.tree.building]
    for category in Category.objects.filter(is_active=True)[:8]:
        for unit in units:
            config.route_set(actor=None, unit=unit, category=category, department=power)
        config.sla_create(actor=None, category=category, urgency=Urgency.URGENT, **_sla_post())
    with clock.frozen(dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)):
        for _ in range(3):
            world.file()
    many = (_queries(c, routes_url), _queries(c, routes_url, community), _queries(c, sla_url), _queries(c, cats_url))
    assert many == few


def test_holiday_page_leads_back_to_the_settings(world: AppealsWorld) -> None:
    page = english_client(world.admin).get(reverse("appeals:holidays")).content.decode()
    assert reverse("appeals:config") in page
