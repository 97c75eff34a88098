"""What each role's home page shows. One function per kind of home."""

from __future__ import annotations

from typing import Any

from anju.access import policy
from anju.access.roles import Role
from anju.accounts.models import RoleGrant
from anju.core import registry
from anju.orgs import selectors as org_selectors
from anju.orgs.models import OrgUnit, UnitKind

# Which home a user sees, by the weightiest role they hold.
HOME_ORDER: list[tuple[str, set[str]]] = [
    ("admin", {Role.ADMIN}),
    ("supervisor", {Role.SUPERVISOR}),
    ("worker", {Role.BRANCH_SECRETARY, Role.COMMUNITY_WORKER, Role.GRID_WORKER}),
    ("department", {Role.DEPARTMENT_LIAISON}),
    ("volunteer", {Role.VOLUNTEER}),
    ("resident", {Role.RESIDENT}),
]


def home_kind(user: Any) -> str:
    if policy.is_superuser(user):
        return "admin"
    roles = policy.roles_of(user)
    for kind, wanted in HOME_ORDER:
        if roles & wanted:
            return kind
    return "none"


def _grant_units(user: Any, roles: set[str]) -> list[OrgUnit]:
    ids = [g.unit_id for g in policy.grants_of(user) if g.role in roles]
    return list(OrgUnit.objects.filter(pk__in=ids).select_related("community").order_by("path"))


def _unit_card(unit: OrgUnit) -> dict[str, Any]:
    counts = org_selectors.subtree_counts(unit)
    return {
        "unit": unit,
        "ancestors": list(unit.ancestors()),
        "counts": [
            {"label": UnitKind(kind).label, "value": counts.get(kind, 0)}
            for kind in (UnitKind.COMMUNITY, UnitKind.AREA, UnitKind.GRID, UnitKind.BUILDING)
            if kind in counts
        ],
    }


def home_context(user: Any) -> tuple[str, dict[str, Any]]:
    kind = home_kind(user)
    roles = policy.roles_of(user)
    context: dict[str, Any] = {"home_kind": kind, "role_labels": sorted(Role(r).label for r in roles)}
    if kind in {"worker", "supervisor", "admin"}:
        wanted = {r for k, rs in HOME_ORDER if k == kind for r in rs}
        units = _grant_units(user, wanted) or list(OrgUnit.objects.filter(parent=None).order_by("path"))
        context["unit_cards"] = [_unit_card(u) for u in units]
    if kind == "worker":
        context["taskforces"] = list(org_selectors.taskforces_visible(user)[:6])
        communities = {u.community for u in _grant_units(user, set(roles)) if u.community}
        context["departments"] = (
            list(org_selectors.departments_for_unit(next(iter(communities)))[:12]) if communities else []
        )
    if kind in {"supervisor", "admin"}:
        from anju.audit.selectors import events_visible

        if policy.can(user, "audit.view"):
            context["recent_events"] = list(events_visible(user).select_related("actor")[:8])
    if kind == "admin":
        from anju.jobs.models import Job, PeriodicTask

        context["stats"] = {
            "users": RoleGrant.objects.values("user").distinct().count(),
            "units": OrgUnit.objects.count(),
            "failed_jobs": Job.objects.filter(status=Job.Status.FAILED).count(),
            "periodic": PeriodicTask.objects.count(),
        }
    if kind == "department":
        grants = RoleGrant.objects.filter(user=user, role=Role.DEPARTMENT_LIAISON).select_related(
            "department", "department__unit"
        )
        depts = [g.department for g in grants if g.department]
        context["departments"] = depts
        context["colleagues"] = list(
            RoleGrant.objects.filter(department__in=depts, role=Role.DEPARTMENT_LIAISON)
            .exclude(user=user)
            .select_related("user", "department")[:20]
        )
    if kind in {"volunteer", "resident"}:
        wanted = {Role.VOLUNTEER} if kind == "volunteer" else {Role.RESIDENT}
        units = _grant_units(user, wanted)
        context["home_units"] = [{"unit": u, "ancestors": list(u.ancestors())} for u in units]
    context.update(registry.home_cards(user, kind))  # each app's cards (appeals, activities, people …)
    return kind, context
