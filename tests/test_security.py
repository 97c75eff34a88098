"""Bad input gets a clear error in the user's language and changes nothing
(DESIGN.md rule 8); the API's auth, error body and pagination."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.accounts.models import ApiToken, User
from anju.audit.models import AuditEvent
from anju.orgs.models import OrgUnit, UnitKind
from anju.testing import TEST_PASSWORD, Tree, make_user

UNITS = "/api/v1/orgunits"
HUGE_ID = 10**20  # beyond a 64-bit integer


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def error_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "details"} <= set(body["error"])
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def post_json(client: Client, url: str, data: Any, **extra: Any) -> Any:
    return client.post(url, data if isinstance(data, str | bytes) else json.dumps(data), "application/json", **extra)


@pytest.fixture
def admin(tree: Tree) -> User:
    return make_user(Role.ADMIN, tree.province)


@pytest.fixture
def admin_client(admin: User) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def bearer(admin: User) -> dict[str, str]:
    _token, raw = account_services.token_create(actor=admin, user=admin, name="script")
    return {"Authorization": f"Bearer {raw}"}


def unit_payload(tree: Tree, **overrides: Any) -> dict[str, Any]:
    return {"parent_id": tree.community.pk, "kind": UnitKind.AREA, "name": "新片区", **overrides}


class Unchanged:
    """Snapshot of the rows a refused request must leave alone."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.units = OrgUnit.objects.count()
        self.events = AuditEvent.objects.count()
        self.area_name = tree.area.name

    def check(self) -> None:
        assert OrgUnit.objects.count() == self.units
        assert AuditEvent.objects.count() == self.events
        assert OrgUnit.objects.get(pk=self.tree.area.pk).name == self.area_name


# --- CSRF ---------------------------------------------------------------------------------


def _csrf_client(user: User) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("orgs:tree"))  # sets the CSRF cookie
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["", "en"])
def test_forged_csrf_token_is_refused_in_the_users_language(tree: Tree, admin: User, language: str) -> None:
    if language:
        User.objects.filter(pk=admin.pk).update(preferred_language=language)
    client, real_token = _csrf_client(admin)
    unchanged = Unchanged(tree)
    url = reverse("orgs:unit_update", kwargs={"pk": tree.area.pk})
    for token in ("forged" + "x" * 26, "", real_token[::-1]):
        response = client.post(url, {"name": "被篡改", "csrfmiddlewaretoken": token})
        assert response.status_code == 403
        page = response.content.decode()
        if language == "en":
            assert '<html lang="en"' in page
            assert "The form has expired" in page
        else:
            assert '<html lang="zh-Hans"' in page
            assert zh("The form has expired") in page
    unchanged.check()
    # The real token goes through: the refusals above were the CSRF check's.
    response = client.post(url, {"name": "改名片区", "csrfmiddlewaretoken": real_token})
    assert response.status_code == 302
    assert OrgUnit.objects.get(pk=tree.area.pk).name == "改名片区"


@pytest.mark.django_db
def test_api_with_session_and_no_csrf_is_refused(tree: Tree, admin: User) -> None:
    client, real_token = _csrf_client(admin)
    unchanged = Unchanged(tree)
    response = post_json(client, UNITS, unit_payload(tree))
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    response = post_json(client, UNITS, unit_payload(tree), headers={"X-CSRFToken": "wrong" * 8})
    assert error_of(response)["code"] == "csrf_failed"
    unchanged.check()
    # Reads need no token, and with the token the write goes through.
    assert client.get(UNITS).status_code == 200
    response = post_json(client, UNITS, unit_payload(tree), headers={"X-CSRFToken": real_token})
    assert response.status_code == 201


@pytest.mark.django_db
def test_api_token_needs_no_csrf(tree: Tree, bearer: dict[str, str]) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, UNITS, unit_payload(tree), headers=bearer)
    assert response.status_code == 201


# --- malformed and oversized bodies ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['{"parent_id": 1, "kind": ', "not json at all", "{'single': 'quotes'}", "\x00"])
def test_malformed_json_is_400(tree: Tree, admin_client: Client, body: str) -> None:
    unchanged = Unchanged(tree)
    response = post_json(admin_client, UNITS, body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_body"
    unchanged.check()


@pytest.mark.django_db
def test_json_that_is_not_an_object_is_422(tree: Tree, admin_client: Client) -> None:
    unchanged = Unchanged(tree)
    response = post_json(admin_client, UNITS, "[1, 2, 3]")
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    unchanged.check()


def _too_big() -> str:
    return "长" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 10)  # 3 bytes each in UTF-8


