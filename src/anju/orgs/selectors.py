"""Reads of the org tree that pages and the API share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet

from anju.access import policy
from anju.orgs.models import Department, OrgUnit, TaskForce


def communities_in_reach(
    user: Any, *, action: str | None = None, roles: Iterable[str] | None = None
) -> QuerySet[OrgUnit]:
    """The communities the user works in: those under a grant, and the community (or street …)
    a grant below community level lies in, i.e. upward reach over communities (``policy.reach_q``)."""
    return OrgUnit.objects.communities().filter(policy.reach_q(user, "path", action=action, roles=roles, upward=True))


def orgunits_visible(user: Any) -> QuerySet[OrgUnit]:
    return policy.visible(OrgUnit.objects.all(), user, "orgunit.view", "path")


def orgunit_list(
    user: Any, *, parent: OrgUnit | None = None, kind: str = "", q: str = "", roots_only: bool = False
) -> QuerySet[OrgUnit]:
    qs = orgunits_visible(user).select_related("parent")
    if parent is not None:
        qs = qs.filter(parent=parent)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    # Count only the children within reach: a unit above the user's own (seen through ``upward``)
    # must not reveal how many other branches it has.
    in_reach = policy.scope_q(user, "orgunit.view", "children__path")
    return qs.annotate(child_count=Count("children", filter=in_reach or None)).order_by("path")


def orgunit_top(user: Any) -> list[OrgUnit]:
    """The highest units the user can see: the roots of their visible forest."""
    units = list(orgunits_visible(user).order_by("path").only("id", "path", "name", "kind", "depth"))
    tops: list[OrgUnit] = []
    for unit in units:
        if not any(unit.path.startswith(t.path) for t in tops):
            tops.append(unit)
    return tops


def orgunit_subtree(unit: OrgUnit, *, max_depth: int | None = None) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.subtree_of(unit)
    if max_depth is not None:
        qs = qs.filter(depth__lte=unit.depth + max_depth)
    return qs.order_by("path")


def subtree_counts(unit: OrgUnit) -> dict[str, int]:
    rows = OrgUnit.objects.subtree_of(unit).exclude(pk=unit.pk).values("kind").annotate(n=Count("id"))
    return {row["kind"]: row["n"] for row in rows}


def departments_visible(user: Any) -> QuerySet[Department]:
    return policy.visible(Department.objects.select_related("unit"), user, "department.view", "unit__path")


def departments_for_unit(unit: OrgUnit) -> QuerySet[Department]:
    """Departments that serve a unit: those of its ancestors (district, street)."""
    return Department.objects.filter(unit__path__in=[*unit.ancestor_paths, unit.path], is_active=True).select_related(
        "unit"
    )


def taskforces_visible(user: Any) -> QuerySet[TaskForce]:
    return policy.visible(
        TaskForce.objects.select_related("community")
        .annotate(member_count=Count("members"))
        .order_by("community__path", "name"),
        user,
        "taskforce.view",
        "community__path",
    )
