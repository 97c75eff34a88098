"""Signed-in requests are cheap (the session and the user come from a shared cache, no query before the view),
and signing out — here, everywhere, by a new password or a disabled account — still takes effect at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from anju.access.roles import Role
from anju.accounts import services
from anju.accounts.usercache import cached_get_user
from anju.testing import Tree, make_user


def queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def signed_in(client: Client) -> bool:
    response = client.get("/appeals/")
    return response.status_code == 200


def test_a_signed_in_request_reads_no_session_and_no_user_row(tree: Tree, client_for: Any) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    anonymous, client = Client(), client_for(worker)
    client.get("/healthz")  # the first request reads the user row once and keeps it
    assert queries(client, "/healthz") == queries(anonymous, "/healthz") == ["SELECT 1"]


def test_sign_out_ends_the_session_at_once_even_for_a_copied_cookie(tree: Tree, client_for: Any) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = client_for(worker)
    assert signed_in(client)
    copy = Client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_in(copy)
    client.post("/accounts/logout/")
    assert not signed_in(client)
    assert not signed_in(copy)  # the session is gone from the cache and the database alike


def test_sign_out_everywhere_takes_effect_at_once_in_every_session(tree: Tree, client_for: Any) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    admin = make_user(Role.ADMIN, tree.province)
    phone, desk = client_for(worker), client_for(worker)
    assert signed_in(phone)
    assert signed_in(desk)
    services.password_reset(actor=admin, user=worker, new_password="a-new-Secret-2026")  # raises the epoch
    assert not signed_in(phone)
    assert not signed_in(desk)


def test_a_disabled_account_is_signed_out_at_once(tree: Tree, client_for: Any) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    admin = make_user(Role.ADMIN, tree.province)
    client = client_for(worker)
    assert signed_in(client)
    services.user_set_active(actor=admin, user=worker, active=False, reason="left the job")
    assert not signed_in(client)


def test_a_raised_epoch_is_seen_even_when_another_process_cached_the_user(tree: Tree, client_for: Any) -> None:
    """Another process's copy of the user lives in the same shared cache: forgetting it there is enough."""
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = client_for(worker)
    assert signed_in(client)
    other_process = caches.create_connection(settings.SESSION_CACHE_ALIAS)  # a second handle on the same store
    assert other_process.get(f"anju:user:{worker.pk}") is not None
    services.password_reset(actor=make_user(Role.ADMIN, tree.province), user=worker, new_password="a-new-Secret-2026")
    assert other_process.get(f"anju:user:{worker.pk}") is None
    assert not signed_in(client)


def test_the_session_cache_is_shared_by_every_process() -> None:
    """A per-process (local-memory) cache would keep a session another process signed out."""
    this_process = caches[settings.SESSION_CACHE_ALIAS]
    other_process = caches.create_connection(settings.SESSION_CACHE_ALIAS)
    other_process.set("anju:test:shared", "signed in", 60)
    assert this_process.get("anju:test:shared") == "signed in"
    other_process.delete("anju:test:shared")
    assert this_process.get("anju:test:shared") is None
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def test_each_request_gets_a_user_of_its_own_to_change(tree: Tree, client_for: Any, rf: Any) -> None:
    """The user is decoded once a process, but a view that changes its request's user changes no other's."""
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    request = rf.get("/")
    request.session = client_for(worker).session
    first = cached_get_user(request)
    first.display_name = "changed by one view"
    second = cached_get_user(request)
    assert second == worker
    assert second is not first
    assert second.display_name == worker.display_name


def test_a_user_another_process_changed_is_read_again(tree: Tree, client_for: Any, rf: Any) -> None:
    """This process keeps the decoded user only while the shared file holds the same bytes."""
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    request = rf.get("/")
    request.session = client_for(worker).session
    assert cached_get_user(request).display_name == worker.display_name
    renamed = type(worker).objects.get(pk=worker.pk)
    renamed.display_name = "另一个进程改的"
    caches.create_connection(settings.SESSION_CACHE_ALIAS).set(f"anju:user:{worker.pk}", renamed, 60)
    assert cached_get_user(request).display_name == "另一个进程改的"


def test_a_session_of_an_unknown_user_is_anonymous(tree: Tree, client_for: Any, rf: Any) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    client = client_for(worker)
    request = rf.get("/")
    request.session = client.session
    assert cached_get_user(request) == worker
    worker.delete()
    assert not cached_get_user(request).is_authenticated
