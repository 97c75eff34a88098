"""Builders of the honours (评比) tests (tests/test_consult_honours*.py, the browser test, the permission walk): a
people world whose residents' accounts match their households, and campaigns taken through their stages by the
real services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.consult.honours import services
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import Campaign, Criterion, Nomination, Subject
from anju.orgs.models import OrgUnit
from anju.people import fakes
from anju.people.models import Household
from anju.testing import make_user
from anju.testing.pairing import add_household
from anju.testing.people import PeopleWorld, make_people_world

CRITERIA = [("热心助人", 40), ("邻里和睦", 30), ("文明卫生", 30)]


@dataclass
class HonoursWorld:
    people: PeopleWorld
    worker: Any  # community worker of the community
    secretary: Any
    resident: Any  # account matched to household h1 (building 1, 张三)
    neighbour: Any  # account matched to household h2 (building 2, 王小明)
    other_worker: Any  # community worker of the other community
    other_resident: Any  # account matched to the other community's household
    sun: Household  # 孙大爷, building 1, door 102

    @property
    def community(self) -> OrgUnit:
        return self.people.tree.community

    @property
    def households(self) -> list[Household]:
        return self.people.households


def make_honours_world() -> HonoursWorld:
    pw = make_people_world()
    tree = pw.tree
    # make_people_world's residents carry fakes.mobile(1..4): 张三 (h1), 王小明 (h2), 赵六 (the other community).
    resident = make_user(Role.RESIDENT, tree.building, mobile=fakes.mobile(1))
    neighbour = make_user(Role.RESIDENT, pw.building2, mobile=fakes.mobile(3))
    other_resident = make_user(Role.RESIDENT, pw.other_building, mobile=fakes.mobile(4))
    sun = add_household(tree.building, "102", name="孙大爷")
    return HonoursWorld(
        pw,
        pw.users["community_worker"],
        pw.users["branch_secretary"],
        resident,
        neighbour,
        pw.users["other_worker"],
        other_resident,
        sun,
    )


def make_campaign(
    community: OrgUnit,
    *,
    actor: Any = None,
    title: str = "最美好邻居",
    subject: str = Subject.HOUSEHOLD,
    vote_round: bool = False,
    points: int = 0,
    places: int = 1,
) -> Campaign:
    today = timezone.localdate()
    return services.campaign_create(
        actor=actor,
        community=community,
        title=title,
        subject=subject,
        period_start=today.replace(month=1, day=1),
        period_end=today,
        criteria=list(CRITERIA),
        places=places,
        shortlist_size=3,
        vote_round=vote_round,
        points=points,
    )


def in_scoring(hw: HonoursWorld, **kwargs: Any) -> tuple[Campaign, list[Nomination]]:
    """A household campaign in mutual evaluation, nominating 王小明's household (h2) and 孙大爷's (building 1)."""
    campaign = make_campaign(hw.community, actor=hw.worker, **kwargs)
    services.nominations_open(actor=hw.worker, campaign=campaign)
    nominations = [
        services.nominate(actor=hw.worker, campaign=campaign, household=hw.households[1], reason="常年帮邻居取快递"),
        services.nominate(actor=hw.worker, campaign=campaign, household=hw.sun, reason="义务打扫楼道十年"),
    ]
    campaign = services.scoring_open(actor=hw.worker, campaign=campaign)
    return campaign, nominations


def full_marks(campaign: Campaign, value: int = 5) -> dict[int, int]:
    return {c.pk: value for c in Criterion.objects.filter(campaign=campaign)}


def on_notice(hw: HonoursWorld, **kwargs: Any) -> tuple[Campaign, list[Nomination]]:
    """In its public notice: 张三's household scored both nominees, 王小明's scored 孙大爷's."""
    campaign, nominations = in_scoring(hw, **kwargs)
    evaluation.sheet_submit(actor=hw.resident, nomination=nominations[0], scores=full_marks(campaign, 5))
    evaluation.sheet_submit(actor=hw.resident, nomination=nominations[1], scores=full_marks(campaign, 4))
    evaluation.sheet_submit(actor=hw.neighbour, nomination=nominations[1], scores=full_marks(campaign, 3))
    campaign = publicity.notice_publish(actor=hw.worker, campaign=campaign)
    return campaign, [Nomination.objects.get(pk=n.pk) for n in nominations]


def notice_over(campaign: Campaign) -> Campaign:
    """Move a campaign's notice into the past (as if its days had run out)."""
    today = timezone.localdate()
    Campaign.objects.filter(pk=campaign.pk).update(
        notice_from=today - dt.timedelta(days=campaign.notice_days), notice_until=today - dt.timedelta(days=1)
    )
    campaign.refresh_from_db()
    return campaign


def vote_over(campaign: Campaign) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(vote_until=timezone.localdate() - dt.timedelta(days=1))
    campaign.refresh_from_db()
    return campaign
