"""Configuration of appeals: the catalogue (派单目录), routing rules, SLA policies and the satisfaction scale.

Every change goes through one of the services below: validated first (a
:class:`~django.core.exceptions.ValidationError` with translated messages and
nothing written), then one transaction with exactly one audit row.

What a change affects (also said on the pages):

- **SLA policies** apply to deadlines computed from now on: every new appeal,
  and an open appeal when its deadlines are computed again (it is dispatched
  or re-routed, or an official holiday schedule touching its deadlines is
  entered or corrected: ``appeals.recompute``). Deadlines already stored on open appeals are not rewritten
  by the change itself, so nobody's clock jumps under them.
- **Routing rules** are read when an appeal is dispatched without naming a
  department: the nearest rule at or above the appeal's location wins.
- **Satisfaction levels**: a rating is counted as satisfied or not when it is
  given; changing “counts as satisfied” applies to ratings given afterwards.
- **Categories** are never deleted once an appeal uses them; they are
  deactivated (hidden from intake and from Open311 ``services.json``). Their
  code is the Open311 ``service_code`` and is fixed once an appeal uses it.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals.models import (
    Appeal,
    Category,
    CategoryRoute,
    SatisfactionLevel,
    SlaBasis,
    SlaPolicy,
    SlaUnit,
    Urgency,
)
from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.orgs.models import Department, OrgUnit

# Open311 service_code: it appears in URLs (services/{code}.json) and in comma-separated filters, so only
# lower-case letters, digits and inner hyphens.
SERVICE_CODE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")

# SLA bounds: at least 1; at most 30 days in hours, or 60 working days.
SLA_MAX = {SlaUnit.HOURS: 720, SlaUnit.WORKDAYS: 60}
SLA_STAGES = ("dispatch", "sign", "contact", "feedback")
SORT_MAX = 9999


def _require(actor: Any, action: str, obj: Any = None) -> None:
    if actor is None:  # the system itself (migrations, demo loader)
        return
    if not policy.can(actor, action, obj):
        raise PermissionDenied


# --- reads shared by pages and the API ----------------------------------------------------------


def categories(*, q: str = "", state: str = "") -> QuerySet[Category]:
    """The catalogue with an ``in_use`` flag (some appeal uses the category)."""
    qs = Category.objects.annotate(in_use=Exists(Appeal.objects.filter(category_id=OuterRef("pk"))))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(group__icontains=q))
    if state == "active":
        qs = qs.filter(is_active=True)
    elif state == "inactive":
        qs = qs.filter(is_active=False)
    return qs.order_by("sort_order", "code")


def route_units(user: Any) -> QuerySet[OrgUnit]:
    """Org units whose routing rules ``user`` may set."""
    return policy.visible(OrgUnit.objects.filter(is_active=True), user, "appeal.routes", "path").order_by("path")


def route_departments(user: Any) -> QuerySet[Department]:
    """Active departments that may serve some unit within the user's reach (at, above or below a grant)."""
    qs = Department.objects.filter(is_active=True).select_related("unit")
    return qs.filter(policy.reach_q(user, "unit__path", action="appeal.routes", upward=True))


def routes(user: Any, *, unit: OrgUnit | None = None, q: str = "") -> QuerySet[CategoryRoute]:
    qs = policy.visible(
        CategoryRoute.objects.select_related("category", "unit", "department__unit"),
        user,
        "appeal.routes",
        "unit__path",
    )
    if unit is not None:
        qs = qs.filter(unit=unit)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(category__name__icontains=q) | Q(category__code__icontains=q) | Q(department__name__icontains=q)
        )
    return qs.order_by("unit__path", "category__sort_order", "category__code")


def effective_routes(unit: OrgUnit) -> list[dict[str, Any]]:
    """For each active category: the rule that applies at ``unit`` (its own or the nearest above), or none."""
    paths = [*unit.ancestor_paths, unit.path]
    rules: dict[int, CategoryRoute] = {}
    for route in (
        CategoryRoute.objects.filter(unit__path__in=paths).select_related("unit", "department").order_by("unit__depth")
    ):
        rules[route.category_id] = route  # deeper units come later and win
    rows = []
    for category in Category.objects.filter(is_active=True).order_by("sort_order", "code"):
        rule = rules.get(category.pk)
        rows.append(
            {
                "category": category,
                "route": rule,
                "own": rule is not None and rule.unit_id == unit.pk,
            }
        )
    return rows