@pytest.mark.django_db
def test_too_large_api_body_is_413_json(tree: Tree, admin_client: Client) -> None:
    unchanged = Unchanged(tree)
    response = post_json(admin_client, UNITS, unit_payload(tree, name=_too_big()))
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "too_large"
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)) in error["message"]
    # The same body as a multipart form (which the size middleware lets through for files).
    response = admin_client.post(UNITS, {"name": _too_big()})
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    unchanged.check()


@pytest.mark.django_db
def test_too_large_form_is_413_page(tree: Tree, admin_client: Client) -> None:
    unchanged = Unchanged(tree)
    url = reverse("orgs:unit_update", kwargs={"pk": tree.area.pk})
    body = "name=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = admin_client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b'<html lang="zh-Hans"' in response.content
    # As multipart/form-data, the form's fields are still held to the limit.
    response = admin_client.post(url, {"name": _too_big()})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert zh("Too large") in response.content.decode()
    unchanged.check()


@pytest.mark.django_db
def test_body_within_the_limit_is_accepted(tree: Tree, admin_client: Client) -> None:
    """The counterpart of the 413 cases: the limit is not simply 'any body'."""
    url = reverse("orgs:unit_update", kwargs={"pk": tree.area.pk})
    response = admin_client.post(url, {"name": "片区" * 40, "padding": "x" * 100_000})
    assert response.status_code == 302


# --- NUL characters (PostgreSQL can store none) --------------------------------------------


@pytest.mark.django_db
def test_nul_character_is_refused_everywhere(tree: Tree, admin: User, admin_client: Client) -> None:
    other = make_user(Role.RESIDENT, tree.building)
    unchanged = Unchanged(tree)
    response = post_json(admin_client, UNITS, unit_payload(tree, name="a\x00b"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
    assert admin_client.get(UNITS, {"q": "a\x00b"}).status_code == 400
    response = admin_client.get(reverse("orgs:tree"), {"q": "a\x00b"})
    assert response.status_code == 400
    assert b'<html lang="zh-Hans"' in response.content
    url = reverse("accounts:user_set_active", kwargs={"pk": other.pk})
    assert admin_client.post(url, {"active": "0", "reason": "moved\x00away"}).status_code == 400
    body = "active=0&reason=moved%00away"
    assert admin_client.post(url, body, content_type="application/x-www-form-urlencoded").status_code == 400
    unchanged.check()
    assert User.objects.get(pk=other.pk).is_active


# --- unknown ids, odd parameters, expired sessions -----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("unit_id", [987_654_321, HUGE_ID, 0])
def test_unknown_org_unit_is_404(admin_client: Client, unit_id: int) -> None:
    response = admin_client.get(f"/orgs/units/{unit_id}/")
    assert response.status_code == 404
    assert b'<html lang="zh-Hans"' in response.content
    response = admin_client.get(f"{UNITS}/{unit_id}")
    if unit_id == 987_654_321:
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    else:  # no id can be 0 or beyond BIGINT: the API says which parameter is out of range (core.params)
        assert response.status_code == 422
        assert error_of(response)["details"][0]["field"] == "unit_id"


@pytest.mark.django_db
def test_unknown_api_path_answers_the_api_error_body(admin_client: Client) -> None:
    for client in (admin_client, Client()):
        response = client.get("/api/v1/no-such-thing")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        (f"{UNITS}/abc", 422, "unit_id"),
        (f"{UNITS}/-1", 422, "unit_id"),
        (f"{UNITS}?parent_id={HUGE_ID}", 422, "parent_id"),
        (f"{UNITS}?kind=castle", 422, "kind"),
        (f"{UNITS}?limit=-1", 422, "limit"),
        (f"{UNITS}?limit=100000", 422, "limit"),
        (f"{UNITS}?offset=-5", 422, "offset"),
        ("/api/v1/audit/events?since=not-a-date", 422, "since"),
        (f"/api/v1/audit/events?community_id={HUGE_ID}", 422, "community_id"),
        ("/api/v1/audit/events?community_id=abc", 422, "community_id"),
    ],
)
def test_odd_api_parameters_are_4xx(admin_client: Client, tree: Tree, url: str, status: int, field: str | None) -> None:
    response = admin_client.get(url)
    assert response.status_code == status
    error = error_of(response)
    if field:
        assert error["code"] == "validation_error"
        assert [d["field"] for d in error["details"]] == [field]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/audit/?since=2024-13-45",
        f"/audit/?community={HUGE_ID}",
        "/audit/?since=2024-05-02&until=2024-05-01",
        "/orgs/?page=abc",
        "/orgs/?page=999999999999999999999",
        "/accounts/users/?page=-1",
        "/orgs/?kind=castle",
        "/jobs/?show=exploded",
    ],
)
def test_odd_page_parameters_are_not_errors(admin_client: Client, tree: Tree, url: str) -> None:
    assert admin_client.get(url).status_code == 200


