"""Demo rules for the station's spaces (called from ``anju demo``); idempotent."""

from __future__ import annotations

from datetime import time
from typing import Any

from anju.spaces import services
from anju.spaces.models import OpeningHours, Space, Station

ROOM_HOURS = (time(8, 30), time(20, 30))
OUTDOOR_HOURS = (time(6, 0), time(20, 0))

# name: rules (only what differs from the defaults)
RULES: dict[str, dict[str, Any]] = {
    "党员活动室": {"requires_approval": True, "max_minutes": 240, "equipment": "投影仪、音响、30把椅子"},
    "矛盾纠纷调解室": {"requires_approval": False, "max_minutes": 180, "key_location": "值班室"},
    "儿童学习区": {"max_minutes": 180, "weekly_limit": 3},
    "共享客厅": {"requires_approval": True, "max_minutes": 240, "closed_on_holidays": True},
    "阅览室": {"max_minutes": 180, "closed_on_holidays": True},
    "便民休闲区": {"max_minutes": 180, "closed_on_holidays": True},
    "共享厨房": {
        "max_minutes": 180,
        "weekly_limit": 2,
        "equipment": "燃气灶、冰箱、烤箱、餐具12套",
        "key_location": "值班室",
    },
    "共享花园": {"max_minutes": 240},
    "共享农场": {"max_minutes": 240, "weekly_limit": 2},
    "共享果园": {"max_minutes": 240, "weekly_limit": 2},
    "议事亭": {"max_minutes": 180},
}


def load_demo_spaces(*, station: Station, actor: Any = None) -> None:
    for space in station.spaces.all():
        if OpeningHours.objects.filter(space=space).exists():
            continue  # already set up (the demo runs twice without changes)
        opens, closes = OUTDOOR_HOURS if space.kind == Space.Kind.OUTDOOR else ROOM_HOURS
        services.space_set_hours(actor=actor, space=space, hours=[(d, opens, closes) for d in range(7)])
        rules = RULES.get(space.name)
        if rules:
            services.space_set_rules(actor=actor, space=space, **rules)
