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
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.functional import LazyObject

from anju.access.roles import Role

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
    #: The paths of the units above the granted one, from the root down (its upward reach).
    above: tuple[str, ...] = ()


def _work_out(holder: Any, key: Hashable, compute: Callable[[], Any]) -> Any:
    return compute()


#: How the policy keeps what it derives from the grants and the org tree across requests: by default it keeps
#: nothing; ``anju.core`` installs its reference-data memo at start-up (:func:`keep_answers_with`).
_remember: Callable[[Any, Hashable, Callable[[], Any]], Any] = _work_out


def keep_answers_with(remember: Callable[[Any, Hashable, Callable[[], Any]], Any] | None) -> None:
    """Keep the grants and reach of a user with ``remember(user, key, compute)``, which must drop them the moment
    a role grant or an org unit changes (``anju.core.stamp.remember``); ``None`` keeps nothing."""
    global _remember
    _remember = remember or _work_out


def _is_org_units(units: models.QuerySet[Any], sql: str) -> bool:
    """A queryset of org units filtered by their own columns (``sql``, its text: one FROM, so no join and no
    subquery): its answer depends on nothing the reference-data memo does not watch."""
    return bool(units.model._meta.label == "orgs.OrgUnit") and sql.count(" FROM ") == 1 and " JOIN " not in sql


def grants_of(user: Any) -> tuple[Grant, ...]:
    """The user's role grants, cached on the user object for the request (a tuple: shared, not copied, by the
    checks a list of 50 rows makes on each) and kept by the process while no grant or org unit changes."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    cached: tuple[Grant, ...] | None = getattr(user, "_anju_grants", None)
    if cached is None:

        def compute() -> tuple[Grant, ...]:
            return tuple(
                Grant(g.role, g.unit.path, g.unit_id, g.department_id, tuple(g.unit.paths_above(g.unit.path)))
                for g in user.grants.filter(unit__is_active=True).select_related("unit")
            )

        cached = _remember(user, ("grants", user.pk), compute)
        user._anju_grants = cached
    return cached


def _roles_held(user: Any) -> frozenset[str]:
    """The roles of the user's grants, cached on the user object beside them: an object-less check asks only
    whether one of a rule's roles is held (the main menu asks it of some thirty actions on every page)."""
    held = getattr(user, "_anju_roles", None)
    if held is None:
        held = user._anju_roles = frozenset(g.role for g in grants_of(user))
    return held


def forget_grants(user: Any) -> None:
    """Read the user's grants and reach again at the next check (after a change within the same request)."""
    for attr in ("_anju_grants", "_anju_roles", "_anju_reach_ids", "_anju_stamp"):
        if hasattr(user, attr):
            delattr(user, attr)


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


def grants_for(user: Any, action: str) -> list[Grant]:
    """The user's grants that carry ``action`` (an administrator's grant carries every action): where the user
    may do it. A superuser's reach does not come from grants; ask :func:`is_superuser` first when it matters."""
    return _grants_for(user, rule_for(action))


def _grants_for(user: Any, rule: Rule) -> list[Grant]:
    """Grants that carry the action; an administrator's grant carries every action."""
    return _holding(user, rule.roles)


def _holding(user: Any, roles: Iterable[str]) -> list[Grant]:
    """The user's grants of one of ``roles``; an administrator's grant counts as every role."""
    # A rule's roles are already a frozenset of strings (``Role`` members are ``str``, equal to their values).
    wanted = roles if isinstance(roles, frozenset) else {str(r) for r in roles}
    return [g for g in grants_of(user) if g.role in wanted or g.role == Role.ADMIN]


# --- reach ---------------------------------------------------------------------------------------
# The one place that turns grants into reach. A grant reaches its unit's subtree; an ``upward``
# reach also reaches the units above the grant (a grid worker reads their community and street).
# Everything else asks these functions: path arithmetic outside this module and ``orgs`` is
# refused by tests/test_reach_single_source.py.


def _reaches(grant_path: str, path: str, upward: bool) -> bool:
    return path.startswith(grant_path) or (upward and grant_path.startswith(path))


def _reach_grants(
    user: Any, action: str | None, roles: Iterable[str] | None, upward: bool | None
) -> tuple[list[Grant], bool]:
    """The grants that give reach, and whether it goes upward: those of ``action`` (and its
    ``upward`` flag), or of an explicit role set (downward unless told)."""
    if (action is None) == (roles is None):
        raise TypeError("give exactly one of action= or roles=")
    if action is not None:
        rule = rule_for(action)
        return _grants_for(user, rule), rule.upward if upward is None else upward
    return _holding(user, roles or ()), bool(upward)


