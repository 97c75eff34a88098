"""Demo appeals: about three months of history in 安居社区, made through the services with the
clock set back, so the queues, deadlines, escalations and three rates are true to their rows. Two
neighbours (fictional residents without a demo login) follow some shared problems (我也遇到) and answer
their callbacks, so the appeal page and the three rates show followers too."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.accounts.models import User
from anju.appeals import clock, privacy
from anju.appeals.callback import followers
from anju.appeals.callback import services as callback
from anju.appeals.dispatch import services as dispatch
from anju.appeals.handling import services as handling
from anju.appeals.intake import services as intake
from anju.appeals.models import Appeal, Category, CategoryRoute, Channel, SatisfactionLevel, Status
from anju.appeals.sla import sweep_escalations
from anju.appeals.whistles import services as whistles
from anju.core.registry import Demo
from anju.orgs.models import Department, OrgUnit

PROBLEMS = {
    "street-lamp": ["3栋前路灯不亮，晚上回家看不见路", "小区东门路灯一直闪", "篮球场边路灯杆倾斜"],
    "garbage": ["垃圾站满溢两天没人清运", "楼道堆放装修垃圾"],
    "illegal-structure": ["顶楼住户违规搭建阳光房", "一楼住户私自圈占绿地"],
    "street-vending": ["早市占道经营，车辆无法通行"],
    "drain-blocked": ["单元门口下水道堵塞，污水外溢", "雨后地下车库积水"],
    "water-outage": ["整栋楼停水，没有提前通知", "高层水压太低，洗澡没水"],
    "power-outage": ["楼道灯和电梯同时停电"],
    "building-repair": ["外墙瓷砖脱落，有安全隐患", "单元门禁损坏"],
    "neighbour-dispute": ["楼上漏水到楼下，邻居协商不成"],
    "noise": ["夜间施工噪音扰民"],
    "sanitation": ["绿化带老鼠多，需要灭鼠"],
    "elderly-care": ["独居老人需要上门助餐服务"],
}

# Problems the neighbours share: a follower (我也遇到) joins some of these.
SHARED = {"street-lamp", "drain-blocked", "water-outage", "power-outage", "garbage", "noise"}
# Fictional neighbours; mobile numbers in the 170 range reserved for virtual operators.
NEIGHBOURS = [("neighbour1", "赵桂兰", "b2", "17000000031"), ("neighbour2", "孙德明", "b3", "17000000032")]

# Weights of the outcomes; the rest stays open at some step.
OUTCOMES = ["resolved"] * 10 + ["basic"] * 3 + ["unsatisfied"] * 2 + ["unresolved"] + ["open"] * 3


def _route_catalogue(community: OrgUnit, departments: dict[str, Department]) -> None:
    by_kind = {d.kind: d for d in departments.values()}
    fallback = departments.get("urban")
    for category in Category.objects.all():
        dept = by_kind.get(category.department_kind) or fallback
        if dept is not None:
            CategoryRoute.objects.get_or_create(category=category, unit=community, defaults={"department": dept})


def _neighbours(units: dict[str, OrgUnit]) -> list[User]:
    made = []
    for username, name, building, mobile in NEIGHBOURS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(
                actor=None,
                username=username,
                display_name=name,
                password=secrets.token_urlsafe(24),  # no demo login: they only follow and answer
                mobile=mobile,
                validate_password=False,
                role=Role.RESIDENT,
                unit=units[building],
            )
        made.append(user)
    return made


def _followers_answer(appeal: Appeal, following: list[User], worker: User, levels: dict[str, Any], rng: Any) -> None:
    """The first neighbour answers on the appeal page, the second on the phone to the worker."""
    for n, neighbour in enumerate(following):
        if not followers.may_answer(appeal, neighbour):
            continue
        resolved = rng.random() < 0.8
        level = levels["satisfied" if resolved and rng.random() < 0.7 else "basic" if resolved else "unsatisfied"]
        followers.follower_callback(
            actor=neighbour if n == 0 else worker,
            appeal=appeal,
            follower=neighbour,
            resolved=resolved,
            satisfaction=level,
            comment="" if resolved else "晚上还是不亮",
        )


def load_demo_appeals(*, units: dict[str, OrgUnit], departments: dict[str, Department], n: int = 70) -> int:
    """Idempotent: routes are topped up; the history is made once."""
    community = units["community"]
    _route_catalogue(community, departments)
    if Appeal.objects.filter(community=community).exists():
        return 0
    users = {u.username: u for u in User.objects.filter(username__in=["worker", "liaison", "resident", "volunteer"])}
    if len(users) < 4:
        return 0
    worker, liaison, resident, volunteer = users["worker"], users["liaison"], users["resident"], users["volunteer"]
    levels = {lvl.code: lvl for lvl in SatisfactionLevel.objects.all()}
    categories = {c.code: c for c in Category.objects.filter(code__in=PROBLEMS)}
    buildings = [units[f"b{i}"] for i in range(1, 13)]
    urban = departments["urban"]
    rng = random.Random(20260101)  # noqa: S311  demo data, not security
    frng = random.Random(20260102)  # noqa: S311  followers: its own sequence, the history above stays as it was
    neighbours = _neighbours(units)
    now = timezone.now()
    made = 0
    for _i in range(n):
        code = rng.choice(list(PROBLEMS))
        category = categories[code]
        received = now - dt.timedelta(days=rng.uniform(1, 92), hours=rng.uniform(0, 10))
        received = received.replace(hour=rng.randint(8, 19))
        outcome = rng.choice(OUTCOMES)
        # The demo liaison serves 城管: keep the loop they can act on mostly in their department.
        dept = urban if code in ("street-lamp", "garbage", "illegal-structure", "street-vending") else None
        step = dt.timedelta(hours=rng.uniform(0.3, 1.5) if rng.random() < 0.8 else rng.uniform(3, 30))

        def at(k: float, received: dt.datetime = received, step: dt.timedelta = step) -> Any:
            return clock.frozen(min(received + step * k, now))

        with at(0):
            on_behalf = rng.random() < 0.3
            appeal = intake.appeal_file(
                actor=volunteer if on_behalf else resident,
                community=community,
                category=category,
                description=rng.choice(PROBLEMS[code]),
                location=rng.choice(buildings),
                channel=Channel.VISIT if on_behalf else Channel.APP,
                urgency=category.default_urgency,
                contact_name="王秀英" if on_behalf else "",
                contact_mobile="17000000002" if on_behalf else "",
                consent=on_behalf,
                requester=resident if on_behalf else None,
            )
        made += 1
        following: list[User] = []
        if code in SHARED and frng.random() < 0.35:
            following = neighbours[: frng.choice((1, 1, 2))]
            with at(0.5):
                for neighbour in following:
                    intake.appeal_follow(actor=neighbour, appeal=appeal, offer=privacy.offer_token(neighbour, appeal))
        if outcome == "open" and rng.random() < 0.4:
            continue
        with at(1):
            dispatch.appeal_dispatch(actor=worker, appeal=appeal, department=dept)
        signer = liaison if appeal.department_id == urban.pk else None
        if outcome == "open" and rng.random() < 0.5:
            continue
        with at(2):
            handling.appeal_sign(actor=signer, appeal=appeal)
        if rng.random() < 0.1 and signer is None:
            with at(2):
                whistles.whistle_blow(actor=worker, appeal=appeal, departments=[urban, appeal.department])  # type: ignore[list-item]
            with at(2.3 if rng.random() < 0.8 else 4):
                for s in appeal.whistles.get().summonses.all():
                    whistles.summons_checkin(actor=None, summons=s)
        with at(3):
            handling.appeal_contact(actor=signer, appeal=appeal, note="已电话联系居民")
        if outcome == "open":
            continue
        with at(8):
            handling.appeal_feedback(actor=signer, appeal=appeal, note="已到现场处理完毕")
        if rng.random() < 0.1:
            continue  # awaiting verification and callback: shown, not hidden
        with at(10):
            dispatch.appeal_verify(actor=worker, appeal=appeal)
        with at(12):
            _followers_answer(appeal, following, worker, levels, frng)
        if rng.random() < 0.1:
            continue  # awaiting callback
        with at(14):
            if outcome == "unresolved":
                dispatch.appeal_close_unresolved(actor=worker, appeal=appeal, reason="涉及产权纠纷，需走司法程序")
                continue
            level = levels["satisfied" if outcome == "resolved" else outcome]
            callback.appeal_callback(actor=None, appeal=appeal, resolved=outcome != "unsatisfied", satisfaction=level)
        if appeal.status == Status.REOPENED:
            with at(18):
                handling.appeal_sign(actor=signer, appeal=appeal)
    sweep_escalations(now=now)
    return made


def load(demo: Demo) -> int:
    """``anju demo``'s catalogue routes and appeal history."""
    return load_demo_appeals(units=demo.units, departments=demo.departments)
