"""Pairing over JSON: a mobile client can run the visit loop alone (this week → a household → record a visit,
filing an appeal in the same step), and staff read central households, the suggestion and coverage.
The same selectors (who sees what) and services (validation, audit) as the pages."""

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from anju.access import policy
from anju.appeals.models import Category
from anju.audit.reasons import clean_reveal_reason
from anju.core import screening
from anju.core.api import BoundedPagination, ErrorOut
from anju.core.params import Id
from anju.orgs.models import OrgUnit, UnitKind
from anju.pairing import selectors, services
from anju.pairing.models import CareLevel, Visit
from anju.people import services as people_services
from anju.people.models import Resident

router = Router(tags=["pairing"])


class HouseholdRow(Schema):
    id: int
    address: str
    head: str = Field(..., description="the head's name (the central household serves them by name)")
    care_level: str = Field(..., description=", ".join(CareLevel.values))
    last_contact: date | None
    due_on: date | None = Field(None, description="the next visit is due on this day")
    overdue_days: int = Field(..., description="days past due (negative: days left)")


class WeekOut(Schema):
    central_id: int | None
    due: list[HouseholdRow] = Field(..., description="due by Sunday, most overdue first")
    later: list[HouseholdRow]


class MemberOut(Schema):
    id: int
    name: str
    relation: str
    mobile: str = Field(..., description="masked; reveal with a reason")


class VisitOut(Schema):
    id: int
    household_id: int
    visited_on: date
    method: str
    met: str
    condition: str
    needs: list[str]
    note: str = Field(..., description="typed numbers masked")
    follow_up: str
    appeal_id: int | None

    @staticmethod
    def resolve_note(obj: Visit) -> str:
        return screening.masked(obj.note)


class PairingHouseholdOut(Schema):
    id: int
    address: str
    care_level: str
    last_contact: date | None
    due_on: date | None
    members: list[MemberOut]
    visits: list[VisitOut]


def _row(r: selectors.Row) -> dict[str, Any]:
    return {
        "id": r.household.pk,
        "address": str(r.household.address),
        "head": r.head,
        "care_level": r.level,
        "last_contact": r.last_contact,
        "due_on": r.due_on,
        "overdue_days": r.overdue_days,
    }


@router.get("/pairing/week", response=WeekOut, summary="This week's visits of the central household one carries")
@policy.permission("pairing.visit")
def week(request: HttpRequest) -> Any:
    central = selectors.central_of(request.user)
    due, later = selectors.week_plan(central) if central else ([], [])
    return {
        "central_id": central.pk if central else None,
        "due": [_row(r) for r in due],
        "later": [_row(r) for r in later],
    }


def _household(request: HttpRequest, household_id: int, action: str = "pairing.visit") -> Any:
    return policy.get_for(request.user, action, selectors.households_for(request.user), pk=household_id)


@router.get(
    "/pairing/households/{household_id}",
    response={200: PairingHouseholdOut, 404: ErrorOut},
    summary="One household served",
)
@policy.permission("pairing.visit")
def household(request: HttpRequest, household_id: Id) -> Any:
    obj = _household(request, household_id)
    row = selectors.rows_of(selectors.households_for(request.user).filter(pk=obj.pk))[0]
    members = obj.members.filter(status=Resident.Status.ACTIVE).order_by("id")
    return {
        "id": obj.pk,
        "address": str(obj.address),
        "care_level": row.level,
        "last_contact": row.last_contact,
        "due_on": row.due_on,
        "members": [{"id": m.pk, "name": m.name, "relation": m.relation, "mobile": m.mobile_masked} for m in members],
        "visits": selectors.visits_of(obj),
    }


class VisitIn(Schema):
    client_key: str = Field(..., max_length=64, description="one per form: a re-sent form records one visit")
    visited_on: date
    method: str = Field(..., description=", ".join(Visit.Method.values))
    condition: str = Field(..., description=", ".join(Visit.Condition.values))
    met: str = ""
    needs: list[str] = Field(default_factory=list, description=", ".join(Visit.Need.values))
    note: str = ""
    follow_up: str = Field(
        "", description="'' (nothing), 'appeal' (file it now) or 'worker' (for the community worker)"
    )
    category_code: str = Field("", description="the appeal's category code, with follow_up 'appeal'")