def in_reach(
    user: Any,
    unit: Any,
    *,
    action: str | None = None,
    roles: Iterable[str] | None = None,
    upward: bool | None = None,
) -> bool:
    """Does the user's reach for ``action`` (or ``roles``) cover the org unit ``unit``?
    Reach only: an action's object check is :func:`can`'s business."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or unit is None:
        return False
    if action is not None and not _acting_allows(user, action):
        return False
    if is_superuser(user):
        return True
    grants, up = _reach_grants(user, action, roles, upward)
    path: str = unit.path
    return any(_reaches(g.path, path, up) for g in grants)


def reach_q(
    user: Any,
    path_field: str,
    *,
    action: str | None = None,
    roles: Iterable[str] | None = None,
    upward: bool | None = None,
) -> Q:
    """A filter limiting rows to those whose ``path_field`` (an org-unit path lookup such as
    ``"community__path"``) lies within the user's reach for ``action`` (or ``roles``)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if is_superuser(user):
        return Q()
    grants, up = _reach_grants(user, action, roles, upward)
    if not grants:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for g in grants:
        q |= Q(**{f"{path_field}__startswith": g.path})
        if up and g.above:
            q |= Q(**{f"{path_field}__in": list(g.above)})
    return q


def reach_ids(
    user: Any,
    units: models.QuerySet[Any],
    *,
    action: str | None = None,
    roles: Iterable[str] | None = None,
    upward: bool | None = None,
    name: str | None = None,
) -> list[int] | None:
    """The ids of the org units of ``units`` (say, every community) within the user's reach for ``action``
    (or ``roles``): what a list filters its rows' indexed key by (``community_id__in``) instead of a path
    pattern through a join. ``None`` means no limit (a superuser). One query on the org units, remembered
    on the user object for the request, and by the process while no grant or org unit changes.

    ``name`` names ``units`` for those memos ("communities": every community). A caller that gives one vouches
    that ``units`` are org units filtered by their own columns only; without it the memos are keyed by the units'
    SQL, which a list page spent half a millisecond writing on every request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if action is not None and not _acting_allows(user, action):
        return []
    if is_superuser(user):
        return None
    grants, up = _reach_grants(user, action, roles, upward)
    if not grants:
        return []
    units_key = f"name:{name}" if name else str(units.query)
    key = (action, tuple(sorted(str(r) for r in roles or ())), up, units_key)
    cache: dict[Any, tuple[int, ...]] | None = getattr(user, "_anju_reach_ids", None)
    if cache is None:
        cache = user._anju_reach_ids = {}
    if key not in cache:
        q = reach_q(user, "path", action=action, roles=roles, upward=upward)

        def compute() -> tuple[int, ...]:
            return tuple(sorted(units.filter(q).values_list("pk", flat=True)))

        kept = bool(name) or _is_org_units(units, units_key)
        cache[key] = _remember(user, ("reach", user.pk, *key), compute) if kept else compute()
    return list(cache[key])


def _rows_in_reach(
    grants: list[Grant], up: bool, communities: models.QuerySet[Any], units: models.QuerySet[Any]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ids of the communities wholly within ``grants`` and of the ``units`` within the grants below one."""
    down = Q(pk__in=[])
    for g in grants:
        down |= Q(path__startswith=g.path)
    whole = list(communities.filter(down).values_list("pk", "path"))
    # A grant that holds no whole community lies below one (or over an empty part of the tree).
    below = [g for g in grants if not any(path.startswith(g.path) for _pk, path in whole)]
    unit_ids: list[int] = []
    if below:
        q = Q(pk__in=[])
        for g in below:
            q |= Q(path__startswith=g.path)
            if up and g.above:
                q |= Q(path__in=list(g.above))
        unit_ids = sorted(units.filter(q).values_list("pk", flat=True))
    return tuple(sorted(pk for pk, _path in whole)), tuple(unit_ids)


