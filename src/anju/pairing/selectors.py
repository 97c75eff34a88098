"""Reads shared by the pages and the API: who sees which households, the visit plan, coverage.

Who sees what: staff (``pairing.manage``/``pairing.view``) see their community's households; a central
household's carrier sees only the households paired with it now. Everything else answers 404.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from anju.access import policy
from anju.activities.models import Registration
from anju.orgs.models import OrgUnit, UnitKind
from anju.pairing import assignment, plan
from anju.pairing.models import Cadence, CareLevel, CentralHousehold, Pairing, Visit
from anju.people.models import Household, Relation, Resident


def cadences_of(community_id: int) -> dict[str, plan.Every]:
    overrides = {c.level: (c.every, c.unit) for c in Cadence.objects.filter(community_id=community_id)}
    return plan.cadences(overrides)


def central_of(user: Any) -> CentralHousehold | None:
    """The central household ``user`` carries on the phone."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        CentralHousehold.objects.select_related("household__address__unit", "member", "area")
        # A carrier whose grant moved elsewhere (another community) no longer sees this one's plan.
        .filter(policy.scope_q(user, "pairing.visit", "household__unit__path"), carrier=user, is_active=True)
        .order_by("id")
        .first()
    )


def serves(user: Any, household_id: int) -> bool:
    """Whether ``user`` carries the central household the household is paired with now."""
    return Pairing.objects.filter(
        household_id=household_id, ended_at__isnull=True, central__carrier=user, central__is_active=True
    ).exists()


def households_for(user: Any, action: str = "pairing.visit") -> QuerySet[Household]:
    """Active households ``user`` may work on: the community's for staff, its own for a central household."""
    own = Q(
        pk__in=Pairing.objects.filter(ended_at__isnull=True, central__carrier=user).values("household_id")
    ) & policy.scope_q(user, "pairing.visit", "unit__path")
    staff = policy.scope_q(user, "pairing.manage", "community__path") if policy.can(user, "pairing.manage") else None
    where = own | staff if staff is not None else own
    return Household.objects.filter(where, status=Household.Status.ACTIVE).select_related("address__unit", "unit")


def centrals_visible(user: Any, action: str = "pairing.view") -> QuerySet[CentralHousehold]:
    qs = CentralHousehold.objects.select_related("household__address__unit", "member", "area", "carrier")
    return policy.visible(qs, user, action, "community__path")


def communities_for(user: Any, action: str = "pairing.view") -> QuerySet[OrgUnit]:
    return policy.visible(OrgUnit.objects.filter(kind=UnitKind.COMMUNITY), user, action, "path").order_by("path")


def areas_of(community: OrgUnit) -> list[OrgUnit]:
    return list(OrgUnit.objects.subtree_of(community).filter(kind__in=[UnitKind.AREA, UnitKind.GRID]).order_by("path"))


@dataclass
class Row:
    """One household in the plan or on the coverage page."""

    household: Household
    level: str
    last_contact: dt.date | None
    paired_on: dt.date | None
    central_id: int | None
    every: plan.Every
    today: dt.date
    head: str = ""
    last_attended: dt.date | None = None
    due_on: dt.date | None = None
    within: bool = False

    def __post_init__(self) -> None:
        if self.paired_on is not None or self.last_contact is not None:
            self.due_on = plan.due_on(
                last_contact=self.last_contact, paired_on=self.paired_on or self.today, every=self.every
            )
        self.within = plan.within_cadence(last_contact=self.last_contact, every=self.every, today=self.today)

    @property
    def quiet(self) -> bool:
        """No visit and no activity attended in six months: flagged into the plan whatever its cadence."""
        return plan.quiet(last_contact=self.last_contact, last_attended=self.last_attended, today=self.today)

    @property
    def overdue_days(self) -> int:
        return (self.today - self.due_on).days if self.due_on else 0

    @property
    def level_label(self) -> str:
        return str(CareLevel(self.level).label)


def annotated(qs: QuerySet[Household]) -> QuerySet[Household]:
    """Households with their last contact, care level, current central household and pairing day (one query)."""
    last = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    open_pairing = Pairing.objects.filter(household=OuterRef("pk"), ended_at__isnull=True)
    attended = (
        Registration.objects.filter(household=OuterRef("pk"), checked_in_at__isnull=False)
        .order_by("-checked_in_at")
        .values("checked_in_at")[:1]
    )
    return qs.annotate(
        last_contact=Subquery(last),
        last_attended_at=Subquery(attended),
        central_now=Subquery(open_pairing.values("central_id")[:1]),
        paired_at=Subquery(open_pairing.values("started_at")[:1]),
    ).select_related("care")


