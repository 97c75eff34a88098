"""Honours (评比) for ``anju demo``, through the services: a finished 文明巷 campaign of last quarter (three
buildings nominated, scored on paper at bench meetings by the households of the area, on notice, one objection
rejected in public, the honour roll published) and an open 最美好邻居 campaign in its public notice.

Idempotent: nothing is added once the community has a campaign."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone, translation

from anju.consult.convention.selectors import households_of
from anju.consult.honours import services
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.honours.publicity import services as publicity
from anju.consult.models import Campaign, Criterion, Subject
from anju.core.registry import Demo
from anju.orgs.models import OrgUnit, UnitKind

LANE_CRITERIA = [("环境整洁", 40), ("邻里和睦", 30), ("文明养犬与停车", 30)]
NEIGHBOUR_CRITERIA = [("热心助人", 40), ("邻里和睦", 30), ("参与社区事务", 30)]
LANE_REASONS = ["楼道无杂物，居民自发每周大扫除", "党员中心户带头，邻里互助氛围好", "电动车统一到集中充电点充电"]
NEIGHBOUR_REASONS = ["常年帮独居老人买菜取药", "义务修理楼道灯和水管十余年", "组织邻居一起打理共享花园"]


def _score(campaign: Campaign, staff: Any, nominations: list[Any], households: list[Any], base: int) -> int:
    """Paper score sheets from up to eight households of each nominee's area (never its own)."""
    criteria = list(Criterion.objects.filter(campaign=campaign).order_by("position"))
    written = 0
    for k, nomination in enumerate(nominations):
        voters = [h for h in households if h.unit.is_within(nomination.area) and not services.is_own(nomination, h)][:8]
        for j, household in enumerate(voters):
            marks = {c.pk: max(1, min(5, base - (k + j + i) % 3)) for i, c in enumerate(criteria)}
            evaluation.sheet_submit(actor=staff, nomination=nomination, scores=marks, household=household)
            written += 1
    return written


def load_demo_honours(*, community: OrgUnit, staff: Any, log: Any = None) -> int:
    """Returns the number of campaigns made (0 when the community had one already)."""
    if Campaign.objects.filter(community=community).exists():
        return 0
    today = timezone.localdate()
    households = list(households_of(community.pk).select_related("unit").order_by("unit__path", "id"))
    buildings = list(OrgUnit.objects.subtree_of(community).filter(kind=UnitKind.BUILDING).order_by("path")[:3])
    # 文明巷, last quarter: finished.
    lanes = services.campaign_create(
        actor=staff,
        community=community,
        title="文明巷",
        subject=Subject.UNIT,
        description="打造文明巷，争做好邻居：片区住户成果互评，评出本季度的文明巷（楼栋）。",
        period_start=today - dt.timedelta(days=120),
        period_end=today - dt.timedelta(days=40),
        criteria=list(LANE_CRITERIA),
        places=1,
        shortlist_size=3,
    )
    services.nominations_open(actor=staff, campaign=lanes)
    nominated = [
        services.nominate(actor=staff, campaign=lanes, unit=b, reason=reason)
        for b, reason in zip(buildings, LANE_REASONS, strict=False)
    ]
    services.scoring_open(actor=staff, campaign=lanes)
    sheets = _score(lanes, staff, nominated, households, 5)
    if sheets:
        publicity.notice_publish(actor=staff, campaign=lanes, today=today - dt.timedelta(days=35))
        publicity.results_publish(actor=staff, campaign=lanes, today=today - dt.timedelta(days=27))
    # 最美好邻居: in its public notice now, one objection answered in public.
    neighbours = services.campaign_create(
        actor=staff,
        community=community,
        title="最美好邻居",
        subject=Subject.HOUSEHOLD,
        description="推选身边热心助人、和睦相处的好邻居家庭。",
        period_start=today.replace(month=1, day=1),
        period_end=today,
        criteria=list(NEIGHBOUR_CRITERIA),
        places=2,
        shortlist_size=3,
        points=20,
    )
    services.nominations_open(actor=staff, campaign=neighbours)
    picks = households[3::7][:3]
    nominees = [
        services.nominate(actor=staff, campaign=neighbours, household=h, reason=reason)
        for h, reason in zip(picks, NEIGHBOUR_REASONS, strict=False)
    ]
    services.scoring_open(actor=staff, campaign=neighbours)
    if _score(neighbours, staff, nominees, households, 5):
        publicity.notice_publish(actor=staff, campaign=neighbours, today=today - dt.timedelta(days=2))
        objection = publicity.objection_raise(
            actor=staff, campaign=neighbours, nomination=nominees[0], body="听说他家装修时占用过楼道"
        )
        publicity.objection_answer(
            actor=staff, objection=objection, upheld=False, answer="经网格员核实，装修已结束，楼道已清理"
        )
    if log is not None:
        log(f"demo honours: 文明巷 finished ({sheets} score sheets), 最美好邻居 on public notice")
    return 2


def load(demo: Demo) -> int:
    with translation.override("zh-hans"):
        return load_demo_honours(community=demo.units["community"], staff=demo.staff, log=demo.log)