def sla_policies() -> QuerySet[SlaPolicy]:
    rank = Case(
        When(urgency=Urgency.EMERGENCY, then=Value(0)),
        When(urgency=Urgency.URGENT, then=Value(1)),
        default=Value(2),
    )
    return (
        SlaPolicy.objects.select_related("category")
        .annotate(urgency_rank=rank)
        .order_by(F("category__sort_order").asc(nulls_first=True), "category__code", "urgency_rank", "complex", "id")
    )


# --- the catalogue ------------------------------------------------------------------------------


def _category_errors(
    *,
    code: str,
    name: str,
    group: str,
    department_kind: str,
    default_urgency: str,
    sort_order: int,
    instance: Category | None,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unchanged = instance is not None and code == instance.code  # a legacy code may stay as it is
    if not unchanged and not SERVICE_CODE_RE.match(code):
        errors["code"] = [
            _(
                "Use 1 to 40 lower-case letters, digits and hyphens, not starting or ending with a hyphen "
                "(it is the Open311 service_code)."
            )
        ]
    elif Category.objects.filter(code=code).exclude(pk=instance.pk if instance else 0).exists():
        errors["code"] = [_("Another category already has this code.")]
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif len(name) > 100:
        errors["name"] = [_("A name has at most 100 characters.")]
    elif Category.objects.filter(name=name).exclude(pk=instance.pk if instance else 0).exists():
        errors["name"] = [_("Another category already has this name.")]
    if len(group) > 60:
        errors["group"] = [_("A group has at most 60 characters.")]
    if department_kind and department_kind not in Department.Kind.values:
        errors["department_kind"] = [_("Choose a kind of department.")]
    if default_urgency not in Urgency.values:
        errors["default_urgency"] = [_("Choose an urgency.")]
    if not 0 <= sort_order <= SORT_MAX:
        errors["sort_order"] = [_("Enter an order between 0 and %(max)d.") % {"max": SORT_MAX}]
    return errors


def _category_values(
    *,
    code: str,
    name: str,
    group: str,
    description: str,
    department_kind: str,
    default_urgency: str,
    sort_order: int,
    instance: Category | None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A category's fields as they are stored (stripped, bounded) and the errors in them."""
    values: dict[str, Any] = {
        "code": (code or "").strip(),
        "name": (name or "").strip(),
        "group": (group or "").strip(),
        "description": (description or "").strip()[:2000],
        "department_kind": department_kind or "",
        "default_urgency": default_urgency,
        "sort_order": sort_order,
    }
    errors = _category_errors(
        code=values["code"],
        name=values["name"],
        group=values["group"],
        department_kind=values["department_kind"],
        default_urgency=default_urgency,
        sort_order=sort_order,
        instance=instance,
    )
    return values, errors


def category_create(
    *,
    actor: Any,
    code: str,
    name: str,
    group: str = "",
    description: str = "",
    department_kind: str = "",
    default_urgency: str = Urgency.GENERAL,
    sort_order: int = 0,
    request: HttpRequest | None = None,
) -> Category:
    _require(actor, "appeal.configure")
    values, errors = _category_values(
        code=code,
        name=name,
        group=group,
        description=description,
        department_kind=department_kind,
        default_urgency=default_urgency,
        sort_order=sort_order,
        instance=None,
    )
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            category = Category.objects.create(**values)
            record(
                Action.APPEAL_CATEGORY_CREATED,
                actor=actor,
                obj=category,
                request=request,
                data={"code": values["code"], "name": values["name"], "group": values["group"]},
            )
    except IntegrityError as exc:  # a concurrent create of the same code
        raise ValidationError({"code": [_("Another category already has this code.")]}) from exc
    return category


def _without_description(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "description"}


def category_update(
    *,
    actor: Any,
    category: Category,
    code: str,
    name: str,
    group: str = "",
    description: str = "",
    department_kind: str = "",
    default_urgency: str = Urgency.GENERAL,
    sort_order: int = 0,
    request: HttpRequest | None = None,
) -> Category:
    _require(actor, "appeal.configure")
    new, errors = _category_values(
        code=code,
        name=name,
        group=group,
        description=description,
        department_kind=department_kind,
        default_urgency=default_urgency,
        sort_order=sort_order,
        instance=category,
    )
    if new["code"] != category.code and "code" not in errors and Appeal.objects.filter(category=category).exists():
        errors["code"] = [_("Appeals use this category: its code (the Open311 service_code) can no longer change.")]
    if errors:
        raise ValidationError(errors)
    changed = {k: v for k, v in new.items() if getattr(category, k) != v}
    if not changed:
        return category
    try:
        with transaction.atomic():
            before = {k: getattr(category, k) for k in changed}
            for k, v in changed.items():
                setattr(category, k, v)
            category.save(update_fields=list(changed))
            record(
                Action.APPEAL_CATEGORY_UPDATED,
                actor=actor,
                obj=category,
                request=request,
                # The description is long free text, left out of the row as before.
                data={"changed": diff(_without_description(before), _without_description(changed))},
            )
    except IntegrityError as exc:
        raise ValidationError({"code": [_("Another category already has this code.")]}) from exc
    return category


def category_set_active(
    *, actor: Any, category: Category, active: bool, request: HttpRequest | None = None
) -> Category:
    """Deactivate (hidden from intake and Open311; open appeals keep it) or reactivate a category."""
    _require(actor, "appeal.configure")
    if category.is_active == active:
        return category
    with transaction.atomic():
        category.is_active = active
        category.save(update_fields=["is_active"])
        record(
            Action.APPEAL_CATEGORY_ACTIVATED if active else Action.APPEAL_CATEGORY_DEACTIVATED,
            actor=actor,
            obj=category,
            request=request,
            data={"code": category.code},
        )
    return category


def category_delete(*, actor: Any, category: Category, request: HttpRequest | None = None) -> None:
    """Delete a category no appeal has ever used (with its routing rules and SLA overrides)."""
    _require(actor, "appeal.configure")
    with transaction.atomic():
        if Appeal.objects.filter(category=category).exists():
            raise ValidationError(_("Appeals use this category: deactivate it instead of deleting it."))
        data = {"code": category.code, "name": category.name}
        record(Action.APPEAL_CATEGORY_DELETED, actor=actor, obj=category, request=request, data=data)
        category.delete()


# --- routing rules ------------------------------------------------------------------------------


def route_set(
    *,
    actor: Any,
    unit: OrgUnit,
    category: Category | None,
    department: Department | None,
    request: HttpRequest | None = None,
) -> CategoryRoute:
    """Set (add or replace) the default department of ``category`` within ``unit``'s subtree."""
    _require(actor, "appeal.routes", unit)
    errors: dict[str, list[str]] = {}
    if category is None or not category.is_active:
        errors["category"] = [_("Choose an active category from the catalogue.")]
    if not unit.is_active:
        errors["unit"] = [_("Choose an active org unit.")]
    if department is None or not department.is_active:
        errors["department"] = [_("Choose an active department.")]
    elif not unit.is_within(department.unit):
        errors["department"] = [
            _("%(department)s belongs to %(owner)s and does not serve %(unit)s.")
            % {"department": department.name, "owner": department.unit.name, "unit": unit.name}
        ]
    if errors:
        raise ValidationError(errors)
    if category is None or department is None:  # for the type checker; validated above
        raise ValidationError(errors)
    with transaction.atomic():
        route = CategoryRoute.objects.select_for_update().filter(category=category, unit=unit).first()
        before = route.department_id if route else None
        if route is None:
            try:
                with transaction.atomic():
                    route = CategoryRoute.objects.create(category=category, unit=unit, department=department)
            except IntegrityError:  # a concurrent add of the same rule: replace it
                route = CategoryRoute.objects.select_for_update().get(category=category, unit=unit)
                before = route.department_id
        if route.department_id != department.pk:
            route.department = department
            route.save(update_fields=["department"])
        elif before == department.pk:
            return route  # nothing changed: no audit row
        record(
            Action.APPEAL_ROUTE_SET,
            actor=actor,
            obj=route,
            community=unit.community,
            request=request,
            data={
                "category": category.code,
                "unit": unit.pk,
                "changed": diff({"department": before}, {"department": department.pk}),
            },
        )
    return route


def route_remove(*, actor: Any, route: CategoryRoute, request: HttpRequest | None = None) -> None:
    _require(actor, "appeal.routes", route.unit)
    with transaction.atomic():
        record(
            Action.APPEAL_ROUTE_REMOVED,
            actor=actor,
            obj=route,
            community=route.unit.community,
            request=request,
            data={"category": route.category.code, "unit": route.unit_id, "department": route.department_id},
        )
        route.delete()


# --- SLA policies -------------------------------------------------------------------------------


def _approx_hours(value: int, unit: str) -> int:
    return value * 24 if unit == SlaUnit.WORKDAYS else value


def _sla_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for stage in SLA_STAGES:
        value, unit = values.get(f"{stage}_value"), values.get(f"{stage}_unit")
        if values.get(f"{stage}_basis") not in SlaBasis.values:
            errors[f"{stage}_basis"] = [_("Choose from receipt or from the previous step.")]
        if unit not in SlaUnit.values:
            errors[f"{stage}_unit"] = [_("Choose hours or working days.")]
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            errors[f"{stage}_value"] = [_("Enter a whole number of at least 1.")]
        elif value > SLA_MAX[SlaUnit(unit)]:
            errors[f"{stage}_value"] = [
                _("At most %(max)d %(unit)s.") % {"max": SLA_MAX[SlaUnit(unit)], "unit": SlaUnit(unit).label}
            ]
    if not errors and _approx_hours(values["feedback_value"], values["feedback_unit"]) < _approx_hours(
        values["dispatch_value"], values["dispatch_unit"]
    ):
        errors["feedback_value"] = [_("Feedback to the requester cannot be due before the dispatch.")]
    return errors


def _sla_values(kw: dict[str, Any], current: SlaPolicy | None = None) -> dict[str, Any]:
    """The deadlines given; a basis not given stays the policy's own (a new policy's: DESIGN.md's default)."""
    values: dict[str, Any] = {}
    for stage in SLA_STAGES:
        values[f"{stage}_value"] = kw.get(f"{stage}_value")
        values[f"{stage}_unit"] = kw.get(f"{stage}_unit", SlaUnit.HOURS)
        kept = getattr(current, f"{stage}_basis") if current is not None else SlaPolicy.DEFAULT_BASES[stage]
        values[f"{stage}_basis"] = kw.get(f"{stage}_basis") or kept
    return values


def sla_create(
    *,
    actor: Any,
    category: Category | None,
    urgency: str,
    complex: bool = False,
    request: HttpRequest | None = None,
    **deadlines: Any,
) -> SlaPolicy:
    """Add a policy for (category, urgency, complex); a blank category is the default for that urgency."""
    _require(actor, "appeal.configure")
    values = _sla_values(deadlines)
    errors = _sla_errors(values)
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Choose an urgency.")]
    elif SlaPolicy.objects.filter(category=category, urgency=urgency, complex=complex).exists():
        errors["urgency"] = [_("A policy for this category, urgency and complexity exists already; edit it.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sla = SlaPolicy.objects.create(category=category, urgency=urgency, complex=complex, **values)
        record(
            Action.APPEAL_SLA_CREATED,
            actor=actor,
            obj=sla,
            request=request,
            data={"category": category.code if category else None, "urgency": urgency, "complex": complex, **values},
        )
    return sla


def sla_update(*, actor: Any, sla: SlaPolicy, request: HttpRequest | None = None, **deadlines: Any) -> SlaPolicy:
    """Change a policy's deadlines. Applies to deadlines computed from now on (see the module's docstring)."""
    _require(actor, "appeal.configure")
    values = _sla_values(deadlines, sla)
    errors = _sla_errors(values)
    if errors:
        raise ValidationError(errors)
    changed = {k: v for k, v in values.items() if getattr(sla, k) != v}
    if not changed:
        return sla
    with transaction.atomic():
        before = {k: getattr(sla, k) for k in changed}
        for k, v in changed.items():
            setattr(sla, k, v)
        sla.save(update_fields=list(changed))
        record(
            Action.APPEAL_SLA_UPDATED,
            actor=actor,
            obj=sla,
            request=request,
            data={"changed": diff(before, changed)},
        )
    return sla


def sla_remove(*, actor: Any, sla: SlaPolicy, request: HttpRequest | None = None) -> None:
    """Remove a category's own policy (the default for its urgency then applies). Defaults are kept."""
    _require(actor, "appeal.configure")
    if sla.category_id is None:
        raise ValidationError(_("A default policy cannot be removed; change its deadlines instead."))
    with transaction.atomic():
        record(
            Action.APPEAL_SLA_REMOVED,
            actor=actor,
            obj=sla,
            request=request,
            data={"category": sla.category.code if sla.category else None, "urgency": sla.urgency},
        )
        sla.delete()


# --- the satisfaction scale ---------------------------------------------------------------------


def _scale_errors(
    *, label: str, counts_as_satisfied: bool, sort_order: int, instance: SatisfactionLevel | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not label:
        errors["label"] = [_("Enter a label.")]
    elif len(label) > 40:
        errors["label"] = [_("A label has at most 40 characters.")]
    elif SatisfactionLevel.objects.filter(label=label).exclude(pk=instance.pk if instance else 0).exists():
        errors["label"] = [_("Another level already has this label.")]
    if not 0 <= sort_order <= SORT_MAX:
        errors["sort_order"] = [_("Enter an order between 0 and %(max)d.") % {"max": SORT_MAX}]
    others = SatisfactionLevel.objects.exclude(pk=instance.pk if instance else 0)
    flags = {*others.values_list("counts_as_satisfied", flat=True), counts_as_satisfied}
    if flags != {True, False}:
        errors["counts_as_satisfied"] = [
            _("The scale needs at least one level that counts as satisfied and one that does not.")
        ]
    return errors


def satisfaction_create(
    *,
    actor: Any,
    code: str,
    label: str,
    counts_as_satisfied: bool,
    sort_order: int = 0,
    request: HttpRequest | None = None,
) -> SatisfactionLevel:
    _require(actor, "appeal.configure")
    code, label = (code or "").strip(), (label or "").strip()
    errors = _scale_errors(label=label, counts_as_satisfied=counts_as_satisfied, sort_order=sort_order, instance=None)
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,19}$", code):
        errors["code"] = [_("Use 1 to 20 lower-case letters, digits and hyphens.")]
    elif SatisfactionLevel.objects.filter(code=code).exists():
        errors["code"] = [_("Another level already has this code.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        level = SatisfactionLevel.objects.create(
            code=code, label=label, counts_as_satisfied=counts_as_satisfied, sort_order=sort_order
        )
        record(
            Action.APPEAL_SATISFACTION_CREATED,
            actor=actor,
            obj=level,
            request=request,
            data={"code": code, "label": label, "counts_as_satisfied": counts_as_satisfied},
        )
    return level


def satisfaction_update(
    *,
    actor: Any,
    level: SatisfactionLevel,
    label: str,
    counts_as_satisfied: bool,
    sort_order: int = 0,
    request: HttpRequest | None = None,
) -> SatisfactionLevel:
    """Relabel or reclassify a level; a rating counts as it was classified when it was given."""
    _require(actor, "appeal.configure")
    label = (label or "").strip()
    errors = _scale_errors(label=label, counts_as_satisfied=counts_as_satisfied, sort_order=sort_order, instance=level)
    if errors:
        raise ValidationError(errors)
    new = {"label": label, "counts_as_satisfied": counts_as_satisfied, "sort_order": sort_order}
    changed = {k: v for k, v in new.items() if getattr(level, k) != v}
    if not changed:
        return level
    with transaction.atomic():
        before = {k: getattr(level, k) for k in changed}
        for k, v in changed.items():
            setattr(level, k, v)
        level.save(update_fields=list(changed))
        record(
            Action.APPEAL_SATISFACTION_UPDATED,
            actor=actor,
            obj=level,
            request=request,
            data={"changed": diff(before, changed)},
        )
    return level
