"""JSON API of the registry: the same selectors, services, masking and permissions as the pages."""

from datetime import date
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from anju.access import policy
from anju.audit.reasons import Purpose
from anju.core.api import ErrorOut, bounded_slice
from anju.core.params import MAX_INT, Id
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import selectors, services
from anju.people.models import Household, Relation, Resident, Tag

router = Router(tags=["people"])
MAX_LIMIT = 200


class ResidentOut(Schema):
    id: int
    profile: str = Field(..., description="What this role sees of the resident (people.profiles): full or limited")
    name: str = Field(..., description="Masked (张*三) for roles with no need to know")
    gender: str
    birth_date: date | None = Field(..., description="Only in the full profile; else null (see age_band)")
    age_band: str = Field(..., description="A ten-year age band (70–79 years)")
    mobile: str = Field(..., description="Always masked: 138****1234")
    id_number: str = Field(
        ..., description="Masked to the region head (4211**************) in the full profile; else empty"
    )
    relation: str
    household_id: int
    building_id: int
    address: str = Field(..., description="The door number only in the full profile")
    tags: list[str] = Field(
        ...,
        description=(
            "In the reader's language (a default tag in English to English readers); sensitive tags only in the "
            "full profile"
        ),
    )
    is_party_member: bool
    party_branch: str
    is_central_household: bool
    status: str
    status_date: date | None


class ResidentPage(Schema):
    count: int = Field(
        ...,
        description="How many in all when count_exact; otherwise the database's estimate, or the "
        "bound past which lists are not counted (more than this many)",
    )
    count_exact: bool = Field(..., description="false: the list is too large to count; count is not exact")
    results: list[ResidentOut]


class ResidentFilterIn(Schema):
    q: str = Field("", max_length=60, description="Name, pinyin initials, or a full mobile or ID number")
    building_id: Id | None = None
    household_id: Id | None = None
    tag_id: Id | None = None
    party_member: bool | None = None
    status: Literal["active", "archived", "all"] = "active"
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_INT)


class ResidentIn(Schema):
    household_id: Id
    name: str = Field(..., max_length=60)
    id_number: str = Field(..., max_length=40)
    relation: Relation
    gender: Literal["", "M", "F"] = ""
    birth_date: date | None = None
    mobile: str = Field("", max_length=30)
    tag_ids: list[Id] = []
    is_party_member: bool = False
    party_branch: str = Field("", max_length=60)


class ResidentPatch(Schema):
    name: str | None = Field(None, max_length=60)
    id_number: str | None = Field(None, max_length=40)
    relation: Relation | None = None
    gender: Literal["", "M", "F"] | None = None
    birth_date: date | None = None
    mobile: str | None = Field(None, max_length=30)
    tag_ids: list[Id] | None = None
    is_party_member: bool | None = None
    party_branch: str | None = Field(None, max_length=60)
    household_id: Id | None = None


class ArchiveIn(Schema):
    reason: Literal["moved_out", "deceased"]
    on_date: date | None = None
    note: str = Field("", max_length=200)


class RevealIn(Schema):
    field: Literal["mobile", "id_number"]
    purpose: Purpose = Field(..., description="What the number is needed for")
    reason: str = Field(
        ...,
        max_length=300,
        description="Why, in words a reviewer can read (at least 5 Chinese characters or 10 letters)",
    )


class RevealOut(Schema):
    id: int
    field: str
    value: str


class HouseholdOut(Schema):
    id: int
    community_id: int
    building_id: int = Field(..., alias="unit_id")
    building: str = Field(..., alias="address.unit.name")
    entrance: str = Field(..., alias="address.entrance")
    door: str = Field(..., description="Empty unless the role sees door numbers (people.profiles)")
    number: str
    is_central: bool
    status: str
    member_count: int = 0

    @staticmethod
    def resolve_door(obj: Household, context: Any) -> str:
        user = context["request"].user if context else None
        return obj.address.door if selectors.Viewer(user).profile(obj).door else ""


class HouseholdPage(Schema):
    count: int = Field(
        ...,
        description="How many in all when count_exact; otherwise the database's estimate, or the "
        "bound past which lists are not counted (more than this many)",
    )
    count_exact: bool = Field(..., description="false: the list is too large to count; count is not exact")
    results: list[HouseholdOut]


class HouseholdFilterIn(Schema):
    q: str = Field("", max_length=60)
    building_id: Id | None = None
    status: Literal["active", "archived", "all"] = "active"
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_INT)