@pytest.mark.django_db
def test_expired_session_is_sent_to_login(tree: Tree) -> None:
    user = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = Client()
    client.force_login(user)
    assert client.get("/station/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    # The cached copy (cached_db) is kept for the session's age and no longer: it lapses with the row.
    caches[settings.SESSION_CACHE_ALIAS].delete(client.session.cache_key)
    response = client.get("/station/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/station/"
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.django_db
def test_session_expiry_set_in_the_past_is_sent_to_login(tree: Tree) -> None:
    client = Client()
    client.force_login(make_user(Role.COMMUNITY_WORKER, tree.community))
    session = client.session
    session.set_expiry(timezone.now() - timedelta(minutes=1))
    session.save()
    response = client.get("/orgs/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- language switch ----------------------------------------------------------------------


@pytest.mark.django_db
def test_default_language_is_chinese() -> None:
    response = Client(headers={"Accept-Language": "en-US,en;q=0.9"}).get(reverse("accounts:login"))
    assert b'<html lang="zh-Hans"' in response.content


@pytest.mark.django_db
def test_language_switch_sets_cookie_and_next_page_is_english() -> None:
    client = Client()
    response = client.post("/language/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/accounts/login/")
    assert b'<html lang="en"' in page.content
    client.post("/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert b'<html lang="zh-Hans"' in client.get("/accounts/login/").content


@pytest.mark.django_db
def test_language_switch_is_saved_on_the_account(tree: Tree) -> None:
    user = make_user(Role.RESIDENT, tree.building)
    client = Client()
    client.force_login(user)
    client.post("/language/", {"language": "en", "next": "/"})
    assert User.objects.get(pk=user.pk).preferred_language == "en"
    fresh = Client()  # no cookie: the account's preference decides
    fresh.force_login(user)
    assert b'<html lang="en"' in fresh.get("/").content


@pytest.mark.django_db
def test_language_switch_refuses_unknown_language() -> None:
    response = Client().post("/language/", {"language": "xx", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "http://evil.example/accounts/login/", "javascript:alert(1)"]
)
def test_language_switch_ignores_open_redirects(target: str) -> None:
    response = Client().post("/language/", {"language": "en", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"
    response = Client().post("/language/", {"language": "en"}, headers={"Referer": target})
    assert response["Location"] == "/"
    response = Client().post("/text-size/", {"elder": "1", "next": target})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_language_switch_needs_post() -> None:
    assert Client().get("/language/?language=en").status_code == 405


@pytest.mark.django_db
def test_security_headers_and_session_cookie(tree: Tree) -> None:
    response = Client().get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    user = make_user(Role.RESIDENT, tree.building)
    response = Client().post(reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# --- API: tokens, pagination, validation, audit -------------------------------------------


@pytest.mark.django_db
def test_bearer_token_works(admin: User, bearer: dict[str, str]) -> None:
    response = Client().get("/api/v1/me", headers=bearer)
    assert response.status_code == 200
    assert response.json()["username"] == admin.username
    assert ApiToken.objects.get(user=admin).last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer anju_nope", "Bearer ", "Token {raw}", "bearer-less {raw}", "Basic YTpi"])
def test_malformed_or_unknown_token_is_401(admin: User, header: str) -> None:
    _token, raw = account_services.token_create(actor=admin, user=admin, name="cli")
    response = Client().get("/api/v1/me", headers={"Authorization": header.format(raw=raw)})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.django_db
def test_revoked_token_is_401(admin: User) -> None:
    token, raw = account_services.token_create(actor=admin, user=admin, name="cli")
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/api/v1/me", headers=headers).status_code == 200
    account_services.token_revoke(actor=admin, token=token)
    response = Client().get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.django_db
def test_expired_token_is_401(admin: User) -> None:
    token, raw = account_services.token_create(actor=admin, user=admin, name="cli", days=1)
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/api/v1/me", headers=headers).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


@pytest.mark.django_db
def test_token_revoke_page_is_limited_to_own_tokens(tree: Tree, admin: User, admin_client: Client) -> None:
    stranger = make_user(Role.RESIDENT, tree.building)
    token, raw = account_services.token_create(actor=stranger, user=stranger, name="phone")
    response = admin_client.post(reverse("accounts:token_revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 404
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200


@pytest.mark.django_db
def test_pagination_shape(tree: Tree, admin_client: Client) -> None:
    ordered = list(OrgUnit.objects.order_by("path").values_list("pk", flat=True))
    body = admin_client.get(UNITS, {"limit": 3, "offset": 2}).json()
    assert set(body) == {"count", "results"}
    assert body["count"] == len(ordered) == 11
    assert [u["id"] for u in body["results"]] == ordered[2:5]
    body = admin_client.get(UNITS).json()
    assert len(body["results"]) == min(len(ordered), settings.NINJA_PAGINATION_PER_PAGE)
    body = admin_client.get(UNITS, {"limit": 5, "offset": 100}).json()
    assert body == {"count": 11, "results": []}
    body = admin_client.get(UNITS, {"kind": UnitKind.COMMUNITY}).json()
    assert body["count"] == 2
    assert {"id", "kind", "name", "code", "parent_id", "community_id", "depth", "is_active"} == set(body["results"][0])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"name": ""}, ["name"]),
        ({"kind": "castle"}, ["kind"]),
        ({"name": "", "kind": "castle"}, ["kind", "name"]),
        ({"name": "x" * 101}, ["name"]),
        ({"parent_id": "abc"}, ["parent_id"]),
        ({"kind": UnitKind.PROVINCE}, ["kind"]),  # refused by the service: a province under a community
        ({"name": "原种场片区"}, ["name"]),  # refused by the service: a sibling has the name
    ],
)
def test_validation_error_names_the_field(
    tree: Tree, admin_client: Client, overrides: dict[str, Any], fields: list[str]
) -> None:
    unchanged = Unchanged(tree)
    response = post_json(admin_client, UNITS, unit_payload(tree, **overrides))
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert sorted(d["field"] for d in error["details"]) == fields
    assert all(d["message"] for d in error["details"])
    unchanged.check()


@pytest.mark.django_db
def test_validation_messages_follow_the_language(tree: Tree, admin_client: Client) -> None:
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    error = error_of(post_json(admin_client, UNITS, unit_payload(tree, parent_id=None)))
    assert error["message"] == "Some fields are not valid."
    assert error["details"][0]["message"]


@pytest.mark.django_db
def test_create_under_missing_or_foreign_parent_is_404(tree: Tree, client_for: Any) -> None:
    admin = make_user(Role.ADMIN, tree.community)  # an administrator of one community only
    client = client_for(admin)
    unchanged = Unchanged(tree)
    for parent in (987_654_321, tree.other_community.pk):
        response = post_json(client, UNITS, unit_payload(tree, parent_id=parent))
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    unchanged.check()
    assert post_json(client, UNITS, unit_payload(tree)).status_code == 201


@pytest.mark.django_db
def test_create_writes_exactly_one_audit_row(tree: Tree, admin: User, bearer: dict[str, str]) -> None:
    before = AuditEvent.objects.count()
    response = post_json(Client(), UNITS, unit_payload(tree, code="A-9"), headers=bearer)
    assert response.status_code == 201
    body = response.json()
    unit = OrgUnit.objects.get(pk=body["id"])
    assert (unit.name, unit.kind, unit.parent_id, unit.community_id) == (
        "新片区",
        UnitKind.AREA,
        tree.community.pk,
        tree.community.pk,
    )
    assert body["community_id"] == tree.community.pk
    new_events = AuditEvent.objects.order_by("id")[before:]
    assert [(e.action, e.object_id, e.actor_id) for e in new_events] == [("orgunit.created", str(unit.pk), admin.pk)]
    assert new_events[0].community_id == tree.community.pk
