"""The seeded data set of the insights tests: two communities with a small, hand-countable history in January 2025,
December 2025 and January 2026 (a period, the one before it across the year boundary, and the same month a year
earlier). Rows are written as they stand after the domains' services ran (the appeals' roll-up through its own
``bump``), with dates in the past the services would not accept today. The expected figures are in
``EXPECTED`` and the tests compare with them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.activities.models import Activity, Registration, Session
from anju.appeals.models import Appeal, Category, Channel, Status
from anju.appeals.rates import rollup
from anju.duty.models import HoursEntry, Volunteer
from anju.pairing.models import CentralHousehold, Pairing, Visit
from anju.people.models import Household, Resident
from anju.spaces.models import Booking, Space
from anju.testing import Tree, make_user
from anju.testing.pairing import add_household
from anju.testing.spaces import make_station

_codes = itertools.count(1)
_floors = itertools.count(1)

JAN = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
DEC = (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
JAN_BEFORE = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))

#: section → figure → (January 2026, December 2025, January 2025) for the community ``tree.community``.
EXPECTED: dict[str, dict[str, tuple[Any, Any, Any]]] = {
    "appeals": {
        "received": (3, 2, 1),
        "response_rate": (66.7, 100.0, 0.0),
        "resolution_rate": (50.0, None, None),
        "satisfaction_rate": (50.0, None, None),
        "whistles": (1, 0, 0),
    },
    "spaces": {
        "bookings": (2, 1, 0),
        "hours_booked": (3.5, 1, 0),
        "hours_used": (2, 1, 0),
        "no_shows": (1, 0, 0),
        "no_show_rate": (50.0, 0.0, None),
    },
    "activities": {
        "sessions": (2, 1, 0),
        "registrations": (5, 1, 0),
        "attended": (4, 1, 0),
        "attendance_rate": (80.0, 100.0, None),
        "reached": (3, 1, 0),
        "elderly_share": (33.3, 0.0, None),
        "children_share": (33.3, 0.0, None),
    },
    "registry": {
        # the central household (105) is one of them
        "households": (4, 3, 1),
        "reachable": (3, 2, 0),
        "contact_coverage": (75.0, 66.7, 0.0),
    },
    "pairing": {
        "households": (3, 2, 1),
        "paired": (2, 1, 0),
        "pairing_coverage": (66.7, 50.0, 0.0),
        "visited": (1, 1, 0),
        "visit_coverage": (33.3, 50.0, 0.0),
        "visits": (2, 1, 0),
    },
    "duty": {
        "hours": (4.5, 2, 0),
        "duty_hours": (2, 2, 0),
        "volunteers": (2, 1, 0),
    },
}


@dataclass
class InsightsWorld:
    tree: Tree
    worker: Any  # community worker of tree.community
    secretary: Any
    other_worker: Any  # community worker of tree.other_community
    supervisor: Any  # on the street: both communities
    resident: Any


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _appeal(
    tree: Tree, community: Any, category: Category, day: dt.date, *, status: str, due: dt.datetime | None = None
) -> Appeal:
    location = tree.building if community == tree.community else tree.other_grid
    return Appeal.objects.create(
        community=community,
        category=category,
        description="路灯不亮",
        location=location,
        channel=Channel.APP,
        status=status,
        received_at=at(day),
        due_at=due,
    )


def seed_appeals(tree: Tree) -> None:
    c1, c2 = list(Category.objects.order_by("pk")[:2])
    a = tree.community
    jan = dt.date(2026, 1, 10)
    _appeal(tree, a, c1, jan, status=Status.DISPATCHED, due=at(dt.date(2026, 1, 12)))  # overdue now
    _appeal(tree, a, c1, jan, status=Status.CLOSED_RESOLVED)
    _appeal(tree, a, c2, jan, status=Status.CLOSED_UNRESOLVED)
    rollup.bump(
        day=jan,
        community_id=a.pk,
        category_id=c1.pk,
        received=2,
        dispatched=2,
        responded=1,
        completed=1,
        resolved=1,
        ratings=1,
        satisfied=1,
        whistles=1,
    )
    rollup.bump(
        day=jan, community_id=a.pk, category_id=c2.pk, received=1, dispatched=1, responded=1, completed=1, ratings=1
    )
    dec = dt.date(2025, 12, 20)
    for _i in range(2):
        _appeal(tree, a, c1, dec, status=Status.CLOSED_RESOLVED)
    rollup.bump(day=dec, community_id=a.pk, category_id=c1.pk, received=2, dispatched=2, responded=2)
    before = dt.date(2025, 1, 5)
    _appeal(tree, a, c2, before, status=Status.CLOSED_RESOLVED)
    rollup.bump(day=before, community_id=a.pk, category_id=c2.pk, received=1, dispatched=1)
    b = tree.other_community
    for _i in range(4):
        _appeal(tree, b, c1, jan, status=Status.DISPATCHED, due=at(dt.date(2026, 1, 11)))
    rollup.bump(day=jan, community_id=b.pk, category_id=c1.pk, received=4, dispatched=4, responded=4)


def seed_spaces(tree: Tree, user: Any) -> None:
    def kitchen_of(community: Any) -> Space:
        found = Space.objects.filter(community=community, name="共享厨房").first()
        return found or make_station(community).kitchen

    kitchen = kitchen_of(tree.community)

    def book(day: dt.date, h1: int, m1: int, h2: int, m2: int, status: str, space: Any = kitchen) -> None:
        Booking.objects.create(
            community=space.community,
            space=space,
            booker=user,
            created_by=user,
            title="读书会",
            starts_at=at(day, h1, m1),
            ends_at=at(day, h2, m2),
            status=status,
        )

    S = Booking.Status
    book(dt.date(2026, 1, 5), 9, 0, 11, 0, S.CONFIRMED)
    book(dt.date(2026, 1, 6), 14, 0, 15, 30, S.RELEASED)
    book(dt.date(2026, 1, 7), 10, 0, 11, 0, S.CANCELLED)
    book(dt.date(2025, 12, 10), 9, 0, 10, 0, S.CONFIRMED)
    other = kitchen_of(tree.other_community)
    book(dt.date(2026, 1, 5), 9, 0, 17, 0, S.CONFIRMED, space=other)


def _household(
    tree: Tree, door: str, created: dt.date, *, mobile: bool, born: dt.date, archived: dt.date | None = None
) -> tuple[Household, Resident]:
    household = add_household(tree.building, door)
    Household.objects.filter(pk=household.pk).update(
        created_at=at(created),
        archived_at=at(archived) if archived else None,
        status=Household.Status.ARCHIVED if archived else Household.Status.ACTIVE,
    )
    resident = Resident.objects.get(household=household)
    Resident.objects.filter(pk=resident.pk).update(
        birth_date=born, mobile_index=resident.mobile_index if mobile else None
    )
    resident.refresh_from_db()
    return household, resident


def seed_people(tree: Tree, world_user: Any) -> dict[str, Any]:
    floor = next(_floors)  # a second seeding (the query-count test) on another floor
    h1, elderly = _household(tree, f"{floor}01", dt.date(2025, 6, 1), mobile=True, born=dt.date(1950, 3, 1))
    h2, child = _household(tree, f"{floor}02", dt.date(2025, 6, 1), mobile=False, born=dt.date(2018, 3, 1))
    _h3, adult = _household(tree, f"{floor}03", dt.date(2026, 1, 15), mobile=True, born=dt.date(1990, 3, 1))
    _household(
        tree, f"{floor}04", dt.date(2024, 6, 1), mobile=False, born=dt.date(1980, 3, 1), archived=dt.date(2025, 12, 20)
    )
    hc, member = _household(tree, f"{floor}05", dt.date(2025, 6, 1), mobile=True, born=dt.date(1960, 3, 1))
    Household.objects.filter(pk=hc.pk).update(is_central=True)
    central = CentralHousehold.objects.create(community=tree.community, household=hc, member=member, area=tree.area)
    Pairing.objects.create(
        community=tree.community,
        household=h1,
        central=central,
        started_at=at(dt.date(2025, 7, 1)),
        started_by=world_user,
    )
    Pairing.objects.create(
        community=tree.community,
        household=h2,
        central=central,
        started_at=at(dt.date(2026, 1, 10)),
        started_by=world_user,
    )
    for day in (dt.date(2026, 1, 12), dt.date(2026, 1, 20), dt.date(2025, 12, 5)):
        Visit.objects.create(
            community=tree.community,
            household=h1,
            central=central,
            visited_on=day,
            method=Visit.Method.DOOR,
            condition=Visit.Condition.GOOD,
            recorded_by=world_user,
            client_key=f"insights-{next(_codes)}",
        )
    return {"elderly": elderly, "child": child, "adult": adult}


def seed_activities(tree: Tree, user: Any, people: dict[str, Any]) -> None:
    activity = Activity.objects.create(
        community=tree.community,
        title="健康讲座",
        organiser=user,
        capacity=10,
        registration_opens_at=at(dt.date(2025, 11, 1)),
        registration_closes_at=at(dt.date(2026, 1, 30)),
    )

    def session(day: dt.date, status: str = Session.Status.OPEN) -> Session:
        return Session.objects.create(
            community=tree.community,
            activity=activity,
            starts_at=at(day, 9),
            ends_at=at(day, 11),
            capacity=10,
            status=status,
        )

    def reg(s: Session, who: Resident | None, status: str, came: bool) -> None:
        Registration.objects.create(
            community=tree.community,
            session=s,
            resident=who,
            household=who.household if who else None,
            name=who.name if who else "路人",
            status=status,
            registered_by=user,
            short_code=f"I{next(_codes):06d}",
            checked_in_at=s.starts_at if came else None,
        )

    R = Registration.Status
    s1, s2 = session(dt.date(2026, 1, 8)), session(dt.date(2026, 1, 20))
    session(dt.date(2026, 1, 25), Session.Status.CANCELLED)
    reg(s1, people["elderly"], R.CONFIRMED, True)
    reg(s1, people["child"], R.CONFIRMED, True)
    reg(s1, people["adult"], R.CONFIRMED, False)
    reg(s1, people["adult"], R.WAITLISTED, False)
    reg(s2, people["elderly"], R.CONFIRMED, True)
    reg(s2, None, R.WALK_IN, True)
    s0 = session(dt.date(2025, 12, 15))
    reg(s0, people["adult"], R.CONFIRMED, True)


def seed_duty(tree: Tree) -> None:
    v1, v2 = (
        Volunteer.objects.create(
            community=tree.community,
            user=make_user(Role.VOLUNTEER, tree.community),
            name=name,
            code=f"INS{next(_codes)}",
        )
        for name in ("张三", "李四")
    )
    Src = HoursEntry.Source
    e1 = HoursEntry.objects.create(
        community=tree.community, volunteer=v1, source=Src.DUTY, day=dt.date(2026, 1, 5), hours=Decimal("3.0")
    )
    HoursEntry.objects.create(
        community=tree.community, volunteer=v2, source=Src.ACTIVITY, day=dt.date(2026, 1, 6), hours=Decimal("2.5")
    )
    HoursEntry.objects.create(
        community=tree.community,
        volunteer=v1,
        source=Src.REVERSAL,
        day=dt.date(2026, 1, 7),
        hours=Decimal("-1.0"),
        reverses=e1,
        note="记错",
    )
    HoursEntry.objects.create(
        community=tree.community, volunteer=v1, source=Src.DUTY, day=dt.date(2025, 12, 5), hours=Decimal("2.0")
    )


def make_insights_world(tree: Tree) -> InsightsWorld:
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    world = InsightsWorld(
        tree=tree,
        worker=worker,
        secretary=make_user(Role.BRANCH_SECRETARY, tree.community),
        other_worker=make_user(Role.COMMUNITY_WORKER, tree.other_community),
        supervisor=make_user(Role.SUPERVISOR, tree.street),
        resident=make_user(Role.RESIDENT, tree.community),
    )
    seed_appeals(tree)
    seed_spaces(tree, worker)
    people = seed_people(tree, worker)
    seed_activities(tree, worker, people)
    seed_duty(tree)
    return world