class HouseholdIn(Schema):
    building_id: Id
    entrance: str = Field("", max_length=20)
    door: str = Field(..., min_length=1, max_length=20)
    number: str = Field("", max_length=30)
    is_central: bool = False


class HouseholdPatch(Schema):
    number: str | None = Field(None, max_length=30)
    is_central: bool | None = None
    building_id: Id | None = Field(None, description="With door (and entrance): the household moves")
    entrance: str | None = Field(None, max_length=20)
    door: str | None = Field(None, max_length=20)


class TagOut(Schema):
    id: int
    community_id: int
    name: str


def _resident(request: HttpRequest, action: str, resident_id: Id) -> Resident:
    qs = Resident.objects.select_related("household__address__unit").prefetch_related("tags")
    found: Resident = policy.get_for(request.user, action, qs, pk=resident_id)
    return found


def _tags(request: HttpRequest, community_id: Id, ids: list[int]) -> list[Tag]:
    tags = list(Tag.objects.filter(community_id=community_id, pk__in=ids))
    if len(tags) != len(set(ids)):
        raise ValidationError({"tag_ids": [_("Choose tags of this community.")]})
    return tags


@router.get("/people/residents", response=ResidentPage, summary="Residents within reach (masked)")
@policy.permission("people.view")
def list_residents(request: HttpRequest, filters: Query[ResidentFilterIn]) -> Any:
    flt = selectors.ResidentFilter(
        q=filters.q,
        building=filters.building_id,
        household=filters.household_id,
        tag=filters.tag_id,
        party=filters.party_member,
        status=filters.status,
    )
    qs = selectors.resident_search(request.user, flt)
    viewer = selectors.Viewer(request.user)
    page = bounded_slice(qs, offset=filters.offset, limit=filters.limit)
    return {**page, "results": [viewer.row(r) for r in page["results"]]}


@router.get(
    "/people/residents/{resident_id}", response={200: ResidentOut, 404: ErrorOut}, summary="One resident (masked)"
)
@policy.permission("people.view")
def get_resident(request: HttpRequest, resident_id: Id) -> Any:
    return selectors.Viewer(request.user).row(_resident(request, "people.view", resident_id))


@router.post(
    "/people/residents", response={201: ResidentOut, 404: ErrorOut, 422: ErrorOut}, summary="Register a resident"
)
@policy.permission("people.manage")
def create_resident(request: HttpRequest, payload: ResidentIn) -> Any:
    household = policy.get_for(
        request.user, "people.manage", Household.objects.select_related("community"), pk=payload.household_id
    )
    resident = services.resident_create(
        actor=request.user,
        household=household,
        name=payload.name,
        id_number=payload.id_number,
        relation=payload.relation,
        gender=payload.gender,
        birth_date=payload.birth_date,
        mobile=payload.mobile,
        tags=_tags(request, household.community_id, payload.tag_ids),
        is_party_member=payload.is_party_member,
        party_branch=payload.party_branch,
        request=request,
    )
    return Status(201, selectors.Viewer(request.user).row(_resident(request, "people.view", resident.pk)))


