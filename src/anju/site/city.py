"""A realistic city for benchmarks (``anju generate_city``): the data set every benchmark of issue 13 uses.

An org tree (a city, its districts, streets, ``communities`` communities of uneven size, 3-8 grids each), the
departments of each district and each street's urban-management squad, and ``appeals`` appeals received over
``years`` years up to now, each with the history a busy 12345 line gives it: filed, accepted, dispatched (a few
re-routed), signed, the requester contacted, handled, verified, called back and closed; a few rejected or
marked duplicate, some marked complex, some reopened after an unsatisfied callback, some closed unresolved.
Every step's delay is drawn from a spread around the SLA's deadlines, and the history is cut at *now*: so old
appeals are closed, recent ones open, and the open ones past their deadline are those whose steps ran late
(with their escalation ladders fired up to now, as the sweeper would have). The timeline steps, callbacks,
escalation rows and the roll-up (the daily tier counted by the definitions of docs/rates.md as the rows are
drawn, so ``anju rollup_rebuild`` changes nothing; the monthly tier summed from it) go with them, and a few
stations with bookings and activities with registrations.

Every key and time is drawn from one seeded generator (no pattern repeats); the same seed and ``now`` give
the same data. Rows are written with COPY on PostgreSQL and multi-row inserts on SQLite (small sizes), month
by month, never through the ORM row by row; the org tree, departments, stations and activities (a few
thousand rows) go through the services.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from anju.appeals import notes
from anju.appeals.models import (
    AWAITING_CALLBACK,
    CLOSED_STATUSES,
    Appeal,
    AppealEvent,
    Callback,
    Category,
    DailyRollup,
    Escalation,
    MonthlyRollup,
    SatisfactionLevel,
    Status,
)
from anju.appeals.rates import rebuild
from anju.core import partitions
from anju.orgs import services as org_services
from anju.orgs.models import Department, OrgUnit, UnitKind
from anju.site.city_places import generate_places
from anju.site.city_rows import LOCAL, H, Table, reset_sequence

# How often each category is filed (a 12345 line's usual mix: rubbish, noise and lamps lead).
CATEGORY_WEIGHTS = {
    "garbage": 14,
    "noise": 10,
    "street-lamp": 8,
    "building-repair": 8,
    "road-damage": 7,
    "street-vending": 7,
    "illegal-structure": 6,
    "drain-blocked": 6,
    "neighbour-dispute": 6,
    "sanitation": 6,
    "water-outage": 5,
    "power-outage": 4,
    "elevator": 4,
    "public-security": 3,
    "elderly-care": 3,
    "other": 2,
    "gas-leak": 1,
}
CHANNELS = [("phone", 40), ("app", 30), ("visit", 15), ("anonymous", 5), ("bench", 5), ("api", 3), ("open311", 2)]
# The seeded SLA preset (appeals/0002), in hours: dispatch, sign, contact from the dispatch; feedback from receipt
# (working days for general appeals, counted here as weekdays).
SLA_HOURS = {"emergency": (1, 2, 1, 2), "urgent": (2, 2, 4, 24), "general": (24, 2, 24, None)}
FEEDBACK_WORKDAYS = {False: 7, True: 15}  # by complex
# How long each step takes, as the median in hours for a general appeal (urgent ones take a fifth, emergencies
# a twentieth) and the spread (sigma of the log).
DELAYS = {
    "accept": (0.4, 1.0),
    "dispatch": (2.5, 1.0),
    "reroute": (5.0, 0.8),
    "sign": (0.6, 0.8),
    "contact": (3.0, 1.1),
    "feedback": (70.0, 0.9),
    "verify": (6.0, 1.0),
    "callback": (30.0, 0.8),
    "close": (72.0, 0.5),
}
SPEED = {"general": 1.0, "urgent": 0.2, "emergency": 0.05}
DEPARTMENT_NAMES = {
    Department.Kind.URBAN_MANAGEMENT: "城市管理局",
    Department.Kind.HOUSING: "住房和城乡建设局",
    Department.Kind.POWER: "供电公司",
    Department.Kind.WATER: "水务局",
    Department.Kind.POLICE: "公安分局",
    Department.Kind.HEALTH: "卫生健康局",
    Department.Kind.CIVIL_AFFAIRS: "民政局",
    Department.Kind.GAS: "燃气公司",
    Department.Kind.ENVIRONMENT: "生态环境分局",
    Department.Kind.MARKET: "市场监督管理局",
    Department.Kind.OTHER: "区政府办公室",
}


@dataclass
class City:
    """What was generated: the units and departments by id, and the row counts."""

    city: OrgUnit
    districts: list[OrgUnit]
    streets: list[OrgUnit]
    communities: list[OrgUnit]
    grids: dict[int, list[int]]  # community id -> grid ids
    departments: list[Department]
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    now: dt.datetime | None = None


# --- drawing ------------------------------------------------------------------------------------------


class Picker:
    """Weighted choice by bisection over cumulative weights (fast for thousands of options)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def add_workdays(at: dt.datetime, days: int) -> dt.datetime:
    """``days`` weekdays after ``at`` (statutory holidays are not modelled here)."""
    local = at.astimezone(LOCAL)
    while days > 0:
        local += dt.timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local.astimezone(dt.UTC)


