"""What each role's home page shows. One function per kind of home."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anju.access import policy
from anju.access.roles import Role
from anju.accounts.models import RoleGrant
from anju.core import registry
from anju.orgs import selectors as org_selectors
from anju.orgs.models import Department, OrgUnit, UnitKind

# The kinds of home, weightiest first: a user sees the first whose action ``home.<kind>`` they may do
# (``site/policies.py`` declares them).
HOME_ORDER: tuple[str, ...] = ("admin", "supervisor", "worker", "department", "volunteer", "resident")


def home_kind(user: Any) -> str:
    for kind in HOME_ORDER:
        if policy.can(user, f"home.{kind}"):
            return kind
    return "none"


def _units(grants: Sequence[policy.Grant]) -> list[OrgUnit]:
    ids = [g.unit_id for g in grants]
    return list(OrgUnit.objects.filter(pk__in=ids).select_related("community").order_by("path"))


def _role_labels(user: Any) -> list[str]:
    """The names of the roles the user holds, for the page's header (shown, not used to decide)."""
    return sorted({str(Role(g.role).label) for g in policy.grants_of(user)})


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
    context: dict[str, Any] = {"home_kind": kind, "role_labels": _role_labels(user)}
    mine = _units(policy.grants_for(user, f"home.{kind}")) if kind != "none" else []
    if kind in {"worker", "supervisor", "admin"}:
        units = mine or list(OrgUnit.objects.filter(parent=None).order_by("path"))
        context["unit_cards"] = [_unit_card(u) for u in units]
    if kind == "worker":
        context["taskforces"] = list(org_selectors.taskforces_visible(user)[:6])
        communities = {u.community for u in _units(policy.grants_of(user)) if u.community}
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
        ids = [g.department_id for g in policy.grants_for(user, "home.department") if g.department_id]
        depts = list(Department.objects.filter(pk__in=ids).select_related("unit").order_by("pk"))
        context["departments"] = depts
        context["colleagues"] = list(
            RoleGrant.objects.filter(department__in=depts, role=Role.DEPARTMENT_LIAISON)
            .exclude(user=user)
            .select_related("user", "department")[:20]
        )
    if kind in {"volunteer", "resident"}:
        context["home_units"] = [{"unit": u, "ancestors": list(u.ancestors())} for u in mine]
    context.update(registry.home_cards(user, kind))  # each app's cards (appeals, activities, people …)
    return kind, context
