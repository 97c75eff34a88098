"""Every state change of accounts: one transaction, one audit row each."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access.policy import forget_grants
from anju.access.roles import Role
from anju.accounts.models import ApiToken, LoginThrottle, RoleGrant, User, username_validator
from anju.accounts.usercache import forget_user
from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.core import crypto
from anju.core.masking import is_valid_mainland_mobile, mask_email, mask_mobile, normalise_mobile
from anju.orgs.models import Department, OrgUnit

MOBILE_PURPOSE = "user.mobile"


def mobile_index(mobile: str) -> str:
    return crypto.blind_index(mobile, purpose=MOBILE_PURPOSE)


def validate_account_mobile(raw: str) -> str:
    """An account's sign-in mobile: required and valid, or a form error on ``mobile``. (The registry's
    optional, import-friendly parser is :func:`anju.people.validation.parse_mobile`.)"""
    mobile = normalise_mobile(raw or "")
    if not is_valid_mainland_mobile(mobile):
        raise ValidationError({"mobile": _("Enter an 11-digit mainland mobile number, such as 13812345678.")})
    return mobile


def _set_mobile(user: User, raw: str) -> None:
    if not raw:
        user.mobile_sealed, user.mobile_index = "", None
        return
    mobile = validate_account_mobile(raw)
    index = mobile_index(mobile)
    if User.objects.filter(mobile_index=index).exclude(pk=user.pk).exists():
        raise ValidationError({"mobile": _("Another account already uses this mobile number.")})
    user.mobile_sealed, user.mobile_index = crypto.encrypt(mobile), index


def user_create(
    *,
    actor: Any,
    username: str,
    display_name: str,
    password: str,
    mobile: str = "",
    request: HttpRequest | None = None,
    validate_password: bool = True,
    role: str = "",
    unit: OrgUnit | None = None,
    department: Department | None = None,
) -> User:
    """Create an account, and with ``role`` and ``unit`` its first role grant."""
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        username_validator(username)
    except ValidationError as exc:
        errors["username"] = list(exc.messages)
    if not display_name:
        errors["display_name"] = [_("Enter a name.")]
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    user = User(username=username, display_name=display_name)
    try:
        _set_mobile(user, mobile)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if validate_password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()  # signs in by SMS code only (a resident invited at the desk)
    with transaction.atomic():
        try:
            user.save()
        except IntegrityError as exc:
            raise ValidationError({"username": [_("This username is taken.")]}) from exc
        record(Action.ACCOUNT_CREATED, actor=actor, obj=user, request=request, data={"username": username})
        if role and unit is not None:
            role_grant(actor=actor, user=user, role=role, unit=unit, department=department, request=request)
    return user


EMAIL_MAX = 254


def clean_email(raw: str) -> str:
    """A valid address with its domain in lower case (the part before ``@`` is kept as typed: it may be
    case-sensitive); ``""`` when left empty."""
    value = (raw or "").strip()
    if not value:
        return ""
    local, _at, domain = value.rpartition("@")
    value = f"{local}@{domain.lower()}" if local else value
    try:
        if len(value) > EMAIL_MAX:
            raise ValidationError("too long")
        validate_email(value)
    except ValidationError as exc:
        raise ValidationError({"email": [_("Enter a valid email address, such as name@example.com.")]}) from exc
    return value


def user_update(
    *,
    actor: Any,
    user: User,
    display_name: str | None = None,
    mobile: str | None = None,
    email: str | None = None,
    preferred_language: str | None = None,
    notify_by_email: bool | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Change an account's own details; ``None`` leaves a field as it is, ``""`` clears mobile or email.

    Used by the owner ("My account", ``PATCH /api/v1/me``) and by administrators. Everything is checked
    before anything is written; one audit row lists the changed fields (the email masked, never in full).
    """
    errors: dict[str, list[str]] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if not display_name:
            errors["display_name"] = [_("Enter a name.")]
        elif len(display_name) > 60:
            errors["display_name"] = [_("Use at most 60 characters.")]
    if email is not None:
        try:
            email = clean_email(email)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if preferred_language is not None and preferred_language not in {"", *dict(settings.LANGUAGES)}:
        errors["preferred_language"] = [_("Choose a supported language.")]
    if mobile:
        try:
            validate_account_mobile(mobile)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        changed: dict[str, list[Any]] = {}  # the audit diff; personal data only masked
        if display_name is not None and user.display_name != display_name:
            changed["display_name"] = [user.display_name, display_name]
            user.display_name = display_name
        if mobile is not None and mobile != user.mobile:
            old_mobile = user.mobile
            _set_mobile(user, mobile)
            changed["mobile"] = [mask_mobile(old_mobile), mask_mobile(user.mobile)]
        if email is not None and email != user.email:
            if not user.email and notify_by_email is None:
                user.notify_by_email = True  # a newly given address is for notices unless said otherwise
            changed["email"] = [mask_email(user.email), mask_email(email)]
            user.email_sealed = crypto.encrypt(email) if email else ""
        if preferred_language is not None and user.preferred_language != preferred_language:
            changed["preferred_language"] = [user.preferred_language, preferred_language]
            user.preferred_language = preferred_language
        if notify_by_email is not None and user.notify_by_email != notify_by_email:
            changed["notify_by_email"] = [user.notify_by_email, notify_by_email]
            user.notify_by_email = notify_by_email
        if changed:
            user.save()
            record(Action.ACCOUNT_UPDATED, actor=actor, obj=user, request=request, data={"changed": changed})
    return user


