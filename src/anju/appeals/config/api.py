"""JSON API of the appeals configuration: the same services as the pages (``appeals/config/services.py``)."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from anju.access import policy
from anju.appeals import privacy
from anju.appeals.config import services as config
from anju.appeals.models import Category, CategoryRoute, SatisfactionLevel, SlaBasis, SlaPolicy, SlaUnit, Urgency
from anju.core.api import ErrorOut, Pagination
from anju.core.params import Id
from anju.orgs.models import Department, OrgUnit

router = Router(tags=["appeals configuration"])


class CategoryConfigOut(Schema):
    id: int
    code: str
    name: str
    group: str
    description: str
    department_kind: str
    default_urgency: str
    is_active: bool
    sort_order: int
    in_use: bool = False


class CategoryConfigIn(Schema):
    code: str = Field(..., max_length=40, description="The Open311 service_code: a-z, 0-9 and inner hyphens")
    name: str = Field(..., max_length=100)
    group: str = Field("", max_length=60)
    description: str = Field("", max_length=2000)
    department_kind: str = Field("", max_length=16)
    default_urgency: Urgency = Urgency.GENERAL
    sort_order: int = 0


class ActiveIn(Schema):
    active: bool


class RouteOut(Schema):
    id: int
    category: str = Field(..., alias="category.code")
    unit_id: int
    department_id: int


class RouteIn(Schema):
    unit_id: Id
    category: str = Field(..., max_length=40, description="category code")
    department_id: Id


class RouteFilter(Schema):
    unit_id: Id | None = None


class SlaOut(Schema):
    id: int
    category: str | None
    urgency: str
    complex: bool
    dispatch_value: int
    dispatch_unit: str
    dispatch_basis: str
    sign_value: int
    sign_unit: str
    sign_basis: str
    contact_value: int
    contact_unit: str
    contact_basis: str
    feedback_value: int
    feedback_unit: str
    feedback_basis: str

    @staticmethod
    def resolve_category(obj: SlaPolicy) -> str | None:
        return obj.category.code if obj.category else None


BASIS_HELP = "receipt or previous (the step before); not given: the policy's own (a new one: DESIGN.md's default)"


class SlaIn(Schema):
    dispatch_value: int
    dispatch_unit: SlaUnit = SlaUnit.HOURS
    dispatch_basis: SlaBasis | None = Field(None, description=BASIS_HELP)
    sign_value: int
    sign_unit: SlaUnit = SlaUnit.HOURS
    sign_basis: SlaBasis | None = Field(None, description=BASIS_HELP)
    contact_value: int
    contact_unit: SlaUnit = SlaUnit.HOURS
    contact_basis: SlaBasis | None = Field(None, description=BASIS_HELP)
    feedback_value: int
    feedback_unit: SlaUnit = SlaUnit.HOURS
    feedback_basis: SlaBasis | None = Field(None, description=BASIS_HELP)


class LevelOut(Schema):
    id: int
    code: str
    label: str
    counts_as_satisfied: bool
    sort_order: int


class LevelIn(Schema):
    label: str = Field(..., max_length=40)
    counts_as_satisfied: bool
    sort_order: int = 0


def _deadlines(payload: SlaIn) -> dict[str, Any]:
    given = {k: v for k, v in payload.dict().items() if v is not None}
    return {k: (str(v) if k.endswith(("_unit", "_basis")) else v) for k, v in given.items()}


# --- catalogue ----------------------------------------------------------------------------------


@router.get(
    "/appeals/config/categories",
    response=list[CategoryConfigOut],
    summary="The whole catalogue",
    operation_id="anju_appeals_api_config_config_list_categories",
)
@paginate(Pagination)
@policy.permission("appeal.configure")
def config_list_categories(request: HttpRequest, q: str = "", state: str = "") -> Any:
    return config.categories(q=q, state=state)


@router.post(
    "/appeals/config/categories",
    response={201: CategoryConfigOut, 403: ErrorOut, 422: ErrorOut},
    summary="Add a category to the catalogue",
    operation_id="anju_appeals_api_config_config_create_category",
)
@policy.permission("appeal.configure")
def config_create_category(request: HttpRequest, payload: CategoryConfigIn) -> Any:
    data = payload.dict()
    data["default_urgency"] = str(payload.default_urgency)
    category = config.category_create(actor=request.user, request=request, **data)
    return Status(201, category)


@router.put(
    "/appeals/config/categories/{category_id}",
    response={200: CategoryConfigOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a category (its code is fixed once an appeal uses it)",
    operation_id="anju_appeals_api_config_config_update_category",
)
@policy.permission("appeal.configure")
def config_update_category(request: HttpRequest, category_id: Id, payload: CategoryConfigIn) -> Any:
    category = get_object_or_404(Category, pk=category_id)
    data = payload.dict()
    data["default_urgency"] = str(payload.default_urgency)
    return config.category_update(actor=request.user, category=category, request=request, **data)


@router.post(
    "/appeals/config/categories/{category_id}/active",
    response={200: CategoryConfigOut, 404: ErrorOut},
    summary="Deactivate or reactivate a category",
    operation_id="anju_appeals_api_config_config_category_active",
)
@policy.permission("appeal.configure")
def config_category_active(request: HttpRequest, category_id: Id, payload: ActiveIn) -> Any:
    category = get_object_or_404(Category, pk=category_id)
    return config.category_set_active(actor=request.user, category=category, active=payload.active, request=request)


# --- routing rules ------------------------------------------------------------------------------


@router.get(
    "/appeals/config/routes",
    response={200: list[RouteOut], 404: ErrorOut},
    summary="Routing rules within reach",
    operation_id="anju_appeals_api_config_config_list_routes",
)
@policy.permission("appeal.routes")
def config_list_routes(request: HttpRequest, unit_id: Id | None = None) -> Any:
    unit = policy.get_for(request.user, "appeal.routes", OrgUnit, pk=unit_id) if unit_id is not None else None
    return list(config.routes(request.user, unit=unit)[:1000])


@router.put(
    "/appeals/config/routes",
    response={200: RouteOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set the default department of a category within an org unit's subtree",
    operation_id="anju_appeals_api_config_config_set_route",
)
@policy.permission("appeal.routes")
def config_set_route(request: HttpRequest, payload: RouteIn) -> Any:
    unit = policy.get_for(request.user, "appeal.routes", OrgUnit, pk=payload.unit_id)
    return config.route_set(
        actor=request.user,
        unit=unit,
        category=Category.objects.filter(code=payload.category).first(),
        department=Department.objects.select_related("unit").filter(pk=payload.department_id).first(),
        request=request,
    )


@router.delete(
    "/appeals/config/routes/{route_id}",
    response={204: None, 404: ErrorOut},
    summary="Remove a routing rule",
    operation_id="anju_appeals_api_config_config_remove_route",
)
@policy.permission("appeal.routes")
def config_remove_route(request: HttpRequest, route_id: Id) -> Any:
    route = policy.get_for(
        request.user, "appeal.routes", CategoryRoute.objects.select_related("unit", "category"), pk=route_id
    )
    config.route_remove(actor=request.user, route=route, request=request)
    return Status(204, None)


# --- SLA and satisfaction scale -----------------------------------------------------------------


@router.get(
    "/appeals/config/sla",
    response=list[SlaOut],
    summary="SLA policies",
    operation_id="anju_appeals_api_config_config_list_sla",
)
@policy.permission("appeal.configure")
def config_list_sla(request: HttpRequest) -> Any:
    return list(config.sla_policies())


@router.put(
    "/appeals/config/sla/{sla_id}",
    response={200: SlaOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change an SLA policy's deadlines (applies to deadlines computed from now on)",
    operation_id="anju_appeals_api_config_config_update_sla",
)
@policy.permission("appeal.configure")
def config_update_sla(request: HttpRequest, sla_id: Id, payload: SlaIn) -> Any:
    sla = get_object_or_404(SlaPolicy.objects.select_related("category"), pk=sla_id)
    return config.sla_update(actor=request.user, sla=sla, request=request, **_deadlines(payload))


@router.get(
    "/appeals/config/satisfaction",
    response=list[LevelOut],
    summary="The satisfaction scale",
    operation_id="anju_appeals_api_config_config_list_levels",
)
@policy.permission("appeal.configure")
def config_list_levels(request: HttpRequest) -> Any:
    return list(SatisfactionLevel.objects.order_by("sort_order", "id"))


@router.put(
    "/appeals/config/satisfaction/{level_id}",
    response={200: LevelOut, 404: ErrorOut, 422: ErrorOut},
    summary="Relabel or reclassify a satisfaction level",
    operation_id="anju_appeals_api_config_config_update_level",
)
@policy.permission("appeal.configure")
def config_update_level(request: HttpRequest, level_id: Id, payload: LevelIn) -> Any:
    level = get_object_or_404(SatisfactionLevel, pk=level_id)
    return config.satisfaction_update(
        actor=request.user,
        level=level,
        label=payload.label,
        counts_as_satisfied=payload.counts_as_satisfied,
        sort_order=payload.sort_order,
        request=request,
    )


# --- what a community publishes ------------------------------------------------------------------------


class PublicationOut(Schema):
    community_id: int
    level: str = Field(..., description="off (nothing listed) or basic (category and status)")
    area: bool
    summary: bool
    followers_counted: bool


class PublicationIn(Schema):
    level: str = Field(..., max_length=10, description="off or basic")
    area: bool = False
    summary: bool = False
    followers_counted: bool = False


@router.get(
    "/appeals/config/publication/{community_id}",
    response={200: PublicationOut, 404: ErrorOut},
    summary="What a community publishes of its appeals (Open311, public pages)",
    operation_id="anju_appeals_api_config_config_get_publication",
)
@policy.permission("appeal.publish")
def config_get_publication(request: HttpRequest, community_id: int) -> Any:
    community = policy.get_for(request.user, "appeal.publish", OrgUnit.objects.communities(), pk=community_id)
    return privacy.publication_for(community)


@router.put(
    "/appeals/config/publication/{community_id}",
    response={200: PublicationOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set what a community publishes of its appeals (audited)",
    operation_id="anju_appeals_api_config_config_set_publication",
)
@policy.permission("appeal.publish")
def config_set_publication(request: HttpRequest, community_id: int, payload: PublicationIn) -> Any:
    community = policy.get_for(request.user, "appeal.publish", OrgUnit.objects.communities(), pk=community_id)
    return privacy.publication_set(actor=request.user, community=community, request=request, **payload.dict())
