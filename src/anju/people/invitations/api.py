"""JSON API of desk invitations: the worker's issue, list and revoke; the resident's phone asks for a code
and accepts (public operations, answering an API token). Same services and permissions as the pages."""

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.accounts import codes
from anju.accounts import services as account_services
from anju.accounts.api import CodeSentOut, SignedInOut, code_error, me_body
from anju.core.api import ErrorOut
from anju.core.params import Id
from anju.people.invitations import services
from anju.people.models import Invitation, Resident

router = Router(tags=["people"])


class InvitationOut(Schema):
    id: int
    resident_id: int
    state: Literal["open", "used", "revoked", "expired"]
    identified_by: str
    issued_by: str = Field(..., description="The worker who issued it (their display name)")
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class InvitationIssuedOut(InvitationOut):
    token: str = Field(..., description="The one-time token: shown once, never stored (only its hash is)")
    url: str = Field(..., description="The page the QR code opens")


class InvitationIn(Schema):
    identified_by: Literal["id_card", "household_register", "known"] = Field(
        ..., description="How the worker identified the resident in person"
    )


class InvitationCodeIn(Schema):
    token: str = Field(..., max_length=64)
    mobile: str = Field(..., max_length=20)


class InvitationAcceptIn(Schema):
    token: str = Field(..., max_length=64)
    mobile: str = Field(..., max_length=20)
    code: str = Field(..., max_length=12)


def _state(invitation: Invitation) -> str:
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    return "open" if invitation.is_open else "expired"


def _out(invitation: Invitation) -> dict[str, Any]:
    issuer = invitation.issued_by
    return {
        "id": invitation.pk,
        "resident_id": invitation.resident_id,
        "state": _state(invitation),
        "identified_by": invitation.identified_by,
        "issued_by": (issuer.display_name or issuer.username) if issuer is not None else "",
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "used_at": invitation.used_at,
    }


def _gone(exc: services.InvitationGone) -> Status:
    return Status(410, {"error": {"code": "gone", "message": exc.message, "details": []}})


@router.post(
    "/people/residents/{resident_id}/invitations",
    response={201: InvitationIssuedOut, 404: ErrorOut, 422: ErrorOut},
    summary="Issue a one-time sign-in invitation for a resident checked in person",
)
@policy.permission("people.invite")
def invitation_issue(request: HttpRequest, resident_id: Id, payload: InvitationIn) -> Any:
    resident = policy.get_for(request.user, "people.invite", Resident.objects.all(), pk=resident_id)
    invitation, token = services.invitation_issue(
        actor=request.user, resident=resident, identified_by=payload.identified_by, request=request
    )
    url = request.build_absolute_uri(reverse("people:invite_open", kwargs={"token": token}))
    return Status(201, {**_out(invitation), "token": token, "url": url})


@router.get(
    "/people/residents/{resident_id}/invitations",
    response={200: list[InvitationOut], 404: ErrorOut},
    summary="A resident's invitations, newest first",
)
@policy.permission("people.invite")
def invitation_list(request: HttpRequest, resident_id: Id) -> Any:
    resident = policy.get_for(request.user, "people.invite", Resident.objects.all(), pk=resident_id)
    return [_out(i) for i in resident.invitations.select_related("issued_by")]


@router.post(
    "/people/invitations/{invitation_id}/revoke",
    response={200: InvitationOut, 404: ErrorOut, 409: ErrorOut},
    summary="Withdraw an invitation that was not used",
)
@policy.permission("people.invite")
def invitation_revoke(request: HttpRequest, invitation_id: Id) -> Any:
    invitation = policy.get_for(request.user, "people.invite", Invitation.objects.all(), pk=invitation_id)
    try:
        invitation = services.invitation_revoke(actor=request.user, invitation=invitation, request=request)
    except ValidationError as exc:
        return Status(409, {"error": {"code": "conflict", "message": " ".join(exc.messages), "details": []}})
    return _out(invitation)


@router.post(
    "/people/invitations/code",
    auth=None,
    response={200: CodeSentOut, 410: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="The invited resident's phone: send a code to confirm the mobile number",
)
@policy.public
def invitation_code(request: HttpRequest, payload: InvitationCodeIn) -> Any:
    from django.conf import settings

    try:
        sent = services.invitation_send_code(token=payload.token, mobile=payload.mobile, request=request)
    except services.InvitationGone as exc:
        return _gone(exc)
    except codes.CodeError as exc:
        return code_error(exc)
    return {
        "mobile_masked": sent.mobile_masked,
        "expires_in": settings.ANJU_CODE_TTL,
        "resend_after": sent.resend_after,
        "detail": "",
    }


@router.post(
    "/people/invitations/accept",
    auth=None,
    response={200: SignedInOut, 410: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Accept the invitation with the code: the linked account and a new API token",
)
@policy.public
def invitation_accept(request: HttpRequest, payload: InvitationAcceptIn) -> Any:
    try:
        user = services.invitation_accept(
            token=payload.token, mobile=payload.mobile, code=payload.code, request=request
        )
    except services.InvitationGone as exc:
        return _gone(exc)
    except codes.CodeError as exc:
        return code_error(exc)
    _token, raw = account_services.token_create(actor=user, user=user, name="invitation", days=90)
    return {"token": raw, "me": me_body(request, user)}
