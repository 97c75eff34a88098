"""The sign-in throttle cannot be reset by succeeding in between, and a lock an attacker causes does not keep
the owner out: a browser the owner signed in on before still signs in, and staff can unlock (audited)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from anju.access.roles import Role
from anju.accounts import services, signin
from anju.accounts.models import LoginThrottle, User
from anju.audit.models import AuditEvent
from anju.testing import TEST_PASSWORD, Tree, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WAY_BACK = (
    "To sign in now, use a phone or computer you have signed in on before, "
    "or ask your community worker to unlock your account."
)
OWNER_ADDRESS = "10.1.1.1"
ATTACKER_ADDRESS = "10.6.6.6"


def sign_in(client: Client, identifier: str, password: str = TEST_PASSWORD) -> Any:
    return client.post(LOGIN, {"username": identifier, "password": password})


def signed_in_as(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def fail(client: Client, identifier: str, times: int) -> None:
    for _ in range(times):
        assert sign_in(client, identifier, "wrong-password-0").status_code == 200


@pytest.fixture
def owner(tree: Tree) -> User:
    return make_user(Role.RESIDENT, tree.building, username="zhang.san", mobile="13812345678")


def _lock_out(identifier: str, address: str = ATTACKER_ADDRESS) -> None:
    fail(Client(REMOTE_ADDR=address), identifier, settings.LOGIN_FAILURE_LIMIT)
    assert LoginThrottle.objects.filter(key__startswith="id:#", locked_until__isnull=False).exists()


# --- the address counter ------------------------------------------------------------------


def test_signing_in_to_ones_own_account_between_guesses_does_not_reset_the_address(tree: Tree, owner: User) -> None:
    """An attacker guessing at many names (never enough at one to lock it) and signing in to their own account
    after every few guesses used to get 38 guesses and more; the address now locks at its limit."""
    make_user(Role.RESIDENT, tree.building, username="attacker")
    client = Client(REMOTE_ADDR=ATTACKER_ADDRESS)
    address_limit = settings.LOGIN_FAILURE_LIMIT * 4
    guesses = 0
    while guesses < address_limit:
        for _ in range(3):
            sign_in(client, f"name{guesses}", "wrong-password-0")
            guesses += 1
        sign_in(Client(REMOTE_ADDR=ATTACKER_ADDRESS), "attacker")  # a success from the same address
    row = LoginThrottle.objects.get(key=f"ip:{ATTACKER_ADDRESS}")
    assert row.failures == address_limit  # the guesses after the lock were refused without being counted
    assert row.locked_until is not None
    # Even the right password for a name guessed at is refused from that address now …
    guesser = Client(REMOTE_ADDR=ATTACKER_ADDRESS)
    response = sign_in(guesser, "zhang.san")
    assert signed_in_as(guesser) is None
    with translation.override("zh-hans"):
        assert gettext(WAY_BACK) in response.content.decode()
    # … while the owner, elsewhere, is not affected.
    elsewhere = Client(REMOTE_ADDR=OWNER_ADDRESS)
    sign_in(elsewhere, "zhang.san")
    assert signed_in_as(elsewhere) == str(owner.pk)


def test_the_address_counter_starts_again_after_a_quiet_window(owner: User) -> None:
    client = Client(REMOTE_ADDR=ATTACKER_ADDRESS)
    for n in range(settings.LOGIN_FAILURE_LIMIT * 4 - 1):
        sign_in(client, f"name{n}", "wrong-password-0")
    quiet = timezone.now() - timedelta(seconds=settings.LOGIN_ADDRESS_WINDOW + 1)
    LoginThrottle.objects.filter(key=f"ip:{ATTACKER_ADDRESS}").update(last_failure_at=quiet)
    sign_in(client, "name-x", "wrong-password-0")
    row = LoginThrottle.objects.get(key=f"ip:{ATTACKER_ADDRESS}")
    assert row.failures == 1
    assert row.locked_until is None


# --- a known device -----------------------------------------------------------------------


def test_the_owner_signs_in_from_a_known_device_while_an_attacker_holds_the_account_locked(owner: User) -> None:
    phone = Client(REMOTE_ADDR=OWNER_ADDRESS)
    sign_in(phone, "zhang.san")
    assert signed_in_as(phone) == str(owner.pk)
    assert settings.LOGIN_DEVICE_COOKIE in phone.cookies
    phone.post(reverse("accounts:logout"))
    assert signed_in_as(phone) is None

    _lock_out("zhang.san")  # from the attacker's address
    fail(Client(REMOTE_ADDR=ATTACKER_ADDRESS), "13812345678", 3)  # and keeps at it: the lock only grows

    stranger = Client(REMOTE_ADDR="10.2.2.2")
    response = sign_in(stranger, "zhang.san")
    assert signed_in_as(stranger) is None
    with translation.override("zh-hans"):
        assert gettext(WAY_BACK) in response.content.decode()

    sign_in(phone, "zhang.san")
    assert signed_in_as(phone) == str(owner.pk)


def test_a_known_device_signs_in_even_when_its_address_is_locked(owner: User) -> None:
    """Everyone behind one address (the station's Wi-Fi) is not locked out by one person guessing there."""
    phone = Client(REMOTE_ADDR=OWNER_ADDRESS)
    sign_in(phone, "zhang.san")
    phone.post(reverse("accounts:logout"))
    neighbour = Client(REMOTE_ADDR=OWNER_ADDRESS)
    for n in range(settings.LOGIN_FAILURE_LIMIT * 4):
        sign_in(neighbour, f"name{n}", "wrong-password-0")
    sign_in(neighbour, "zhang.san")
    assert signed_in_as(neighbour) is None  # the address is locked for browsers it does not know
    sign_in(phone, "zhang.san")
    assert signed_in_as(phone) == str(owner.pk)


def test_failures_on_a_known_device_lock_that_device_only(owner: User) -> None:
    phone = Client(REMOTE_ADDR=OWNER_ADDRESS)
    sign_in(phone, "zhang.san")
    phone.post(reverse("accounts:logout"))
    fail(phone, "zhang.san", settings.LOGIN_FAILURE_LIMIT)
    sign_in(phone, "zhang.san")
    assert signed_in_as(phone) is None  # the device is locked …
    assert AuditEvent.objects.filter(action="account.locked", data__known_device=True).count() == 1
    other = Client(REMOTE_ADDR="10.3.3.3")
    sign_in(other, "zhang.san")
    assert signed_in_as(other) == str(owner.pk)  # … the account is not


def test_a_forged_or_outdated_device_cookie_gives_no_way_round_the_lock(owner: User) -> None:
    _lock_out("zhang.san")
    forged = Client(REMOTE_ADDR="10.4.4.4")
    forged.cookies[settings.LOGIN_DEVICE_COOKIE] = signing.dumps(
        {"n": "x", "a": {str(owner.pk): "guessed"}}, salt=signin.DEVICE_SALT
    )
    sign_in(forged, "zhang.san")
    assert signed_in_as(forged) is None
    unsigned = Client(REMOTE_ADDR="10.4.4.5")
    unsigned.cookies[settings.LOGIN_DEVICE_COOKIE] = "eyJuIjoieCJ9:bad:signature"
    sign_in(unsigned, "zhang.san")
    assert signed_in_as(unsigned) is None


def test_a_password_change_forgets_every_device(owner: User) -> None:
    phone = Client(REMOTE_ADDR=OWNER_ADDRESS)
    sign_in(phone, "zhang.san")
    request = RequestFactory().get("/")
    request.COOKIES[settings.LOGIN_DEVICE_COOKIE] = phone.cookies[settings.LOGIN_DEVICE_COOKIE].value
    device = signin.device_from(request)
    assert device is not None
    assert device.knows(owner)
    owner.set_password("another-long-password-7")
    owner.save()
    assert not device.knows(User.objects.get(pk=owner.pk))


# --- staff unlock -------------------------------------------------------------------------


def test_a_community_worker_unlocks_the_account_and_it_is_audited(tree: Tree, owner: User) -> None:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    _lock_out("zhang.san")
    staff = Client()
    staff.force_login(worker)
    page = staff.get(reverse("accounts:locked"))
    assert page.status_code == 200
    assert "zhang.san" in page.content.decode()
    response = staff.post(reverse("accounts:user_unlock", args=[owner.pk]))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="account.unlocked")
    assert event.actor == worker
    assert event.object_id == str(owner.pk)
    assert "zhang.san" not in staff.get(reverse("accounts:locked")).content.decode()
    fresh = Client(REMOTE_ADDR="10.5.5.5")
    sign_in(fresh, "zhang.san")
    assert signed_in_as(fresh) == str(owner.pk)


