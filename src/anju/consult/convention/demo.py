"""The Anju residents' convention (安居社区居民公约) for ``anju demo``, through the services: drafted, two
comments typed by the office for households, one amendment accepted, adopted by a household vote, in force,
and acknowledged by 80 % of the community's households on paper (the rest are the visits list).

Idempotent: nothing is added once the community has a convention."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils import timezone, translation

from anju.consult.convention import selectors, services
from anju.consult.models import AckMethod, AdoptionMethod, AmendmentKind, Convention
from anju.core.registry import Demo
from anju.orgs.models import OrgUnit

TITLE = "安居社区居民公约"
PREAMBLE = (
    "为建设和谐、文明、宜居的安居社区，经片区居民共同商量，依据有关法律法规，制定本公约。全体居民共同遵守，相互监督。"
)
ARTICLES = [
    ("热爱社区", "拥护党的领导，遵守法律法规，热爱安居社区，积极参与社区建设和公益活动。"),
    ("环境卫生", "垃圾分类定点投放，不乱扔乱倒；不在楼道、公共区域堆放杂物；爱护绿化，不毁绿种菜。"),
    ("文明养犬", "出门遛狗牵绳，主动清理犬只粪便，按规定办理犬只登记和免疫。"),
    ("消防安全", "电动车不进楼道、不入户充电，不私拉乱接电线；保持消防通道畅通。"),
    ("停车有序", "车辆停放在划定车位，不占用消防通道和盲道，不堵塞小区出入口。"),
    ("邻里和睦", "邻里之间互谅互让，有矛盾先协商；协商不成的，到矛盾纠纷调解室请调解员调解。"),
    ("尊老爱幼", "孝敬老人，关爱独居、高龄老人和留守儿童；党员中心户定期上门走访联系户。"),
    ("爱护公物", "爱护路灯、健身器材、共享客厅等公共设施；使用共享空间提前预约、用后归位。"),
    ("文明新风", "婚事新办、丧事简办，不大操大办，反对封建迷信，倡导健康文明的生活方式。"),
    ("附则", "本公约经户代表表决通过，自公布之日起施行，由社区居民委员会负责解释。"),
]
SHARE = 0.8


def load_demo_convention(*, community: OrgUnit, staff: Any, log: Any = None) -> int:
    """Returns the number of households that acknowledged (0 when the community had a convention already)."""
    if Convention.objects.filter(community=community).exists():
        return 0
    today = timezone.localdate()
    version = services.convention_create(
        actor=staff, community=community, title=TITLE, preamble=PREAMBLE, articles=ARTICLES
    )
    version = services.comment_open(actor=staff, version=version, until=today + dt.timedelta(days=14))
    households = list(selectors.households_of(community.pk).order_by("unit__path", "id"))
    articles = list(version.articles.order_by("number"))
    for household, (number, text) in zip(
        households[:2], [(4, "楼下充电桩太少，希望多装几个"), (5, "晚上外来车辆多，建议登记")], strict=False
    ):
        services.comment_add(actor=staff, article=articles[number - 1], body=text, household=household)
    amendment = services.amendment_propose(
        actor=staff,
        version=version,
        kind=AmendmentKind.CHANGE,
        article=articles[3],
        title="消防安全",
        body="电动车不进楼道、不入户充电，到集中充电点充电；不私拉乱接电线；保持消防通道畅通。",
        rationale="居民提出充电难，写明集中充电点",
    )
    version = services.comment_close(actor=staff, version=version)
    services.amendment_decide(actor=staff, amendment=amendment, accept=True, reason="采纳，社区已增设集中充电点")
    eligible = len(households)
    present = max(1, math.ceil(eligible * 0.75))
    version = services.version_adopt(
        actor=staff,
        version=version,
        method=AdoptionMethod.HOUSEHOLD_VOTE,
        decided_on=today - dt.timedelta(days=20),
        present=present,
        in_favour=max(1, present - max(0, present // 20)),
        against=min(present // 20, present - 1),
        note="片区户代表表决，网格员逐户发放表决票",
    )
    version = services.version_enact(actor=staff, version=version, in_force_from=today - dt.timedelta(days=14))
    signed = households[: math.floor(len(households) * SHARE)]
    for household in signed:
        services.acknowledge(actor=staff, version=version, household=household, method=AckMethod.PAPER_WORKER)
    if log is not None:
        log(f"demo convention: {len(ARTICLES)} articles in force, {len(signed)} of {len(households)} acknowledged")
    return len(signed)


def load(demo: Demo) -> int:
    with translation.override("zh-hans"):
        return load_demo_convention(community=demo.units["community"], staff=demo.staff, log=demo.log)
