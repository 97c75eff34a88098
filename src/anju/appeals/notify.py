"""Notifications: an in-app inbox row and an outbox row, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from anju.accounts.models import RoleGrant
from anju.accounts.roles import Role
from anju.appeals import clock
from anju.appeals.models import Appeal, Notification, Outbox
from anju.orgs.models import OrgUnit


def notify(users: Iterable[Any], *, appeal: Appeal, kind: str, title: str) -> int:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notify must run inside the service's transaction")
    at = clock.now()
    seen: set[int] = set()
    made = 0
    for user in users:
        uid = user if isinstance(user, int) else user.pk
        if uid is None or uid in seen:
            continue
        seen.add(uid)
        note = Notification.objects.create(
            community_id=appeal.community_id, user_id=uid, appeal=appeal, kind=kind, title=title[:200], created_at=at
        )
        Outbox.objects.create(community_id=appeal.community_id, notification=note, created_at=at)
        made += 1
    return made


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
