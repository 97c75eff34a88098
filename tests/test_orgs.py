"""The org tree, departments and task forces: services, selectors, scope and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anju.access.roles import Role
from anju.accounts.models import User
from anju.audit.models import AuditEvent
from anju.orgs import selectors, services
from anju.orgs.models import Department, OrgUnit, TaskForce, UnitKind
from anju.testing import Tree

pytestmark = pytest.mark.django_db


def _state() -> tuple[int, int, int, int]:
    return (OrgUnit.objects.count(), Department.objects.count(), TaskForce.objects.count(), AuditEvent.objects.count())


def _seg(unit: OrgUnit) -> str:
    return f"{unit.pk:09d}/"


# --- the tree itself --------------------------------------------------------------------------


def test_every_level_gets_path_depth_and_community(tree: Tree) -> None:
    chain = [tree.province, tree.city, tree.district, tree.street, tree.community, tree.area, tree.grid, tree.building]
    expected_path = ""
    for depth, unit in enumerate(chain):
        unit.refresh_from_db()
        expected_path += _seg(unit)
        assert unit.depth == depth
        assert unit.path == expected_path
        assert len(unit.path) == (depth + 1) * OrgUnit.PATH_STEP
        assert unit.parent_id == (chain[depth - 1].pk if depth else None)

    for unit in chain[:4]:
        assert unit.community_id is None, unit.kind
    assert tree.community.community_id == tree.community.pk
    for unit in (tree.area, tree.grid, tree.building):
        unit.refresh_from_db()
        assert unit.community_id == tree.community.pk, unit.kind

    tree.other_grid.refresh_from_db()
    assert tree.other_grid.community_id == tree.other_community.pk
    assert tree.other_grid.depth == tree.other_community.depth + 1


def test_levels_may_be_skipped(tree: Tree) -> None:
    building = services.orgunit_create(actor=None, kind=UnitKind.BUILDING, name="9栋", parent=tree.other_community)
    assert building.depth == tree.other_community.depth + 1
    assert building.path == tree.other_community.path + _seg(building)
    assert building.community_id == tree.other_community.pk

    community = services.orgunit_create(actor=None, kind=UnitKind.COMMUNITY, name="直属社区", parent=tree.city)
    assert community.depth == 2
    assert community.community_id == community.pk


def test_create_writes_one_audit_row(tree: Tree) -> None:
    before = AuditEvent.objects.count()
    unit = services.orgunit_create(actor=None, kind=UnitKind.GRID, name="第9网格", parent=tree.area)
    events = AuditEvent.objects.filter(action="orgunit.created", object_id=str(unit.pk))
    assert AuditEvent.objects.count() == before + 1
    event = events.get()
    assert event.community_id == tree.community.pk
    assert event.data == {"kind": "grid", "name": "第9网格", "parent": tree.area.pk}


@pytest.mark.parametrize(
    ("kind", "parent_attr"),
    [
        (UnitKind.COMMUNITY, "grid"),
        (UnitKind.COMMUNITY, "community"),
        (UnitKind.STREET, "community"),
        (UnitKind.PROVINCE, "city"),
        (UnitKind.GRID, "building"),
    ],
)
def test_child_must_rank_below_parent(tree: Tree, kind: str, parent_attr: str) -> None:
    parent = getattr(tree, parent_attr)
    before = _state()
    with pytest.raises(ValidationError) as exc:
        services.orgunit_create(actor=None, kind=kind, name="新单位", parent=parent)
    assert "kind" in exc.value.message_dict
    assert _state() == before


@pytest.mark.parametrize(
    ("kind", "parent_attr"), [(UnitKind.AREA, "street"), (UnitKind.GRID, "district"), (UnitKind.BUILDING, "city")]
)
def test_below_community_kinds_need_a_community(tree: Tree, kind: str, parent_attr: str) -> None:
    before = _state()
    with pytest.raises(ValidationError) as exc:
        services.orgunit_create(actor=None, kind=kind, name="游离单位", parent=getattr(tree, parent_attr))
    assert "parent" in exc.value.message_dict
    assert _state() == before


def test_below_community_kinds_refused_at_top_level(db: Any) -> None:
    with pytest.raises(ValidationError):
        services.orgunit_create(actor=None, kind=UnitKind.GRID, name="无根网格", parent=None)
    assert OrgUnit.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_duplicate_name_under_one_parent_refused(tree: Tree) -> None:
    before = _state()
    with pytest.raises(ValidationError) as exc:
        services.orgunit_create(actor=None, kind=UnitKind.GRID, name="第1网格", parent=tree.area)
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.orgunit_create(actor=None, kind=UnitKind.PROVINCE, name=tree.province.name, parent=None)
    assert "name" in exc.value.message_dict
    assert _state() == before
    # The same name under another parent is fine.
    services.orgunit_create(actor=None, kind=UnitKind.GRID, name="第1网格", parent=tree.other_community)


def test_bad_kind_and_blank_name_refused(tree: Tree) -> None:
    before = _state()
    with pytest.raises(ValidationError) as exc:
        services.orgunit_create(actor=None, kind="planet", name="  ", parent=tree.area)
    assert {"kind", "name"} <= set(exc.value.message_dict)
    assert _state() == before


# --- subtree and ancestors: one query each --------------------------------------------------


def test_subtree_is_one_query_and_right(tree: Tree, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        street_subtree = list(OrgUnit.objects.subtree_of(tree.street))
    assert {u.pk for u in street_subtree} == {
        tree.street.pk,
        tree.community.pk,
        tree.area.pk,
        tree.grid.pk,
        tree.building.pk,
        tree.other_community.pk,
        tree.other_grid.pk,
    }
    with django_assert_num_queries(1):
        grid_subtree = list(OrgUnit.objects.subtree_of(tree.grid))
    assert [u.pk for u in grid_subtree] == [tree.grid.pk, tree.building.pk]
    with django_assert_num_queries(1):
        leaf = list(OrgUnit.objects.subtree_of(tree.building))
    assert [u.pk for u in leaf] == [tree.building.pk]


def test_ancestors_is_one_query_at_any_depth(tree: Tree, django_assert_num_queries: Any) -> None:
    chain = [tree.province, tree.city, tree.district, tree.street, tree.community, tree.area, tree.grid, tree.building]
    for i, unit in enumerate(chain):
        with django_assert_num_queries(1 if i else 0):  # a root has no ancestors to ask for
            ancestors = list(unit.ancestors())
        assert [a.pk for a in ancestors] == [u.pk for u in chain[:i]]
    # A unit whose id has a different number of digits from its ancestors still works.
    assert [a.pk for a in tree.other_grid.ancestors()] == [u.pk for u in chain[:4]] + [tree.other_community.pk]


def test_is_within(tree: Tree) -> None:
    assert tree.building.is_within(tree.community)
    assert tree.building.is_within(tree.building)
    assert not tree.other_grid.is_within(tree.community)
    assert not tree.community.is_within(tree.grid)


# --- visibility --------------------------------------------------------------------------------


def test_grid_worker_sees_their_subtree_and_ancestors_only(tree: Tree, user_factory: Callable[..., User]) -> None:
    gw = user_factory(Role.GRID_WORKER, tree.grid)
    expected = {
        tree.province.pk,
        tree.city.pk,
        tree.district.pk,
        tree.street.pk,
        tree.community.pk,
        tree.area.pk,
        tree.grid.pk,
        tree.building.pk,
    }
    assert set(selectors.orgunits_visible(gw).values_list("pk", flat=True)) == expected
    assert {u.pk for u in selectors.orgunit_list(gw)} == expected
    assert {u.pk for u in selectors.orgunit_list(gw, parent=tree.street)} == {tree.community.pk}
    assert [u.pk for u in selectors.orgunit_top(gw)] == [tree.province.pk]
    # A sibling grid in the same area is neither below nor above.
    sibling = services.orgunit_create(actor=None, kind=UnitKind.GRID, name="第2网格", parent=tree.area)
    assert sibling.pk not in set(selectors.orgunits_visible(gw).values_list("pk", flat=True))


def test_resident_sees_no_org_units(tree: Tree, user_factory: Callable[..., User]) -> None:
    resident = user_factory(Role.RESIDENT, tree.building)
    assert not selectors.orgunits_visible(resident).exists()


# --- HTML pages --------------------------------------------------------------------------------


@pytest.fixture
def admin(tree: Tree, user_factory: Callable[..., User]) -> User:
    return user_factory(Role.ADMIN, tree.province)


def test_tree_page(tree: Tree, admin: User, client_for: Callable[[User], Client]) -> None:
    response = client_for(admin).get(reverse("orgs:tree"))
    assert response.status_code == 200
    assert [u.pk for u in response.context["tops"]] == [tree.province.pk]
    assert reverse("orgs:unit_children", args=[tree.province.pk]) in response.content.decode()


def test_unit_detail_page_and_scope(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    gw = client_for(user_factory(Role.GRID_WORKER, tree.grid))
    response = gw.get(reverse("orgs:unit", args=[tree.grid.pk]))
    assert response.status_code == 200
    assert [a.pk for a in response.context["ancestors"]] == [
        tree.province.pk,
        tree.city.pk,
        tree.district.pk,
        tree.street.pk,
        tree.community.pk,
        tree.area.pk,
    ]
    assert [c.pk for c in response.context["page"].object_list] == [tree.building.pk]
    assert response.context["may_manage"] is False
    assert gw.get(reverse("orgs:unit", args=[tree.community.pk])).status_code == 200  # upward
    assert gw.get(reverse("orgs:unit", args=[tree.other_community.pk])).status_code == 404
    assert gw.get(reverse("orgs:unit", args=[10**8])).status_code == 404


def test_children_fragment(tree: Tree, admin: User, user_factory: Callable[..., User], client_for: Any) -> None:
    response = client_for(admin).get(reverse("orgs:unit_children", args=[tree.street.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert tree.community.name in body
    assert tree.other_community.name in body
    assert reverse("orgs:unit_children", args=[tree.community.pk]) in body  # it has children to expand

    gw = client_for(user_factory(Role.GRID_WORKER, tree.grid))
    body = gw.get(reverse("orgs:unit_children", args=[tree.street.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert tree.community.name in body
    assert tree.other_community.name not in body
    assert gw.get(reverse("orgs:unit_children", args=[tree.other_community.pk])).status_code == 404


def test_add_child_form_creates_unit_with_one_audit_row(tree: Tree, admin: User, client_for: Any) -> None:
    client = client_for(admin)
    url = reverse("orgs:unit_add_child", args=[tree.area.pk])
    assert client.get(url).status_code == 200
    before = AuditEvent.objects.count()
    response = client.post(url, {"kind": UnitKind.GRID, "name": "第5网格", "code": "G5"})
    unit = OrgUnit.objects.get(parent=tree.area, name="第5网格")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:unit", args=[unit.pk])
    assert (unit.kind, unit.code, unit.depth, unit.community_id) == (
        "grid",
        "G5",
        tree.area.depth + 1,
        tree.community.pk,
    )
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="orgunit.created", object_id=str(unit.pk))
    assert event.actor_id == admin.pk


def test_add_child_form_refuses_wrong_kind(tree: Tree, admin: User, client_for: Any) -> None:
    before = _state()
    response = client_for(admin).post(
        reverse("orgs:unit_add_child", args=[tree.grid.pk]), {"kind": UnitKind.COMMUNITY, "name": "错位社区"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]
    assert _state() == before


def test_add_child_needs_manage_permission(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    cw = client_for(user_factory(Role.COMMUNITY_WORKER, tree.community))
    # An administrator of another branch of the tree cannot add there either: 404.
    other_admin = client_for(user_factory(Role.ADMIN, tree.other_community))
    before = _state()
    response = cw.post(reverse("orgs:unit_add_child", args=[tree.area.pk]), {"kind": "grid", "name": "越权网格"})
    assert response.status_code == 403
    assert _state() == before
    response = other_admin.post(
        reverse("orgs:unit_add_child", args=[tree.area.pk]), {"kind": "grid", "name": "越界网格"}
    )
    assert response.status_code == 404
    assert _state() == before


# --- departments and task forces ------------------------------------------------------------


def test_department_form_as_admin(tree: Tree, admin: User, client_for: Any) -> None:
    before = AuditEvent.objects.count()
    response = client_for(admin).post(
        reverse("orgs:departments"),
        {"name": "东湖街道供电所", "kind": Department.Kind.POWER, "unit": tree.street.pk, "phone": "95598"},
    )
    assert response.status_code == 302
    dept = Department.objects.get(name="东湖街道供电所")
    assert (dept.unit_id, dept.kind, dept.phone) == (tree.street.pk, "power", "95598")
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.get(action="department.created", object_id=str(dept.pk)).actor_id == admin.pk


def test_department_must_belong_to_city_district_or_street(tree: Tree, admin: User, client_for: Any) -> None:
    before = _state()
    response = client_for(admin).post(
        reverse("orgs:departments"), {"name": "社区供电所", "kind": Department.Kind.POWER, "unit": tree.community.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["unit"]
    for unit in (tree.community, tree.grid, tree.province):
        with pytest.raises(ValidationError) as exc:
            services.department_create(actor=None, name="错层部门", kind=Department.Kind.OTHER, unit=unit)
        assert "unit" in exc.value.message_dict
    assert _state() == before
    for unit in (tree.city, tree.district):
        services.department_create(actor=None, name="合规部门", kind=Department.Kind.OTHER, unit=unit)


def test_department_post_by_wrong_role_is_403(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    clients = [
        client_for(user_factory(role, unit))
        for role, unit in (
            (Role.COMMUNITY_WORKER, tree.community),
            (Role.SUPERVISOR, tree.district),
            (Role.RESIDENT, tree.building),
        )
    ]
    before = _state()
    data = {"name": "越权部门", "kind": Department.Kind.OTHER, "unit": tree.street.pk}
    for client in clients:
        assert client.post(reverse("orgs:departments"), data).status_code == 403
    assert _state() == before


def test_taskforce_form_as_community_worker(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    worker = user_factory(Role.COMMUNITY_WORKER, tree.community)
    client = client_for(worker)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("orgs:taskforces"), {"community": tree.community.pk, "name": "四位一体专班", "purpose": "联合治理"}
    )
    tf = TaskForce.objects.get(name="四位一体专班")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:taskforce", args=[tf.pk])
    assert (tf.community_id, tf.purpose) == (tree.community.pk, "联合治理")
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action="taskforce.created", object_id=str(tf.pk))
    assert (event.actor_id, event.community_id) == (worker.pk, tree.community.pk)
    # Another community is outside the worker's reach: the form refuses it.
    before = _state()
    response = client.post(reverse("orgs:taskforces"), {"community": tree.other_community.pk, "name": "越界专班"})
    assert response.status_code == 200
    assert response.context["form"].errors["community"]
    assert _state() == before


def test_taskforce_post_by_wrong_role_is_403(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    clients = [
        client_for(user_factory(role, unit))
        for role, unit in (
            (Role.GRID_WORKER, tree.grid),
            (Role.SUPERVISOR, tree.district),
            (Role.RESIDENT, tree.building),
            (Role.VOLUNTEER, tree.area),
        )
    ]
    before = _state()
    data = {"community": tree.community.pk, "name": "越权专班"}
    for client in clients:
        assert client.post(reverse("orgs:taskforces"), data).status_code == 403
    assert _state() == before


def test_taskforce_needs_a_community(tree: Tree) -> None:
    with pytest.raises(ValidationError) as exc:
        services.taskforce_create(actor=None, community=tree.grid, name="网格专班")
    assert "community" in exc.value.message_dict
    services.taskforce_create(actor=None, community=tree.community, name="专班")
    with pytest.raises(ValidationError) as exc:
        services.taskforce_create(actor=None, community=tree.community, name="专班")
    assert "name" in exc.value.message_dict
    assert TaskForce.objects.count() == 1


# --- list pages: constant queries and pagination ---------------------------------------------


def _count_queries(client: Client, url: str) -> tuple[int, Any]:
    """The page's queries once warm: adding rows of the org tree or of role grants renews the reference-data
    stamp, and the request after that works out the reader's grants and reach once again (core.stamp)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response