def test_only_staff_within_reach_may_unlock(tree: Tree, owner: User) -> None:
    _lock_out("zhang.san")
    elsewhere = Client()
    elsewhere.force_login(make_user(Role.COMMUNITY_WORKER, tree.other_community))
    assert "zhang.san" not in elsewhere.get(reverse("accounts:locked")).content.decode()
    assert elsewhere.post(reverse("accounts:user_unlock", args=[owner.pk])).status_code == 404
    resident = Client()
    resident.force_login(make_user(Role.RESIDENT, tree.building))
    assert resident.get(reverse("accounts:locked")).status_code == 403
    assert resident.post(reverse("accounts:user_unlock", args=[owner.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="account.unlocked").exists()
    assert LoginThrottle.objects.get(key=f"id:#{owner.pk}").locked_until is not None


def test_an_unlock_of_an_account_that_is_not_locked_is_a_404(tree: Tree, owner: User) -> None:
    staff = Client()
    staff.force_login(make_user(Role.COMMUNITY_WORKER, tree.community))
    assert staff.post(reverse("accounts:user_unlock", args=[owner.pk])).status_code == 404


def test_a_password_reset_by_staff_clears_the_lock(tree: Tree, owner: User) -> None:
    admin = make_user(Role.ADMIN, tree.province)
    _lock_out("zhang.san")
    services.password_reset(actor=admin, user=owner, new_password="a-new-long-password-42")
    fresh = Client(REMOTE_ADDR="10.7.7.7")
    sign_in(fresh, "zhang.san", "a-new-long-password-42")
    assert signed_in_as(fresh) == str(owner.pk)
