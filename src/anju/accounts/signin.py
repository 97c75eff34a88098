"""Signing in with throttling, and the ways back into a locked account.

Three counters (``LoginThrottle`` rows), each with an exponential back-off once over its limit:

- **the account** (``id:#<pk>``, however its name or mobile number is spelt): ``LOGIN_FAILURE_LIMIT`` failures lock
  it. Its owner's successful sign-in clears it.
- **the address** (``ip:<address>``): four times the limit of failures *within* ``LOGIN_ADDRESS_WINDOW`` seconds lock
  the address. A success does **not** clear it, so signing in to one's own account between guesses at others
  gives no fresh attempts; a quiet window does.
- **a known device** (``dev:<nonce>``): see below; it has the account's limit.

A lock an attacker causes must not lock the owner out, so an account has two ways back that the attacker cannot
block:

- **A known device.** Each successful sign-in leaves a signed, long-lived cookie (``LOGIN_DEVICE_COOKIE``) naming
  the accounts that signed in on this browser, each bound to the account's password (a password change forgets
  every device). From such a browser the account's and the address's locks do not apply; failures there count
  against the device alone, which only its holder can lock.
- **A staff unlock** (``login_unlock``): a community worker, the branch secretary or an administrator whose reach
  covers the account clears its lock on the locked-accounts page; audited.

SMS codes are the planned third way back (not built: the inbox has no SMS sender yet).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from anju.access import policy
from anju.accounts.models import LoginThrottle, User
from anju.audit.actions import Action
from anju.audit.services import client_ip, record
from anju.core.masking import is_valid_mainland_mobile, normalise_mobile

DEVICE_SALT = "anju.accounts.known-device"
DEVICE_ACCOUNTS_MAX = 5  # a family phone: a few accounts, most recent first


class LoginLocked(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(str(until))
        self.until = until


# --- known devices ------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownDevice:
    """What the browser's device cookie says: a random id and the accounts that signed in here."""

    nonce: str
    accounts: dict[str, str] = field(default_factory=dict)  # user pk → tag bound to the password

    def knows(self, user: User | None) -> bool:
        return user is not None and secrets.compare_digest(self.accounts.get(str(user.pk), ""), _device_tag(user))


def _device_tag(user: User) -> str:
    return user.get_session_auth_hash()[:24]  # changes with the password: a reset forgets every device


def device_from(request: HttpRequest | None) -> KnownDevice | None:
    raw = request.COOKIES.get(settings.LOGIN_DEVICE_COOKIE, "") if request is not None else ""
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=DEVICE_SALT, max_age=settings.LOGIN_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str) or not isinstance(data.get("a"), dict):
        return None
    return KnownDevice(data["n"], {str(k): str(v) for k, v in data["a"].items()})