def rows_of(households: QuerySet[Household], *, today: dt.date | None = None) -> list[Row]:
    today = today or timezone.localdate()
    cadence_cache: dict[int, dict[str, plan.Every]] = {}
    rows = []
    for h in annotated(households):
        if h.community_id not in cadence_cache:
            cadence_cache[h.community_id] = cadences_of(h.community_id)
        care = getattr(h, "care", None)
        level = care.level if care is not None else CareLevel.ORDINARY
        paired = timezone.localtime(h.paired_at).date() if h.paired_at else None  # type: ignore[attr-defined]
        attended = h.last_attended_at  # type: ignore[attr-defined]
        rows.append(
            Row(
                household=h,
                level=level,
                last_contact=h.last_contact,  # type: ignore[attr-defined]
                paired_on=paired,
                central_id=h.central_now,  # type: ignore[attr-defined]
                every=cadence_cache[h.community_id][level],
                today=today,
                last_attended=timezone.localtime(attended).date() if attended else None,
            )
        )
    return rows


def heads_of(household_ids: list[int]) -> dict[int, Resident]:
    """The head (else the first living member) of each household, in one query."""
    heads: dict[int, Resident] = {}
    for r in Resident.objects.filter(household_id__in=household_ids, status=Resident.Status.ACTIVE).order_by("id"):
        if r.household_id not in heads or (
            r.relation == Relation.HEAD and heads[r.household_id].relation != Relation.HEAD
        ):
            heads[r.household_id] = r
    return heads


def week_plan(central: CentralHousehold, *, today: dt.date | None = None) -> tuple[list[Row], list[Row]]:
    """(due by the end of this week, most overdue first; the rest, soonest first) of ``central``'s households."""
    today = today or timezone.localdate()
    _monday, sunday = plan.week_of(today)
    households = Household.objects.filter(
        pk__in=Pairing.objects.filter(central=central, ended_at__isnull=True).values("household_id"),
        status=Household.Status.ACTIVE,
    ).select_related("address__unit")
    rows = rows_of(households, today=today)
    heads = heads_of([r.household.pk for r in rows])
    for r in rows:
        head = heads.get(r.household.pk)
        r.head = head.name if head else ""
    far = dt.date.max
    rows.sort(key=lambda r: (r.due_on or far, r.household.pk))
    due = [r for r in rows if (r.due_on is not None and r.due_on <= sunday) or r.quiet]
    later = [r for r in rows if r not in due]
    return due, later


def due_count(central: CentralHousehold, *, today: dt.date | None = None) -> int:
    return len(week_plan(central, today=today)[0])


def lived_in() -> Exists:
    """Households someone lives in (a household whose last member moved out or died is not visited)."""
    return Exists(Resident.objects.filter(household=OuterRef("pk"), status=Resident.Status.ACTIVE))


def unpaired(community: OrgUnit, area: OrgUnit | None = None) -> QuerySet[Household]:
    """The unpaired queue: active households someone lives in, with no open pairing, not central households."""
    scope = area or community
    return (
        Household.objects.filter(
            lived_in(), OrgUnit.subtree_q(scope, "unit__"), community=community, status=Household.Status.ACTIVE
        )
        .exclude(pk__in=Pairing.objects.filter(ended_at__isnull=True).values("household_id"))
        .exclude(pk__in=CentralHousehold.objects.filter(is_active=True).values("household_id"))
        .select_related("address__unit", "unit")
        .order_by("created_at", "id")
    )


def history_of(household: Household) -> QuerySet[Pairing]:
    return Pairing.objects.filter(household=household).select_related(
        "central__household__address__unit", "started_by", "ended_by"
    )


def visits_of(household: Household, limit: int = 20) -> list[Visit]:
    return list(Visit.objects.filter(household=household).select_related("recorded_by")[:limit])


# --- the suggestion --------------------------------------------------------------------------


@dataclass
class Move:
    household: Household
    central: CentralHousehold
    distance: int


