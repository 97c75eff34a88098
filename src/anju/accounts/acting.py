"""Acting for someone else (子女代办): the scopes a family proxy may be granted, and the middleware that
re-checks the grant on every request.

A resident grants a family member's account the right to act for them (``accounts.models.ProxyGrant``). The
proxy chooses "act for my mother" on ``/accounts/proxy/`` (a session key) or sends ``X-On-Behalf-Of: <user
id>`` on the API. On **every** request the grant is looked up again (not ended, within its period, both
accounts active), so ending a grant stops the very next request. While it holds:

- ``request.user`` is the resident's account, carrying the set of actions the grant's scopes allow
  (``access.policy.can`` refuses everything else, and every reveal, whatever the scopes say);
- ``request.proxy_user`` is the account really signed in, ``request.acting_for`` the resident and
  ``request.acting_grant`` the grant;
- ``core.proxying.current()`` names the proxy, so audit rows and timelines say "由 X 代办".

The proxy pages themselves, signing out and the language switch always run as the account signed in.

**Scopes** are registered by the apps that own the actions (a base app never names a domain app):
``register_scope("appeals", _("File and follow appeals"), ["appeal.file", "appeal.view", …])`` in
``AppConfig.ready()``; ``allow_while_acting(...)`` adds actions every grant carries (the resident's home).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access import policy
from anju.accounts.models import ProxyGrant
from anju.core import proxying
from anju.core.params import parse_int

SESSION_KEY = "anju_acting_grant"
HEADER = "X-On-Behalf-Of"
#: Paths that always run as the account signed in: the proxy pages (to stop acting), signing out, the language.
EXEMPT_PREFIXES = ("/accounts/proxy/", "/accounts/logout/", "/language/", "/api/v1/proxies")


@dataclass(frozen=True)
class Scope:
    name: str
    label: Any  # lazy text
    actions: frozenset[str]


_SCOPES: dict[str, Scope] = {}
_ALWAYS: set[str] = set()


def register_scope(name: str, label: Any, actions: Iterable[str]) -> None:
    """Offer a scope a resident may grant. Every action must be declared; none may be a reveal."""
    wanted = frozenset(actions)
    for action in wanted:
        policy.rule_for(action)  # an unknown action fails at start-up
        if ".reveal" in action:
            raise ValueError(f"a family proxy never reveals: {action!r}")
    scope = Scope(name, label, wanted)
    if name in _SCOPES and _SCOPES[name].actions != wanted:
        raise ValueError(f"proxy scope {name!r} registered twice")
    _SCOPES[name] = scope


def allow_while_acting(*actions: str) -> None:
    """Actions every grant carries while acting (the resident's home page)."""
    for action in actions:
        policy.rule_for(action)
    _ALWAYS.update(actions)


def scopes() -> list[Scope]:
    return list(_SCOPES.values())


def scope_choices() -> list[tuple[str, Any]]:
    return [(s.name, s.label) for s in _SCOPES.values()]


def actions_of(scope_names: Iterable[str]) -> frozenset[str]:
    """The actions a grant of these scopes allows while acting."""
    actions: set[str] = set(_ALWAYS)
    for name in scope_names:
        scope = _SCOPES.get(name)
        if scope is not None:
            actions |= scope.actions
    return frozenset(actions)


def scope_labels(scope_names: Iterable[str]) -> list[str]:
    return [str(_SCOPES[n].label) for n in scope_names if n in _SCOPES]


# --- which grants hold now ---------------------------------------------------------------------------


def active_q(now: Any = None) -> Q:
    now = now or timezone.now()
    return (
        Q(ended_at__isnull=True, valid_from__lte=now)
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        & Q(grantor__is_active=True, proxy__is_active=True)
    )


def active_grants() -> QuerySet[ProxyGrant]:
    return ProxyGrant.objects.filter(active_q()).select_related("grantor", "proxy")


def real_user(request: HttpRequest) -> Any:
    """The account really signed in, whether or not it is acting for someone."""
    return getattr(request, "proxy_user", None) or request.user


def _exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES)


def _enter(request: HttpRequest, grant: ProxyGrant) -> None:
    """Run the rest of the request as the grantor, narrowed to the grant's actions."""
    request.acting_grant = grant  # type: ignore[attr-defined]
    if _exempt(request.path):
        return
    proxy_user: Any = request.user
    grantor = grant.grantor
    setattr(grantor, policy.ACTING_ATTR, actions_of(grant.scopes))
    request.proxy_user = proxy_user  # type: ignore[attr-defined]
    request.acting_for = grantor  # type: ignore[attr-defined]
    request.user = grantor
    proxying.activate(
        proxying.Proxy(user_id=proxy_user.pk, label=str(proxy_user), grantor_id=grantor.pk, grant_id=grant.pk)
    )


def enter_from_header(request: HttpRequest) -> bool:
    """``X-On-Behalf-Of: <user id>`` on an API request: act for that resident, or raise PermissionDenied when
    the signed-in account holds no grant from them now. False when the header is absent."""
    raw = request.headers.get(HEADER, "").strip()
    if not raw or _exempt(request.path) or getattr(request, "proxy_user", None) is not None:
        return False
    grantor_id = parse_int(raw, minimum=1)
    grant = (
        active_grants().filter(proxy_id=request.user.pk, grantor_id=grantor_id).order_by("-valid_from").first()
        if grantor_id is not None
        else None
    )
    if grant is None:
        raise PermissionDenied
    _enter(request, grant)
    return True


def enter_from_session(request: HttpRequest) -> None:
    grant_id = request.session.get(SESSION_KEY)
    if grant_id is None:
        return
    grant = active_grants().filter(pk=grant_id, proxy_id=request.user.pk).first()
    if grant is None:
        request.session.pop(SESSION_KEY, None)
        messages.warning(request, _("You are no longer acting for anyone: the family proxy has ended."))
        return
    _enter(request, grant)


class ActingMiddleware:
    """Re-checks the grant on every request (after authentication and the language)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = proxying.activate(None)
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                if request.path.startswith("/api/"):
                    try:
                        enter_from_header(request)
                    except PermissionDenied:
                        return _refused(request)
                else:
                    enter_from_session(request)
            return self.get_response(request)
        finally:
            proxying.reset(token)


def _refused(request: HttpRequest) -> HttpResponse:
    message = _("You hold no family proxy from this person now.")
    return JsonResponse({"error": {"code": "forbidden", "message": message, "details": []}}, status=403)


def shell_context(request: HttpRequest) -> dict[str, Any] | None:
    """The banner on every page while acting ("您正在代 X 办理"), and on the proxy pages while a grant is chosen."""
    grant = getattr(request, "acting_grant", None)
    if grant is None:
        return None
    return {"grant": grant, "grantor": grant.grantor}


def period_overlaps_q(start: Any, until: Any, now: Any) -> Q:
    """Grants whose period (not yet over) meets ``start … until`` (``until`` None: open-ended)."""
    q = Q(valid_until__isnull=True) | Q(valid_until__gt=max(start, now))
    if until is not None:
        q &= Q(valid_from__lt=until)
    return q
