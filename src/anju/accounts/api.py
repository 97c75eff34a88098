from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from anju.access import policy
from anju.access.roles import Role
from anju.accounts import services
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


def _me(request: HttpRequest, user: User) -> dict[str, object]:
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
    return _me(request, request.user)  # type: ignore[arg-type]


@router.patch(
    "/me",
    response={200: MeOut, 422: ErrorOut},
    summary="Change one's own name, email address, language and email notices",
)
@policy.permission(policy.AUTHENTICATED)
def update_me(request: HttpRequest, payload: MeIn) -> dict[str, object]:
    changes = payload.dict(exclude_unset=True)
    user = services.user_update(actor=request.user, user=request.user, request=request, **changes)  # type: ignore[arg-type]
    return _me(request, user)


def _mount_proxies() -> None:
    from anju.accounts.proxy.api import router as proxy_router

    router.add_router("/", proxy_router)


_mount_proxies()