@dataclass
class Suggestion:
    area: OrgUnit
    moves: list[Move]
    left: list[Household]
    cost: int
    kept: int


def suggestion_for(area: OrgUnit) -> Suggestion:
    """The optimal suggestion (``pairing.assignment``) for the unpaired households of ``area``."""
    community = area if area.kind == UnitKind.COMMUNITY else area.community
    assert community is not None  # noqa: S101  an area lies in a community
    centrals = list(
        CentralHousehold.objects.filter(OrgUnit.subtree_q(area, "area__"), community=community, is_active=True)
        .select_related("household__unit", "household__address__unit")
        .order_by("id")
    )
    load: dict[int, int] = defaultdict(int)
    for cid in Pairing.objects.filter(central__in=centrals, ended_at__isnull=True).values_list("central_id", flat=True):
        load[cid] += 1
    queue = list(unpaired(community, area))
    slots = [assignment.Slot(c.pk, c.household.unit.path, c.capacity - load[c.pk]) for c in centrals]
    result = assignment.suggest([(h.pk, h.unit.path) for h in queue], slots, chain)
    by_id = {c.pk: c for c in centrals}
    households = {h.pk: h for h in queue}
    moves = [
        Move(households[h], by_id[c], assignment.distance(households[h].unit.path, by_id[c].household.unit.path, chain))
        for h, c in result.pairs.items()
    ]
    moves.sort(key=lambda m: (m.central.pk, m.household.unit.path, m.household.pk))
    return Suggestion(area, moves, [households[h] for h in result.unpaired], result.cost, sum(load.values()))


def chain(path: str) -> list[str]:
    """Root-to-unit paths of an org-unit path."""
    return [*OrgUnit.paths_above(path), path]


# --- coverage ----------------------------------------------------------------------------------


@dataclass
class Tally:
    label: str
    households: int = 0
    within: int = 0
    never: int = 0
    key: Any = None

    @property
    def percent(self) -> int:
        return round(100 * self.within / self.households) if self.households else 0

    @property
    def band(self) -> str:
        p = self.percent
        return "good" if p >= 90 else "fair" if p >= 60 else "poor"


@dataclass
class Coverage:
    community: OrgUnit
    total: Tally
    by_central: list[Tally] = field(default_factory=list)
    by_grid: list[Tally] = field(default_factory=list)
    by_area: list[Tally] = field(default_factory=list)
    by_building: list[Tally] = field(default_factory=list)
    overdue: list[Row] = field(default_factory=list)
    never: list[Row] = field(default_factory=list)
    quiet: list[Row] = field(default_factory=list)
    unpaired: int = 0
    overdue_count: int = 0
    never_count: int = 0
    quiet_count: int = 0


