"""Notifications of appeals: messages in the shared inbox (and their email outbox rows), written in the
caller's transaction through :func:`anju.inbox.services.inbox_send`.

Callers pass a ready-made ``title`` for the record; what is stored is the kind and its parameters, so each
reader sees the title in their own language (kinds in :mod:`anju.appeals.notices`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.urls import reverse

from anju.access.roles import Role
from anju.accounts.models import RoleGrant
from anju.appeals.models import Appeal, Escalation, Summons
from anju.core.text import local_minute
from anju.inbox.kinds import is_registered
from anju.inbox.services import Send, inbox_send
from anju.orgs.models import OrgUnit


def params_for(appeal: Appeal, kind: str, *, due: dt.datetime | None = None) -> dict[str, Any]:
    """What the title of a message of ``kind`` about ``appeal`` is made of (plain data, no wording).
    ``due``: an escalation's deadline, when the caller knows it (else it is looked up)."""
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
        if due is None and level.isdigit():
            due = Escalation.objects.filter(appeal=appeal, level=int(level)).values_list("deadline", flat=True).first()
        if due is not None:
            params["due"] = local_minute(due)
    return params


def send_of(users: Iterable[Any], *, appeal: Appeal, kind: str, due: dt.datetime | None = None) -> Send:
    """The inbox send of a message of ``kind`` about ``appeal`` to ``users``, for
    :func:`anju.inbox.services.inbox_send_many` (a sweep's batch). ``kind`` must be registered; the appeal's
    category and department should be loaded with it (``select_related``), or each costs a query."""
    return Send(
        recipients=users,
        kind=kind,
        community=appeal.community_id,
        params=params_for(appeal, kind, due=due),
        url=detail_url(appeal.pk),
    )


def detail_url(pk: int) -> str:
    """The appeal's page (``reverse`` once, the number put in by hand: a sweep links thousands)."""
    global _DETAIL_URL
    if _DETAIL_URL is None:
        _DETAIL_URL = reverse("appeals:detail", args=[987654321]).split("987654321")
    head, tail = _DETAIL_URL
    return f"{head}{pk}{tail}"


_DETAIL_URL: list[str] | None = None


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


class Recipients:
    """Who hears of the escalations of a batch of appeals, read in a few queries whatever the batch's size:
    the liaisons of their departments, the staff of their communities and grids, and the supervisors above
    their communities (the same people :func:`liaisons_of`, :func:`community_staff` and
    :func:`supervisors_above` find for one appeal)."""

    STAFF_ROLES = (Role.COMMUNITY_WORKER, Role.BRANCH_SECRETARY, Role.GRID_WORKER)

    def __init__(
        self, *, departments: Iterable[int | None] = (), units: Iterable[int | None] = (), above: Iterable[OrgUnit] = ()
    ) -> None:
        self.liaisons: dict[int, list[int]] = {}
        self.staff: dict[int, list[int]] = {}
        self.supervised: dict[int, list[tuple[OrgUnit, list[int]]]] = {}
        dept_ids = {d for d in departments if d}
        if dept_ids:
            rows = RoleGrant.objects.filter(
                role=Role.DEPARTMENT_LIAISON, department_id__in=dept_ids, user__is_active=True
            ).values_list("department_id", "user_id")
            for dept, user in rows.order_by("user_id").distinct():
                self.liaisons.setdefault(dept, []).append(user)
        unit_ids = {u for u in units if u}
        if unit_ids:
            staff = RoleGrant.objects.filter(unit_id__in=unit_ids, role__in=self.STAFF_ROLES, user__is_active=True)
            for unit, user in staff.values_list("unit_id", "user_id").order_by("user_id").distinct():
                self.staff.setdefault(unit, []).append(user)
        communities = {c.pk: c for c in above}
        if communities:
            paths = {p for c in communities.values() for p in c.ancestor_paths}
            ancestors = list(OrgUnit.objects.filter(path__in=paths).order_by("-depth"))
            supervisors: dict[int, list[int]] = {}
            grants = RoleGrant.objects.filter(unit__in=ancestors, role=Role.SUPERVISOR, user__is_active=True)
            for unit, user in grants.values_list("unit_id", "user_id").order_by("user_id").distinct():
                supervisors.setdefault(unit, []).append(user)
            for pk, community in communities.items():
                mine = set(community.ancestor_paths)
                self.supervised[pk] = [(a, supervisors.get(a.pk, [])) for a in ancestors if a.path in mine]

    def liaisons_of(self, department_id: int | None) -> list[int]:
        return list(self.liaisons.get(department_id, [])) if department_id else []

    def community_staff(self, appeal: Appeal) -> list[int]:
        users = self.staff.get(appeal.community_id, []) + self.staff.get(appeal.grid_id or 0, [])
        return list(dict.fromkeys(users))

    def supervisors_above(self, community: OrgUnit, *, skip: int = 0) -> tuple[list[int], OrgUnit | None]:
        ancestors = self.supervised.get(community.pk, [])[skip:]
        for ancestor, users in ancestors:
            if users:
                return list(users), ancestor
        return [], ancestors[0][0] if ancestors else None
