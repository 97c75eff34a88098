"""Shared builders of the resident-registry tests (imported by tests/test_people_*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from anju.access.roles import Role
from anju.orgs.models import OrgUnit, UnitKind
from anju.people import fakes, services
from anju.people.models import Household, Resident, Tag
from anju.testing import Tree, build_tree, make_user, unit


@dataclass
class PeopleWorld:
    tree: Tree
    building2: OrgUnit  # in another grid of the same community
    other_building: OrgUnit  # in the other community
    households: list[Household]
    residents: list[Resident]
    other_resident: Resident
    tags: dict[str, Tag]
    users: dict[str, Any]

    @property
    def community(self) -> OrgUnit:
        return self.tree.community


def person(n: int, *, born: date = date(1950, 5, 17), male: bool = True) -> dict[str, Any]:
    return {"id_number": fakes.id_number(born, n, male=male), "mobile": fakes.mobile(n), "birth_date": born}


def make_people_world(prefix: str = "") -> PeopleWorld:
    tree = build_tree(prefix)
    grid2 = unit(UnitKind.GRID, "第2网格", tree.area)
    building2 = unit(UnitKind.BUILDING, "2栋", grid2)
    other_building = unit(UnitKind.BUILDING, "宝塔1栋", tree.other_grid)
    tags = {t.name: t for t in services.tags_ensure_default(community=tree.community)}
    services.tags_ensure_default(community=tree.other_community)
    h1 = services.household_create(actor=None, unit=tree.building, entrance="1", door="101", is_central=True)
    h2 = services.household_create(actor=None, unit=building2, entrance="", door="202")
    h3 = services.household_create(actor=None, unit=other_building, door="303")
    r1 = services.resident_create(
        actor=None,
        household=h1,
        name="张三",
        relation="head",
        tags=[tags["老人"], tags["退役军人"]],
        is_party_member=True,
        party_branch="第一党支部",
        **{k: v for k, v in person(1).items() if k != "birth_date"},
    )
    r2 = services.resident_create(
        actor=None,
        household=h1,
        name="李秀英",
        relation="spouse",
        tags=[tags["老人"]],
        **person(2, born=date(1952, 3, 8), male=False),
    )
    r3 = services.resident_create(
        actor=None, household=h2, name="王小明", relation="head", **person(3, born=date(1988, 12, 1))
    )
    other = services.resident_create(
        actor=None, household=h3, name="赵六", relation="head", **person(4, born=date(1970, 1, 1))
    )
    users = {
        "volunteer": make_user(Role.VOLUNTEER, tree.area),
        "grid_worker": make_user(Role.GRID_WORKER, tree.grid),
        "community_worker": make_user(Role.COMMUNITY_WORKER, tree.community),
        "branch_secretary": make_user(Role.BRANCH_SECRETARY, tree.community),
        "supervisor": make_user(Role.SUPERVISOR, tree.district),
        "admin": make_user(Role.ADMIN, tree.province),
        "resident": make_user(Role.RESIDENT, tree.building),
        "liaison": make_user(Role.DEPARTMENT_LIAISON, tree.street, department=tree.department),
        "other_worker": make_user(Role.COMMUNITY_WORKER, tree.other_community),
    }
    return PeopleWorld(tree, building2, other_building, [h1, h2, h3], [r1, r2, r3], other, tags, users)


def plaintexts() -> set[str]:
    """Every resident's full mobile and ID number, read through the model."""
    values: set[str] = set()
    for r in Resident.objects.all():
        values.update(v for v in (r.mobile, r.id_number) if v)
    return values
