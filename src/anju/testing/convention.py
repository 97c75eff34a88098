"""Builders of the convention tests (tests/test_consult_convention*.py, the browser test, the permission walk):
a people world whose residents' accounts match their households, and a convention taken through its lifecycle
by the real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.consult.convention import services
from anju.consult.models import AdoptionMethod, ConventionVersion
from anju.orgs.models import OrgUnit
from anju.people import fakes
from anju.people.models import Household
from anju.testing import make_user
from anju.testing.people import PeopleWorld, make_people_world

ARTICLES = [
    ("爱护环境", "不乱扔垃圾，垃圾分类投放，不在楼道堆放杂物。"),
    ("邻里和睦", "邻里之间互相尊重，有矛盾找网格员或到调解室协商解决。"),
    ("文明养犬", "遛狗牵绳，及时清理犬只粪便。"),
]


@dataclass
class ConventionWorld:
    people: PeopleWorld
    worker: Any  # community worker of the community
    secretary: Any
    resident: Any  # account matched to household h1 (building 1)
    neighbour: Any  # account matched to household h2 (building 2)
    other_worker: Any  # community worker of the other community
    other_resident: Any  # account matched to the other community's household

    @property
    def community(self) -> OrgUnit:
        return self.people.community

    @property
    def households(self) -> list[Household]:
        return self.people.households


def make_convention_world() -> ConventionWorld:
    pw = make_people_world()
    tree = pw.tree
    # make_people_world's residents carry fakes.mobile(1..4): 张三 (h1), 王小明 (h2), 赵六 (the other community).
    resident = make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(1))
    neighbour = make_user(Role.RESIDENT, pw.building2, mobile=fakes.mobile(3))
    other_resident = make_user(Role.RESIDENT, pw.other_building, mobile=fakes.mobile(4))
    return ConventionWorld(
        pw,
        pw.users["community_worker"],
        pw.users["branch_secretary"],
        resident,
        neighbour,
        pw.users["other_worker"],
        other_resident,
    )


def draft(community: OrgUnit, *, actor: Any = None, articles: list[tuple[str, str]] | None = None) -> ConventionVersion:
    return services.convention_create(
        actor=actor, community=community, title="安居社区居民公约", articles=articles or ARTICLES
    )


def in_comment(community: OrgUnit, *, actor: Any = None) -> ConventionVersion:
    version = draft(community, actor=actor)
    return services.comment_open(actor=actor, version=version, until=timezone.localdate() + dt.timedelta(days=14))


def adopted(version: ConventionVersion, *, actor: Any = None) -> ConventionVersion:
    """Through comment (if still a draft) to adoption by a representative meeting of 30 (25 present, 23 for)."""
    if version.status == "draft":
        version = services.comment_open(
            actor=actor, version=version, until=timezone.localdate() + dt.timedelta(days=14)
        )
    if version.status == "comment":
        version = services.comment_close(actor=actor, version=version)
    return services.version_adopt(
        actor=actor,
        version=version,
        method=AdoptionMethod.MEETING,
        decided_on=timezone.localdate(),
        eligible=30,
        present=25,
        in_favour=23,
        against=1,
    )


def in_force(community: OrgUnit, *, actor: Any = None) -> ConventionVersion:
    return services.version_enact(actor=actor, version=adopted(draft(community, actor=actor), actor=actor))
