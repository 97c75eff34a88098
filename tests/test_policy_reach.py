"""The reach functions of ``access.policy``: one answer for a user, an object and a queryset."""

from __future__ import annotations

from typing import Any

import pytest

from anju.access import policy
from anju.access.roles import Role
from anju.orgs import selectors as org_selectors
from anju.orgs.models import OrgUnit
from anju.testing import Tree, make_user

pytestmark = pytest.mark.django_db


def _units(tree: Tree) -> list[OrgUnit]:
    return list(OrgUnit.objects.order_by("path"))


def _reached_by_q(user: Any, **how: Any) -> set[int]:
    return set(OrgUnit.objects.filter(policy.reach_q(user, "path", **how)).values_list("pk", flat=True))


def _reached_by_object(user: Any, units: list[OrgUnit], **how: Any) -> set[int]:
    return {u.pk for u in units if policy.in_reach(user, u, **how)}


@pytest.mark.parametrize(
    ("role", "where", "how"),
    [
        (Role.GRID_WORKER, "grid", {"action": "appeal.triage"}),  # upward action
        (Role.COMMUNITY_WORKER, "community", {"action": "people.view"}),
        (Role.SUPERVISOR, "street", {"roles": [Role.SUPERVISOR]}),
        (Role.GRID_WORKER, "grid", {"roles": [Role.GRID_WORKER], "upward": True}),
        (Role.ADMIN, "district", {"roles": [Role.GRID_WORKER]}),  # an administrator holds every role
        (Role.RESIDENT, "building", {"roles": [Role.GRID_WORKER], "upward": True}),  # wrong role: nothing
    ],
)
def test_queryset_and_object_reach_agree(tree: Tree, role: str, where: str, how: dict[str, Any]) -> None:
    user = make_user(role, getattr(tree, where))
    units = _units(tree)
    assert _reached_by_q(user, **how) == _reached_by_object(user, units, **how)


def test_upward_reach_covers_the_units_above_and_below_never_the_neighbours(tree: Tree) -> None:
    worker = make_user(Role.GRID_WORKER, tree.grid)
    reached = _reached_by_q(worker, action="appeal.triage")
    above_and_below = {tree.grid, tree.building, tree.area, tree.community, tree.street, tree.province}
    assert {u.pk for u in above_and_below} <= reached
    assert tree.other_community.pk not in reached
    assert tree.other_grid.pk not in reached
    assert _reached_by_q(worker, roles=[Role.GRID_WORKER]) == {tree.grid.pk, tree.building.pk}


def test_communities_in_reach_of_a_grant_below_and_above_community_level(tree: Tree) -> None:
    grid_worker = make_user(Role.GRID_WORKER, tree.grid)
    street_worker = make_user(Role.COMMUNITY_WORKER, tree.street)
    assert list(org_selectors.communities_in_reach(grid_worker, action="people.view")) == [tree.community]
    assert set(org_selectors.communities_in_reach(street_worker, action="people.view")) >= {tree.community}
    assert set(org_selectors.communities_in_reach(make_user(), action="people.view")) == set()


def test_reaches_root_only_for_a_grant_on_a_root(tree: Tree) -> None:
    assert policy.reaches_root(make_user(Role.SUPERVISOR, tree.province), "audit.view")
    assert not policy.reaches_root(make_user(Role.SUPERVISOR, tree.district), "audit.view")
    assert not policy.reaches_root(make_user(Role.RESIDENT, tree.province), "audit.view")


def test_reach_needs_exactly_one_of_action_and_roles(tree: Tree) -> None:
    user = make_user(Role.GRID_WORKER, tree.grid)
    with pytest.raises(TypeError):
        policy.reach_q(user, "path")
    with pytest.raises(TypeError):
        policy.in_reach(user, tree.grid, action="appeal.triage", roles=[Role.GRID_WORKER])


def test_rows_in_reach_by_community_and_building_ids_are_the_rows_of_the_path_pattern(people_world: Any) -> None:
    """Residents, households and the audit trail scoped by indexed keys (community ids, building ids below a
    community) hold exactly the rows the path pattern through a join held, for every user of the world and for
    grants above, at and below community level; and the audit trail's rows without a community only for a root."""
    from django.db.models import Q

    from anju.audit import selectors as audit_selectors
    from anju.audit.models import AuditEvent
    from anju.people import selectors as people_selectors
    from anju.people.models import Household, Resident

    tree = people_world.tree
    users = [
        *people_world.users.values(),
        make_user(Role.GRID_WORKER, tree.grid),
        make_user(Role.VOLUNTEER, tree.area),
        make_user(Role.GRID_WORKER, tree.other_grid),
        make_user(Role.SUPERVISOR, tree.street),
        make_user(Role.SUPERVISOR, tree.province),
        make_user(Role.COMMUNITY_WORKER, tree.other_community),
        make_user(Role.ADMIN, tree.district),
        make_user(Role.RESIDENT, tree.building),
    ]
    AuditEvent.objects.create(action="login", actor_label="x")  # a row of no community
    seen: set[tuple[int, ...]] = set()
    for user in users:
        for action in ("people.view", "people.names", "people.reveal"):
            fresh = type(user).objects.get(pk=user.pk)
            old = set(policy.visible(Resident.objects.all(), fresh, action, "unit__path").values_list("pk", flat=True))
            new = set(people_selectors.residents_visible(fresh, action).values_list("pk", flat=True))
            assert new == old, (user.username, action)
            seen.add(tuple(sorted(new)))
            old_h = set(
                policy.visible(Household.objects.all(), fresh, action, "unit__path").values_list("pk", flat=True)
            )
            assert set(people_selectors.households_visible(fresh, action).values_list("pk", flat=True)) == old_h
        fresh = type(user).objects.get(pk=user.pk)
        old_scope = policy.scope_q(fresh, "audit.view", "community__path")
        if policy.reaches_root(fresh, "audit.view"):
            old_scope |= Q(community__isnull=True)
        old_audit = set(AuditEvent.objects.filter(old_scope).values_list("pk", flat=True))
        assert set(audit_selectors.events_visible(fresh).values_list("pk", flat=True)) == old_audit, user.username
    assert len(seen) >= 4  # the world tells the users apart


def test_an_object_less_check_follows_the_roles_held_as_they_are_granted_and_revoked(tree: Tree) -> None:
    """``can(user, action)`` without an object reads the roles held (cached on the user beside the grants): a
    grant or a revocation through the services is seen at once by the same user object, an inactive unit's
    grant carries nothing, and an administrator's grant carries every action."""
    from anju.accounts import services as accounts

    user = make_user(Role.RESIDENT, tree.building)
    assert policy.can(user, "appeal.file")
    assert not policy.can(user, "appeal.triage")
    grant = accounts.role_grant(actor=None, user=user, role=Role.COMMUNITY_WORKER, unit=tree.community)
    assert policy.can(user, "appeal.triage")
    accounts.role_revoke(actor=None, grant=grant)
    assert not policy.can(user, "appeal.triage")
    assert policy.can(user, "appeal.file")
    tree.other_community.is_active = False
    tree.other_community.save()
    idle = make_user(Role.COMMUNITY_WORKER, tree.other_community)
    assert not policy.can(idle, "appeal.triage")
    admin = make_user(Role.ADMIN, tree.district)
    assert all(policy.can(admin, action) for action in policy.rules())
