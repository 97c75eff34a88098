"""The coordinators' duty set-up as JSON: shift templates (create, change, retire), volunteers (list, enrol),
points rules, the yearly expiry setting and the store's items. Each operation fetches the station (or object)
within the caller's reach (404 outside it) and calls the same service as the coordinators' page; a refusal is a
422 naming the field, in the caller's language."""

from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.core.api import ErrorOut
from anju.core.params import Id
from anju.duty import ledger, points, selectors, services
from anju.duty.models import PointsRule, ShiftTemplate, Skill, StoreItem, Volunteer
from anju.spaces.models import Space, Station

router = Router(tags=["duty"])


def _station(request: HttpRequest, station_id: int, action: str = "duty.manage") -> Station:
    station: Station = policy.get_for(request.user, action, selectors.stations(request.user, action), pk=station_id)
    return station


# --- shift templates ------------------------------------------------------------------------------------------


class TemplateIn(Schema):
    name: str = Field(..., max_length=60)
    starts: time
    ends: time
    seats: int = Field(1, description="volunteers needed, 1 to 20")
    days: str = Field(ShiftTemplate.Days.EVERY_DAY, description="every_day, workdays or rest_days")
    skip_holidays: bool = False
    skill: str = Field("", description="first_aid, children, elderly or empty")


class TemplateCreateIn(TemplateIn):
    space_id: Id | None = Field(None, description="a place of the station")
    confirm_hours: int = Field(48, description="confirm at least this many hours before (0 to 336)")
    change_hours: int = Field(24, description="sign-up and changes close this many hours before (0 to 336)")
    offer_hours: int = Field(4, description="hours a standby volunteer has to answer (0 to 336)")


class TemplateOut(Schema):
    id: int
    station_id: int
    space_id: int | None
    name: str
    days: str
    skip_holidays: bool
    starts: time
    ends: time
    seats: int
    skill: str
    confirm_hours: int
    change_hours: int
    offer_hours: int
    is_active: bool


@router.get(
    "/duty/stations/{station_id}/templates",
    response={200: list[TemplateOut], 404: ErrorOut},
    summary="A station's shift templates, retired ones included",
)
@policy.permission("duty.manage")
def templates(request: HttpRequest, station_id: Id) -> Any:
    return list(selectors.templates(request.user, _station(request, station_id)).order_by("starts", "pk"))


