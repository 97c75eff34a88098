"""Builders for the spaces tests and benchmark; they go through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from anju.orgs.models import OrgUnit
from anju.spaces import services
from anju.spaces.models import Space, Station


@dataclass
class Demo:
    station: Station
    kitchen: Space  # residents, no approval
    living: Space  # composite whole, needs approval
    reading: Space  # part of living
    leisure: Space  # part of living
    party_room: Space  # groups only, needs approval
    mediation: Space  # staff only


def make_station(community: OrgUnit, **kitchen_rules: Any) -> Demo:
    station = services.station_create(actor=None, community=community, name="安居社区党群服务站")

    def space(name: str, audience: str = Space.Audience.RESIDENTS, part_of: Space | None = None, **rules: Any) -> Space:
        made = services.space_create(
            actor=None,
            station=station,
            name=name,
            kind=Space.Kind.ROOM,
            capacity=10,
            part_of=part_of,
            bookable_by=audience,
        )
        base = {"weekly_limit": 0, "no_show_limit": 3, "max_days_ahead": 60}
        return services.space_set_rules(actor=None, space=made, **(base | rules))

    living = space("共享客厅", requires_approval=True)
    return Demo(
        station=station,
        kitchen=space("共享厨房", **kitchen_rules),
        living=living,
        reading=space("阅览室", part_of=living),
        leisure=space("便民休闲区", part_of=living),
        party_room=space("党员活动室", Space.Audience.GROUPS, requires_approval=True),
        mediation=space("矛盾纠纷调解室", Space.Audience.STAFF),
    )


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def days_ahead(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)