@router.patch(
    "/people/residents/{resident_id}",
    response={200: ResidentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a resident",
)
@policy.permission("people.manage")
def update_resident(request: HttpRequest, resident_id: Id, payload: ResidentPatch) -> Any:
    resident = _resident(request, "people.manage", resident_id)
    data = payload.dict(exclude_unset=True)
    tag_ids = data.pop("tag_ids", None)
    household_id = data.pop("household_id", None)
    household = None
    if household_id is not None:
        household = policy.get_for(request.user, "people.manage", Household, pk=household_id)
    changes = {k: ("" if v is None and k in ("mobile", "gender", "party_branch") else v) for k, v in data.items()}
    services.resident_update(
        actor=request.user,
        resident=resident,
        changes=changes,
        tags=_tags(request, resident.community_id, tag_ids) if tag_ids is not None else None,
        household=household,
        request=request,
    )
    return selectors.Viewer(request.user).row(_resident(request, "people.view", resident.pk))


@router.post(
    "/people/residents/{resident_id}/archive",
    response={200: ResidentOut, 404: ErrorOut, 422: ErrorOut},
    summary="Archive a resident who moved out or died (never deleted)",
)
@policy.permission("people.manage")
def archive_resident(request: HttpRequest, resident_id: Id, payload: ArchiveIn) -> Any:
    resident = _resident(request, "people.manage", resident_id)
    services.resident_archive(
        actor=request.user,
        resident=resident,
        reason=payload.reason,
        on_date=payload.on_date,
        note=payload.note,
        request=request,
    )
    return selectors.Viewer(request.user).row(_resident(request, "people.view", resident.pk))


@router.post(
    "/people/residents/{resident_id}/reveal",
    response={200: RevealOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reveal one mobile or ID number, giving a reason (written to the access log)",
)
@policy.permission("people.reveal")
def reveal_resident(request: HttpRequest, resident_id: Id, payload: RevealIn, response: HttpResponse) -> Any:
    resident = _resident(request, "people.reveal", resident_id)
    if not resident.is_active:
        raise ValidationError(_("The numbers of an archived resident are not revealed."))
    value = services.resident_reveal(
        actor=request.user,
        resident=resident,
        field=payload.field,
        purpose=payload.purpose,
        reason=payload.reason,
        request=request,
    )
    patch_cache_control(response, no_store=True, private=True)  # never kept by a cache
    return {"id": resident.pk, "field": payload.field, "value": value}


@router.get("/people/households", response=HouseholdPage, summary="Households within reach")
@policy.permission("people.view")
def list_households(request: HttpRequest, filters: Query[HouseholdFilterIn]) -> Any:
    qs = selectors.household_list(request.user, q=filters.q, building=filters.building_id, status=filters.status)
    return bounded_slice(qs, offset=filters.offset, limit=filters.limit)


@router.get("/people/households/{household_id}", response={200: HouseholdOut, 404: ErrorOut}, summary="One household")
@policy.permission("people.view")
def get_household(request: HttpRequest, household_id: Id) -> Any:
    return policy.get_for(
        request.user, "people.view", selectors.household_list(request.user, status="all"), pk=household_id
    )


def _building(request: HttpRequest, building_id: Id) -> OrgUnit:
    unit: OrgUnit = policy.get_for(
        request.user, "people.manage", OrgUnit.objects.filter(kind=UnitKind.BUILDING), pk=building_id
    )
    return unit


@router.post(
    "/people/households", response={201: HouseholdOut, 404: ErrorOut, 422: ErrorOut}, summary="Register a household"
)
@policy.permission("people.manage")
def create_household(request: HttpRequest, payload: HouseholdIn) -> Any:
    household = services.household_create(
        actor=request.user,
        unit=_building(request, payload.building_id),
        entrance=payload.entrance,
        door=payload.door,
        number=payload.number,
        is_central=payload.is_central,
        request=request,
    )
    return Status(201, selectors.household_list(request.user, status="all").get(pk=household.pk))


@router.patch(
    "/people/households/{household_id}",
    response={200: HouseholdOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a household, or move it to another door",
)
@policy.permission("people.manage")
def update_household(request: HttpRequest, household_id: Id, payload: HouseholdPatch) -> Any:
    household = policy.get_for(
        request.user, "people.manage", Household.objects.select_related("address__unit"), pk=household_id
    )
    if payload.number is not None or payload.is_central is not None:
        services.household_update(
            actor=request.user,
            household=household,
            number=household.number if payload.number is None else payload.number,
            is_central=household.is_central if payload.is_central is None else payload.is_central,
            request=request,
        )
    if payload.building_id is not None or payload.door is not None:
        services.household_move(
            actor=request.user,
            household=household,
            unit=_building(request, payload.building_id or household.unit_id),
            entrance=household.address.entrance if payload.entrance is None else payload.entrance,
            door=payload.door or household.address.door,
            request=request,
        )
    return selectors.household_list(request.user, status="all").get(pk=household.pk)


@router.post(
    "/people/households/{household_id}/archive",
    response={200: HouseholdOut, 404: ErrorOut, 422: ErrorOut},
    summary="Archive a household without living members",
)
@policy.permission("people.manage")
def archive_household(request: HttpRequest, household_id: Id) -> Any:
    household = policy.get_for(request.user, "people.manage", Household, pk=household_id)
    services.household_archive(actor=request.user, household=household, request=request)
    return selectors.household_list(request.user, status="all").get(pk=household.pk)


@router.get("/people/tags", response=list[TagOut], summary="The tags of the communities within reach")
@policy.permission("people.view")
def list_tags(request: HttpRequest) -> Any:
    return list(selectors.tags_for(request.user))