@router.post(
    "/duty/stations/{station_id}/templates",
    response={201: TemplateOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a shift template to a station",
)
@policy.permission("duty.manage")
def template_create(request: HttpRequest, station_id: Id, payload: TemplateCreateIn) -> Any:
    station = _station(request, station_id)
    space = None
    if payload.space_id is not None:
        space = Space.objects.filter(pk=payload.space_id, station=station).first()
        if space is None:
            raise ValidationError({"space_id": [_("Choose a place of this station.")]})
    fields = payload.dict(exclude={"space_id"})
    return Status(
        201, services.template_create(actor=request.user, station=station, space=space, **fields, request=request)
    )


def _template(request: HttpRequest, template_id: int) -> ShiftTemplate:
    manageable = ShiftTemplate.objects.filter(station__in=selectors.stations(request.user, "duty.manage"))
    template: ShiftTemplate = policy.get_for(
        request.user, "duty.manage", manageable.select_related("station", "space"), pk=template_id
    )
    return template


@router.put(
    "/duty/templates/{template_id}",
    response={200: TemplateOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a shift template (months generated from now on follow it; rostered shifts keep theirs)",
)
@policy.permission("duty.manage")
def template_update(request: HttpRequest, template_id: Id, payload: TemplateIn) -> Any:
    template = _template(request, template_id)
    return services.template_update(actor=request.user, template=template, **payload.dict(), request=request)


@router.post(
    "/duty/templates/{template_id}/retire",
    response={200: TemplateOut, 404: ErrorOut, 422: ErrorOut},
    summary="Retire a shift template: no new month has its shifts",
)
@policy.permission("duty.manage")
def template_retire(request: HttpRequest, template_id: Id) -> Any:
    return services.template_retire(actor=request.user, template=_template(request, template_id), request=request)


# --- volunteers -----------------------------------------------------------------------------------------------


class VolunteerOut(Schema):
    id: int
    name: str
    kind: str
    skills: list[str]
    monthly_max: int
    standby: bool
    is_active: bool


class EnrolIn(Schema):
    user_id: Id = Field(..., description="an account with a role in the station's community, not yet a volunteer")
    kind: str = Field(Volunteer.Kind.PARTY_MEMBER, description="party_member, central_household or resident")
    weekdays: list[int] = Field([0, 1, 2, 3, 4, 5, 6], max_length=7, description="0 = Monday … 6 = Sunday")
    earliest: time | None = None
    latest: time | None = None
    monthly_max: int = Field(4, description="at most shifts a month, 0 to 31")
    skills: list[str] = Field([], max_length=len(Skill.values))
    standby: bool = True


@router.get(
    "/duty/stations/{station_id}/volunteers",
    response={200: list[VolunteerOut], 404: ErrorOut},
    summary="The volunteers of a station's community",
)
@policy.permission("duty.manage")
def volunteers(request: HttpRequest, station_id: Id) -> Any:
    station = _station(request, station_id)
    return list(Volunteer.objects.filter(community_id=station.community_id).order_by("name", "pk")[:1000])


@router.post(
    "/duty/stations/{station_id}/volunteers",
    response={201: VolunteerOut, 404: ErrorOut, 422: ErrorOut},
    summary="Enrol an account of the community as a duty volunteer",
)
@policy.permission("duty.manage")
def enrol(request: HttpRequest, station_id: Id, payload: EnrolIn) -> Any:
    station = _station(request, station_id)
    user = services.enrol_candidates(station.community).filter(pk=payload.user_id).first()
    if user is None:
        raise ValidationError({"user_id": [_("Choose an account of this community that is not a volunteer yet.")]})
    fields = payload.dict(exclude={"user_id"})
    return Status(
        201,
        services.volunteer_enrol(actor=request.user, community=station.community, user=user, **fields, request=request),
    )


# --- points rules, the yearly expiry, the store's items -------------------------------------------------------


class RuleIO(Schema):
    basis: str = Field(..., description="per_hour, per_shift, per_activity or per_suggestion")
    points: int = Field(..., description="0 to 1000")


@router.get(
    "/duty/stations/{station_id}/points-rules",
    response={200: list[RuleIO], 404: ErrorOut},
    summary="The points rules of a station's community",
)
@policy.permission("duty.manage")
def rules(request: HttpRequest, station_id: Id) -> Any:
    station = _station(request, station_id)
    return list(PointsRule.objects.filter(community_id=station.community_id).order_by("basis"))


@router.put(
    "/duty/stations/{station_id}/points-rules",
    response={200: RuleIO, 404: ErrorOut, 422: ErrorOut},
    summary="Set how many points a source earns in a station's community",
)
@policy.permission("duty.manage")
def rule_set(request: HttpRequest, station_id: Id, payload: RuleIO) -> Any:
    station = _station(request, station_id)
    return ledger.points_rule_set(
        actor=request.user, community=station.community, basis=payload.basis, points=payload.points, request=request
    )


class PointsSettingsIO(Schema):
    expire_yearly: bool = Field(..., description="points earned before a year began and unspent expire in it")


@router.get(
    "/duty/stations/{station_id}/points-settings",
    response={200: PointsSettingsIO, 404: ErrorOut},
    summary="Whether a station's community lets points expire yearly",
)
@policy.permission("duty.manage")
def points_settings(request: HttpRequest, station_id: Id) -> Any:
    found = points.points_settings(_station(request, station_id).community_id)
    return {"expire_yearly": bool(found and found.expire_yearly)}


@router.put(
    "/duty/stations/{station_id}/points-settings",
    response={200: PointsSettingsIO, 404: ErrorOut, 422: ErrorOut},
    summary="Choose whether a station's community lets points expire yearly",
)
@policy.permission("duty.manage")
def points_settings_set(request: HttpRequest, station_id: Id, payload: PointsSettingsIO) -> Any:
    station = _station(request, station_id)
    return points.points_settings_set(
        actor=request.user, community=station.community, expire_yearly=payload.expire_yearly, request=request
    )


class ItemIn(Schema):
    name: str = Field(..., max_length=60)
    cost: int = Field(..., description="points, 1 to 100000")
    stock: int = Field(..., description="0 to 100000")


class ItemUpdateIn(ItemIn):
    is_active: bool = True


class ItemOut(Schema):
    id: int
    name: str
    cost: int
    stock: int
    is_active: bool


@router.get(
    "/duty/stations/{station_id}/store-items",
    response={200: list[ItemOut], 404: ErrorOut},
    summary="The points store's items (those on offer; staff: all)",
)
@policy.permission("duty.view")
def items(request: HttpRequest, station_id: Id) -> Any:
    station = _station(request, station_id, "duty.view")
    if policy.can(request.user, "duty.manage", station):
        return list(StoreItem.objects.filter(community_id=station.community_id))
    return list(selectors.store_items(station.community_id))


@router.post(
    "/duty/stations/{station_id}/store-items",
    response={201: ItemOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add an item to the points store",
)
@policy.permission("duty.manage")
def item_add(request: HttpRequest, station_id: Id, payload: ItemIn) -> Any:
    station = _station(request, station_id)
    return Status(
        201, ledger.item_add(actor=request.user, community=station.community, **payload.dict(), request=request)
    )


@router.put(
    "/duty/store-items/{item_id}",
    response={200: ItemOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a store item: name, price, stock, on offer or not",
)
@policy.permission("duty.manage")
def item_update(request: HttpRequest, item_id: Id, payload: ItemUpdateIn) -> Any:
    reachable = StoreItem.objects.filter(
        community_id__in=selectors.stations(request.user, "duty.manage").values("community_id")
    )
    item = policy.get_for(request.user, "duty.manage", reachable, pk=item_id)
    return points.item_update(actor=request.user, item=item, **payload.dict(), request=request)