def _assert_constant_and_paginated(
    client: Client,
    url: str,
    add_rows: Callable[[int, int], None],
    *,
    page_size: int,
    few: int = 5,
    many: int = 30,
    bounded: bool = False,
) -> None:
    """``add_rows(start, stop)`` adds rows ``start..stop-1`` that the page at ``url`` lists. A ``bounded`` list
    (``core.pagination.paginate_bounded``) counts a list that ends on its first page from that page: past a page,
    its count is one more query, and no more."""
    add_rows(0, few)
    client.get(url)  # warm up (session, caches)
    n_few, response = _count_queries(client, url)
    assert response.context["page"].paginator.count == few
    add_rows(few, many)
    n_many, response = _count_queries(client, url)
    page = response.context["page"]
    assert page.paginator.count == many
    assert n_few + (bounded and many > page_size) == n_many, (
        f"{url}: {n_few} queries with {few} rows, {n_many} with {many}"
    )
    assert len(page.object_list) == min(many, page_size)
    assert page.has_next() == (many > page_size)
    sep = "&" if "?" in url else "?"
    last = client.get(f"{url}{sep}page={page.paginator.num_pages}")
    assert last.status_code == 200
    assert len(last.context["page"].object_list) == many - (page.paginator.num_pages - 1) * page_size


