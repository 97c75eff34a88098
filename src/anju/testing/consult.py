"""Builders for the consult tests (topics, proposals, meetings); they go through the real services."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from anju.access.roles import Role
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import fakes
from anju.people import services as people_services
from anju.people.models import Household
from anju.testing import Tree, build_tree, make_user, unit


@dataclass
class ConsultWorld:
    tree: Tree
    households: list[Household]
    residents: list[Any]  # one signed-in resident account per household, in order
    users: dict[str, Any]


def make_consult_world(prefix: str = "", *, households: int = 3) -> ConsultWorld:
    """``households`` households in the tree's building, each with a registered resident who has an account;
    one more in the other community (``users["outsider"]``); a community worker of each community."""
    tree = build_tree(prefix)
    homes: list[Household] = []
    residents: list[Any] = []
    base = 5000
    rng = random.Random(16)  # noqa: S311 (fictional names for tests)
    for n in range(households):
        household = people_services.household_create(actor=None, unit=tree.building, entrance="1", door=f"{101 + n}")
        people_services.resident_create(
            actor=None,
            household=household,
            name=fakes.name(rng),
            relation="head",
            id_number=fakes.id_number(date(1955, 3, 1), n + 1, male=n % 2 == 0),
            mobile=fakes.mobile(base + n),
        )
        homes.append(household)
        residents.append(make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(base + n)))
    other_building = OrgUnit.objects.filter(kind=UnitKind.BUILDING, path__startswith=tree.other_grid.path).first()
    if other_building is None:
        other_building = unit(UnitKind.BUILDING, "宝塔1栋", tree.other_grid)
    away = people_services.household_create(actor=None, unit=other_building, door="909")
    people_services.resident_create(
        actor=None,
        household=away,
        name="外区居民",
        relation="head",
        id_number=fakes.id_number(date(1960, 1, 1), 99, male=True),
        mobile=fakes.mobile(base + 99),
    )
    users = {
        "worker": make_user(Role.COMMUNITY_WORKER, tree.community, display_name="王社工"),
        "other_worker": make_user(Role.COMMUNITY_WORKER, tree.other_community),
        "outsider": make_user(Role.RESIDENT, other_building, mobile=fakes.mobile(base + 99)),
        "unlinked": make_user(Role.RESIDENT, tree.building),
    }
    if residents:
        users["resident"] = residents[0]
    return ConsultWorld(tree, homes, residents, users)
