"""The roster planner: a pure function from seats and volunteers to who sits where (no database).

Fairness, in this order: availability, blackout dates, skills and the monthly maximum are never broken;
nobody sits twice on one day; among those who may take a seat the one with the fewest shifts in the
quarter so far takes it, then the one with the fewest shifts of this template (nobody always gets the
unpopular slot), then a seeded draw; a last pass moves seats from anyone with two shifts more than another who
may take one of them (see :func:`_rebalance`). The scarcest seats (fewest people who could take them) are filled
first, so that a seat only a few can take is not lost to someone the others could have replaced.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time


@dataclass(frozen=True)
class Seat:
    key: tuple[int, int]  # (shift key, seat number)
    day: date
    starts: time
    ends: time
    template: int
    skill: str = ""


@dataclass
class Person:
    id: int
    weekdays: frozenset[int] = frozenset(range(7))
    earliest: time | None = None
    latest: time | None = None
    monthly_max: int = 4
    skills: frozenset[str] = frozenset()
    away: frozenset[date] = frozenset()
    load: int = 0  # shifts already held in the quarter
    month_load: int = 0  # shifts already held in the month (other rosters)
    busy_days: set[date] = field(default_factory=set)
    template_load: dict[int, int] = field(default_factory=dict)


def can_sit(person: Person, seat: Seat) -> bool:
    """The static part: availability, time window, blackout dates and skill."""
    if seat.day.weekday() not in person.weekdays or seat.day in person.away:
        return False
    if person.earliest is not None and seat.starts < person.earliest:
        return False
    if person.latest is not None and seat.ends > person.latest:
        return False
    return not seat.skill or seat.skill in person.skills


def plan(seats: list[Seat], people: list[Person], *, seed: int = 0) -> dict[tuple[int, int], int]:
    """Who takes each seat (seat key → person id); seats no one may take are left out (the holes)."""
    rng = random.Random(seed)  # noqa: S311  a reproducible draw, not a secret
    draw = {p.id: rng.random() for p in people}
    eligible: dict[tuple[int, int], list[Person]] = {s.key: [p for p in people if can_sit(p, s)] for s in seats}
    order = sorted(seats, key=lambda s: (len(eligible[s.key]), s.day, s.starts, s.key))
    month: dict[int, int] = defaultdict(int)
    out: dict[tuple[int, int], int] = {}
    for seat in order:
        best: Person | None = None
        best_key: tuple[int, int, float] | None = None
        for p in eligible[seat.key]:
            if seat.day in p.busy_days or p.month_load + month[p.id] >= p.monthly_max:
                continue
            k = (p.load, p.template_load.get(seat.template, 0), draw[p.id])
            if best_key is None or k < best_key:
                best, best_key = p, k
        if best is None:
            continue
        out[seat.key] = best.id
        best.load += 1
        best.busy_days.add(seat.day)
        best.template_load[seat.template] = best.template_load.get(seat.template, 0) + 1
        month[best.id] += 1
    _rebalance(seats, people, out, month)
    return out


def _rebalance(seats: list[Seat], people: list[Person], out: dict[tuple[int, int], int], month: dict[int, int]) -> None:
    """Move seats from the most loaded to the least while one with two shifts more holds a seat the other may
    take (free that day, under their maximum): afterwards no such pair is left, so the quarter's counts differ
    by at most one among those whose availability allows it. Each move lowers the sum of squared loads by at
    least two, so it ends."""
    held: dict[int, list[Seat]] = defaultdict(list)
    for seat in sorted(seats, key=lambda s: s.key):
        if seat.key in out:
            held[out[seat.key]].append(seat)
    moved = True
    while moved:
        moved = False
        for p in sorted(people, key=lambda x: (-x.load, x.id)):
            for q in sorted(people, key=lambda x: (x.load, x.id)):
                if p.load - q.load < 2:
                    break
                if q.month_load + month[q.id] >= q.monthly_max:
                    continue
                movable = next((s for s in held[p.id] if s.day not in q.busy_days and can_sit(q, s)), None)
                if movable is None:
                    continue
                seat = movable
                held[p.id].remove(seat)
                held[q.id].append(seat)
                out[seat.key] = q.id
                for a, b in ((p, -1), (q, 1)):
                    a.load += b
                    month[a.id] += b
                    a.template_load[seat.template] = a.template_load.get(seat.template, 0) + b
                p.busy_days.discard(seat.day)
                q.busy_days.add(seat.day)
                moved = True
                break
            if moved:
                break