def test_org_search_constant_queries(tree: Tree, admin: User, client_for: Any) -> None:
    def add(start: int, stop: int) -> None:
        for i in range(start, stop):
            grid = services.orgunit_create(actor=None, kind=UnitKind.GRID, name=f"检索网格{i}", parent=tree.community)
            if i % 2:
                services.orgunit_create(actor=None, kind=UnitKind.BUILDING, name=f"{i}栋", parent=grid)

    _assert_constant_and_paginated(client_for(admin), "/orgs/?q=检索网格", add, page_size=25)


def test_departments_constant_queries(tree: Tree, admin: User, client_for: Any) -> None:
    def add(start: int, stop: int) -> None:
        for i in range(start, stop):
            unit = (tree.street, tree.district, tree.city)[i % 3]
            services.department_create(actor=None, name=f"检索部门{i}", kind=Department.Kind.OTHER, unit=unit)

    _assert_constant_and_paginated(client_for(admin), "/orgs/departments/?q=检索部门", add, page_size=25)


def test_taskforces_constant_queries(tree: Tree, user_factory: Callable[..., User], client_for: Any) -> None:
    def add(start: int, stop: int) -> None:
        for i in range(start, stop):
            tf = services.taskforce_create(actor=None, community=tree.community, name=f"专班{i}")
            services.taskforce_add_member(actor=None, task_force=tf, name=f"成员{i}", organisation="物业")

    client = client_for(user_factory(Role.COMMUNITY_WORKER, tree.community))
    _assert_constant_and_paginated(client, "/orgs/taskforces/", add, page_size=25)


def test_accounts_constant_queries(tree: Tree, admin: User, user_factory: Callable[..., User], client_for: Any) -> None:
    from anju.accounts import services as account_services

    def add(start: int, stop: int) -> None:
        for i in range(start, stop):
            user = user_factory(Role.RESIDENT, (tree.building, tree.other_grid)[i % 2])
            if i % 3 == 0:
                account_services.role_grant(actor=None, user=user, role=Role.VOLUNTEER, unit=tree.area)

    _assert_constant_and_paginated(client_for(admin), "/accounts/users/?role=resident", add, page_size=25)


def test_audit_list_constant_queries(tree: Tree, admin: User, client_for: Any) -> None:
    from django.db import transaction

    from anju.audit.actions import Action
    from anju.audit.services import record

    def add(start: int, stop: int) -> None:
        for i in range(start, stop):
            with transaction.atomic():
                record(
                    Action.SYSTEM_BACKUP,
                    actor=admin,
                    community=(tree.community, tree.other_community, None)[i % 3],
                    data={"n": i},
                )

    _assert_constant_and_paginated(
        client_for(admin), "/audit/?action=system.backup", add, page_size=50, few=5, many=60, bounded=True
    )
