"""Demo duty for the demo community (``anju demo``); idempotent, fictional people only.

Two shift templates at the station (共享客厅 mornings every day, afternoons on working days), the demo
volunteer, the demo resident and six more fictional party members as volunteers, this month's roster
published and next month's as a draft, points rules and a few store items."""

from __future__ import annotations

import secrets
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.accounts.models import RoleGrant, User
from anju.core.registry import Demo
from anju.duty import ledger, services
from anju.duty.models import PointsRule, Roster, ShiftTemplate, StoreItem, Volunteer

MORE = ["赵志强", "钱淑芬", "孙德明", "周玉兰", "吴建华", "郑桂芝"]


def _account(actor: Any, username: str, name: str, unit: Any) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_services.user_create(
            actor=actor,
            username=username,
            display_name=name,
            password=secrets.token_urlsafe(16),
            validate_password=False,
        )
    if not RoleGrant.objects.filter(user=user, role=Role.VOLUNTEER, unit=unit).exists():
        account_services.role_grant(actor=actor, user=user, role=Role.VOLUNTEER, unit=unit)
    return user


def load(demo: Demo) -> dict[Any, Roster]:
    community = demo.units["community"]
    station = demo.made["spaces"]
    actor = demo.staff
    space = station.spaces.filter(name__contains="客厅").first()
    if not ShiftTemplate.objects.filter(station=station).exists():
        services.template_create(
            actor=actor, station=station, space=space, name="共享客厅 上午", starts=time(9), ends=time(12), seats=2
        )
        services.template_create(
            actor=actor,
            station=station,
            space=space,
            name="共享客厅 下午",
            starts=time(14),
            ends=time(17, 30),
            seats=1,
            days=ShiftTemplate.Days.WORKDAYS,
        )
    users = [User.objects.get(username="volunteer"), User.objects.get(username="resident")]
    users += [_account(actor, f"duty{n + 1}", name, demo.units["area"]) for n, name in enumerate(MORE)]
    for n, user in enumerate(users):
        if not Volunteer.objects.filter(community=community, user=user).exists():
            services.volunteer_enrol(
                actor=actor,
                community=community,
                user=user,
                kind=Volunteer.Kind.RESIDENT if user.username == "resident" else Volunteer.Kind.PARTY_MEMBER,
                monthly_max=10,
                weekdays=range(7) if n % 3 else range(5),
            )
    if not PointsRule.objects.filter(community=community).exists():
        ledger.points_rule_set(actor=actor, community=community, basis=PointsRule.Basis.PER_HOUR, points=10)
        ledger.points_rule_set(actor=actor, community=community, basis=PointsRule.Basis.PER_SHIFT, points=5)
    if not StoreItem.objects.filter(community=community).exists():
        for name, cost, stock in (("洗衣液", 120, 20), ("大米 5 斤", 200, 10), ("理发券", 60, 30)):
            ledger.item_add(actor=actor, community=community, name=name, cost=cost, stock=stock)
    month = services.month_start(timezone.localdate())
    rosters = {}
    for m in (month, services.next_month(month)):
        roster = Roster.objects.filter(station=station, month=m).first()
        if roster is None:
            try:
                roster = services.roster_generate(actor=actor, station=station, month=m)
            except ValidationError as exc:
                demo.log(f"  duty roster {m:%Y-%m}: {exc.messages[0]}")
                continue
            if m == month:
                services.roster_publish(actor=actor, roster=roster)
        rosters[m] = roster
    demo.log(f"  duty: {len(users)} volunteers, rosters {', '.join(f'{m:%Y-%m}' for m in rosters)}")
    return rosters
