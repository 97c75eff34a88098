"""Reads of contributions shared by the pages and the API.

Public surfaces (the 公示 page, its Excel, the API's public view, the thank-you notice) read contributors only
through :func:`public_contributors` and :func:`public_name`: an anonymous contributor's name never leaves
them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from anju.access import policy
from anju.contributions.models import Approval, Contribution, Goal, Kind, MoneyEntry, Project, Setting, Unit
from anju.orgs.models import OrgUnit, UnitKind

#: Counted money entries: needing no approval, or approved.
COUNTED = Q(needs_approval=False) | Q(approval__decision=Approval.Decision.APPROVED)
#: Contributions that count: not money, or money whose ledger entry counts.
CONTRIBUTION_COUNTS = (
    Q(money_entry__isnull=True)
    | Q(money_entry__needs_approval=False)
    | Q(money_entry__approval__decision=Approval.Decision.APPROVED)
)
#: How many rows of the ledger and of the contributors a page shows (the Excel has them all).
PAGE_ROWS = 200


def projects(user: Any, action: str = "contributions.view") -> QuerySet[Project]:
    return policy.visible(Project.objects.all(), user, action, "community__path").select_related("community")


def is_public(community_id: int) -> bool:
    return Setting.objects.filter(community_id=community_id, public=True).exists()


def public_project(user: Any, project_id: int) -> Project | None:
    """The project when the reader may see its 公示 page: the community publishes it, or the reader may view
    contributions there. None otherwise (the page answers 404, like a missing one)."""
    project = Project.objects.select_related("community").filter(pk=project_id).first()
    if project is None:
        return None
    if is_public(project.community_id):
        return project
    if user.is_authenticated and policy.can(user, "contributions.view", project):
        return project
    return None


def public_name(c: Contribution) -> str:
    return str(_("Anonymous")) if c.anonymous else c.name


def quantity_label(quantity: Decimal, unit: str) -> str:
    q = quantity.normalize() if quantity == quantity.to_integral_value() else quantity
    text = f"{q:,.0f}" if q == q.to_integral_value() else f"{q:,}"
    return f"{text} {Unit(unit).label}" if unit in Unit.values else text


@dataclass
class Total:
    kind: str
    unit: str
    quantity: Decimal
    goal: Decimal | None

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def label(self) -> str:
        return quantity_label(self.quantity, self.unit)

    @property
    def goal_label(self) -> str:
        return quantity_label(self.goal, self.unit) if self.goal else ""

    @property
    def percent(self) -> int | None:
        if not self.goal:
            return None
        return int(min(self.quantity / self.goal * 100, Decimal(999)))


def totals(project: Project) -> list[Total]:
    """What the project gathered, by kind and unit (counted contributions, reversals netted), with its goals."""
    rows = (
        Contribution.objects.filter(project=project)
        .filter(CONTRIBUTION_COUNTS)
        .order_by()
        .values("kind", "unit")
        .annotate(q=Sum("quantity"))
    )
    got = {(r["kind"], r["unit"]): r["q"] or Decimal(0) for r in rows}
    goals = {(g.kind, g.unit): g.quantity for g in Goal.objects.filter(project=project)}
    order = list(Kind.values)
    keys = sorted(set(got) | set(goals), key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1]))
    return [Total(k, u, got.get((k, u), Decimal(0)), goals.get((k, u))) for k, u in keys]


@dataclass
class Money:
    received_fen: int
    spent_fen: int
    balance_fen: int
    advanced_fen: int
    pending: int


def money(project: Project) -> Money:
    """Money in and out of the counted ledger (a reversal counts against the kind it reverses)."""
    counted = MoneyEntry.objects.filter(project=project).filter(COUNTED)
    agg = counted.aggregate(
        received=Sum("amount_fen", filter=Q(type="receipt") | Q(reverses__type="receipt")),
        spent=Sum("amount_fen", filter=Q(type="expenditure") | Q(reverses__type="expenditure")),
    )
    pending = MoneyEntry.objects.filter(project=project, needs_approval=True, approval__isnull=True).count()
    return Money(
        received_fen=int(agg["received"] or 0),
        spent_fen=-int(agg["spent"] or 0),
        balance_fen=project.balance_fen,
        advanced_fen=project.advanced_fen,
        pending=pending,
    )


def ledger(project: Project, *, limit: int | None = PAGE_ROWS) -> list[MoneyEntry]:
    """The counted money entries with their running balance (``running_fen``), latest counted first; ``limit``
    rows. The order is the order the entries counted in (when approved, for one that waited for a second person;
    when recorded, otherwise), the order the balance moved in: by the entries' dates, a back-dated expenditure
    would show a negative balance the ledger never had."""
    qs = (
        MoneyEntry.objects.filter(project=project)
        .filter(COUNTED)
        .annotate(counted_at=Coalesce("approval__decided_at", "created_at"))
        .annotate(running_fen=Window(Sum("amount_fen"), order_by=[F("counted_at").asc(), F("pk").asc()]))
        .order_by("-counted_at", "-pk")
    )
    return list(qs[:limit] if limit else qs)


def pending_entries(project: Project) -> QuerySet[MoneyEntry]:
    return (
        MoneyEntry.objects.filter(project=project, needs_approval=True, approval__isnull=True)
        .select_related("recorded_by")
        .order_by("pk")
    )


def staff_entries(project: Project) -> QuerySet[MoneyEntry]:
    """Every money entry (staff: pending, rejected and reversed ones too)."""
    return (
        MoneyEntry.objects.filter(project=project)
        .select_related("recorded_by", "approval", "approval__decided_by", "reversed_by", "contribution")
        .order_by("-day", "-pk")
    )


def contributions(project: Project) -> QuerySet[Contribution]:
    return (
        Contribution.objects.filter(project=project)
        .select_related("money_entry", "money_entry__approval", "reversed_by", "recorded_by")
        .order_by("-day", "-pk")
    )


def public_contributors(project: Project, *, limit: int | None = PAGE_ROWS) -> list[dict[str, Any]]:
    """Counted, unreversed contributions as the public sees them: the name or "anonymous", never both."""
    qs = (
        Contribution.objects.filter(project=project, reverses__isnull=True, reversed_by__isnull=True)
        .filter(CONTRIBUTION_COUNTS)
        .order_by("-day", "-pk")
        .values(
            "pk",
            "anonymous",
            "name",
            "contributor",
            "kind",
            "tenure",
            "quantity",
            "unit",
            "value_fen",
            "day",
            "receipt_no",
            "description",
        )
    )
    out: list[dict[str, Any]] = []
    for values in qs[:limit] if limit else qs:
        row: dict[str, Any] = dict(values)
        row["name"] = str(_("Anonymous")) if row["anonymous"] else row["name"]
        out.append(row)
    return out


def contributor_count(project: Project) -> int:
    return (
        Contribution.objects.filter(project=project, reverses__isnull=True, reversed_by__isnull=True)
        .filter(CONTRIBUTION_COUNTS)
        .count()
    )


# --- yearly totals --------------------------------------------------------------------------------------------------


def communities(user: Any) -> QuerySet[OrgUnit]:
    return policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), user, "contributions.report", "path")


def yearly(user: Any, year: int) -> dict[str, Any]:
    """Per community in reach and across them all: money received and spent (counted), and what was given by
    kind and unit, in the year; the number of contributions and projects."""
    units = list(communities(user).order_by("path"))
    ids = [u.pk for u in units]
    given = (
        Contribution.objects.filter(community_id__in=ids, day__year=year)
        .filter(CONTRIBUTION_COUNTS)
        .exclude(kind=Kind.MONEY)
        .order_by()
        .values("community_id", "kind", "unit")
        .annotate(q=Sum("quantity"))
    )
    money_rows = (
        MoneyEntry.objects.filter(community_id__in=ids, day__year=year)
        .filter(COUNTED)
        .order_by()
        .values("community_id")
        .annotate(
            received=Sum("amount_fen", filter=Q(type="receipt") | Q(reverses__type="receipt")),
            spent=Sum("amount_fen", filter=Q(type="expenditure") | Q(reverses__type="expenditure")),
        )
    )
    counts = (
        Contribution.objects.filter(community_id__in=ids, day__year=year, reverses__isnull=True)
        .order_by()
        .values("community_id")
        .annotate(n=Count("pk"), projects=Count("project", distinct=True))
    )
    by_id: dict[int, dict[str, Any]] = {
        u.pk: {"community": u, "received_fen": 0, "spent_fen": 0, "given": {}, "contributions": 0, "projects": 0}
        for u in units
    }
    all_given: dict[tuple[str, str], Decimal] = {}
    for r in given:
        key = (r["kind"], r["unit"])
        by_id[r["community_id"]]["given"][key] = r["q"]
        all_given[key] = all_given.get(key, Decimal(0)) + r["q"]
    for r in money_rows:
        by_id[r["community_id"]]["received_fen"] = int(r["received"] or 0)
        by_id[r["community_id"]]["spent_fen"] = -int(r["spent"] or 0)
    for r in counts:
        by_id[r["community_id"]]["contributions"] = r["n"]
        by_id[r["community_id"]]["projects"] = r["projects"]
    rows = list(by_id.values())
    for row in rows:
        row["given_labels"] = [f"{Kind(k).label} {quantity_label(q, u)}" for (k, u), q in sorted(row["given"].items())]
    return {
        "year": year,
        "rows": rows,
        "received_fen": sum(r["received_fen"] for r in rows),
        "spent_fen": sum(r["spent_fen"] for r in rows),
        "contributions": sum(r["contributions"] for r in rows),
        "given_labels": [f"{Kind(k).label} {quantity_label(q, u)}" for (k, u), q in sorted(all_given.items())],
    }