def rows_in_reach_q(
    user: Any,
    action: str,
    *,
    communities: models.QuerySet[Any],
    units: models.QuerySet[Any],
    community_key: str = "community_id",
    unit_key: str = "unit_id",
) -> Q:
    """A filter for rows that carry both their community and their own org unit (a resident's building): the
    rows of every community wholly within the user's reach for ``action``, by ``community_key`` (an indexed
    key, no path join), and, for the grants below a community (a grid worker's grid, a volunteer's area), the
    rows of the ``units`` within those grants, by ``unit_key``. The same rows as ``scope_q(user, action,
    "unit__path")`` whenever a row's unit lies within its community. Two queries at most on the org units,
    remembered on the user object for the request."""
    rule_for(action)
    if not getattr(user, "is_authenticated", False) or not user.is_active or not _acting_allows(user, action):
        return Q(pk__in=[])
    if is_superuser(user):
        return Q()
    grants, up = _reach_grants(user, action, None, None)
    if not grants:
        return Q(pk__in=[])
    key = ("rows", action, str(communities.query), str(units.query))
    cache: dict[Any, Any] | None = getattr(user, "_anju_reach_ids", None)
    if cache is None:
        cache = user._anju_reach_ids = {}
    if key not in cache:

        def compute() -> tuple[tuple[int, ...], tuple[int, ...]]:
            return _rows_in_reach(grants, up, communities, units)

        org_units = _is_org_units(communities, key[2]) and _is_org_units(units, key[3])
        cache[key] = _remember(user, ("rows", user.pk, *key[1:]), compute) if org_units else compute()
    community_ids, unit_ids = cache[key]
    found = Q(pk__in=[])
    if community_ids:
        found |= Q(**{f"{community_key}__in": community_ids})
    if unit_ids:
        found |= Q(**{f"{unit_key}__in": unit_ids})
    return found


def reaches_root(user: Any, action: str) -> bool:
    """Does a grant carrying ``action`` sit on a tree root (so the user sees rows of no community)?"""
    if is_superuser(user):
        return True
    return any(not g.above for g in _grants_for(user, rule_for(action)))


# --- acting for someone else (子女代办) -------------------------------------------------------------
# While a family proxy acts for a resident, the request's user is the resident's account carrying the set of
# actions the grant allows (``accounts.acting`` puts it there on every request). Every other action, and the
# pages open to any signed-in account (their own account, their inbox), are refused; no grant carries a reveal.

ACTING_ATTR = "anju_acting_actions"


def acting_actions(user: Any) -> frozenset[str] | None:
    """The actions a proxy may do while acting as ``user``, or None when no one acts for them."""
    return getattr(user, ACTING_ATTR, None)


def _acting_allows(user: Any, action: str) -> bool:
    allowed = acting_actions(user)
    return allowed is None or (action in allowed and ".reveal" not in action)


def can(user: Any, action: str, obj: Any = None) -> bool:
    """May ``user`` do ``action`` (on ``obj``, when given)?"""
    if action == PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not _acting_allows(user, action):
        return False
    if action == AUTHENTICATED:
        return True
    rule = rule_for(action)
    if is_superuser(user):
        return rule.check(user, obj) if (rule.check and obj is not None) else True
    if obj is None:
        held = _roles_held(user)
        return Role.ADMIN in held or not held.isdisjoint(rule.roles)
    grants = _grants_for(user, rule)
    if not grants:
        return False
    unit = unit_of(obj)
    if unit is None:
        return False
    path: str = unit.path
    if not any(_reaches(g.path, path, rule.upward) for g in grants):
        return False
    return rule.check(user, obj) if rule.check else True


def scope_q(user: Any, action: str, path_field: str) -> Q:
    """A filter limiting rows to those whose ``path_field`` (an org-unit path
    lookup such as ``"community__path"``) lies within the user's reach."""
    rule_for(action)
    if not _acting_allows(user, action):
        return Q(pk__in=[])
    if is_superuser(user):
        return Q()
    return reach_q(user, path_field, action=action)


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


def permission(action: str, *, while_acting: bool = False) -> Callable[[F], F]:
    """Declare and enforce the permission of a view or API operation.

    Anonymous users are sent to the login page (the API's auth answers 401
    before this runs); a signed-in user without the action gets 403.
    ``while_acting``: an ``AUTHENTICATED`` page a family proxy may still open while acting (the home page).
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
                if not can(user, action) and not (
                    while_acting and action == AUTHENTICATED and acting_actions(user) is not None
                ):
                    raise PermissionDenied
                # The user itself from here on, not the lazy proxy that stands for it: a list's checks on each
                # row read some thirty attributes of it, each through the proxy's lookup.
                if isinstance(user, LazyObject):
                    proxy: Any = user
                    request.user = proxy._wrapped
            return view(request, *args, **kwargs)

        wrapper.anju_permission = action  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    return permission(PUBLIC)(view)
