"""Six-digit codes by SMS: signing in without a password, a staff sign-in's second step, and confirming a
mobile number (a desk invitation). The third way back into a locked account (see ``accounts.signin``).

- **Stored hashed.** A row keeps only ``HMAC-SHA256(ANJU_CODE_KEY, purpose, context, number's keyed hash,
  code)``: a code for another number, or for another invitation, never matches.
- **Short-lived and single use.** ``ANJU_CODE_TTL`` seconds (five minutes); a right code is used up; asking
  for a new code retires the number's earlier ones; ``ANJU_CODE_ATTEMPTS`` wrong tries lock the code.
- **Limited.** One code per number every ``ANJU_CODE_RESEND_SECONDS``, ``ANJU_CODE_PER_NUMBER_DAY`` per
  number a day, ``ANJU_CODE_PER_ADDRESS_HOUR`` per address an hour: nobody can flood a phone with SMS.
  Wrong codes count on the sign-in throttle (``signin.login_failed``) like wrong passwords, and a locked
  address gets no more tries.
- **Nothing to learn.** Asking to sign in with a number no account uses writes the same row (for the limits)
  and answers the same; only no SMS goes. Its code can never be right.

Accounts is a base app and cannot name the inbox: the inbox registers the sender (:func:`on_send`) in its
``AppConfig.ready()``; it writes the SMS outbox row in the request's transaction, so a code is sent once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from anju.accounts.models import LoginThrottle, SignInCode, User
from anju.audit.actions import Action
from anju.audit.services import client_ip, record
from anju.core.masking import is_valid_mainland_mobile, mask_mobile, normalise_mobile

CODE_KIND = "accounts.code"  # the SMS template's name in ANJU_SMS_TEMPLATES
CODE_DIGITS = 6
#: The reasons a request is refused for the limits (the API answers 429 for these).
LIMIT_REASONS = frozenset({"resend", "number_day", "address_hour", "locked"})
Purpose = SignInCode.Purpose

#: ``fn(*, mobile, code, user, reference, community_id)``: send ``code`` to ``mobile`` once per reference.
Sender = Callable[..., None]
_senders: list[Sender] = []


def on_send(fn: Sender) -> None:
    """Register the function that sends a code (the inbox does, in its ``ready()``)."""
    if fn not in _senders:
        _senders.append(fn)


class CodeError(Exception):
    """A request or a code that cannot be accepted; ``message`` is for the person, in their language."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class CodeSent:
    mobile_masked: str
    expires_at: datetime
    resend_after: int  # seconds


# --- helpers ---------------------------------------------------------------------------------------------


def _key() -> bytes:
    configured = str(getattr(settings, "ANJU_CODE_KEY", "") or "")
    if configured:
        return configured.encode()
    return salted_hmac("anju.accounts.codes.key", "sign-in codes", algorithm="sha256").digest()


def code_hash(*, purpose: str, context: str, mobile_index: str, code: str) -> str:
    """The keyed hash a code row keeps (never the code)."""
    message = f"{purpose}\x00{context}\x00{mobile_index}\x00{code}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def clean_code(raw: str) -> str:
    """Six ASCII digits out of what was typed (spaces and full-width digits allowed), or a CodeError."""
    code = "".join((raw or "").translate(_FULL_WIDTH).split()).replace("-", "")
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        raise CodeError(_("Enter the six digits from the SMS."), reason="malformed")
    return code


def clean_mobile(raw: str) -> str:
    mobile = normalise_mobile(raw or "")
    if not is_valid_mainland_mobile(mobile):
        raise CodeError(_("Enter an 11-digit mainland mobile number, such as 13812345678."), reason="mobile")
    return mobile


def _index(mobile: str) -> str:
    from anju.accounts.services import mobile_index

    return mobile_index(mobile)


def _account_for(index: str) -> User | None:
    return User.objects.filter(mobile_index=index, is_active=True).first()


def _check_limits(*, index: str, address: str, now: datetime) -> None:
    latest = SignInCode.objects.filter(mobile_index=index).order_by("-created_at").first()
    gap = timedelta(seconds=settings.ANJU_CODE_RESEND_SECONDS)
    if latest is not None and latest.created_at > now - gap:
        wait = int((latest.created_at + gap - now).total_seconds()) + 1
        raise CodeError(
            _("A code was sent to this number a moment ago. Wait %(seconds)s seconds before asking again.")
            % {"seconds": wait},
            reason="resend",
        )
    if (
        SignInCode.objects.filter(mobile_index=index, created_at__gte=now - timedelta(days=1)).count()
        >= settings.ANJU_CODE_PER_NUMBER_DAY
    ):
        raise CodeError(
            _("This number has asked for too many codes today. Try again tomorrow, or ask your community worker."),
            reason="number_day",
        )
    if (
        address
        and SignInCode.objects.filter(address=address, created_at__gte=now - timedelta(hours=1)).count()
        >= settings.ANJU_CODE_PER_ADDRESS_HOUR
    ):
        raise CodeError(_("Too many codes were asked for from this network. Try again later."), reason="address_hour")


def _address_locked_until(request: HttpRequest | None) -> datetime | None:
    ip = client_ip(request)
    if not ip:
        return None
    row = LoginThrottle.objects.filter(key=f"ip:{ip}", locked_until__gt=timezone.now()).first()
    return row.locked_until if row is not None else None


# --- the services ----------------------------------------------------------------------------------------