@router.post(
    "/pairing/households/{household_id}/visits",
    response={201: VisitOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a visit (and file an appeal in the same step)",
)
@policy.permission("pairing.visit")
def record_visit(request: HttpRequest, household_id: Id, payload: VisitIn) -> Any:
    obj = _household(request, household_id)
    category = (
        Category.objects.filter(code=payload.category_code, is_active=True).first() if payload.category_code else None
    )
    visit = services.visit_record(
        actor=request.user,
        household=obj,
        visited_on=payload.visited_on,
        method=payload.method,
        condition=payload.condition,
        met=payload.met,
        needs=payload.needs,
        note=payload.note,
        follow_up=payload.follow_up,
        category=category,
        client_key=payload.client_key,
        request=request,
    )
    return Status(201, visit)


@router.get("/pairing/visits/{visit_id}", response={200: VisitOut, 404: ErrorOut}, summary="One visit")
@policy.permission("pairing.visit")
def get_visit(request: HttpRequest, visit_id: Id) -> Any:
    qs = Visit.objects.filter(household__in=selectors.households_for(request.user))
    return policy.get_for(request.user, "pairing.visit", qs, pk=visit_id)


class PairingRevealIn(Schema):
    resident_id: int
    purpose: str
    reason: str


class PairingRevealOut(Schema):
    mobile: str


@router.post(
    "/pairing/households/{household_id}/reveal",
    response={200: PairingRevealOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reveal one member's mobile, with a purpose and a reason (logged)",
)
@policy.permission("pairing.reveal")
def reveal(request: HttpRequest, household_id: Id, payload: PairingRevealIn) -> Any:
    obj = _household(request, household_id, "pairing.reveal")
    resident = policy.get_for(
        request.user,
        "pairing.reveal",
        Resident.objects.filter(household=obj, status=Resident.Status.ACTIVE),
        pk=payload.resident_id,
    )
    why = clean_reveal_reason(payload.purpose, payload.reason)
    value = people_services.resident_reveal(
        actor=request.user, resident=resident, field="mobile", purpose=why.purpose, reason=why.text, request=request
    )
    return {"mobile": value}


class CareIn(Schema):
    level: str = Field(..., description=", ".join(CareLevel.values))
    reason: str


@router.put(
    "/pairing/households/{household_id}/care",
    response={200: HouseholdRow, 404: ErrorOut, 422: ErrorOut},
    summary="Set a household's care level, with a reason",
)
@policy.permission("pairing.manage")
def set_care(request: HttpRequest, household_id: Id, payload: CareIn) -> Any:
    obj = _household(request, household_id, "pairing.manage")
    services.care_set(actor=request.user, household=obj, level=payload.level, reason=payload.reason, request=request)
    return _row(selectors.rows_of(selectors.households_for(request.user).filter(pk=obj.pk))[0])


class PairIn(Schema):
    central_id: int
    reason: str = ""


class PairingOut(Schema):
    id: int
    household_id: int
    central_id: int
    started_at: Any
    start_reason: str


@router.post(
    "/pairing/households/{household_id}/pairing",
    response={201: PairingOut, 404: ErrorOut, 422: ErrorOut},
    summary="Pair a household with a central household (ending its current pairing)",
)
@policy.permission("pairing.manage")
def pair(request: HttpRequest, household_id: Id, payload: PairIn) -> Any:
    obj = _household(request, household_id, "pairing.manage")
    central = policy.get_for(
        request.user,
        "pairing.manage",
        selectors.centrals_visible(request.user, "pairing.manage"),
        pk=payload.central_id,
    )
    return Status(
        201,
        services.pairing_set(
            actor=request.user, household=obj, central=central, reason=payload.reason, request=request
        ),
    )


class CentralOut(Schema):
    id: int
    household_id: int
    address: str
    area_id: int
    capacity: int
    serving: int
    is_active: bool


def central_out(c: Any, serving: int) -> dict[str, Any]:
    return {
        "id": c.pk,
        "household_id": c.household_id,
        "address": str(c.household.address),
        "area_id": c.area_id,
        "capacity": c.capacity,
        "serving": serving,
        "is_active": c.is_active,
    }


class CentralPagination(BoundedPagination):
    """The bounded pages of central households, each with how many households it serves now (one query a page)."""

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        page = super().paginate_queryset(queryset, pagination, request, **params)
        rows = page[self.items_attribute]
        loads = selectors.loads_of(rows)
        page[self.items_attribute] = [central_out(c, loads.get(c.pk, 0)) for c in rows]
        return page


@router.get("/pairing/centrals", response=list[CentralOut], summary="Central households within reach")
@paginate(CentralPagination)
@policy.permission("pairing.view")
def centrals(request: HttpRequest) -> Any:
    return selectors.centrals_visible(request.user).filter(is_active=True).order_by("id")


class CentralIn(Schema):
    member_id: int = Field(..., description="a party member; their household becomes the central household")
    area_id: int
    capacity: int = 10
    carrier_id: int | None = Field(None, description="the account that carries it on the phone")


@router.post(
    "/pairing/centrals",
    response={201: CentralOut, 404: ErrorOut, 422: ErrorOut},
    summary="Designate a central household",
)
@policy.permission("pairing.manage")
def designate(request: HttpRequest, payload: CentralIn) -> Any:
    from anju.accounts.models import User

    member = policy.get_for(
        request.user, "pairing.manage", Resident.objects.select_related("household"), pk=payload.member_id
    )
    area = policy.get_for(request.user, "pairing.manage", OrgUnit, pk=payload.area_id)
    carrier = User.objects.filter(pk=payload.carrier_id, is_active=True).first() if payload.carrier_id else None
    c = services.central_designate(
        actor=request.user,
        household=member.household,
        member=member,
        area=area,
        capacity=payload.capacity,
        carrier=carrier,
        request=request,
    )
    return Status(201, central_out(c, 0))


class MoveOut(Schema):
    household_id: int
    address: str
    from_central_id: int | None = Field(None, description="always empty: existing pairs are kept")
    to_central_id: int
    distance: int = Field(..., description="steps between the two buildings in the org tree")


class SuggestionOut(Schema):
    area_id: int
    kept: int = Field(..., description="existing pairs, kept as they are")
    moves: list[MoveOut]
    left_unpaired: list[int] = Field(..., description="households no place is left for")
    cost: int


def _area(request: HttpRequest, area_id: int) -> OrgUnit:
    qs = OrgUnit.objects.filter(kind__in=[UnitKind.COMMUNITY, UnitKind.AREA, UnitKind.GRID])
    area: OrgUnit = policy.get_for(request.user, "pairing.manage", qs, pk=area_id)
    return area


def _suggestion(s: selectors.Suggestion) -> dict[str, Any]:
    return {
        "area_id": s.area.pk,
        "kept": s.kept,
        "moves": [
            {
                "household_id": m.household.pk,
                "address": str(m.household.address),
                "to_central_id": m.central.pk,
                "distance": m.distance,
            }
            for m in s.moves
        ],
        "left_unpaired": [h.pk for h in s.left],
        "cost": s.cost,
    }


@router.get(
    "/pairing/areas/{area_id}/suggestion",
    response={200: SuggestionOut, 404: ErrorOut},
    summary="The optimal suggested assignment of the area's unpaired households, as a diff",
)
@policy.permission("pairing.manage")
def suggestion(request: HttpRequest, area_id: Id) -> Any:
    return _suggestion(selectors.suggestion_for(_area(request, area_id)))


class ApplyIn(Schema):
    household_ids: list[int] = Field(..., description="the lines of the suggestion to apply (all or part)")


@router.post(
    "/pairing/areas/{area_id}/suggestion",
    response={200: SuggestionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Apply the chosen lines of the suggestion; returns what is left to suggest",
)
@policy.permission("pairing.manage")
def apply_suggestion(request: HttpRequest, area_id: Id, payload: ApplyIn) -> Any:
    area = _area(request, area_id)
    s = selectors.suggestion_for(area)
    chosen = set(payload.household_ids)
    moves = [(m.household, m.central) for m in s.moves if m.household.pk in chosen]
    services.suggestion_apply(actor=request.user, area=area, moves=moves, request=request)
    return _suggestion(selectors.suggestion_for(area))


class PairingTallyOut(Schema):
    label: str
    households: int
    within: int
    never: int
    percent: int


class PairingCoverageOut(Schema):
    community_id: int
    total: PairingTallyOut
    by_area: list[PairingTallyOut]
    by_grid: list[PairingTallyOut]
    by_building: list[PairingTallyOut]
    by_central: list[PairingTallyOut]
    overdue: int
    never_visited: int
    unpaired: int


@router.get(
    "/pairing/coverage", response={200: PairingCoverageOut, 404: ErrorOut}, summary="Visit coverage of a community"
)
@policy.permission("pairing.view")
def coverage(request: HttpRequest, community: int = 0) -> Any:
    communities = selectors.communities_for(request.user)
    unit = communities.filter(pk=community).first() if community else communities.first()
    if unit is None:
        return Status(404, {"error": {"code": "not_found", "message": "", "details": []}})
    cov = selectors.coverage_of(unit)
    return {
        "community_id": unit.pk,
        "total": cov.total,
        "by_area": cov.by_area,
        "by_grid": cov.by_grid,
        "by_building": cov.by_building,
        "by_central": cov.by_central,
        "overdue": cov.overdue_count,
        "never_visited": cov.never_count,
        "unpaired": cov.unpaired,
    }
