from django.http import HttpRequest
from ninja import Router, Schema

from anju.accounts import policy
from anju.accounts.roles import Role

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
    language: str
    grants: list[GrantOut]


@router.get("/me", response=MeOut, summary="The signed-in account and its roles")
@policy.permission(policy.AUTHENTICATED)
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
    grants = user.grants.select_related("unit")  # type: ignore[union-attr]
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": user.display_name,  # type: ignore[union-attr]
        "mobile_masked": user.mobile_masked,  # type: ignore[union-attr]
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
