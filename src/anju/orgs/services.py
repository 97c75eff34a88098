"""Every state change of the org tree, departments and task forces."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.orgs.models import KIND_RANK, Department, OrgUnit, TaskForce, TaskForceMember, UnitKind

DEPARTMENT_UNIT_KINDS = {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET}


def _path_segment(pk: int) -> str:
    return f"{pk:09d}/"


def orgunit_create(
    *,
    actor: Any,
    kind: str,
    name: str,
    parent: OrgUnit | None,
    code: str = "",
    sort_order: int = 0,
    request: HttpRequest | None = None,
) -> OrgUnit:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in UnitKind.values:
        errors["kind"] = [_("Choose a valid kind of unit.")]
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif len(name) > 100:
        errors["name"] = [_("A name has at most 100 characters.")]
    if parent is not None and kind in UnitKind.values and KIND_RANK[kind] <= KIND_RANK[parent.kind]:
        errors["kind"] = [
            _("A %(kind)s cannot be placed under a %(parent)s.")
            % {"kind": UnitKind(kind).label, "parent": UnitKind(parent.kind).label}
        ]
    if parent is None and kind in UnitKind.values and OrgUnit.objects.filter(parent=None, name=name).exists():
        errors["name"] = [_("A top-level unit with this name exists already.")]
    if parent is not None and OrgUnit.objects.filter(parent=parent, name=name).exists():
        errors["name"] = [_("A unit with this name exists under the same parent.")]
    if kind in UnitKind.values:
        below_community = KIND_RANK[kind] > KIND_RANK[UnitKind.COMMUNITY]
        if below_community and (parent is None or parent.community_id is None):
            errors["parent"] = [_("Areas, grids and buildings must be inside a community.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        unit = OrgUnit(kind=kind, name=name, code=(code or "").strip(), parent=parent, sort_order=sort_order)
        unit.path = f"tmp-{id(unit)}-{name}"[:255]
        unit.depth = parent.depth + 1 if parent else 0
        try:
            unit.save()
        except IntegrityError as exc:
            raise ValidationError({"name": [_("A unit with this name exists under the same parent.")]}) from exc
        unit.path = (parent.path if parent else "") + _path_segment(unit.pk)
        if kind == UnitKind.COMMUNITY:
            unit.community = unit
        elif parent is not None:
            unit.community_id = parent.community_id
        unit.save(update_fields=["path", "community"])
        record(
            Action.ORGUNIT_CREATED,
            actor=actor,
            obj=unit,
            community=unit.community,
            request=request,
            data={"kind": kind, "name": name, "parent": parent.pk if parent else None},
        )
    return unit


def orgunit_update(
    *,
    actor: Any,
    unit: OrgUnit,
    name: str,
    code: str = "",
    is_active: bool = True,
    request: HttpRequest | None = None,
) -> OrgUnit:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if OrgUnit.objects.filter(parent=unit.parent, name=name).exclude(pk=unit.pk).exists():
        raise ValidationError({"name": [_("A unit with this name exists under the same parent.")]})
    with transaction.atomic():
        before = {"name": unit.name, "code": unit.code, "is_active": unit.is_active}
        unit.name, unit.code, unit.is_active = name, (code or "").strip(), is_active
        after = {"name": unit.name, "code": unit.code, "is_active": unit.is_active}
        if before == after:
            return unit
        unit.save(update_fields=["name", "code", "is_active"])
        record(
            Action.ORGUNIT_UPDATED,
            actor=actor,
            obj=unit,
            community=unit.community,
            request=request,
            data={"changed": diff(before, after)},
        )
    return unit


def department_create(
    *, actor: Any, name: str, kind: str, unit: OrgUnit, phone: str = "", request: HttpRequest | None = None
) -> Department:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter a name.")]
    if kind not in Department.Kind.values:
        errors["kind"] = [_("Choose a valid kind of department.")]
    if unit.kind not in DEPARTMENT_UNIT_KINDS:
        errors["unit"] = [_("A department belongs to a city, district or street.")]
    if Department.objects.filter(unit=unit, name=name).exists():
        errors["name"] = [_("This unit already has a department with this name.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dept = Department.objects.create(name=name, kind=kind, unit=unit, phone=(phone or "").strip())
        record(Action.DEPARTMENT_CREATED, actor=actor, obj=dept, request=request, data={"unit": unit.pk, "kind": kind})
    return dept


def taskforce_create(
    *, actor: Any, community: OrgUnit, name: str, purpose: str = "", request: HttpRequest | None = None
) -> TaskForce:
    name = (name or "").strip()
    if community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": [_("A task force belongs to a community.")]})
    if not name:
        raise ValidationError({"name": [_("Enter a name.")]})
    if TaskForce.objects.filter(community=community, name=name).exists():
        raise ValidationError({"name": [_("This community already has a task force with this name.")]})
    with transaction.atomic():
        tf = TaskForce.objects.create(community=community, name=name, purpose=(purpose or "").strip())
        record(Action.TASKFORCE_CREATED, actor=actor, obj=tf, request=request, data={"name": name})
    return tf


def taskforce_add_member(
    *,
    actor: Any,
    task_force: TaskForce,
    name: str,
    organisation: str,
    role: str = "",
    user: Any = None,
    request: HttpRequest | None = None,
) -> TaskForceMember:
    name = (name or (str(user) if user else "")).strip()
    organisation = (organisation or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter a name.")]
    if not organisation:
        errors["organisation"] = [_("Enter the member's organisation.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        member = TaskForceMember.objects.create(
            community=task_force.community,
            task_force=task_force,
            user=user,
            name=name[:100],
            organisation=organisation[:100],
            role=(role or "").strip()[:60],
        )
        record(
            Action.TASKFORCE_MEMBER_ADDED,
            actor=actor,
            obj=task_force,
            request=request,
            data={"member": member.pk, "organisation": organisation},
        )
    return member


def taskforce_remove_member(*, actor: Any, member: TaskForceMember, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        record(
            Action.TASKFORCE_MEMBER_REMOVED,
            actor=actor,
            obj=member.task_force,
            request=request,
            data={"member": member.pk, "name": member.name},
        )
        member.delete()
