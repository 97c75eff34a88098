"""The permission policy: may this user do this action on this object?

Every action is declared once with :func:`declare` (each domain app's
``policies.py``), naming the roles that may do it. A role granted on an org
unit is valid over that unit's subtree, so an object is within reach when the
org unit it belongs to lies under one of the user's grants for those roles.
Read-only actions may also be declared ``upward``: a grid worker may then read
the community and street above their grid.

Views and API operations call this module from one fixed place, the
:func:`permission` decorator, and fetch objects through :func:`get_for`, which
answers 404 alike for a missing and for a forbidden object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest

from anju.accounts.roles import Role

PUBLIC = "public"
AUTHENTICATED = "authenticated"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    action: str
    roles: frozenset[str]
    upward: bool = False
    description: str = ""
    check: Callable[[Any, Any], bool] | None = field(default=None, compare=False)


_RULES: dict[str, Rule] = {}


def declare(
    action: str,
    roles: Iterable[str],
    *,
    upward: bool = False,
    description: str = "",
    check: Callable[[Any, Any], bool] | None = None,
) -> Rule:
    """Declare an action and the roles that may do it.

    ``check(user, obj)`` is an extra object-level predicate that must also hold.
    """
    rule = Rule(action, frozenset(str(r) for r in roles), upward, description, check)
    if action in _RULES and _RULES[action] != rule:
        raise ValueError(f"action {action!r} declared twice")
    _RULES[action] = rule
    return rule


def rules() -> dict[str, Rule]:
    return dict(_RULES)


def rule_for(action: str) -> Rule:
    try:
        return _RULES[action]
    except KeyError as exc:
        raise LookupError(f"undeclared action {action!r}") from exc


@dataclass(frozen=True)
class Grant:
    role: str
    path: str
    unit_id: int
    department_id: int | None


def grants_of(user: Any) -> list[Grant]:
    """The user's role grants, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_anju_grants", None)
    if cached is None:
        from anju.accounts.models import RoleGrant

        cached = [
            Grant(g.role, g.unit.path, g.unit_id, g.department_id)
            for g in RoleGrant.objects.filter(user=user, unit__is_active=True).select_related("unit")
        ]
        user._anju_grants = cached
    return list(cached)


def forget_grants(user: Any) -> None:
    if hasattr(user, "_anju_grants"):
        del user._anju_grants


def roles_of(user: Any) -> set[str]:
    return {g.role for g in grants_of(user)}


def is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def unit_of(obj: Any) -> Any:
    """The org unit an object belongs to, for scope checks."""
    if obj is None:
        return None
    if getattr(obj, "_meta", None) is not None and obj._meta.label == "orgs.OrgUnit":
        return obj
    for attr in ("policy_unit", "unit", "community"):
        unit = getattr(obj, attr, None)
        if unit is not None:
            return unit() if callable(unit) else unit
    return None


def _grants_for(user: Any, rule: Rule) -> list[Grant]:
    """Grants that carry the action; an administrator's grant carries every action."""
    return [g for g in grants_of(user) if g.role in rule.roles or g.role == Role.ADMIN]


def can(user: Any, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` (on ``obj``, when given)?"""
    if action == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if action == AUTHENTICATED:
        return True
    rule = rule_for(action)
    if is_superuser(user):
        return rule.check(user, obj) if (rule.check and obj is not None) else True
    grants = _grants_for(user, rule)
    if not grants:
        return False
    if obj is None:
        return True
    unit = unit_of(obj)
    if unit is None:
        return False
    path: str = unit.path
    in_reach = any(path.startswith(g.path) or (rule.upward and g.path.startswith(path)) for g in grants)
    if not in_reach:
        return False
    return rule.check(user, obj) if rule.check else True


def scope_q(user: Any, action: str, path_field: str) -> Q:
    """A filter limiting rows to those whose ``path_field`` (an org-unit path
    lookup such as ``"community__path"``) lies within the user's reach."""
    rule = rule_for(action)
    if is_superuser(user):
        return Q()
    grants = _grants_for(user, rule)
    if not grants:
        return Q(pk__in=[])
    q = Q()
    for g in grants:
        q |= Q(**{f"{path_field}__startswith": g.path})
        if rule.upward:
            # The grant unit's ancestors (their paths are prefixes of it).
            step = 10
            prefixes = [g.path[: i * step] for i in range(1, len(g.path) // step)]
            if prefixes:
                q |= Q(**{f"{path_field}__in": prefixes})
    return q


def visible(queryset: models.QuerySet[Any], user: Any, action: str, path_field: str) -> models.QuerySet[Any]:
    return queryset.filter(scope_q(user, action, path_field))


def get_for(user: Any, action: str, queryset: models.QuerySet[Any] | type[models.Model], **lookup: Any) -> Any:
    """Fetch one object and authorise ``action`` on it; 404 when missing *or* forbidden."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        obj = qs.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not can(user, action, obj):
        raise Http404
    return obj


def _is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def permission(action: str) -> Callable[[F], F]:
    """Declare and enforce the permission of a view or API operation.

    Anonymous users are sent to the login page (the API's auth answers 401
    before this runs); a signed-in user without the action gets 403.
    """
    if action not in (PUBLIC, AUTHENTICATED):
        rule_for(action)  # fail at import time on a typo

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if action != PUBLIC:
                user = request.user
                if not user.is_authenticated:
                    if _is_api_request(request):
                        raise PermissionDenied
                    return redirect_to_login(request.get_full_path())
                if not can(user, action):
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.anju_permission = action  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    return permission(PUBLIC)(view)
