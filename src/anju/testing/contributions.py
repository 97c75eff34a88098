"""Builders of the contributions tests (imported by tests/test_contributions_*.py and benchmarks/): a community
with two workers (one records, the other approves), a supervisor, a resident, and a project; the same in the
other community."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from anju.access.roles import Role
from anju.contributions import services
from anju.contributions.models import Contribution, Kind, Project, Unit
from anju.testing import Tree, build_tree, make_user


@dataclass
class ContributionsWorld:
    tree: Tree
    worker: Any
    second: Any
    supervisor: Any
    resident: Any
    project: Project
    other_worker: Any
    other_project: Project


def make_project(worker: Any, community: Any, name: str = "安居驿站建设") -> Project:
    return services.project_create(
        actor=worker,
        community=community,
        name=name,
        description="共建共享的社区驿站",
        status=Project.Status.UNDERWAY,
        goals=[(Kind.MONEY, Unit.YUAN, "300000"), (Kind.LAND, Unit.SQM, "80"), (Kind.LABOUR, Unit.PERSON_DAY, "350")],
    )


def make_contributions_world(prefix: str = "") -> ContributionsWorld:
    tree = build_tree(prefix)
    worker = make_user(Role.COMMUNITY_WORKER, tree.community, display_name="社工甲")
    second = make_user(Role.COMMUNITY_WORKER, tree.community, display_name="社工乙")
    supervisor = make_user(Role.SUPERVISOR, tree.street)
    resident = make_user(Role.RESIDENT, tree.area)
    other_worker = make_user(Role.COMMUNITY_WORKER, tree.other_community)
    return ContributionsWorld(
        tree=tree,
        worker=worker,
        second=second,
        supervisor=supervisor,
        resident=resident,
        project=make_project(worker, tree.community),
        other_worker=other_worker,
        other_project=make_project(other_worker, tree.other_community, "宝塔小广场"),
    )


def donate(
    world: ContributionsWorld,
    amount: str,
    *,
    name: str = "乡贤理事会",
    anonymous: bool = False,
    project: Project | None = None,
) -> Contribution:
    return services.contribution_record(
        actor=world.worker,
        project=project or world.project,
        contributor=Contribution.Contributor.ORGANISATION,
        name=name,
        kind=Kind.MONEY,
        quantity=amount,
        unit=Unit.YUAN,
        day=date(2026, 3, 1),
        anonymous=anonymous,
    )
