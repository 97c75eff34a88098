"""The contributions API: projects, contributions (money, land, space, labour, goods, services), the money
ledger (expenditures, four-eyes decisions, reversals), the public view of a project (no sign-in when the
community publishes it; anonymous contributors as "anonymous") and the yearly totals. Amounts are integer fen
out, and yuan strings in (``"300000"``, ``"12.50"``), so no float ever carries money."""

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from anju.access import policy
from anju.contributions import contributors, selectors, services
from anju.contributions.models import Contribution, MoneyEntry, Project
from anju.core.api import ErrorOut
from anju.core.params import Id, OptionalId
from anju.orgs.models import OrgUnit, UnitKind

router = Router(tags=["contributions"])


class GoalIn(Schema):
    kind: str
    unit: str
    quantity: str = Field(..., description="a decimal number, e.g. 300000 or 1200")


class ProjectIn(Schema):
    community_id: int
    name: str
    description: str = ""
    status: str = Project.Status.PLANNED
    goals: list[GoalIn] = []


class TotalOut(Schema):
    kind: str
    unit: str
    quantity: str
    goal: str | None
    percent: int | None


class MoneyOut(Schema):
    received_fen: int
    spent_fen: int
    balance_fen: int
    advanced_fen: int
    pending: int


class ProjectOut(Schema):
    id: int
    community_id: int
    name: str
    description: str
    status: str
    balance_fen: int


class ContributionEntryOut(Schema):
    id: int
    type: str
    amount_fen: int
    day: date
    purpose: str
    advanced: bool
    needs_approval: bool
    counts: bool
    reverses_id: int | None


class LedgerRowOut(Schema):
    id: int
    type: str
    amount_fen: int
    day: date
    purpose: str
    balance_fen: int = Field(..., description="the running balance after this entry")


class PublicContributionOut(Schema):
    receipt_no: str
    day: date
    name: str = Field(..., description='the contributor, or "anonymous" when they chose so')
    anonymous: bool
    kind: str
    tenure: str
    quantity: str
    unit: str


class PublicProjectOut(Schema):
    project: ProjectOut
    totals: list[TotalOut]
    money: MoneyOut
    ledger: list[LedgerRowOut]
    contributors: list[PublicContributionOut]


class ContributionIn(Schema):
    contributor: str = Field(..., description="resident, household, organisation or person")
    name: str = Field("", description="who gave it; for a resident or household linked by id, taken from the registry")
    resident_id: OptionalId = Field(None, description="the resident of the registry (with contributor resident)")
    household_id: OptionalId = Field(None, description="the household of the registry (with contributor household)")
    anonymous: bool = False
    kind: str = Field(..., description="money, land, space, labour, goods or services")
    quantity: str = Field(..., description="yuan for money (at most two decimals), else the quantity in the unit")
    unit: str = Field(..., description="yuan, sqm, mu, person_day or item; it must fit the kind")
    tenure: str = ""
    value: str | None = Field(None, description="estimated value in yuan")
    day: date
    description: str = ""


class LabourIn(Schema):
    name: str
    people: int
    days: str
    day: date
    description: str = ""
    anonymous: bool = False


class ContributionOut(Schema):
    id: int
    receipt_no: str
    contributor: str
    name: str
    anonymous: bool
    kind: str
    tenure: str
    quantity: str
    unit: str
    people: int | None
    value_fen: int | None
    day: date
    money_entry_id: int | None
    reverses_id: int | None
    resident_id: int | None
    household_id: int | None


class ExpenditureIn(Schema):
    amount: str = Field(..., description="yuan, e.g. 12000 or 350.50")
    day: date
    purpose: str
    payee: str = ""
    advanced: bool = False


class ContributionDecisionIn(Schema):
    approve: bool
    note: str = ""


class ContributionReasonIn(Schema):
    reason: str


class ContributionNoticeOut(Schema):
    notice_id: int


class YearRowOut(Schema):
    community_id: int
    community: str
    received_fen: int
    spent_fen: int
    contributions: int


class YearOut(Schema):
    year: int
    received_fen: int
    spent_fen: int
    contributions: int
    communities: list[YearRowOut]


def _project(request: HttpRequest, project_id: int, action: str) -> Project:
    return policy.get_for(request.user, action, selectors.projects(request.user, action), pk=project_id)


def _entry_out(e: MoneyEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "type": e.type,
        "amount_fen": e.amount_fen,
        "day": e.day,
        "purpose": e.purpose,
        "advanced": e.advanced,
        "needs_approval": e.needs_approval,
        "counts": services.is_counted(e),
        "reverses_id": e.reverses_id,
    }


def _contribution_out(c: Contribution) -> dict[str, Any]:
    return {
        "id": c.pk,
        "receipt_no": c.receipt_no,
        "contributor": c.contributor,
        "name": c.name,
        "anonymous": c.anonymous,
        "kind": c.kind,
        "tenure": c.tenure,
        "quantity": str(c.quantity),
        "unit": c.unit,
        "people": c.people,
        "value_fen": c.value_fen,
        "day": c.day,
        "money_entry_id": c.money_entry_id,
        "reverses_id": c.reverses_id,
        "resident_id": c.resident_id,
        "household_id": c.household_id,
    }


