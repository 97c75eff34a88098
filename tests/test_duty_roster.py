"""Roster generation: every seat filled fairly on a seeded month, availability and maximums never broken,
nobody twice a day, and the working-day calendar (make-up days, holidays) deciding which days have shifts."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from anju.duty import planning, services
from anju.duty.models import Assignment, Roster, Shift, ShiftTemplate
from anju.testing.duty import make_duty_world, next_month_start

pytestmark = pytest.mark.django_db


def _seats(days: int, per_day: int) -> list[planning.Seat]:
    start = date(2027, 3, 1)
    return [
        planning.Seat(
            key=(d * 10 + t, 1),
            day=start + timedelta(days=d),
            starts=time(9 + t * 4),
            ends=time(12 + t * 4),
            template=t,
        )
        for d in range(days)
        for t in range(per_day)
    ]


def test_planner_balances_a_seeded_month() -> None:
    seats = _seats(31, 2)
    people = [planning.Person(id=i, monthly_max=31) for i in range(9)]
    chosen = planning.plan(seats, people, seed=7)
    counts = Counter(chosen.values())
    assert len(chosen) == len(seats)
    assert max(counts.values()) - min(counts.values()) <= 1
    per_day = Counter((s.day, chosen[s.key]) for s in seats)
    assert max(per_day.values()) == 1  # nobody twice on one day
    by_template = Counter((chosen[s.key], s.template) for s in seats)
    for pid in range(9):  # nobody always on one slot
        assert by_template[(pid, 0)] > 0
        assert by_template[(pid, 1)] > 0


def test_planner_respects_availability_maximums_and_skills() -> None:
    seats = _seats(28, 2)
    seats[0] = planning.Seat(
        key=seats[0].key, day=seats[0].day, starts=seats[0].starts, ends=seats[0].ends, template=0, skill="first_aid"
    )
    people = [
        planning.Person(id=1, weekdays=frozenset({0, 1}), monthly_max=31),
        planning.Person(id=2, monthly_max=3),
        planning.Person(id=3, earliest=time(13), monthly_max=31),
        planning.Person(id=4, away=frozenset({seats[2].day}), monthly_max=31, skills=frozenset({"first_aid"})),
        planning.Person(id=5, latest=time(12), monthly_max=31),
    ]
    chosen = planning.plan(seats, people, seed=1)
    by_id = {p.id: p for p in people}
    for s in seats:
        pid = chosen.get(s.key)
        if pid is None:
            continue
        p = by_id[pid]
        assert planning.can_sit(p, s)
    assert Counter(chosen.values())[2] <= 3
    assert chosen[seats[0].key] == 4  # the only first-aider


def test_generate_fills_publishes_and_shows_holes(english: None) -> None:
    world = make_duty_world(6, seats=2)
    month = next_month_start()
    roster = services.roster_generate(actor=world.worker, station=world.station.station, month=month)
    shifts = Shift.objects.filter(roster=roster)
    days = (services.next_month(month) - month).days
    assert shifts.count() == days
    held = Assignment.objects.filter(shift__roster=roster, status__in=Assignment.HOLDING)
    # 6 volunteers × 4 a month = 24 seats of 2 × days: the rest are holes
    assert held.count() == 24
    assert roster.holes == days * 2 - 24
    counts = Counter(held.values_list("volunteer_id", flat=True))
    assert set(counts.values()) == {4}
    per_day = Counter(held.values_list("volunteer_id", "shift__day"))
    assert max(per_day.values()) == 1
    published = services.roster_publish(actor=world.worker, roster=roster)
    assert published.status == Roster.Status.PUBLISHED
    with pytest.raises(ValidationError):
        services.roster_generate(actor=world.worker, station=world.station.station, month=month)


def test_workday_templates_follow_the_calendar(english: None) -> None:
    """2027-02: the Spring Festival holiday; workday shifts skip it and run on the make-up Saturdays."""
    from anju.calendar.workdays import Calendar

    world = make_duty_world(2)
    t = services.template_create(
        actor=world.worker,
        station=world.station.station,
        name="下午",
        starts=time(14),
        ends=time(17, 30),
        days=ShiftTemplate.Days.WORKDAYS,
    )
    cal = Calendar.load()
    day = date(2026, 10, 1)  # National Day
    assert not services.template_runs_on(t, day, cal)
    makeup = date(2026, 9, 27) if cal.is_workday(date(2026, 9, 27)) else None
    if makeup is not None:
        assert services.template_runs_on(t, makeup, cal)
    rest = services.template_create(
        actor=world.worker,
        station=world.station.station,
        name="周末",
        starts=time(9),
        ends=time(11),
        days=ShiftTemplate.Days.REST_DAYS,
    )
    assert services.template_runs_on(rest, day, cal)
    skip = services.template_create(
        actor=world.worker,
        station=world.station.station,
        name="不含节假日",
        starts=time(9),
        ends=time(11),
        skip_holidays=True,
    )
    assert not services.template_runs_on(skip, day, cal)
    assert services.template_runs_on(skip, date(2026, 10, 12), cal)


def test_bad_templates_are_refused_in_english(english: None) -> None:
    world = make_duty_world(1)
    with pytest.raises(ValidationError) as exc:
        services.template_create(
            actor=world.worker, station=world.station.station, name="x", starts=time(12), ends=time(9)
        )
    assert "end after it starts" in str(exc.value)
    with pytest.raises(ValidationError):
        services.template_create(
            actor=world.worker, station=world.station.station, name="x", starts=time(9), ends=time(12), seats=0
        )
    assert ShiftTemplate.objects.count() == 1


@st.composite
def _months(draw: st.DrawFn) -> tuple[list[planning.Seat], list[planning.Person]]:
    """A month of random templates and a crowd of volunteers with random availability."""
    first = date(2027, draw(st.integers(1, 12)), 1)
    length = (services.next_month(first) - first).days
    templates = []
    for t in range(draw(st.integers(1, 4))):
        start = draw(st.integers(7, 18))
        templates.append((t, time(start), time(start + draw(st.integers(1, 4))), draw(st.integers(1, 3)), draw(SKILLS)))
    seats = [
        planning.Seat(key=(d * 10 + t, n), day=first + timedelta(days=d), starts=a, ends=b, template=t, skill=skill)
        for d in range(length)
        for (t, a, b, count, skill) in templates
        for n in range(1, count + 1)
    ]
    people = []
    for i in range(draw(st.integers(2, 30))):
        earliest = draw(st.none() | st.integers(7, 12).map(time))
        latest = draw(st.none() | st.integers(13, 22).map(time))
        people.append(
            planning.Person(
                id=i,
                weekdays=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                earliest=earliest,
                latest=latest,
                monthly_max=draw(st.integers(0, 12)),
                skills=frozenset(draw(st.sets(SKILLS.filter(bool), max_size=2))),
                away=frozenset(
                    first + timedelta(days=d) for d in draw(st.sets(st.integers(0, length - 1), max_size=8))
                ),
                load=draw(st.integers(0, 3)),  # shifts already held earlier in the quarter
            )
        )
    return seats, people


SKILLS = st.sampled_from(["", "", "", "first_aid", "children"])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_months(), st.integers(0, 10**6))
def test_planner_is_fair_on_random_availability(
    month: tuple[list[planning.Seat], list[planning.Person]], seed: int
) -> None:
    seats, people = month
    static = {p.id: planning.Person(**{**p.__dict__, "busy_days": set(), "template_load": {}}) for p in people}
    before = {p.id: p.load for p in people}
    chosen = planning.plan(seats, people, seed=seed)
    by_key = {s.key: s for s in seats}
    held: dict[int, list[planning.Seat]] = {p.id: [] for p in people}
    for key, pid in chosen.items():
        held[pid].append(by_key[key])
    for pid, mine in held.items():
        person = static[pid]
        assert all(planning.can_sit(person, s) for s in mine), "availability, dates away or skill broken"
        assert len(mine) <= person.monthly_max, "monthly maximum broken"
        assert len({s.day for s in mine}) == len(mine), "twice on one day"
    total = {pid: before[pid] + len(mine) for pid, mine in held.items()}
    for p, p_seats in held.items():
        for q, q_seats in held.items():
            if total[p] - total[q] < 2 or len(q_seats) >= static[q].monthly_max:
                continue
            q_days = {s.day for s in q_seats}
            movable = [s for s in p_seats if s.day not in q_days and planning.can_sit(static[q], s)]
            assert not movable, f"{p} has {total[p]} shifts, {q} {total[q]} and could take {movable[0]}"


def test_planner_balances_everyone_when_everyone_may_take_every_seat() -> None:
    rng = random.Random(15)  # seeded: the same twenty months on every run
    for _round in range(20):
        seats = _seats(rng.randint(28, 31), rng.randint(1, 3))
        people = [planning.Person(id=i, monthly_max=31, load=rng.randint(0, 1)) for i in range(rng.randint(3, 20))]
        before = {p.id: p.load for p in people}
        chosen = planning.plan(seats, people, seed=rng.randint(0, 1000))
        counts = Counter(chosen.values())
        totals = [before[p.id] + counts[p.id] for p in people]
        assert max(totals) - min(totals) <= 1, totals
