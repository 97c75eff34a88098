"""Builders for the activities tests; they go through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.activities import services
from anju.activities.models import Activity, Session
from anju.people import fakes
from anju.people import services as people_services
from anju.people.models import Household, Resident, Tag
from anju.testing import Tree, build_tree, make_user
from anju.testing.spaces import Demo, days_ahead, local, make_station


@dataclass
class ActivityWorld:
    tree: Tree
    station: Demo
    tags: dict[str, Tag]
    household: Household
    elder: Resident  # tagged 老人, has an account (``users["resident"]``)
    spouse: Resident  # same household, 老人
    young: Resident  # another household, no tag, has an account (``users["young"]``)
    users: dict[str, Any]


def make_activity_world(prefix: str = "") -> ActivityWorld:
    tree = build_tree(prefix)
    station = make_station(tree.community)
    tags = {t.name: t for t in people_services.tags_ensure_default(community=tree.community)}
    h1 = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="101")
    h2 = people_services.household_create(actor=None, unit=tree.building, entrance="1", door="102")
    born = date(1950, 5, 17)
    elder = people_services.resident_create(
        actor=None,
        household=h1,
        name="张桂兰",
        relation="head",
        tags=[tags["老人"]],
        id_number=fakes.id_number(born, 11, male=False),
        mobile=fakes.mobile(11),
    )
    spouse = people_services.resident_create(
        actor=None,
        household=h1,
        name="李建国",
        relation="spouse",
        tags=[tags["老人"]],
        id_number=fakes.id_number(born, 12, male=True),
        mobile=fakes.mobile(12),
    )
    young = people_services.resident_create(
        actor=None,
        household=h2,
        name="王小明",
        relation="head",
        id_number=fakes.id_number(date(1990, 1, 1), 13, male=True),
        mobile=fakes.mobile(13),
    )
    users = {
        "resident": make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(11), display_name="张桂兰"),
        "young": make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(13), display_name="王小明"),
        "volunteer": make_user(Role.VOLUNTEER, tree.area),
        "worker": make_user(Role.COMMUNITY_WORKER, tree.community),
        "other_worker": make_user(Role.COMMUNITY_WORKER, tree.other_community),
    }
    return ActivityWorld(tree, station, tags, h1, elder, spouse, young, users)


def make_activity(
    world: ActivityWorld, *, capacity: int = 10, days: int = 3, soon: bool = False, **fields: Any
) -> Activity:
    """An activity in ``days`` days at 9:00 in the kitchen; ``soon``: one starting in ten minutes, out of doors
    (its check-in window is open now; registration is still open)."""
    starts = local(days_ahead(days), 9)
    now = timezone.now()
    if soon:
        starts = now + timedelta(minutes=10)
        fields = {"space": None, "registration_closes_at": starts - timedelta(minutes=1)} | fields
    base: dict[str, Any] = {
        "actor": world.users["worker"],
        "community": world.tree.community,
        "title": "老年课堂：智能手机入门",
        "category": Activity.Category.CLASS,
        "target_tags": [world.tags["老人"]],
        "space": world.station.kitchen,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=1),
        "capacity": capacity,
        "registration_opens_at": now - timedelta(days=1),
        "registration_closes_at": starts - timedelta(hours=1),
    }
    return services.activity_create(**(base | fields))


def make_past_activity(world: ActivityWorld) -> Activity:
    """A two-hour outdoor activity that took place two days ago (for after-activity summaries)."""
    starts = timezone.now() - timedelta(days=2)
    return make_activity(
        world,
        title="平安宣传进小区",
        space=None,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        registration_opens_at=starts - timedelta(days=7),
        registration_closes_at=starts - timedelta(hours=1),
    )


def first_session(activity: Activity) -> Session:
    session: Session = activity.sessions.select_related("activity").order_by("starts_at").first()  # type: ignore[assignment]
    return session