@router.get("/contributions/projects", response=list[ProjectOut], summary="Projects within reach")
@policy.permission("contributions.view")
def projects(request: HttpRequest) -> Any:
    return list(selectors.projects(request.user).order_by("-created_at", "-pk")[:500])


@router.post(
    "/contributions/projects",
    response={201: ProjectOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create a project with its goals in mixed units",
)
@policy.permission("contributions.manage")
def project_create(request: HttpRequest, payload: ProjectIn) -> Any:
    community = policy.get_for(
        request.user, "contributions.manage", OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), pk=payload.community_id
    )
    p = services.project_create(
        actor=request.user,
        community=community,
        name=payload.name,
        description=payload.description,
        status=payload.status,
        goals=[(g.kind, g.unit, g.quantity) for g in payload.goals],
        request=request,
    )
    return Status(201, p)


def _public_out(p: Project) -> dict[str, Any]:
    return {
        "project": p,
        "totals": [
            {
                "kind": t.kind,
                "unit": t.unit,
                "quantity": str(t.quantity),
                "goal": str(t.goal) if t.goal else None,
                "percent": t.percent,
            }
            for t in selectors.totals(p)
        ],
        "money": selectors.money(p).__dict__,
        "ledger": [
            {
                "id": e.pk,
                "type": e.type,
                "amount_fen": e.amount_fen,
                "day": e.day,
                "purpose": e.purpose,
                "balance_fen": e.running_fen,  # type: ignore[attr-defined]
            }
            for e in selectors.ledger(p)
        ],
        "contributors": [{**row, "quantity": str(row["quantity"])} for row in selectors.public_contributors(p)],
    }


@router.get(
    "/contributions/projects/{project_id}/public",
    auth=None,
    response={200: PublicProjectOut, 404: ErrorOut},
    summary="The public 公示 view of a project (no sign-in when the community publishes it)",
)
@policy.public
def project_public(request: HttpRequest, project_id: Id) -> Any:
    from django.http import Http404

    p = selectors.public_project(request.user, project_id)
    if p is None:
        raise Http404
    return _public_out(p)


@router.get(
    "/contributions/projects/{project_id}",
    response={200: PublicProjectOut, 404: ErrorOut},
    summary="A project within reach: totals, goals, money and contributors (anonymous ones as anonymous)",
)
@policy.permission("contributions.view")
def project_get(request: HttpRequest, project_id: Id) -> Any:
    return _public_out(_project(request, project_id, "contributions.view"))


@router.get(
    "/contributions/projects/{project_id}/contributions",
    response={200: list[ContributionOut], 404: ErrorOut},
    summary="Staff: every contribution of a project with contributors' names (anonymous ones too)",
)
@policy.permission("contributions.manage")
def contributions_list(request: HttpRequest, project_id: Id) -> Any:
    p = _project(request, project_id, "contributions.manage")
    return [_contribution_out(c) for c in selectors.contributions(p)[:1000]]