def coverage_of(community: OrgUnit, *, today: dt.date | None = None, limit: int | None = 100) -> Coverage:
    """The share of households contacted within their cadence, per central household, building, grid, area
    and the community; the overdue (most overdue first), never-visited and quiet households (the first
    ``limit`` of each as rows; None: all). A fixed number of queries; the counting runs on plain values, not
    model instances."""
    today = today or timezone.localdate()
    units = {u.path: u for u in OrgUnit.objects.subtree_of(community)}
    order = {u.pk: (u.sort_order, len(u.name), u.name) for u in units.values()}
    centrals = {
        c.pk: c for c in CentralHousehold.objects.filter(community=community).select_related("household__address__unit")
    }
    households = Household.objects.filter(lived_in(), community=community, status=Household.Status.ACTIVE).exclude(
        pk__in=CentralHousehold.objects.filter(is_active=True).values("household_id")
    )
    last = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    open_pairing = Pairing.objects.filter(household=OuterRef("pk"), ended_at__isnull=True)
    attended = (
        Registration.objects.filter(household=OuterRef("pk"), checked_in_at__isnull=False)
        .order_by("-checked_in_at")
        .values("checked_in_at")[:1]
    )
    values = households.annotate(
        last_contact=Subquery(last),
        central_now=Subquery(open_pairing.values("central_id")[:1]),
        paired_at=Subquery(open_pairing.values("started_at")[:1]),
        last_attended_at=Subquery(attended),
    ).values_list("pk", "unit__path", "care__level", "last_contact", "central_now", "paired_at", "last_attended_at")
    every_of = cadences_of(community.pk)
    total = Tally(community.name)
    tallies: dict[str, dict[Any, Tally]] = {"central": {}, "grid": {}, "area": {}, "building": {}}
    places: dict[str, list[tuple[str, OrgUnit]]] = {}

    def bump(kind: str, key: Any, label: str, within: bool, never: bool) -> None:
        tally = tallies[kind].get(key)
        if tally is None:
            tally = tallies[kind][key] = Tally(label, key=key)
        tally.households += 1
        tally.within += within
        tally.never += never

    unpaired_count = 0
    overdue: list[tuple[dt.date, int]] = []
    never_ids: list[int] = []
    quiet_ids: list[int] = []
    for pk, path, level, last_contact, central_id, paired_at, attended_at in values:
        every = every_of[level or CareLevel.ORDINARY]
        within = plan.within_cadence(last_contact=last_contact, every=every, today=today)
        never = last_contact is None
        total.households += 1
        total.within += within
        total.never += never
        if path not in places:
            found = [("building", units[path])] if path in units else []
            for above in chain(path):
                u = units.get(above)
                if u is not None and u.kind in (UnitKind.GRID, UnitKind.AREA):
                    found.append((str(u.kind), u))
            places[path] = found
        for kind, u in places[path]:
            bump(kind, u.pk, u.name, within, never)
        if central_id is not None:
            c = centrals.get(central_id)
            bump("central", central_id, str(c.household.address) if c else "", within, never)
        else:
            unpaired_count += 1
        paired_on = timezone.localtime(paired_at).date() if paired_at else None
        if paired_on is not None or last_contact is not None:
            due = plan.due_on(last_contact=last_contact, paired_on=paired_on or today, every=every)
            if due < today:
                overdue.append((due, pk))
        if never:
            never_ids.append(pk)
        elif plan.quiet(
            last_contact=last_contact,
            last_attended=timezone.localtime(attended_at).date() if attended_at else None,
            today=today,
        ):
            quiet_ids.append(pk)
    overdue.sort()
    cut = slice(None, limit)
    overdue_ids = [pk for _due, pk in overdue][cut]
    wanted = set(overdue_ids) | set(never_ids[cut]) | set(quiet_ids[cut])
    rows = {
        r.household.pk: r
        for r in rows_of(Household.objects.filter(pk__in=wanted).select_related("address__unit"), today=today)
    }
    heads = heads_of(list(rows))
    for r in rows.values():
        head = heads.get(r.household.pk)
        r.head = head.name if head else ""
    return Coverage(
        community,
        total,
        by_central=sorted(tallies["central"].values(), key=lambda t: (t.percent, t.label)),
        by_grid=sorted(tallies["grid"].values(), key=lambda t: t.label),
        by_area=sorted(tallies["area"].values(), key=lambda t: t.label),
        by_building=sorted(tallies["building"].values(), key=lambda t: order.get(t.key, (0, t.label))),
        overdue=[rows[pk] for pk in overdue_ids if pk in rows],
        never=[rows[pk] for pk in never_ids[cut] if pk in rows],
        quiet=[rows[pk] for pk in quiet_ids[cut] if pk in rows],
        unpaired=unpaired_count,
        overdue_count=len(overdue),
        never_count=len(never_ids),
        quiet_count=len(quiet_ids),
    )


def open_follow_ups(user: Any) -> QuerySet[Visit]:
    qs = Visit.objects.filter(follow_up=Visit.FollowUp.WORKER).select_related("household__address__unit", "recorded_by")
    return policy.visible(qs, user, "pairing.view", "community__path").order_by("visited_on", "id")


def loads_of(centrals: list[CentralHousehold]) -> dict[int, int]:
    """How many households each central household serves now (one query)."""
    load: dict[int, int] = defaultdict(int)
    for cid in Pairing.objects.filter(central__in=centrals, ended_at__isnull=True).values_list("central_id", flat=True):
        load[cid] += 1
    return dict(load)


def cadence_rows(community: OrgUnit) -> list[tuple[str, plan.Every, bool]]:
    """(care level label, cadence, changed from the default) for each care level."""
    overrides = {c.level for c in Cadence.objects.filter(community=community)}
    every = cadences_of(community.pk)
    return [(str(label), every[level], level in overrides) for level, label in CareLevel.choices]
