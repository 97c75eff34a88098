"""Desk invitations: a worker checks a resident in person and hands them a one-time QR code; the resident
confirms their mobile number by SMS code and is signed in to an account linked to their registry entry.

The same way serves recovery at the desk: a resident who lost their phone or account gets a new invitation
(the worker records how they identified the person); accepting it with the new number moves the account to
that number, clears its sign-in lock and ends its other sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.access.roles import Role
from anju.accounts import codes, signin
from anju.accounts import services as accounts
from anju.accounts.models import RoleGrant, User
from anju.audit.actions import Action
from anju.audit.services import record
from anju.people.models import Invitation, Resident


class InvitationGone(Exception):
    """The invitation does not exist, was revoked, was used, or expired; ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_hash(token: str) -> str:
    return hashlib.sha256(f"anju.invitation\x00{token}".encode()).hexdigest()


def code_context(invitation: Invitation) -> str:
    """What a confirmation code is for: a code sent for one invitation fits no other."""
    return f"invitation:{invitation.pk}"


def invitation_issue(
    *, actor: Any, resident: Resident, identified_by: str, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """A new invitation for ``resident``; the raw token is returned once and never stored."""
    if identified_by not in Invitation.Identified.values:
        raise ValidationError({"identified_by": [_("Say how you identified the resident.")]})
    if not resident.is_active:
        raise ValidationError(_("An archived resident cannot be invited."))
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            community_id=resident.community_id,
            resident=resident,
            token_hash=token_hash(token),
            identified_by=identified_by,
            issued_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=settings.ANJU_INVITATION_DAYS),
        )
        record(
            Action.INVITATION_ISSUED,
            actor=actor,
            obj=resident,
            community=resident.community,
            request=request,
            data={"invitation": invitation.pk, "identified_by": identified_by},
        )
    return invitation, token


def invitation_revoke(*, actor: Any, invitation: Invitation, request: HttpRequest | None = None) -> Invitation:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None:
            raise ValidationError(_("This invitation was already used."))
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        record(
            Action.INVITATION_REVOKED,
            actor=actor,
            obj=locked.resident,
            community=locked.community,
            request=request,
            data={"invitation": locked.pk},
        )
    return locked


def invitation_open(token: str) -> Invitation:
    """The open invitation of ``token``, or InvitationGone with a reason the holder can act on."""
    invitation = (
        Invitation.objects.select_related("resident", "resident__household")
        .filter(token_hash=token_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationGone(_("This invitation is not valid. Ask your community worker for a new one."))
    if invitation.used_at is not None:
        raise InvitationGone(_("This invitation was already used. Sign in with an SMS code instead."))
    if invitation.revoked_at is not None:
        raise InvitationGone(_("This invitation was withdrawn. Ask your community worker for a new one."))
    if invitation.expires_at <= timezone.now() or not invitation.resident.is_active:
        raise InvitationGone(_("This invitation has expired. Ask your community worker for a new one."))
    return invitation


def invitation_send_code(*, token: str, mobile: str, request: HttpRequest | None) -> codes.CodeSent:
    """Send a confirmation code for an open invitation to the number its holder typed."""
    invitation = invitation_open(token)
    return codes.code_request(
        mobile=mobile,
        purpose=codes.Purpose.CONFIRM,
        context=code_context(invitation),
        community_id=invitation.community_id,
        request=request,
    )


def _username() -> str:
    while True:
        name = f"r{secrets.token_hex(5)}"
        if not User.objects.filter(username=name).exists():
            return name


def invitation_accept(*, token: str, mobile: str, code: str, request: HttpRequest | None) -> User:
    """Check the code, then create (or find, or recover) the resident's account, link it to the registry
    entry and use up the invitation, in one transaction with the audit row naming the issuing worker."""
    invitation = invitation_open(token)
    number = codes.clean_mobile(mobile)
    resident = invitation.resident
    other = User.objects.filter(mobile_index=accounts.mobile_index(number)).first()
    if other is not None and resident.account_id is not None and other.pk != resident.account_id:
        raise codes.CodeError(_("Another account already uses this mobile number."), reason="taken")
    codes.code_verify(
        mobile=number,
        code=code,
        purpose=codes.Purpose.CONFIRM,
        context=code_context(invitation),
        request=request,
    )
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used_at is not None or locked.revoked_at is not None or locked.expires_at <= timezone.now():
            raise InvitationGone(_("This invitation was already used. Sign in with an SMS code instead."))
        recovery = resident.account is not None
        if resident.account is not None:
            user = resident.account
            if other is None:
                user = accounts.user_update(actor=user, user=user, mobile=number, request=request)
            user.session_epoch += 1  # the lost phone's sessions end
            user.save(update_fields=["session_epoch"])
            signin.login_unlock(actor=locked.issued_by, user=user, request=request)
        elif other is not None:
            user = other
        else:
            user = accounts.user_create(
                actor=None,
                username=_username(),
                display_name=resident.name,
                password="",
                mobile=number,
                validate_password=False,
                request=request,
            )
        if not RoleGrant.objects.filter(user=user, role=Role.RESIDENT, unit=resident.unit).exists():
            accounts.role_grant(
                actor=locked.issued_by, user=user, role=Role.RESIDENT, unit=resident.unit, request=request
            )
        resident.account = user
        resident.save(update_fields=["account"])
        locked.used_at, locked.account = timezone.now(), user
        locked.save(update_fields=["used_at", "account"])
        Invitation.objects.filter(resident=resident, used_at__isnull=True, revoked_at__isnull=True).exclude(
            pk=locked.pk
        ).update(revoked_at=timezone.now())
        record(
            Action.ACCOUNT_RECOVERED if recovery else Action.INVITATION_USED,
            actor=user,
            obj=resident,
            community=locked.community,
            request=request,
            data={
                "invitation": locked.pk,
                "issued_by": locked.issued_by_id,
                "identified_by": locked.identified_by,
                "account": user.pk,
                "household": resident.household_id,
            },
        )
    signin.login_succeeded(user=user, identifier=number, request=request)
    return user