@router.post(
    "/contributions/projects/{project_id}/contributions",
    response={201: ContributionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a contribution (money goes into the ledger; over the threshold it awaits approval)",
)
@policy.permission("contributions.manage")
def contribution_create(request: HttpRequest, project_id: Id, payload: ContributionIn) -> Any:
    p = _project(request, project_id, "contributions.manage")
    picked: dict[str, Any] = {"name": payload.name}
    if payload.resident_id is not None or payload.household_id is not None:
        # The same check as the page's picker: of the project's community and within the user's reach, else 422.
        raw = payload.household_id if payload.contributor == Contribution.Contributor.HOUSEHOLD else payload.resident_id
        found = contributors.contributor_pick(request.user, p, payload.contributor, raw)
        picked = {**found, "name": found["name"] or payload.name}
    c = services.contribution_record(
        actor=request.user,
        project=p,
        contributor=payload.contributor,
        anonymous=payload.anonymous,
        kind=payload.kind,
        quantity=payload.quantity,
        unit=payload.unit,
        tenure=payload.tenure,
        value=payload.value,
        day=payload.day,
        description=payload.description,
        request=request,
        **picked,
    )
    return Status(201, _contribution_out(c))


@router.post(
    "/contributions/projects/{project_id}/labour",
    response={201: ContributionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a group's labour on a work day: days × people, in person-days",
)
@policy.permission("contributions.manage")
def labour_create(request: HttpRequest, project_id: Id, payload: LabourIn) -> Any:
    p = _project(request, project_id, "contributions.manage")
    c = services.labour_record(
        actor=request.user,
        project=p,
        name=payload.name,
        people=payload.people,
        days=payload.days,
        day=payload.day,
        description=payload.description,
        anonymous=payload.anonymous,
        request=request,
    )
    return Status(201, _contribution_out(c))


@router.get(
    "/contributions/projects/{project_id}/entries",
    response={200: list[ContributionEntryOut], 404: ErrorOut},
    summary="Staff: every money entry of a project (pending, rejected and reversed ones too)",
)
@policy.permission("contributions.manage")
def entries(request: HttpRequest, project_id: Id) -> Any:
    p = _project(request, project_id, "contributions.manage")
    return [_entry_out(e) for e in selectors.staff_entries(p)[:1000]]


@router.post(
    "/contributions/projects/{project_id}/expenditures",
    response={201: ContributionEntryOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record an expenditure (never beyond the balance unless advanced; of two racing, only what the "
    "balance covers counts)",
)
@policy.permission("contributions.manage")
def expenditure_create(request: HttpRequest, project_id: Id, payload: ExpenditureIn) -> Any:
    p = _project(request, project_id, "contributions.manage")
    e = services.expenditure_record(
        actor=request.user,
        project=p,
        amount=payload.amount,
        day=payload.day,
        purpose=payload.purpose,
        payee=payload.payee,
        advanced=payload.advanced,
        request=request,
    )
    return Status(201, _entry_out(e))


def _entry(request: HttpRequest, money_entry_id: int, action: str) -> MoneyEntry:
    return policy.get_for(request.user, action, MoneyEntry.objects.select_related("project"), pk=money_entry_id)


@router.post(
    "/contributions/entries/{money_entry_id}/decision",
    response={201: ContributionEntryOut, 404: ErrorOut, 422: ErrorOut},
    summary="A second person approves or rejects a money entry over the threshold (not its recorder)",
)
@policy.permission("contributions.approve")
def decide(request: HttpRequest, money_entry_id: Id, payload: ContributionDecisionIn) -> Any:
    e = _entry(request, money_entry_id, "contributions.approve")
    services.entry_decide(actor=request.user, entry=e, approve=payload.approve, note=payload.note, request=request)
    return Status(201, _entry_out(MoneyEntry.objects.select_related("approval").get(pk=e.pk)))


@router.post(
    "/contributions/entries/{money_entry_id}/reverse",
    response={201: ContributionEntryOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reverse a counted money entry with a reason (once; never a reversal)",
)
@policy.permission("contributions.manage")
def entry_reverse(request: HttpRequest, money_entry_id: Id, payload: ContributionReasonIn) -> Any:
    e = _entry(request, money_entry_id, "contributions.manage")
    return Status(
        201, _entry_out(services.entry_reverse(actor=request.user, entry=e, reason=payload.reason, request=request))
    )


def _contribution(request: HttpRequest, contribution_id: int) -> Contribution:
    return policy.get_for(
        request.user,
        "contributions.manage",
        Contribution.objects.select_related("project", "project__community", "money_entry"),
        pk=contribution_id,
    )


@router.post(
    "/contributions/items/{contribution_id}/reverse",
    response={201: ContributionOut, 404: ErrorOut, 422: ErrorOut},
    summary="Reverse a contribution with a reason (a money one's receipt too)",
)
@policy.permission("contributions.manage")
def contribution_reverse(request: HttpRequest, contribution_id: Id, payload: ContributionReasonIn) -> Any:
    c = _contribution(request, contribution_id)
    rev = services.contribution_reverse(actor=request.user, contribution=c, reason=payload.reason, request=request)
    return Status(201, _contribution_out(rev))


@router.post(
    "/contributions/items/{contribution_id}/thanks",
    response={201: ContributionNoticeOut, 404: ErrorOut, 422: ErrorOut},
    summary="Post a thank-you notice to the notice board (anonymous contributors unnamed)",
)
@policy.permission("contributions.manage")
def thanks(request: HttpRequest, contribution_id: Id) -> Any:
    c = _contribution(request, contribution_id)
    notice = services.thanks_post(actor=request.user, contribution=c, request=request)
    return Status(201, {"notice_id": notice.pk})


@router.get(
    "/contributions/yearly",
    response={200: YearOut, 422: ErrorOut},
    summary="Yearly totals per community within reach and across them (the district's supervisor)",
)
@policy.permission("contributions.report")
def yearly(request: HttpRequest, year: int | None = None) -> Any:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    year = year or timezone.localdate().year
    if not 2000 <= year <= 2999:
        raise ValidationError({"year": [_("Choose a year between 2000 and 2999.")]})
    data = selectors.yearly(request.user, year)
    return {
        "year": year,
        "received_fen": data["received_fen"],
        "spent_fen": data["spent_fen"],
        "contributions": data["contributions"],
        "communities": [
            {
                "community_id": r["community"].pk,
                "community": r["community"].name,
                "received_fen": r["received_fen"],
                "spent_fen": r["spent_fen"],
                "contributions": r["contributions"],
            }
            for r in data["rows"]
        ],
    }
