"""Builders of the mediation tests (tests/test_mediation_*.py): a people world with a station (its mediation
room), a lead mediator and a co-mediator, a police liaison, and cases opened through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.mediation import services
from anju.mediation.models import Case, Kind, Party
from anju.orgs import services as org_services
from anju.orgs.models import Department
from anju.testing import make_user
from anju.testing.people import PeopleWorld, make_people_world
from anju.testing.spaces import days_ahead, local, make_station


@dataclass
class MediationWorld:
    people: PeopleWorld
    station: Any  # the community's station (``station.mediation``: the mediation room)
    users: dict[str, Any]
    police: Department

    @property
    def tree(self) -> Any:
        return self.people.tree

    @property
    def room(self) -> Any:
        return self.station.mediation


def make_mediation_world() -> MediationWorld:
    pw = make_people_world()
    tree = pw.tree
    police = org_services.department_create(
        actor=None, name="东湖派出所", kind=Department.Kind.POLICE, unit=tree.street
    )
    users = dict(pw.users)
    users["mediator"] = make_user(Role.COMMUNITY_WORKER, tree.community, display_name="刘调解")
    users["co_mediator"] = make_user(Role.VOLUNTEER, tree.area, display_name="黄调解")
    users["opener"] = users["community_worker"]
    users["police"] = make_user(Role.DEPARTMENT_LIAISON, tree.street, department=police)
    return MediationWorld(pw, make_station(tree.community), users, police)


def open_case(
    world: MediationWorld | None = None,
    *,
    community: Any = None,
    opener: Any = None,
    lead: Any = None,
    co: list[Any] | None = None,
    names: tuple[str, str] = ("张三丰", "李四光"),
    **extra: Any,
) -> Case:
    """A case of ``community`` (the world's), opened by the world's community worker, led by its mediator."""
    if world is None and (community is None or opener is None or lead is None):
        raise ValueError("without a world, give the community, the opener and the lead")
    return services.case_open(
        actor=opener or world.users["opener"],  # type: ignore[union-attr]
        community=community or world.tree.community,  # type: ignore[union-attr]
        kind=extra.pop("kind", Kind.NEIGHBOURS),
        account=extra.pop("account", "两家因楼道堆放杂物争吵，联系电话13812345678。"),
        parties=[
            services.PartyIn(role=Party.Role.APPLICANT, name=names[0]),
            services.PartyIn(role=Party.Role.RESPONDENT, name=names[1]),
        ],
        lead=lead or world.users["mediator"],  # type: ignore[union-attr]
        co_mediators=co if co is not None else ([world.users["co_mediator"]] if world else []),
        **extra,
    )


def schedule(case: Case, actor: Any, room: Any, *, days: int = 2, hour: int = 10) -> Any:
    starts = local(days_ahead(days), hour)
    return services.session_schedule(
        actor=actor, case=case, space=room, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )


def agree(case: Case, actor: Any, *, promise: str = "一周内清理楼道杂物") -> Case:
    parties = list(case.parties.order_by("id"))
    return services.agreement_record(
        actor=actor,
        case=case,
        facts="双方确认楼道杂物系被申请人堆放。",
        undertakings=[services.UndertakingIn(parties[1], promise, timezone.localdate() + dt.timedelta(days=7))],
    )
