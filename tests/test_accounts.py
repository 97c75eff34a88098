"""Sign-in, lockout, sessions, disabling, password rules and hashing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from anju.access.roles import Role
from anju.accounts import services, signin
from anju.accounts.models import LoginThrottle, User
from anju.audit.models import AuditEvent
from anju.testing import TEST_PASSWORD, Tree, make_user

LOGIN = "/accounts/login/"
MOBILE = "13812345678"
BAD_CREDENTIALS = "The username, mobile number or password is not correct."
DISABLED = "This account has been disabled. Ask your community administrator."
LOCKED = "Too many failed attempts. Try again after %(time)s."


def zh(message: str) -> str:
    """The message as a zh-Hans reader sees it (English until the catalogue is compiled)."""
    with translation.override("zh-hans"):
        return gettext(message)


def sign_in(client: Client, identifier: str, password: str = TEST_PASSWORD, **extra: str) -> Any:
    return client.post(LOGIN, {"username": identifier, "password": password, **extra})


def signed_in_as(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def events(action: str, **filters: Any) -> int:
    return AuditEvent.objects.filter(action=action, **filters).count()


@pytest.fixture
def member(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="zhang.san", mobile=MOBILE)


# --- signing in ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default() -> None:
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert b'<html lang="zh-Hans"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["zhang.san", "ZHANG.SAN", " zhang.san "])
def test_login_by_username(member: User, identifier: str) -> None:
    client = Client()
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert signed_in_as(client) == str(member.pk)
    assert events("account.login", actor=member) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "identifier", [MOBILE, "138 1234 5678", "+86 138 1234 5678", "+8613812345678", "138-1234-5678"]
)
def test_login_by_mobile(member: User, identifier: str) -> None:
    client = Client()
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert signed_in_as(client) == str(member.pk)


@pytest.mark.django_db
def test_login_goes_to_a_safe_next_only(member: User) -> None:
    response = sign_in(Client(), "zhang.san", next="/station/")
    assert response["Location"] == "/station/"
    for evil in ("https://evil.example/", "//evil.example/x", "http://testserver.evil.example/"):
        response = sign_in(Client(), "zhang.san", next=evil)
        assert response.status_code == 302
        assert response["Location"] == reverse("core:home"), evil


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["zhang.san", MOBILE, "nobody.here"])
def test_wrong_password_is_a_form_error(member: User, identifier: str) -> None:
    client = Client()
    response = sign_in(client, identifier, "not-the-password")
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert b'<html lang="zh-Hans"' in response.content
    assert zh(BAD_CREDENTIALS) in response.content.decode()
    assert events("account.login_failed", actor_label=identifier) == 1
    assert events("account.login") == 0


@pytest.mark.django_db
def test_wrong_password_message_in_english_when_chosen(member: User) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = sign_in(client, "zhang.san", "not-the-password")
    assert response.status_code == 200
    assert b'<html lang="en"' in response.content
    assert BAD_CREDENTIALS in response.content.decode()


@pytest.mark.django_db
def test_empty_form_is_a_form_error_not_a_failure(member: User) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert events("account.login_failed") == 0


@pytest.mark.django_db
def test_session_key_rotates_on_login(member: User) -> None:
    client = Client()
    session = client.session
    session["probe"] = "before"
    session.save()
    old_key = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == old_key
    sign_in(client, "zhang.san")
    assert signed_in_as(client) == str(member.pk)
    assert client.session.session_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()


@pytest.mark.django_db
def test_logout_ends_the_session(member: User) -> None:
    client = Client()
    sign_in(client, "zhang.san")
    key = client.session.session_key
    assert client.get(LOGIN.replace("login", "logout")).status_code == 405  # POST only
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302
    assert events("account.logout", actor=member) == 1


# --- lockout ------------------------------------------------------------------------------


def _fail(client: Client, identifier: str, times: int) -> None:
    for _ in range(times):
        response = sign_in(client, identifier, "wrong-password-0")
        assert response.status_code == 200


@pytest.mark.django_db
def test_lockout_after_the_failure_limit(member: User) -> None:
    limit = settings.LOGIN_FAILURE_LIMIT
    client = Client()
    _fail(client, "zhang.san", limit - 1)
    assert events("account.locked") == 0
    # One short of the limit the right password still works.
    other = Client()
    sign_in(other, "zhang.san")
    assert signed_in_as(other) == str(member.pk)
    # A success clears the count; fail up to the limit again.
    _fail(client, "zhang.san", limit)
    assert events("account.locked", actor_label="zhang.san") == 1
    response = sign_in(client, "zhang.san")
    assert response.status_code == 200
    assert signed_in_as(client) is None
    locked_message = zh(LOCKED).split("%(time)s")[0].strip()
    assert locked_message in response.content.decode()
    # The lock holds for the mobile number too, in any spelling, and for a fresh client.
    for identifier in ("ZHANG.SAN", MOBILE, "+86 138 1234 5678"):
        fresh = Client(REMOTE_ADDR="10.0.0.9")
        sign_in(fresh, identifier)
        assert signed_in_as(fresh) is None, identifier


@pytest.mark.django_db
def test_lockout_counts_every_spelling_of_one_account(member: User) -> None:
    """Varying the spelling of the mobile number (or switching between username
    and mobile) must not give an attacker fresh attempts."""
    spellings = ["zhang.san", MOBILE, "138 1234 5678", "+86 138 1234 5678", "138-1234-5678", "+8613812345678"]
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR=f"10.0.1.{n}")
        sign_in(client, spellings[n % len(spellings)], "wrong-password-0")
    client = Client(REMOTE_ADDR="10.0.2.1")
    sign_in(client, MOBILE)
    assert signed_in_as(client) is None
    assert events("account.locked") == 1


@pytest.mark.django_db
def test_lockout_back_off_doubles(member: User) -> None:
    limit, base = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_LOCKOUT_BASE
    client = Client()
    _fail(client, "zhang.san", limit)
    durations = []
    for _ in range(3):
        row = LoginThrottle.objects.get(key__startswith="id:")
        durations.append(row.locked_until - row.last_failure_at)
        # While locked, attempts are refused without being counted.
        _fail(client, "zhang.san", 1)
        assert LoginThrottle.objects.get(pk=row.pk).failures == row.failures
        # Let the lock run out (no sleeping: move it into the past), then fail once more.
        LoginThrottle.objects.filter(pk=row.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
        _fail(client, "zhang.san", 1)
    assert durations == [timedelta(seconds=base), timedelta(seconds=2 * base), timedelta(seconds=4 * base)]
    assert events("account.locked") == 4


@pytest.mark.django_db
def test_lockout_is_capped(member: User) -> None:
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 20):
        signin.login_failed(identifier="zhang.san", request=None, reason="bad")
    row = LoginThrottle.objects.get()
    assert row.locked_until - row.last_failure_at == timedelta(seconds=settings.LOGIN_LOCKOUT_MAX)


@pytest.mark.django_db
def test_an_address_is_locked_after_many_failures_on_many_names(member: User) -> None:
    client = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(settings.LOGIN_FAILURE_LIMIT * 4):
        sign_in(client, f"guess{n}", "wrong-password-0")
    sign_in(client, "zhang.san")
    assert signed_in_as(client) is None
    other = Client(REMOTE_ADDR="10.9.9.10")
    sign_in(other, "zhang.san")
    assert signed_in_as(other) == str(member.pk)


# --- disabling ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_disabling_ends_sessions_and_tokens(tree: Tree, member: User) -> None:
    admin = make_user(Role.ADMIN, tree.province)
    client = Client()
    sign_in(client, "zhang.san")
    key = client.session.session_key
    assert client.get("/").status_code == 200
    _token, raw = services.token_create(actor=member, user=member, name="phone")
    api = Client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    bystander = Client()
    sign_in(bystander, admin.username)

    services.user_set_active(actor=admin, user=member, active=False, reason="moved away")

    response = client.get("/station/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert bystander.get("/").status_code == 200  # only the disabled account's sessions end
    assert events("account.disabled", actor=admin) == 1
    # Re-enabling the account does not bring the old session back: it was ended, not paused.
    services.user_set_active(actor=admin, user=member, active=True)
    assert client.get("/station/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()  # flushed when it was presented again


@pytest.mark.django_db
def test_ending_sessions_reads_no_one_elses(tree: Tree, member: User) -> None:
    """Signing one user out everywhere is one UPDATE of their row: it neither scans nor decodes the
    session table, however many sessions other people have."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = make_user(Role.ADMIN, tree.province)
    others = [make_user(Role.RESIDENT, tree.building) for _ in range(5)]
    for other in others:
        Client().force_login(other)
    mine = [Client(), Client()]
    for c in mine:
        sign_in(c, "zhang.san")
    sessions_before = Session.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        services.user_set_active(actor=admin, user=member, active=False, reason="moved away")
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"]]
    assert Session.objects.count() == sessions_before
    for c in mine:
        assert signed_in_as(c) is not None  # still stored …
        assert c.get("/").status_code == 302  # … but no longer signs anyone in
    services.user_set_active(actor=admin, user=member, active=True)
    for c in mine:
        assert c.get("/").status_code == 302
    fresh = Client()
    sign_in(fresh, "zhang.san")
    assert fresh.get("/").status_code == 200  # a new sign-in works again