def device_remember(response: HttpResponseBase, *, device: KnownDevice | None, user: User) -> None:
    """After a successful sign-in: (re)write the cookie with this account first, keeping a few others."""
    nonce = device.nonce if device is not None else secrets.token_urlsafe(16)
    accounts = {str(user.pk): _device_tag(user)}
    for pk, tag in (device.accounts if device is not None else {}).items():
        if pk not in accounts and len(accounts) < DEVICE_ACCOUNTS_MAX:
            accounts[pk] = tag
    response.set_cookie(
        settings.LOGIN_DEVICE_COOKIE,
        signing.dumps({"n": nonce, "a": accounts}, salt=DEVICE_SALT, compress=True),
        max_age=settings.LOGIN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# --- throttle keys ------------------------------------------------------------------------


def _identifier_key(identifier: str, user: User | None = None) -> str:
    """One throttle key per account however it is spelt (username in any case,
    mobile number with spaces or +86), so respelling gives no fresh attempts."""
    from anju.accounts.backends import find_user

    user = user or find_user(identifier)
    if user is not None:
        return f"id:#{user.pk}"
    mobile = normalise_mobile(identifier or "")
    if is_valid_mainland_mobile(mobile) and not any(c.isalpha() for c in identifier):
        return f"id:{mobile}"
    return f"id:{identifier.strip().lower()}"


def _keys(identifier: str, request: HttpRequest | None) -> list[str]:
    """The counters an attempt is checked and counted against: the device's alone when it is known to the
    account, else the account's and the address's."""
    from anju.accounts.backends import find_user

    user = find_user(identifier)
    device = device_from(request)
    if device is not None and device.knows(user):
        return [f"dev:{device.nonce}"]
    keys = [_identifier_key(identifier, user)]
    ip = client_ip(request)
    if ip:
        keys.append(f"ip:{ip}")
    return keys


def _limit(key: str) -> int:
    return settings.LOGIN_FAILURE_LIMIT * (4 if key.startswith("ip:") else 1)


# --- the services -------------------------------------------------------------------------


def login_check_locked(*, identifier: str, request: HttpRequest | None) -> None:
    """Raise LoginLocked when a counter this attempt answers to is locked."""
    locked = (
        LoginThrottle.objects.filter(key__in=_keys(identifier, request), locked_until__gt=timezone.now())
        .order_by("-locked_until")
        .first()
    )
    if locked is not None and locked.locked_until is not None:
        raise LoginLocked(locked.locked_until)


def login_failed(*, identifier: str, request: HttpRequest | None, reason: str) -> None:
    """Count a failure on each of the attempt's counters; lock one that reaches its limit, with a back-off that
    doubles with every further failure (capped)."""
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_ADDRESS_WINDOW)
    with transaction.atomic():
        for key in _keys(identifier, request):
            row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=key[:200])
            quiet = row.last_failure_at is not None and row.last_failure_at < now - window
            if key.startswith("ip:") and quiet and (row.locked_until is None or row.locked_until <= now):
                row.failures = 0  # the address's window starts again after a quiet spell
            row.failures += 1
            row.last_failure_at = now
            locked = False
            if row.failures >= _limit(key):
                over = row.failures - _limit(key)
                seconds = min(settings.LOGIN_LOCKOUT_BASE * (2**over), settings.LOGIN_LOCKOUT_MAX)
                row.locked_until = now + timedelta(seconds=seconds)
                locked = True
            row.save()
            if locked and not key.startswith("ip:"):
                record(
                    Action.ACCOUNT_LOCKED,
                    request=request,
                    actor_label=identifier[:150],
                    data={
                        "failures": row.failures,
                        "until": row.locked_until.isoformat() if row.locked_until else "",
                        "known_device": key.startswith("dev:"),
                    },
                )
        record(Action.ACCOUNT_LOGIN_FAILED, request=request, actor_label=identifier[:150], data={"reason": reason})


def login_succeeded(*, user: User, identifier: str, request: HttpRequest | None) -> None:
    """The owner is in: their account's counter (and their device's) start again. The address's does not."""
    keys = [_identifier_key(identifier, user)]
    device = device_from(request)
    if device is not None:
        keys.append(f"dev:{device.nonce}")
    with transaction.atomic():
        LoginThrottle.objects.filter(key__in=keys).delete()
        record(Action.ACCOUNT_LOGIN, actor=user, obj=user, request=request)


def login_unlock(*, actor: Any, user: User, request: HttpRequest | None = None) -> None:
    """Staff clear a locked account's counter (the owner asked, in person or by phone); audited."""
    with transaction.atomic():
        row = LoginThrottle.objects.select_for_update().filter(key=_identifier_key("", user)).first()
        if row is None:
            return
        record(
            Action.ACCOUNT_UNLOCKED,
            actor=actor,
            obj=user,
            request=request,
            data={"failures": row.failures, "was_locked": bool(row.locked_until and row.locked_until > timezone.now())},
        )
        row.delete()


def locked_accounts(viewer: Any) -> QuerySet[User]:
    """Accounts locked right now that ``viewer`` may unlock (holding a role within the viewer's reach)."""
    pks = [
        int(key.removeprefix("id:#"))
        for key in LoginThrottle.objects.filter(key__startswith="id:#", locked_until__gt=timezone.now()).values_list(
            "key", flat=True
        )
        if key.removeprefix("id:#").isdigit()
    ]
    qs = User.objects.filter(pk__in=pks)
    if not policy.is_superuser(viewer):
        qs = qs.filter(policy.scope_q(viewer, "user.unlock", "grants__unit__path")).distinct()
    return qs


def locked_until(user: User) -> datetime | None:
    row = LoginThrottle.objects.filter(key=_identifier_key("", user), locked_until__gt=timezone.now()).first()
    return row.locked_until if row is not None else None


def login_throttles_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    cutoff = timezone.now() - older_than
    deleted, _rows = LoginThrottle.objects.filter(last_failure_at__lt=cutoff, locked_until__lt=timezone.now()).delete()
    return deleted