HOUR_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.4, 0.8, 2, 5, 9, 11, 11, 10, 8, 8, 10, 10, 9, 8, 7, 7, 6, 5, 3, 2]


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    out = [first.replace(day=1)]
    while out[-1] <= last:
        m = out[-1]
        out.append(dt.date(m.year + m.month // 12, m.month % 12 + 1, 1))
    return out


# --- the org tree ----------------------------------------------------------------------------------------


def build_org(rng: random.Random, communities: int) -> City:
    unit = org_services.orgunit_create
    name, n = "安居市", 1
    while OrgUnit.objects.filter(parent=None, name=name).exists():  # a second city in the same database
        n += 1
        name = f"安居{n}市"
    city = unit(actor=None, kind=UnitKind.CITY, name=name, parent=None)
    n_districts = max(1, round(communities / 50))
    n_streets = max(n_districts, round(communities / 12))
    districts = [unit(actor=None, kind=UnitKind.DISTRICT, name=f"第{i + 1}区", parent=city) for i in range(n_districts)]
    streets = [
        unit(actor=None, kind=UnitKind.STREET, name=f"第{i + 1}街道", parent=districts[i % n_districts])
        for i in range(n_streets)
    ]
    comms = [
        unit(actor=None, kind=UnitKind.COMMUNITY, name=f"第{i + 1}社区", parent=streets[i % n_streets])
        for i in range(communities)
    ]
    grids: dict[int, list[int]] = {}
    for c in comms:
        grids[c.pk] = [
            unit(actor=None, kind=UnitKind.GRID, name=f"{c.name}第{g + 1}网格", parent=c).pk
            for g in range(rng.randint(3, 8))
        ]
    departments: list[Department] = []
    for d in districts:
        for kind, name in DEPARTMENT_NAMES.items():
            departments.append(org_services.department_create(actor=None, name=f"{d.name}{name}", kind=kind, unit=d))
    for s in streets:
        departments.append(
            org_services.department_create(
                actor=None, name=f"{s.name}城管中队", kind=Department.Kind.URBAN_MANAGEMENT, unit=s
            )
        )
    return City(city, districts, streets, comms, grids, departments)


# --- one appeal's history ---------------------------------------------------------------------------------


Key = tuple[dt.date, int, int, int, int]


class History:
    """The steps of one appeal, applied up to ``now``: its row, timeline, callbacks, ladder and roll-up counts."""

    def __init__(self, gen: Generator, pk: int, received: dt.datetime) -> None:
        self.g = gen
        self.pk = pk
        self.received = received

    def run(self) -> None:
        g, rng, now = self.g, self.g.rng, self.g.now
        community = g.community_pick(rng)
        grid = rng.choice(g.city.grids[community.pk])
        category = g.category_pick(rng)
        urgency = category.default_urgency
        if urgency == "general" and rng.random() < 0.08:
            urgency = "urgent"
        speed = SPEED[urgency]
        dispatch_h, sign_h, contact_h, feedback_h = SLA_HOURS[urgency]
        received = self.received
        a: dict[str, Any] = {
            "id": self.pk,
            "community_id": community.pk,
            "category_id": category.pk,
            "description": f"{category.name}：{g.community_names[community.pk]}（{self.pk}）",
            "location_id": grid,
            "grid_id": grid,
            "address": "",
            "urgency": urgency,
            "status": Status.RECEIVED,
            "channel": g.channel_pick(rng),
            "consent": True,
            "received_at": received,
            "dispatch_due": received + dispatch_h * H,
        }
        self.complex = False
        a["feedback_due"] = self.feedback_due(received, urgency, feedback_h)
        a["due_at"] = a["dispatch_due"]
        self.a = a
        self.events: list[tuple[str, str, str, dt.datetime, int | None, str, dict[str, Any]]] = []
        self.key_base = (community.pk, grid, category.pk)
        self.tally(received, None, received=1)

        def delay(step: str, factor: float = 1.0) -> dt.timedelta:
            median, sigma = DELAYS[step]
            return rng.lognormvariate(math.log(median * speed * factor), sigma) * H

        stuck = rng.random() < 0.012  # a long tail: stuck for months waiting on something
        t = received
        self.step(t, "filed", "", Status.RECEIVED, note_key=notes.FILED, params={"channel": a["channel"]})
        t += delay("accept")
        if t > now:
            return self.finish()
        self.step(t, "accept", Status.RECEIVED, Status.ACCEPTED)
        a["accepted_at"] = t
        fate = rng.random()
        if fate < 0.05:  # rejected, or a duplicate of an earlier appeal
            t += delay("accept")
            if t > now:
                return self.finish()
            if fate < 0.02 or self.pk == g.first_pk:
                self.step(t, "reject", Status.ACCEPTED, Status.REJECTED)
                a["status"] = Status.REJECTED
            else:
                a["duplicate_of_id"] = rng.randint(max(g.first_pk, self.pk - 500), self.pk - 1)
                self.step(t, "duplicate", Status.ACCEPTED, Status.DUPLICATE, note_key=notes.DUPLICATE)
                a["status"] = Status.DUPLICATE
            a["closed_at"] = t
            a["due_at"] = None
            return self.finish()
        department = g.department_for(rng, community.pk, category)
        # dispatch (3 % first to the wrong department, re-routed before anyone signs)
        t = max(t, received + delay("dispatch"))
        if t > now:
            return self.finish()
        rerouted = rng.random() < 0.03
        first = g.wrong_department(rng, department) if rerouted else department
        self.dispatch(t, first, Status.ACCEPTED, dispatch_h, sign_h, contact_h)
        self.tally(t, first.pk, dispatches=1)
        first_at = t
        if rerouted:
            t += delay("reroute")
            if t > now:
                return self.finish(counted=(first_at, first.pk))
            self.dispatch(t, department, Status.DISPATCHED, dispatch_h, sign_h, contact_h)
            self.tally(first_at, first.pk, misrouted=1)
            self.tally(t, department.pk, dispatches=1)
        counted = (t, department.pk)
        # sign and contact: the response
        t += delay("sign")
        if t > now:
            return self.finish(counted=counted)
        self.step(t, "sign", Status.DISPATCHED, Status.SIGNED)
        a["signed_at"] = t
        signed_in_time = t <= a["sign_due"]
        t += delay("contact")
        if t > now:
            a["due_at"] = min(a["contact_due"], a["feedback_due"])
            a["status"] = Status.SIGNED
            return self.finish(counted=counted)
        self.step(t, "contact", Status.SIGNED, Status.IN_PROGRESS)
        a["contacted_at"] = t
        a["status"] = Status.IN_PROGRESS
        a["responded_on_time"] = signed_in_time and t <= a["contact_due"]
        a["due_at"] = a["feedback_due"]
        if rng.random() < 0.06:  # complex: the feedback deadline lengthens
            mark = t + delay("contact")
            if mark <= now:
                self.complex = True
                a["is_complex"] = True
                a["feedback_due"] = self.feedback_due(received, urgency, feedback_h)
                a["due_at"] = a["feedback_due"]
                self.step(
                    mark,
                    "complex",
                    Status.IN_PROGRESS,
                    Status.IN_PROGRESS,
                    note_key=notes.COMPLEX,
                    params={"department_id": department.pk},
                    note="情况复杂，需协调多个部门",
                )
                self.tally(mark, department.pk, complex_marked=1)
                t = mark
        rounds = 0
        while True:
            handled_at = t + delay("feedback", (2.5 if self.complex else 1.0) * (25 if stuck else 1))
            waits = rng.random() < 0.08 or stuck
            if waits:
                wait_at = t + (handled_at - t) / 3
                if wait_at <= now:
                    self.step(wait_at, "wait", a["status"], Status.WAITING)
                    a["status"] = Status.WAITING
                    a["waiting_reason"] = "等待协调"
            if handled_at > now:
                return self.finish(counted=counted)
            self.step(handled_at, "feedback", a["status"], Status.HANDLED)
            a["status"] = Status.HANDLED
            a["handled_at"] = handled_at
            a["waiting_reason"] = ""
            a["due_at"] = None
            t = handled_at + delay("verify")
            if t > now:
                return self.finish(counted=counted)
            self.step(t, "verify", Status.HANDLED, Status.VERIFIED)
            a["status"] = Status.VERIFIED
            a["verified_at"] = t
            if rng.random() < 0.02:  # the community closes it unresolved, no callback
                t += delay("close")
                if t > now:
                    return self.finish(counted=counted)
                self.step(t, "close", Status.VERIFIED, Status.CLOSED_UNRESOLVED, note="多次联系无果")
                a["status"] = Status.CLOSED_UNRESOLVED
                a["closed_at"] = t
                self.tally(t, department.pk, completed=1)
                return self.finish(counted=counted)
            t += delay("callback")
            if t > now:
                return self.finish(counted=counted)
            satisfied = rounds > 0 or rng.random() > 0.06
            level = g.levels["satisfied" if rng.random() < 0.7 else "basic"] if satisfied else g.levels["unsatisfied"]
            resolved = rng.random() < (0.95 if satisfied else 0.2)
            g.callbacks.add(
                community_id=community.pk,
                appeal_id=self.pk,
                department_id=department.pk,
                resolved=resolved,
                satisfaction_id=level.pk,
                at=t,
            )
            g.city.counts["callbacks"] += 1
            self.tally(
                t,
                department.pk,
                completed=1,
                resolved=int(resolved),
                ratings=1,
                satisfied=int(satisfied),
                reopened=int(not satisfied),
            )
            params = {"resolved": resolved, "level": level.label}
            if satisfied:
                to = Status.CLOSED_RESOLVED if resolved else Status.CLOSED_UNRESOLVED
                self.step(t, "callback", Status.VERIFIED, to, note_key=notes.CALLBACK, params=params)
                a["status"] = to
                a["closed_at"] = t
                return self.finish(counted=counted)
            # not satisfied: a new round with the same department, which signs again
            self.step(t, "callback", Status.VERIFIED, Status.REOPENED, note_key=notes.CALLBACK, params=params)
            rounds += 1
            a.update(status=Status.REOPENED, reopen_count=rounds, round_started_at=t, dispatched_at=t)
            a["handled_at"] = a["verified_at"] = a["signed_at"] = None
            a["sign_due"] = t + sign_h * H
            a["feedback_due"] = self.feedback_due(t, urgency, feedback_h)
            a["due_at"] = a["sign_due"]
            t += delay("sign")
            if t > now:
                return self.finish(counted=counted)
            self.step(t, "sign", Status.REOPENED, Status.SIGNED)
            a["signed_at"] = t
            a["status"] = Status.SIGNED
            a["due_at"] = a["feedback_due"]

    def feedback_due(self, start: dt.datetime, urgency: str, feedback_h: int | None) -> dt.datetime:
        if feedback_h is not None and not self.complex:
            return start + feedback_h * H
        return add_workdays(start, FEEDBACK_WORKDAYS[self.complex])

    def dispatch(
        self, t: dt.datetime, department: Department, before: str, dispatch_h: int, sign_h: int, contact_h: int
    ) -> None:
        a = self.a
        self.step(
            t,
            "dispatch",
            before,
            Status.DISPATCHED,
            note_key=notes.DISPATCHED,
            department=department.pk,
            params={"department": department.name, "department_id": department.pk},
        )
        a.update(status=Status.DISPATCHED, department_id=department.pk, dispatched_at=t)
        a["sign_due"] = t + sign_h * H
        a["contact_due"] = t + contact_h * H
        a["due_at"] = min(a["sign_due"], a["contact_due"], a["feedback_due"])

    def step(
        self,
        at: dt.datetime,
        action: str,
        before: str,
        after: str,
        *,
        note_key: str = "",
        params: dict[str, Any] | None = None,
        department: int | None = None,
        note: str = "",
    ) -> None:
        self.events.append((action, before, after, at, department, note_key, params or {}))
        if note:
            self.events[-1][6]["_note"] = note

    def tally(self, at: dt.datetime, department: int | None, **counts: int) -> None:
        c, grid, cat = self.key_base
        key = (at.astimezone(LOCAL).date(), c, grid, department or 0, cat)
        self.g.rollup[key].update({k: v for k, v in counts.items() if v})

    def finish(self, counted: tuple[dt.datetime, int] | None = None) -> None:
        g, a = self.g, self.a
        if counted is not None:
            self.tally(counted[0], counted[1], dispatched=1, responded=int(bool(a.get("responded_on_time"))))
        if a["status"] in AWAITING_CALLBACK:
            self.tally(self.received, a.get("department_id"), awaiting_callback=1)
        if a["status"] in CLOSED_STATUSES:
            a["due_at"] = None
            a["escalation_level"] = 4
        else:
            self.ladder()
        g.appeals.add(**a)
        g.city.counts["appeals"] += 1
        g.city.counts[f"status:{a['status']}"] += 1
        for action, before, after, at, department, note_key, params in self.events:
            note = params.pop("_note", "")
            g.events.add(
                community_id=a["community_id"],
                appeal_id=self.pk,
                action=action,
                from_status=before,
                to_status=after,
                actor_label="系统生成",
                department_id=department,
                note=note,
                note_key=note_key,
                note_params=params,
                at=at,
            )
        g.city.counts["events"] += len(self.events)

    def ladder(self) -> None:
        """The escalation levels fired up to now on the current deadlines (as the sweeper would have), and when
        the sweeper must look next (``sla.set_due``, with weekdays for working days)."""
        a, g = self.a, self.g
        status = a["status"]
        stages: list[tuple[str, dt.datetime, dt.datetime]] = []
        start = a.get("round_started_at") or self.received
        if status in (Status.RECEIVED, Status.ACCEPTED):
            stages.append((Escalation.Stage.DISPATCH, a["dispatch_due"], start))
        elif status in (Status.DISPATCHED, Status.REOPENED):
            stages.append((Escalation.Stage.SIGN, a["sign_due"], max(start, a["dispatched_at"])))
        if status in (Status.DISPATCHED, Status.REOPENED, Status.SIGNED, Status.IN_PROGRESS, Status.WAITING):
            if a.get("contacted_at") is None and a.get("contact_due"):
                stages.append((Escalation.Stage.CONTACT, a["contact_due"], max(start, a["dispatched_at"])))
            stages.append((Escalation.Stage.FEEDBACK, a["feedback_due"], start))
        if not stages:
            a["escalation_due_at"] = None
            return
        a["due_at"] = min(due for _s, due, _b in stages)
        top, nexts = 0, []
        for stage, due, begun in stages:
            lead = min((due - begun) / 4, dt.timedelta(hours=24))
            times = [
                due - max(lead, dt.timedelta(0)),
                add_workdays(due, 1),
                add_workdays(due, 5),
                add_workdays(due, 10),
            ]
            fired = 0
            for level, at in enumerate(times, start=1):
                if at > g.now:
                    nexts.append(at)
                    break
                fired = level
                g.escalations.add(
                    community_id=a["community_id"],
                    appeal_id=self.pk,
                    stage=stage,
                    round=a.get("reopen_count", 0),
                    level=level,
                    deadline=due,
                    fired_at=at,
                )
                g.city.counts["escalations"] += 1
            top = max(top, fired)
        a["escalation_level"] = top
        a["escalation_due_at"] = min(nexts) if nexts else None
        if a["due_at"] < g.now:
            g.city.counts["open overdue"] += 1


# --- the generator --------------------------------------------------------------------------------------------


class Generator:
    def __init__(self, *, seed: int, now: dt.datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311  benchmark data, not secrets
        self.now = now
        self.rollup: defaultdict[Key, Counter[str]] = defaultdict(Counter)
        self.first_pk = 1

    def setup(self, city: City) -> None:
        rng = self.rng
        self.city = city
        # Communities differ in size (a log-normal spread: the largest files ten times the smallest).
        self.community_pick = Picker(city.communities, [rng.lognormvariate(0, 0.6) for _ in city.communities])
        self.community_names = {c.pk: c.name for c in city.communities}
        categories = {c.code: c for c in Category.objects.all()}
        cats = [categories[code] for code in CATEGORY_WEIGHTS if code in categories]
        self.category_pick = Picker(cats, [CATEGORY_WEIGHTS[c.code] for c in cats])
        self.channel_pick = Picker([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])
        self.levels = {lv.code: lv for lv in SatisfactionLevel.objects.all()}
        street_of = {c.pk: int(c.parent_id or 0) for c in city.communities}
        district_of = {s.pk: int(s.parent_id or 0) for s in city.streets}
        self.by_unit_kind: dict[tuple[int, str], list[Department]] = defaultdict(list)
        for d in city.departments:
            self.by_unit_kind[(d.unit_id, d.kind)].append(d)
        self.street_of, self.district_of = street_of, district_of
        self.appeals = Table(Appeal, with_id=True)
        self.events = Table(AppealEvent)
        self.callbacks = Table(Callback)
        self.escalations = Table(Escalation)
        self.rollup_rows = Table(DailyRollup)

    def department_for(self, rng: random.Random, community_id: int, category: Category) -> Department:
        street = self.street_of[community_id]
        district = self.district_of[street]
        kind = category.department_kind or Department.Kind.OTHER
        if kind == Department.Kind.URBAN_MANAGEMENT and rng.random() < 0.7:
            return self.by_unit_kind[(street, kind)][0]
        found = self.by_unit_kind.get((district, kind)) or self.by_unit_kind[(district, Department.Kind.OTHER)]
        return found[0]

    def wrong_department(self, rng: random.Random, right: Department) -> Department:
        while True:
            d = rng.choice(self.city.departments)
            if d.pk != right.pk:
                return d

    def flush(self, before: dt.date | None) -> None:
        """Write what is drawn; the roll-up rows of days before ``before`` (final: later appeals count only on
        their received day or after)."""
        for table in (self.appeals, self.events, self.callbacks, self.escalations):
            table.flush()
        done = sorted(k for k in self.rollup if before is None or k[0] < before)
        for key in done:
            counts = self.rollup.pop(key)
            if not any(counts.values()):
                continue
            day, community, grid, department, category = key
            self.rollup_rows.add(
                day=day,
                community_id=community,
                grid_key=grid,
                department_key=department,
                category_key=category,
                **{name: counts.get(name, 0) for name in DailyRollup.COUNTERS},
            )
        self.rollup_rows.flush()


def received_times(rng: random.Random, n: int, start: dt.datetime, now: dt.datetime) -> Iterable[list[dt.datetime]]:
    """``n`` receipt times between ``start`` and ``now``, month by month in order: volume grows 25 % a year,
    weekends file 30 % less, and the day peaks mid-morning and mid-afternoon."""
    first, last = start.astimezone(LOCAL).date(), now.astimezone(LOCAL).date()
    span_days = max(1, (last - first).days + 1)
    days = [first + dt.timedelta(days=i) for i in range(span_days)]
    weights = [1.25 ** (i / 365) * (0.7 if d.weekday() >= 5 else 1.0) for i, d in enumerate(days)]
    total = sum(weights)
    hour_pick = Picker(range(24), HOUR_WEIGHTS)
    carry = 0.0
    by_month: dict[dt.date, list[dt.date]] = defaultdict(list)
    share: dict[dt.date, float] = defaultdict(float)
    for d, w in zip(days, weights, strict=True):
        by_month[d.replace(day=1)].append(d)
        share[d.replace(day=1)] += w / total
    made = 0
    months = sorted(by_month)
    for i, month in enumerate(months):
        want = share[month] * n + carry
        count = n - made if i == len(months) - 1 else int(want)
        carry = want - count
        made += count
        month_days = by_month[month]
        day_pick = Picker(month_days, [weights[(d - first).days] for d in month_days])
        out = []
        for _ in range(count):
            day = day_pick(rng)
            local = dt.datetime.combine(day, dt.time(hour_pick(rng)), LOCAL) + rng.random() * H
            at = local.astimezone(dt.UTC)
            out.append(min(at, now - dt.timedelta(seconds=rng.randint(1, 600))))
        out.sort()
        yield out


def generate_city(
    *,
    appeals: int,
    communities: int = 300,
    years: float = 3,
    seed: int = 13,
    now: dt.datetime | None = None,
    bookings: int | None = None,
    registrations: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> City:
    """Generate the city into the default database (empty of appeals or not: ids follow what is there)."""
    started = time.perf_counter()
    now = now or timezone.now()
    gen = Generator(seed=seed, now=now)
    city = build_org(gen.rng, communities)
    city.now = now
    if progress:
        progress(f"org tree: {time.perf_counter() - started:.1f} s")
    gen.setup(city)
    start = now - dt.timedelta(days=round(365 * years))
    if connection.vendor == "postgresql":  # the months of a partitioned history exist before its rows arrive
        partitions.ensure(since=start.date(), now=now)
    gen.first_pk = next_pk = (Appeal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for month in received_times(gen.rng, appeals, start, now):
        if not month:
            continue
        with transaction.atomic():
            for received in month:
                History(gen, next_pk, received).run()
                next_pk += 1
                if len(gen.events.rows) > 50_000:
                    gen.flush(received.astimezone(LOCAL).date())
            gen.flush(month[-1].astimezone(LOCAL).date() + dt.timedelta(days=1))
        if progress:
            progress(
                f"{month[0].astimezone(LOCAL):%Y-%m}: {city.counts['appeals']} appeals, "
                f"{time.perf_counter() - started:.1f} s"
            )
    with transaction.atomic():
        gen.flush(None)
    city.counts["daily roll-up rows"] = gen.rollup_rows.written
    rebuild.monthly_from_daily()
    city.counts["monthly roll-up rows"] = MonthlyRollup.objects.count()
    for model in (Appeal, AppealEvent, Callback, Escalation, DailyRollup):
        reset_sequence(model)
    generate_places(
        city,
        gen.rng,
        now=now,
        bookings=appeals // 20 if bookings is None else bookings,
        registrations=registrations,
        since=start,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    city.seconds = time.perf_counter() - started
    return city


def describe(city: City) -> str:
    """What the data is, in a few lines (every benchmark prints it before its figures)."""
    c = city.counts
    n = c["appeals"] or 1
    closed = sum(v for k, v in c.items() if k.startswith("status:") and k[7:] in CLOSED_STATUSES)
    open_ = c["appeals"] - closed
    statuses = ", ".join(
        f"{k[7:]} {v * 100 / n:.1f} %" for k, v in sorted(c.items(), key=lambda kv: -kv[1]) if k.startswith("status:")
    )
    return "\n".join(
        [
            f"city: {len(city.communities)} communities in {len(city.streets)} streets of {len(city.districts)} "
            f"districts, {sum(len(g) for g in city.grids.values())} grids, {len(city.departments)} departments, "
            f"{len(CATEGORY_WEIGHTS)} categories",
            f"appeals: {c['appeals']:,} received over the years up to {city.now:%Y-%m-%d %H:%M} UTC; "
            f"open {open_:,} ({open_ * 100 / n:.1f} %), of them overdue {c['open overdue']:,} "
            f"({c['open overdue'] * 100 / max(open_, 1):.1f} % of open)",
            f"statuses: {statuses}",
            f"rows: {c['events']:,} timeline steps, {c['callbacks']:,} callbacks, {c['escalations']:,} escalations, "
            f"{c['daily roll-up rows']:,} daily and {c['monthly roll-up rows']:,} monthly roll-up rows, "
            f"{c['bookings']:,} bookings, "
            f"{c['registrations']:,} registrations; generated in {city.seconds:.1f} s",
        ]
    )
