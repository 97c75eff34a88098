"""Notifications of appeals: messages in the shared inbox (and their email outbox rows), written in the
caller's transaction through :func:`anju.inbox.services.inbox_send`.

Callers pass a ready-made ``title`` for the record; what is stored is the kind and its parameters, so each
reader sees the title in their own language (kinds in :mod:`anju.appeals.notices`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.urls import reverse

from anju.access.roles import Role
from anju.accounts.models import RoleGrant
from anju.appeals.models import Appeal, Escalation, Summons
from anju.core.text import local_minute
from anju.inbox.kinds import is_registered
from anju.inbox.services import inbox_send
from anju.orgs.models import OrgUnit


def params_for(appeal: Appeal, kind: str) -> dict[str, Any]:
    """What the title of a message of ``kind`` about ``appeal`` is made of (plain data, no wording)."""
    params: dict[str, Any] = {"appeal": appeal.pk, "number": appeal.number}
    if appeal.category_id:
        params["category"] = appeal.category.name
    if appeal.department is not None:
        params["department"] = appeal.department.name
    if kind == "appeal.whistle":
        latest = (
            Summons.objects.filter(whistle__appeal=appeal)
            .order_by("-whistle__blown_at", "-id")
            .values_list("arrive_by", "whistle__blown_at")
            .first()
        )
        if latest:
            params["minutes"] = round((latest[0] - latest[1]).total_seconds() / 60)
    elif kind.startswith("escalation."):
        level = kind.partition(".")[2]
        due = (
            Escalation.objects.filter(appeal=appeal, level=int(level)).values_list("deadline", flat=True).first()
            if level.isdigit()
            else None
        )
        if due is not None:
            params["due"] = local_minute(due)
    return params


def notify(users: Iterable[Any], *, appeal: Appeal, kind: str, title: str) -> int:
    """Message ``users`` (users or ids) about ``appeal``; returns how many messages were written."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notify must run inside the service's transaction")
    users = list(users)
    if not any(u is not None for u in users):
        return 0
    params = params_for(appeal, kind)
    if not is_registered(kind):
        # A kind nobody registered yet: keep the sender's sentence so the reader still learns something.
        params["note"] = str(title)[:300]
    return inbox_send(
        recipients=users,
        kind=kind,
        community=appeal.community_id,
        params=params,
        url=reverse("appeals:detail", args=[appeal.pk]),
    )


def liaisons_of(department_ids: Iterable[int | None]) -> list[int]:
    ids = [d for d in department_ids if d]
    if not ids:
        return []
    return list(
        RoleGrant.objects.filter(role=Role.DEPARTMENT_LIAISON, department_id__in=ids, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def community_staff(appeal: Appeal) -> list[int]:
    """Community workers and secretaries of the community, and grid workers of the appeal's grid."""
    units = [appeal.community_id] + ([appeal.grid_id] if appeal.grid_id else [])
    return list(
        RoleGrant.objects.filter(
            unit_id__in=units,
            role__in=[Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY, Role.GRID_WORKER],
            user__is_active=True,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def supervisors_above(unit: OrgUnit, *, skip: int = 0) -> tuple[list[int], OrgUnit | None]:
    """Supervisors of the nearest ancestor (after ``skip`` levels) that has any; (users, that unit)."""
    ancestors = list(OrgUnit.objects.filter(path__in=unit.ancestor_paths).order_by("-depth"))[skip:]
    for ancestor in ancestors:
        users = list(
            RoleGrant.objects.filter(unit=ancestor, role=Role.SUPERVISOR, user__is_active=True)
            .values_list("user_id", flat=True)
            .distinct()
        )
        if users:
            return users, ancestor
    return [], ancestors[0] if ancestors else None
