"""Every view and API operation declares its permission (DESIGN.md rule 1), and
the declaration is enforced: anonymous → login or 401, wrong role → 403,
outside one's org scope → 404 (the same answer as a missing object)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.urls.converters import IntConverter, UUIDConverter
from ninja import NinjaAPI, Router
from ninja.operation import PathView

from anju.access import policy
from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.api import api as anju_api
from anju.orgs import services as org_services
from anju.orgs.models import OrgUnit, UnitKind
from anju.testing import Tree, make_user

# URLs that django-ninja adds by itself and that run none of our code: the
# OpenAPI schema, its Swagger page, and the API root (always 404). Nothing else
# may go without a permission.
NINJA_BUILTIN_URLS = frozenset({"api:openapi-json", "api:openapi-view", "api:api-root"})
MISSING_ID = 987_654_321


# --- the walk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str  # namespaced, e.g. "orgs:unit"
    callback: Callable[..., Any]
    pattern: URLPattern


def iter_endpoints(patterns: Iterable[Any], route: str = "", namespace: str = "") -> Iterator[Endpoint]:
    """Every URL pattern below ``patterns``, depth first; Django's admin (which
    guards itself, see test_admin_*) is left out."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(part for part in (namespace, entry.namespace or "") if part)
            if ns.split(":")[0] == "admin":
                continue
            yield from iter_endpoints(entry.url_patterns, route + str(entry.pattern), ns)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield Endpoint(route + str(entry.pattern), name, entry.callback, entry)