@pytest.mark.django_db
def test_disabling_needs_a_reason_and_not_oneself(tree: Tree, member: User) -> None:
    admin = make_user(Role.ADMIN, tree.province)
    with pytest.raises(ValidationError):
        services.user_set_active(actor=admin, user=member, active=False, reason="  ")
    with pytest.raises(ValidationError):
        services.user_set_active(actor=admin, user=admin, active=False, reason="oops")
    member.refresh_from_db()
    admin.refresh_from_db()
    assert member.is_active
    assert admin.is_active
    assert events("account.disabled") == 0


@pytest.mark.django_db
def test_disabled_user_cannot_sign_in(tree: Tree, member: User) -> None:
    services.user_set_active(actor=None, user=member, active=False, reason="moved away")
    client = Client()
    response = sign_in(client, MOBILE)
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert zh(DISABLED) in response.content.decode()
    assert AuditEvent.objects.get(action="account.login_failed").data == {"reason": "disabled"}
    # A wrong password does not reveal that the account is disabled.
    response = sign_in(Client(), MOBILE, "wrong-password-0")
    assert zh(DISABLED) not in response.content.decode()
    assert zh(BAD_CREDENTIALS) in response.content.decode()
    # Enabled again, the account signs in.
    services.user_set_active(actor=None, user=member, active=True)
    sign_in(client, MOBILE)
    assert signed_in_as(client) == str(member.pk)


