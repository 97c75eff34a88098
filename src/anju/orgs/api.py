from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.access import policy
from anju.core.api import ErrorOut, Pagination
from anju.core.params import Id
from anju.orgs import selectors, services
from anju.orgs.models import OrgUnit, UnitKind

router = Router(tags=["orgs"])


class OrgUnitOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    parent_id: int | None
    community_id: int | None
    depth: int
    is_active: bool


class OrgUnitIn(Schema):
    parent_id: Id
    kind: UnitKind
    name: str = Field(..., min_length=1, max_length=100)
    code: str = Field("", max_length=32)


class OrgUnitFilter(Schema):
    parent_id: Id | None = None
    kind: UnitKind | None = None
    q: str = Field("", max_length=100)


class DepartmentOut(Schema):
    id: int
    name: str
    kind: str
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    phone: str
    is_active: bool


class TaskForceOut(Schema):
    id: int
    name: str
    purpose: str
    community_id: int
    member_count: int


@router.get("/orgunits", response=list[OrgUnitOut], summary="Org units within reach")
@paginate(Pagination)
@policy.permission("orgunit.view")
def list_orgunits(request: HttpRequest, filters: Query[OrgUnitFilter]) -> Any:
    parent = None
    if filters.parent_id is not None:
        parent = policy.get_for(request.user, "orgunit.view", OrgUnit, pk=filters.parent_id)
    return selectors.orgunit_list(request.user, parent=parent, kind=filters.kind or "", q=filters.q)


@router.get("/orgunits/{unit_id}", response={200: OrgUnitOut, 404: ErrorOut}, summary="One org unit")
@policy.permission("orgunit.view")
def get_orgunit(request: HttpRequest, unit_id: Id) -> Any:
    return policy.get_for(request.user, "orgunit.view", OrgUnit, pk=unit_id)


@router.post(
    "/orgunits", response={201: OrgUnitOut, 404: ErrorOut, 422: ErrorOut}, summary="Add an org unit under a parent"
)
@policy.permission("orgunit.manage")
def create_orgunit(request: HttpRequest, payload: OrgUnitIn) -> Any:
    parent = policy.get_for(request.user, "orgunit.manage", OrgUnit, pk=payload.parent_id)
    unit = services.orgunit_create(
        actor=request.user, kind=payload.kind, name=payload.name, code=payload.code, parent=parent, request=request
    )
    return Status(201, unit)  # a (status, body) tuple is deprecated since django-ninja 1.6


@router.get("/departments", response=list[DepartmentOut], summary="Departments within reach")
@paginate(Pagination)
@policy.permission("department.view")
def list_departments(request: HttpRequest, q: str = "") -> Any:
    qs = selectors.departments_visible(request.user)
    return qs.filter(name__icontains=q) if q else qs


@router.get("/taskforces", response=list[TaskForceOut], summary="Task forces within reach")
@paginate(Pagination)
@policy.permission("taskforce.view")
def list_taskforces(request: HttpRequest) -> Any:
    return selectors.taskforces_visible(request.user)
