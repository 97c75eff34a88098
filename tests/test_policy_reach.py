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