@pytest.mark.django_db
def test_disabling_through_the_page(tree: Tree, member: User) -> None:
    admin = make_user(Role.ADMIN, tree.province)
    victim = Client()
    sign_in(victim, "zhang.san")
    client = Client()
    client.force_login(admin)
    url = reverse("accounts:user_set_active", kwargs={"pk": member.pk})
    response = client.post(url, {"active": "0", "reason": "left the community"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    assert member.disabled_reason == "left the community"
    assert victim.get("/").status_code == 302


# --- passwords ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "new_password",
    ["short1x", "password123", "woaini1314", "WOAINI1314", "5201314520131452", "12345678901234", "zhang.san.2024"],
)
def test_weak_passwords_are_refused(member: User, new_password: str) -> None:
    before = User.objects.get(pk=member.pk).password
    with pytest.raises(ValidationError) as info:
        services.password_change(actor=member, user=member, old_password=TEST_PASSWORD, new_password=new_password)
    assert "new_password" in info.value.message_dict
    assert User.objects.get(pk=member.pk).password == before
    assert events("account.password_changed") == 0


@pytest.mark.django_db
def test_password_change_needs_the_current_password(member: User) -> None:
    before = User.objects.get(pk=member.pk).password
    with pytest.raises(ValidationError) as info:
        services.password_change(
            actor=member, user=member, old_password="not-it-at-all", new_password="Lantern-river-42"
        )
    assert "old_password" in info.value.message_dict
    assert User.objects.get(pk=member.pk).password == before


@pytest.mark.django_db
def test_good_password_is_accepted(member: User) -> None:
    services.password_change(actor=member, user=member, old_password=TEST_PASSWORD, new_password="Lantern-river-42")
    assert User.objects.get(pk=member.pk).check_password("Lantern-river-42")
    assert events("account.password_changed", actor=member) == 1


@pytest.mark.django_db
def test_password_change_page_keeps_the_session_and_refuses_weak(member: User) -> None:
    client = Client()
    sign_in(client, "zhang.san")
    form = {"form": "password", "old_password": TEST_PASSWORD}
    response = client.post("/accounts/me/", {**form, "new_password": "woaini1314", "new_password_again": "woaini1314"})
    assert response.status_code == 200
    assert User.objects.get(pk=member.pk).check_password(TEST_PASSWORD)
    good = "Lantern-river-42"
    response = client.post("/accounts/me/", {**form, "new_password": good, "new_password_again": good})
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).check_password(good)
    assert client.get("/accounts/me/").status_code == 200


