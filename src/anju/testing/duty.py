"""Builders for the duty tests; they go through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.duty import services
from anju.duty.models import Roster, Shift, ShiftTemplate, Volunteer
from anju.testing import Tree, build_tree, make_user
from anju.testing.spaces import Demo, make_station


@dataclass
class DutyWorld:
    tree: Tree
    station: Demo
    worker: Any
    volunteers: list[Volunteer]
    morning: ShiftTemplate


def make_duty_world(n: int = 4, *, seats: int = 1, prefix: str = "") -> DutyWorld:
    tree = build_tree(prefix)
    station = make_station(tree.community)
    worker = make_user(Role.COMMUNITY_WORKER, tree.community)
    volunteers = [
        services.volunteer_enrol(
            actor=worker,
            community=tree.community,
            user=make_user(Role.VOLUNTEER, tree.area, display_name=f"志愿者{i:02d}"),
        )
        for i in range(n)
    ]
    morning = services.template_create(
        actor=worker, station=station.station, name="共享客厅 上午", starts=time(9), ends=time(12), seats=seats
    )
    return DutyWorld(tree, station, worker, volunteers, morning)


def next_month_start() -> date:
    return services.next_month(timezone.localdate())


def published_roster(world: DutyWorld, month: date | None = None) -> Roster:
    roster = services.roster_generate(
        actor=world.worker, station=world.station.station, month=month or next_month_start()
    )
    return services.roster_publish(actor=world.worker, roster=roster)


def shift_on(world: DutyWorld, day: date, *, seats: int = 1, template: ShiftTemplate | None = None) -> Shift:
    """A one-off published shift of the morning template on ``day`` (a roster of the month, no seats filled)."""
    template = template or world.morning
    roster, _ = Roster.objects.get_or_create(
        station=world.station.station,
        month=day.replace(day=1),
        defaults={"community_id": world.tree.community.pk, "status": Roster.Status.PUBLISHED},
    )
    starts = services.at(day, template.starts)
    return Shift.objects.create(
        community_id=world.tree.community.pk,
        roster=roster,
        template=template,
        day=day,
        starts_at=starts,
        ends_at=services.at(day, template.ends),
        seats=seats,
        confirm_by=starts - timedelta(hours=template.confirm_hours),
    )
