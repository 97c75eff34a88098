from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.access.roles import Role
from anju.accounts import codes, services
from anju.accounts.models import User
from anju.core.api import ErrorOut

router = Router(tags=["accounts"])


class GrantOut(Schema):
    role: str
    role_label: str
    unit_id: int
    unit_name: str
    department_id: int | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    mobile_masked: str
    email: str = Field(description="The account's own email address, in full (only its owner reads /me)")
    notify_by_email: bool = Field(description="Notices also go by email (when an address is set)")
    preferred_language: str = Field(description="The stored language choice; empty: the default (zh-hans)")
    language: str = Field(description="The language this request is answered in")
    grants: list[GrantOut]


class MeIn(Schema):
    """Only the fields sent change; an empty ``email`` removes the address."""

    display_name: str | None = Field(None, max_length=60)
    email: str | None = Field(None, max_length=254)
    preferred_language: Literal["zh-hans", "en"] | None = None
    notify_by_email: bool | None = None


def me_body(request: HttpRequest, user: User) -> dict[str, object]:
    grants = user.grants.select_related("unit")
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": user.display_name,
        "mobile_masked": user.mobile_masked,
        "email": user.email,
        "notify_by_email": user.notify_by_email,
        "preferred_language": user.preferred_language,
        "language": getattr(request, "LANGUAGE_CODE", ""),
        "grants": [
            {
                "role": g.role,
                "role_label": str(Role(g.role).label),
                "unit_id": g.unit_id,
                "unit_name": g.unit.name,
                "department_id": g.department_id,
            }
            for g in grants
        ],
    }


@router.get("/me", response=MeOut, summary="The signed-in account and its roles")
@policy.permission(policy.AUTHENTICATED)
def me(request: HttpRequest) -> dict[str, object]:
    return me_body(request, request.user)  # type: ignore[arg-type]


@router.patch(
    "/me",
    response={200: MeOut, 422: ErrorOut},
    summary="Change one's own name, email address, language and email notices",
)
@policy.permission(policy.AUTHENTICATED)
def update_me(request: HttpRequest, payload: MeIn) -> dict[str, object]:
    changes = payload.dict(exclude_unset=True)
    user = services.user_update(actor=request.user, user=request.user, request=request, **changes)  # type: ignore[arg-type]
    return me_body(request, user)


# --- sign-in by SMS code (public: no session, no token; the answer never says whether a number is known) ---


class CodeRequestIn(Schema):
    mobile: str = Field(..., max_length=20, description="A mainland mobile number, such as 13812345678")


class CodeSentOut(Schema):
    mobile_masked: str = Field(..., description="The number, masked (138****5678): never echoed in full")
    expires_in: int = Field(..., description="Seconds the code is valid")
    resend_after: int = Field(..., description="Seconds before another code may be asked for")
    detail: str


class CodeVerifyIn(Schema):
    mobile: str = Field(..., max_length=20)
    code: str = Field(..., max_length=12, description="The six digits from the SMS")


class SignedInOut(Schema):
    token: str = Field(..., description="A new API token for this device (90 days); shown once")
    me: MeOut


def code_error(exc: codes.CodeError) -> Status:
    """A refused code request or code: 429 for the limits, 422 for the rest, in the caller's language."""
    status = 429 if exc.reason in codes.LIMIT_REASONS else 422
    field = "mobile" if exc.reason == "mobile" else "code"
    details = [{"field": field, "message": exc.message}] if status == 422 else []
    code = "throttled" if status == 429 else "validation_error"
    return Status(status, {"error": {"code": code, "message": exc.message, "details": details}})


@router.post(
    "/accounts/code",
    auth=None,
    response={200: CodeSentOut, 422: ErrorOut, 429: ErrorOut},
    summary="Ask for a six-digit sign-in code by SMS (the same answer for every number)",
)
@policy.public
def code_request(request: HttpRequest, payload: CodeRequestIn) -> Any:
    try:
        sent = codes.code_request(mobile=payload.mobile, purpose=codes.Purpose.SIGN_IN, request=request)
    except codes.CodeError as exc:
        return code_error(exc)
    detail = _("If an account uses %(mobile)s, a code is on its way by SMS. It is valid for %(minutes)s minutes.") % {
        "mobile": sent.mobile_masked,
        "minutes": settings.ANJU_CODE_TTL // 60,
    }
    return {
        "mobile_masked": sent.mobile_masked,
        "expires_in": settings.ANJU_CODE_TTL,
        "resend_after": sent.resend_after,
        "detail": detail,
    }


@router.post(
    "/accounts/code/verify",
    auth=None,
    response={200: SignedInOut, 422: ErrorOut, 429: ErrorOut},
    summary="Sign in with the code: answers a new API token for this device",
)
@policy.public
def code_verify(request: HttpRequest, payload: CodeVerifyIn) -> Any:
    try:
        user = codes.code_sign_in(mobile=payload.mobile, code=payload.code, request=request)
    except codes.CodeError as exc:
        return code_error(exc)
    _token, raw = services.token_create(actor=user, user=user, name="sms-code", days=90)
    return {"token": raw, "me": me_body(request, user)}


def _mount_proxies() -> None:
    from anju.accounts.proxy.api import router as proxy_router

    router.add_router("/", proxy_router)


_mount_proxies()