@pytest.mark.django_db
def test_password_reset_ends_sessions(tree: Tree, member: User) -> None:
    client = Client()
    sign_in(client, "zhang.san")
    services.password_reset(actor=None, user=member, new_password="Lantern-river-42")
    assert client.get("/").status_code == 302
    with pytest.raises(ValidationError):
        services.password_reset(actor=None, user=member, new_password="password123")
    assert User.objects.get(pk=member.pk).check_password("Lantern-river-42")


# --- hashing ------------------------------------------------------------------------------


def test_argon2_is_configured() -> None:
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" in settings.PASSWORD_HASHERS


def _hashers_outside_the_suite(tmp_path: Path, code: str = "import anju.settings as s") -> list[str]:
    """PASSWORD_HASHERS as a fresh process (not pytest's) computes it after running ``code``."""
    environ = {k: v for k, v in os.environ.items() if k not in {"ANJU_TEST_REAL_HASHER", "DATABASE_URL"}}
    environ.update({"ANJU_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 60})
    code += "; print('\\n'.join(s.PASSWORD_HASHERS))"
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_argon2_is_first_outside_tests(tmp_path: Path) -> None:
    assert _hashers_outside_the_suite(tmp_path)[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.MD5PasswordHasher" not in _hashers_outside_the_suite(tmp_path)


def test_settings_do_not_guess_a_test_run_from_pytest_being_imported(tmp_path: Path) -> None:
    """A process that merely imports pytest (a plugin, a REPL, a management command) hashes for real."""
    hashers = _hashers_outside_the_suite(tmp_path, "import pytest; import anju.settings as s")
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.MD5PasswordHasher" not in hashers


def test_the_suite_sets_its_cheap_hasher_itself() -> None:
    """MD5 comes only from the root conftest.py's override, on top of the real list."""
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.MD5PasswordHasher"
    assert settings.PASSWORD_HASHERS[1] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_real_hasher_stores_argon2_and_signs_in(tree: Tree) -> None:
    real = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    with override_settings(PASSWORD_HASHERS=real):
        user = services.user_create(
            actor=None, username="li.si", display_name="李四", password="Lantern-river-42", mobile="13900001111"
        )
        assert user.password.startswith("argon2")
        client = Client()
        sign_in(client, "139 0000 1111", "Lantern-river-42")
        assert signed_in_as(client) == str(user.pk)


@pytest.mark.django_db
def test_user_create_validates_password_and_mobile(tree: Tree) -> None:
    with pytest.raises(ValidationError) as info:
        services.user_create(actor=None, username="x", display_name="", password="woaini1314", mobile="12345")
    assert {"username", "display_name", "password", "mobile"} <= set(info.value.message_dict)
    assert not User.objects.filter(username="x").exists()
    make_user(username="wang.wu", mobile=MOBILE)
    with pytest.raises(ValidationError) as info:
        services.user_create(
            actor=None, username="wang.liu", display_name="王六", password="Lantern-river-42", mobile="+86 " + MOBILE
        )
    assert "mobile" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.user_create(actor=None, username="WANG.WU", display_name="王五", password="Lantern-river-42")
    assert "username" in info.value.message_dict