def code_request(
    *,
    mobile: str,
    purpose: str,
    request: HttpRequest | None,
    context: str = "",
    user: User | None = None,
    community_id: int | None = None,
) -> CodeSent:
    """Make a code for ``mobile`` and send it by SMS, within the limits; the same answer whether or not an
    account uses the number.

    ``sign_in``: sent only when an active account uses the number. ``second_factor``: sent to ``user``'s own
    number (``mobile`` is ignored). ``confirm``: sent to the number given (a desk invitation's holder proves
    the phone is theirs; ``context`` names the invitation).
    """
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    if purpose == Purpose.SECOND_FACTOR:
        if user is None or not user.mobile:
            raise CodeError(_("This account has no mobile number for a code."), reason="no_mobile")
        number = user.mobile
    else:
        number = clean_mobile(mobile)
    index = _index(number)
    address = (client_ip(request) or "")[:64]
    now = timezone.now()
    with transaction.atomic():
        _check_limits(index=index, address=address, now=now)
        if purpose == Purpose.SIGN_IN:
            target = _account_for(index)
            send = target is not None
        elif purpose == Purpose.SECOND_FACTOR:
            target, send = user, True
        else:
            target, send = _account_for(index), True
        SignInCode.objects.filter(mobile_index=index, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = SignInCode.objects.create(
            purpose=purpose,
            mobile_index=index,
            user=target,
            context=context[:60],
            code_hash=code_hash(purpose=purpose, context=context[:60], mobile_index=index, code=code),
            address=address,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.ANJU_CODE_TTL),
        )
        if send:
            for sender in _senders:
                sender(mobile=number, code=code, user=target, reference=f"code:{row.pk}", community_id=community_id)
        record(
            Action.ACCOUNT_CODE_REQUESTED,
            request=request,
            actor_label=mask_mobile(number),
            data={"purpose": purpose, "context": context[:60]},
        )
    return CodeSent(mask_mobile(number), row.expires_at, settings.ANJU_CODE_RESEND_SECONDS)


def code_verify(
    *,
    mobile: str,
    code: str,
    purpose: str,
    request: HttpRequest | None,
    context: str = "",
    user: User | None = None,
) -> SignInCode:
    """Use up the number's live code if ``code`` is right; else count the failure and raise CodeError.

    Bad input (not a number, not six digits) writes nothing. For ``second_factor`` the number is ``user``'s.
    """
    number = user.mobile if purpose == Purpose.SECOND_FACTOR and user is not None else clean_mobile(mobile)
    typed = clean_code(code)
    locked = _address_locked_until(request)
    if locked is not None:
        until = formats.time_format(timezone.localtime(locked), "H:i")
        raise CodeError(_("Too many failed attempts. Try again after %(time)s.") % {"time": until}, reason="locked")
    index = _index(number)
    now = timezone.now()
    failure = ""
    with transaction.atomic():
        row = (
            SignInCode.objects.select_for_update()
            .filter(mobile_index=index, purpose=purpose, context=context[:60], used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= now:
            failure = "expired"
        elif row.failures >= settings.ANJU_CODE_ATTEMPTS:
            failure = "code_locked"
        else:
            expected = code_hash(purpose=purpose, context=row.context, mobile_index=index, code=typed)
            right = hmac.compare_digest(expected, row.code_hash)
            # A code for a number no account uses never signs in (none was sent); nor one for another account.
            if purpose != Purpose.CONFIRM and (row.user is None or (user is not None and row.user_id != user.pk)):
                right = False
            if right:
                row.used_at = now
                row.save(update_fields=["used_at"])
                return row
            row.failures += 1
            row.save(update_fields=["failures"])
            failure = "wrong"
            if row.failures >= settings.ANJU_CODE_ATTEMPTS:
                record(
                    Action.ACCOUNT_CODE_LOCKED,
                    request=request,
                    actor_label=mask_mobile(number),
                    data={"purpose": purpose, "failures": row.failures},
                )
    if failure == "wrong":
        # One throttle for every way in: wrong codes count like wrong passwords (and lock an address).
        from anju.accounts import signin

        signin.login_failed(identifier=number, request=request, reason="code")
        raise CodeError(_("The code is not correct. Check the SMS and try again."), reason="wrong")
    if failure == "code_locked":
        raise CodeError(_("Too many wrong codes. Ask for a new code."), reason="code_locked")
    raise CodeError(_("This code has expired or was already used. Ask for a new one."), reason="expired")


def code_sign_in(*, mobile: str, code: str, request: HttpRequest | None) -> User:
    """Sign-in by code: the account whose number got the code. Its password lock does not apply (the code
    is the way back); a success clears it, like a password sign-in."""
    from anju.accounts import signin

    row = code_verify(mobile=mobile, code=code, purpose=Purpose.SIGN_IN, request=request)
    user = row.user
    if user is None or not user.is_active:
        raise CodeError(_("This account has been disabled. Ask your community administrator."), reason="disabled")
    signin.login_succeeded(user=user, identifier=mobile, request=request)
    return user


def second_factor_required(user: Any) -> bool:
    """Does this account's password sign-in also need an SMS code (``ANJU_CODE_SECOND_FACTOR_ROLES``)?"""
    roles = set(getattr(settings, "ANJU_CODE_SECOND_FACTOR_ROLES", []) or [])
    if not roles:
        return False
    if "superuser" in roles and getattr(user, "is_superuser", False):
        return True
    return user.grants.filter(role__in=roles).exists()


def codes_purge(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Forget code rows once they no longer count towards any limit."""
    deleted, _rows = SignInCode.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def validation_error(exc: CodeError, field: str = "code") -> ValidationError:
    return ValidationError({field: [exc.message]})