def ninja_path_view(callback: Callable[..., Any]) -> PathView | None:
    """The django-ninja PathView a URL callback dispatches to, if it is one."""
    for cell in getattr(callback, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def permission_problem(view: Callable[..., Any]) -> str | None:
    action = getattr(view, "anju_permission", None)
    if action is None:
        return "declares no permission"
    if action in (policy.PUBLIC, policy.AUTHENTICATED) or action in policy.rules():
        return None
    return f"uses the undeclared action {action!r}"


def url_permission_problems(
    patterns: Iterable[Any], allowed: frozenset[str] = frozenset()
) -> tuple[list[str], set[str]]:
    """(problems, exempted): every view or API operation reachable from
    ``patterns`` without a declared permission, except the URL names in
    ``allowed``, which are returned as ``exempted`` when they were met."""
    problems: list[str] = []
    exempted: set[str] = set()
    for endpoint in iter_endpoints(patterns):
        path_view = ninja_path_view(endpoint.callback)
        views = [(op.view_func, f"{','.join(op.methods)} ") for op in path_view.operations] if path_view else []
        if not path_view:
            if permission_problem(endpoint.callback) and endpoint.name in allowed:
                exempted.add(endpoint.name)
                continue
            views = [(endpoint.callback, "")]
        for view, methods in views:
            problem = permission_problem(view)
            if problem:
                problems.append(f"{methods}/{endpoint.route} ({endpoint.name or view.__name__}) {problem}")
    return problems, exempted


def ninja_operation_problems(api: NinjaAPI) -> list[str]:
    """Every operation of every router mounted on ``api`` without a declared permission."""
    problems = []
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            for operation in path_view.operations:
                problem = permission_problem(operation.view_func)
                if problem:
                    problems.append(f"{','.join(operation.methods)} {prefix}{route} {problem}")
    return problems


def api_operations(api: NinjaAPI = anju_api) -> list[tuple[str, str, Any]]:
    """(method, path template, operation) of every operation of the API."""
    found = []
    for _prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            for operation in path_view.operations:
                found.extend((method, route, operation) for method in operation.methods)
    return found


# --- rule 1: the walk finds no view without a permission ----------------------------------


def test_every_url_declares_a_declared_permission() -> None:
    problems, exempted = url_permission_problems(get_resolver().url_patterns, allowed=NINJA_BUILTIN_URLS)
    assert problems == []
    # The allowances are exactly django-ninja's own views, and each is still there.
    assert exempted == set(NINJA_BUILTIN_URLS)


def test_walk_reaches_every_app() -> None:
    names = {e.name for e in iter_endpoints(get_resolver().url_patterns)}
    for expected in ("core:home", "accounts:login", "orgs:unit", "audit:events", "jobs:status", "spaces:stations"):
        assert expected in names
    assert "api:create_orgunit" in names
    assert not any(name.startswith("admin:") for name in names)


def test_every_api_operation_declares_a_declared_permission() -> None:
    assert ninja_operation_problems(anju_api) == []
    routes = {(method, route) for method, route, _op in api_operations()}
    assert {("GET", "/me"), ("POST", "/orgunits"), ("GET", "/orgunits/{unit_id}"), ("GET", "/audit/events")} <= routes


def test_api_urls_serve_only_walked_operations() -> None:
    """The operations served under /api/v1 are the ones the router walk checks."""
    served = set()
    for endpoint in iter_endpoints(get_resolver().url_patterns):
        path_view = ninja_path_view(endpoint.callback)
        if path_view:
            served |= {op.view_func for op in path_view.operations}
    walked = {op.view_func for _m, _r, op in api_operations()}
    assert served == walked


def _undecorated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("open")


@policy.permission(policy.AUTHENTICATED)
def _decorated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("guarded")


def _typo(request: HttpRequest) -> HttpResponse:
    return HttpResponse("typo")


_typo.anju_permission = "no.such.action"  # type: ignore[attr-defined]


def test_walk_flags_a_view_without_permission() -> None:
    inner = ([path("bad/", _undecorated, name="bad"), path("good/", _decorated, name="good")], "inner")
    patterns = [
        path("ok/", _decorated, name="ok"),
        path("nested/", include(inner)),
        path("typo/", _typo, name="typo"),
        path("admin/", include(([path("x/", _undecorated, name="x")], "admin"))),
    ]
    problems, exempted = url_permission_problems(patterns)
    assert len(problems) == 2
    assert "nested/bad/ (inner:bad) declares no permission" in problems[0]
    assert "typo/ (typo) uses the undeclared action 'no.such.action'" in problems[1]
    assert exempted == set()


def test_walk_flags_an_api_operation_without_permission() -> None:
    router = Router()

    @router.get("/guarded")
    @policy.permission(policy.AUTHENTICATED)
    def guarded(request: HttpRequest) -> dict[str, str]:
        return {}

    @router.post("/open")
    def open_operation(request: HttpRequest) -> dict[str, str]:
        return {}

    api = NinjaAPI(urls_namespace="permission_walk_test")
    api.add_router("/", router)
    problems, exempted = url_permission_problems(
        [path("api/", api.urls)], allowed=frozenset({"permission_walk_test:openapi-json"})
    )
    assert [p for p in problems if "/open" in p] == [
        "POST /api/open (permission_walk_test:open_operation) declares no permission"
    ]
    # Un-allowed ninja built-ins are flagged too; the allowed one is reported as exempted.
    assert any("permission_walk_test:openapi-view" in p for p in problems)
    assert not any("guarded" in p for p in problems)
    assert exempted == {"permission_walk_test:openapi-json"}
    assert ninja_operation_problems(api) == ["POST //open declares no permission"]


def test_decorator_refuses_an_undeclared_action() -> None:
    with pytest.raises(LookupError):
        policy.permission("no.such.action")


# --- anonymous access ---------------------------------------------------------------------


@dataclass
class Scene:
    """The objects the URL walk fills path parameters with (not the shared appeals ``world``)."""

    tree: Tree
    admin: Any
    task_force: Any
    member: Any
    user: Any
    grant: Any
    token: Any


@pytest.fixture
def scene(tree: Tree) -> Scene:
    admin = make_user(Role.ADMIN, tree.province)
    task_force = org_services.taskforce_create(actor=None, community=tree.community, name="四位一体专班")
    member = org_services.taskforce_add_member(
        actor=None, task_force=task_force, name="王物业", organisation="物业公司"
    )
    user = make_user(Role.GRID_WORKER, tree.grid)
    token, _raw = account_services.token_create(actor=None, user=user, name="cli")
    return Scene(tree, admin, task_force, member, user, user.grants.get(), token)


def _path_kwargs(endpoint: Endpoint, scene: Scene) -> dict[str, Any]:
    """Fill each path parameter: with the pk of a real object of the right kind
    where this test knows one, else with any existing pk (int) or a plain value."""
    sources: dict[tuple[str, str], Callable[[Scene], int]] = {
        ("orgs:unit", "pk"): lambda w: w.tree.community.pk,
        ("orgs:taskforce", "pk"): lambda w: w.task_force.pk,
        ("orgs:taskforce", "member_pk"): lambda w: w.member.pk,
        ("accounts:user", "pk"): lambda w: w.user.pk,
        ("accounts:user", "grant_pk"): lambda w: w.grant.pk,
        ("accounts:token", "pk"): lambda w: w.token.pk,
    }
    kwargs: dict[str, Any] = {}
    for param, converter in getattr(endpoint.pattern.pattern, "converters", {}).items():
        source = next(
            (fn for (prefix, p), fn in sources.items() if endpoint.name.startswith(prefix) and p == param), None
        )
        if source is not None:
            kwargs[param] = source(scene)
        elif isinstance(converter, IntConverter):
            kwargs[param] = scene.tree.community.pk
        elif isinstance(converter, UUIDConverter):
            kwargs[param] = uuid.UUID(int=1)
        else:
            kwargs[param] = "x"
    return kwargs


def guarded_html_urls(scene: Scene) -> list[str]:
    urls = []
    for endpoint in iter_endpoints(get_resolver().url_patterns):
        if endpoint.name.startswith("api:"):
            continue
        if getattr(endpoint.callback, "anju_permission", None) == policy.PUBLIC:
            continue
        urls.append(reverse(endpoint.name, kwargs=_path_kwargs(endpoint, scene)))
    return urls


def _login_redirect_next(response: HttpResponse) -> str | None:
    """The ``next`` of a redirect to the login page, or None if it is no such redirect."""
    if response.status_code != 302:
        return None
    location = urlsplit(response["Location"])
    if location.path != reverse("accounts:login"):
        return None
    return parse_qs(location.query).get("next", [None])[0]


@pytest.mark.django_db
def test_anonymous_get_of_every_guarded_page_redirects_to_login(scene: Scene) -> None:
    urls = guarded_html_urls(scene)
    assert "/orgs/" in urls
    assert f"/orgs/units/{scene.tree.community.pk}/" in urls
    assert f"/accounts/users/{scene.user.pk}/grants/{scene.grant.pk}/revoke/" in urls
    assert reverse("accounts:login") not in urls  # public pages are not in the list
    client = Client()
    wrong = {}
    for url in urls:
        response = client.get(url + "?page=2")
        if _login_redirect_next(response) != url + "?page=2":
            wrong[url] = (response.status_code, response.get("Location"))
    assert wrong == {}


@pytest.mark.django_db
def test_anonymous_post_to_guarded_pages_changes_nothing(scene: Scene) -> None:
    units = OrgUnit.objects.count()
    client = Client()
    for url in guarded_html_urls(scene):
        response = client.post(url, {"name": "被篡改", "kind": UnitKind.AREA, "reason": "x", "active": "0"})
        assert _login_redirect_next(response) == url, url
    scene.tree.community.refresh_from_db()
    scene.user.refresh_from_db()
    assert OrgUnit.objects.count() == units
    assert scene.tree.community.name == "安居社区"
    assert scene.user.is_active


def _api_url(route: str, scene: Scene) -> str:
    # Any other "{…_id}" path parameter: an id that need not exist (anonymous callers get 401 first).
    route = route.replace("{unit_id}", str(scene.tree.community.pk))
    return "/api/v1" + re.sub(r"\{[a-z_]+_id\}", str(MISSING_ID), route)


@pytest.mark.django_db
def test_anonymous_call_of_every_api_operation_is_401(scene: Scene) -> None:
    operations = api_operations()
    assert ("POST", "/orgunits") in {(m, r) for m, r, _op in operations}
    client = Client()
    wrong = {}
    public = set()
    for method, route, op in operations:
        url = _api_url(route, scene)
        assert "{" not in url, f"fill the path parameters of {route} in this test"
        response = client.generic(method, url, data=json.dumps({}), content_type="application/json")
        body = response.json() if response.get("Content-Type", "").startswith("application/json") else None
        if getattr(op.view_func, "anju_permission", None) == policy.PUBLIC:
            # The few public operations (signing in by SMS code): no auth, and an empty body is a 422, never a 500;
            # a public read (a project's 公示) of an id no row has is a 404.
            public.add(route)
            if response.status_code != (404 if method == "GET" else 422) or not body:
                wrong[f"{method} {url}"] = (response.status_code, body)
            continue
        if response.status_code != 401 or not body or body["error"]["code"] != "unauthorized":
            wrong[f"{method} {url}"] = (response.status_code, body)
        elif not body["error"]["message"]:
            wrong[f"{method} {url}"] = "empty message"
    assert wrong == {}
    assert public == PUBLIC_API_ROUTES


#: Every API operation a caller may use without signing in; a new one must be added here on purpose.
PUBLIC_API_ROUTES = {
    "/accounts/code",
    "/accounts/code/verify",
    "/people/invitations/code",
    "/people/invitations/accept",
    "/contributions/projects/{project_id}/public",
}


@pytest.mark.django_db
def test_anonymous_with_bad_token_is_401(scene: Scene) -> None:
    response = Client().get("/api/v1/me", headers={"Authorization": "Bearer anju_not-a-token"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


# --- admin site -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_sends_anonymous_to_anju_login() -> None:
    client = Client()
    response = client.get("/admin/")
    assert response.status_code == 302
    # Django's admin first sends the visitor to its own login view …
    admin_login = urlsplit(response["Location"])
    assert admin_login.path == reverse("admin:login")
    # … which hands over to Anju's throttled, audited sign-in page.
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert _login_redirect_next(response) == "/admin/"


@pytest.mark.django_db
def test_admin_login_page_redirects_to_anju_login() -> None:
    response = Client().get("/admin/login/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"


@pytest.mark.django_db
def test_admin_refuses_a_signed_in_user_without_staff_flag(tree: Tree, client_for: Any) -> None:
    user = make_user(Role.COMMUNITY_WORKER, tree.community)
    response = client_for(user).get("/admin/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("admin:login")


# --- cross-community: 404, the same as missing --------------------------------------------


@pytest.fixture
def other_task_force(tree: Tree) -> Any:
    return org_services.taskforce_create(actor=None, community=tree.other_community, name="宝塔专班")


@pytest.fixture
def own_task_force(tree: Tree) -> Any:
    return org_services.taskforce_create(actor=None, community=tree.community, name="安居专班")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "target"),
    [
        ("orgs:unit", "unit"),
        ("orgs:unit_children", "unit"),
        ("orgs:taskforce", "taskforce"),
    ],
)
def test_community_worker_gets_404_for_other_community(
    tree: Tree, client_for: Any, own_task_force: Any, other_task_force: Any, url_name: str, target: str
) -> None:
    client = client_for(make_user(Role.COMMUNITY_WORKER, tree.community))
    own, other = (tree.community, tree.other_community) if target == "unit" else (own_task_force, other_task_force)
    assert client.get(reverse(url_name, kwargs={"pk": own.pk})).status_code == 200
    assert client.get(reverse(url_name, kwargs={"pk": other.pk})).status_code == 404
    assert client.get(reverse(url_name, kwargs={"pk": MISSING_ID})).status_code == 404
    if target == "unit":
        # Below the other community too, and the upward reach stops at the common street.
        assert client.get(reverse(url_name, kwargs={"pk": tree.other_grid.pk})).status_code == 404
        assert client.get(reverse(url_name, kwargs={"pk": tree.street.pk})).status_code == 200


@pytest.mark.django_db
def test_community_worker_gets_404_for_other_community_by_api(tree: Tree, client_for: Any) -> None:
    client = client_for(make_user(Role.COMMUNITY_WORKER, tree.community))
    assert client.get(f"/api/v1/orgunits/{tree.community.pk}").json()["id"] == tree.community.pk
    other = client.get(f"/api/v1/orgunits/{tree.other_community.pk}")
    missing = client.get(f"/api/v1/orgunits/{MISSING_ID}")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert other.json()["error"]["code"] == "not_found"
    # Listing children of another community's unit is a 404 as well, not an empty page.
    assert client.get(f"/api/v1/orgunits?parent_id={tree.other_community.pk}").status_code == 404
    listed = {u["id"] for u in client.get("/api/v1/orgunits?limit=200").json()["results"]}
    assert tree.grid.pk in listed
    assert tree.other_community.pk not in listed
    assert tree.other_grid.pk not in listed


@pytest.mark.django_db
def test_user_detail_of_other_community_is_404(tree: Tree, client_for: Any) -> None:
    # Reading accounts takes user.view (branch secretary and above); a community worker gets 403 outright.
    secretary = make_user(Role.BRANCH_SECRETARY, tree.community)
    colleague = make_user(Role.GRID_WORKER, tree.grid)
    stranger = make_user(Role.GRID_WORKER, tree.other_grid)
    client = client_for(secretary)
    assert client.get(reverse("accounts:user_detail", kwargs={"pk": colleague.pk})).status_code == 200
    assert client.get(reverse("accounts:user_detail", kwargs={"pk": stranger.pk})).status_code == 404
    assert client.get(reverse("accounts:user_detail", kwargs={"pk": MISSING_ID})).status_code == 404
    listing = client.get(reverse("accounts:users")).content.decode()
    assert colleague.username in listing
    assert stranger.username not in listing
    worker = client_for(make_user(Role.COMMUNITY_WORKER, tree.community))
    assert worker.get(reverse("accounts:user_detail", kwargs={"pk": colleague.pk})).status_code == 403


@pytest.mark.django_db
def test_cross_community_post_changes_nothing(tree: Tree, client_for: Any, other_task_force: Any) -> None:
    other_member = org_services.taskforce_add_member(
        actor=None, task_force=other_task_force, name="李业主", organisation="业委会"
    )
    client = client_for(make_user(Role.COMMUNITY_WORKER, tree.community))
    url = reverse("orgs:taskforce_remove_member", kwargs={"pk": other_task_force.pk, "member_pk": other_member.pk})
    assert client.post(url).status_code == 404
    url = reverse("orgs:taskforce", kwargs={"pk": other_task_force.pk})
    assert client.post(url, {"name": "外人", "organisation": "x"}).status_code == 404
    assert list(other_task_force.members.values_list("name", flat=True)) == ["李业主"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.RESIDENT, "/audit/"),
        (Role.RESIDENT, "/orgs/"),
        (Role.RESIDENT, "/accounts/users/"),
        ("", "/orgs/"),
        ("", "/station/"),
        (Role.COMMUNITY_WORKER, "/jobs/"),
        (Role.COMMUNITY_WORKER, "/audit/personal-data/"),
        (Role.GRID_WORKER, "/accounts/users/new/"),
        (Role.SUPERVISOR, "/jobs/"),
    ],
)
def test_wrong_role_gets_403(tree: Tree, client_for: Any, role: str, url: str) -> None:
    user = make_user(role, tree.community) if role else make_user()
    response = client_for(user).get(url)
    assert response.status_code == 403
    assert b'lang="zh-Hans"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.SUPERVISOR, "/audit/"),
        (Role.ADMIN, "/jobs/"),
        (Role.RESIDENT, "/station/"),
        (Role.COMMUNITY_WORKER, "/orgs/"),
        (Role.BRANCH_SECRETARY, "/accounts/users/"),
    ],
)
def test_right_role_gets_200(tree: Tree, client_for: Any, role: str, url: str) -> None:
    """The counterpart of the 403 cases: the page itself works for a role that may see it."""
    assert client_for(make_user(role, tree.community)).get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        (Role.RESIDENT, "get", "/api/v1/audit/events"),
        (Role.RESIDENT, "get", "/api/v1/orgunits"),
        ("", "get", "/api/v1/taskforces"),
        (Role.COMMUNITY_WORKER, "post", "/api/v1/orgunits"),
    ],
)
def test_wrong_role_gets_403_json(tree: Tree, client_for: Any, role: str, method: str, url: str) -> None:
    user = make_user(role, tree.community) if role else make_user()
    body = {"parent_id": tree.community.pk, "kind": UnitKind.AREA, "name": "新片区"}
    count = OrgUnit.objects.count()
    response = getattr(client_for(user), method)(url, data=body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert OrgUnit.objects.count() == count


@pytest.mark.django_db
def test_signed_in_user_may_use_authenticated_pages_without_roles(client_for: Any) -> None:
    client = client_for(make_user())
    assert client.get("/").status_code == 200
    assert client.get("/accounts/me/").status_code == 200
    assert client.get("/api/v1/me").json()["grants"] == []