def user_set_active(
    *, actor: Any, user: User, active: bool, reason: str = "", request: HttpRequest | None = None
) -> User:
    """Disable or enable an account. A disabled account is signed out
    everywhere at once: sessions and tokens stop working on the next request."""
    reason = (reason or "").strip()
    if not active and not reason:
        raise ValidationError({"reason": [_("Say why the account is disabled.")]})
    if not active and actor is not None and getattr(actor, "pk", None) == user.pk:
        raise ValidationError({"reason": [_("You cannot disable your own account.")]})
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active == active:
            return user
        user.is_active = active
        user.disabled_reason = "" if active else reason[:200]
        user.save(update_fields=["is_active", "disabled_reason"])
        if not active:
            _end_sessions(user)
        record(
            Action.ACCOUNT_ENABLED if active else Action.ACCOUNT_DISABLED,
            actor=actor,
            obj=user,
            request=request,
            data={"reason": reason} if reason else {},
        )
    return user


def user_set_admin_access(
    *, actor: Any, user: User, staff: bool, superuser: bool, request: HttpRequest | None = None
) -> User:
    """Set the Django admin flags. ``is_superuser`` carries every permission everywhere, so it is
    changed only here, with an audit row of what it was and what it became."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        before = {"is_staff": user.is_staff, "is_superuser": user.is_superuser}
        user.is_staff, user.is_superuser = staff, superuser
        changed = diff(before, {"is_staff": staff, "is_superuser": superuser})
        if not changed:
            return user
        user.save(update_fields=["is_staff", "is_superuser"])
        record(Action.ACCOUNT_ADMIN_ACCESS_SET, actor=actor, obj=user, request=request, data={"changed": changed})
    return user


def _end_sessions(user: User) -> None:
    """Sign the user out everywhere at once, without reading anyone else's session: raising the session
    epoch changes the user's session auth hash, so Django's auth middleware flushes each of their
    sessions on its next request (expired ones are purged by ``clearsessions``)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    forget_user(user.pk)  # every process reads the row (and its new epoch) on the next request
    user.refresh_from_db(fields=["session_epoch"])


def password_change(
    *, actor: Any, user: User, old_password: str, new_password: str, request: HttpRequest | None = None
) -> User:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": [_("Your current password is not correct.")]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": list(exc.messages)}) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record(Action.ACCOUNT_PASSWORD_CHANGED, actor=actor, obj=user, request=request)
    return user


def password_reset(*, actor: Any, user: User, new_password: str, request: HttpRequest | None = None) -> User:
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from exc
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _end_sessions(user)
        LoginThrottle.objects.filter(key=f"id:#{user.pk}").delete()  # the new password works straight away
        record(Action.ACCOUNT_PASSWORD_RESET, actor=actor, obj=user, request=request)
    return user


def role_grant(
    *,
    actor: Any,
    user: User,
    role: str,
    unit: OrgUnit,
    department: Department | None = None,
    request: HttpRequest | None = None,
) -> RoleGrant:
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose a valid role.")]})
    if role == Role.DEPARTMENT_LIAISON:
        if department is None:
            raise ValidationError({"department": [_("A department liaison needs a department.")]})
        if not department.unit.is_within(unit) and not unit.is_within(department.unit):
            raise ValidationError({"department": [_("The department does not belong to this org unit.")]})
    elif department is not None:
        raise ValidationError({"department": [_("Only a department liaison is tied to a department.")]})
    with transaction.atomic():
        grant, created = RoleGrant.objects.get_or_create(
            user=user, role=role, unit=unit, defaults={"department": department, "granted_by": actor}
        )
        if not created:
            raise ValidationError({"role": [_("The user already has this role on this unit.")]})
        record(
            Action.ROLE_GRANTED,
            actor=actor,
            obj=user,
            community=unit.community,
            request=request,
            data={"role": role, "unit": unit.pk, "department": department.pk if department else None},
        )
    forget_grants(user)
    return grant


def role_revoke(*, actor: Any, grant: RoleGrant, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        record(
            Action.ROLE_REVOKED,
            actor=actor,
            obj=grant.user,
            community=grant.unit.community,
            request=request,
            data={"role": grant.role, "unit": grant.unit_id},
        )
        grant.delete()
    forget_grants(grant.user)


# --- sign-in (throttling and the ways back into a locked account: ``accounts.signin``) -------------


def logout_recorded(*, user: Any, request: HttpRequest | None) -> None:
    with transaction.atomic():
        record(Action.ACCOUNT_LOGOUT, actor=user, obj=user, request=request)


# --- API tokens ---------------------------------------------------------------------------

TOKEN_PREFIX = "anju_"  # noqa: S105  a public marker, not a secret


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_create(
    *, actor: Any, user: User, name: str, days: int | None = 90, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name.")]})
    if days is not None and not 1 <= days <= 366:
        raise ValidationError({"days": [_("A token lives from 1 to 366 days.")]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:60],
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            key_hash=token_hash(raw),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        record(Action.TOKEN_CREATED, actor=actor, obj=user, request=request, data={"token_id": token.pk, "name": name})
    return token, raw


def token_revoke(*, actor: Any, token: ApiToken, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(Action.TOKEN_REVOKED, actor=actor, obj=token.user, request=request, data={"token_id": token.pk})


def token_authenticate(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def preference_set_language(*, user: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [_("Choose a supported language.")]})
    with transaction.atomic():
        changed = diff({"preferred_language": user.preferred_language}, {"preferred_language": language})
        User.objects.filter(pk=user.pk).update(preferred_language=language)
        forget_user(user.pk)
        user.preferred_language = language
        record(Action.ACCOUNT_UPDATED, actor=user, obj=user, data={"changed": changed})
