"""``/api/v1/proxies``: the family proxies (子女代办) an account gave, holds, or (a worker) records.

Acting for a resident on the API is the ``X-On-Behalf-Of: <user id>`` header on any other operation
(``accounts.acting``); these operations always run as the account signed in."""

from datetime import date
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.accounts import acting
from anju.accounts.models import ProxyGrant, User
from anju.accounts.proxy import forms, selectors, services
from anju.core.api import ErrorOut

router = Router(tags=["accounts"])


class ProxyOut(Schema):
    id: int
    grantor_id: int = Field(description="The resident acted for: send this as X-On-Behalf-Of")
    grantor_name: str
    proxy_id: int
    proxy_name: str
    scopes: list[str] = Field(description="What the proxy may do: appeals, callback, bookings, activities")
    valid_from: str
    valid_until: str | None
    ended_at: str | None
    active: bool = Field(description="In force now")
    consent_method: str = Field(description="How the resident consented, when a worker recorded it; empty otherwise")
    role: Literal["grantor", "proxy", "worker"] = Field(description="How the asking account is related to it")


class ProxyIn(Schema):
    proxy_username: str = Field(max_length=40, description="The family member's username")
    scopes: list[str] = Field(description="At least one of: appeals, callback, bookings, activities")
    valid_until: date | None = Field(None, description="The last day it holds (Asia/Shanghai); empty: until ended")
    grantor_id: int | None = Field(
        None, description="A worker recording for a resident of their community (then consent_method is required)"
    )
    consent_method: Literal["", "in_person", "signed_form", "phone", "home_visit"] = ""
    consent_note: str = Field("", max_length=200)


def _out(grant: ProxyGrant, user: User) -> dict[str, object]:
    role = "grantor" if grant.grantor_id == user.pk else "proxy" if grant.proxy_id == user.pk else "worker"
    return {
        "id": grant.pk,
        "grantor_id": grant.grantor_id,
        "grantor_name": grant.grantor.display_name,
        "proxy_id": grant.proxy_id,
        "proxy_name": grant.proxy.display_name,
        "scopes": list(grant.scopes),
        "valid_from": grant.valid_from.isoformat(),
        "valid_until": grant.valid_until.isoformat() if grant.valid_until else None,
        "ended_at": grant.ended_at.isoformat() if grant.ended_at else None,
        "active": grant.is_active_at(timezone.now()) and grant.grantor.is_active and grant.proxy.is_active,
        "consent_method": grant.consent_method,
        "role": role,
    }


@router.get("/proxies", response=list[ProxyOut], summary="Family proxies one gave, holds, or records as a worker")
@policy.permission(policy.AUTHENTICATED)
def proxy_list(request: HttpRequest) -> list[dict[str, object]]:
    user = acting.real_user(request)
    return [_out(g, user) for g in selectors.visible_to(user).order_by("-created_at", "-id")[:200]]


@router.post(
    "/proxies",
    response={201: ProxyOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Let a family member act for oneself, or record it for a resident with their consent",
)
@policy.permission(policy.AUTHENTICATED)
def proxy_create(request: HttpRequest, payload: ProxyIn) -> Status:
    user = acting.real_user(request)
    grantor = user
    if payload.grantor_id is not None and payload.grantor_id != user.pk:
        if not policy.can(user, "proxy.record"):
            raise PermissionDenied
        grantor = User.objects.filter(pk=payload.grantor_id).first()
        if grantor is None:
            raise PermissionDenied
    grant = services.proxy_grant_create(
        actor=user,
        grantor=grantor,
        proxy_username=payload.proxy_username,
        scopes=payload.scopes,
        valid_until=forms.end_of_day(payload.valid_until),
        consent_method=payload.consent_method,
        consent_note=payload.consent_note,
        request=request,
    )
    return Status(201, _out(grant, user))


@router.post(
    "/proxies/{proxy_id}/end",
    response={200: ProxyOut, 404: ErrorOut},
    summary="End a family proxy at once (the resident, the proxy, or a worker of the resident's community)",
)
@policy.permission(policy.AUTHENTICATED)
def proxy_end(request: HttpRequest, proxy_id: int) -> dict[str, object]:
    user = acting.real_user(request)
    grant = selectors.grant_to_end(user, proxy_id)
    grant = services.proxy_grant_end(actor=user, grant=grant, request=request)
    return _out(grant, user)
