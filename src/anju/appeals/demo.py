"""Demo appeals: about three months of history in 安居社区, made through the services with the
clock set back, so the queues, deadlines, escalations and three rates are true to their rows. Every date
is relative to the day the demo is loaded, so the rates look alive whenever ``make run`` starts.

The history is filed by fictional residents (no demo login), each about their own building; two
neighbours follow some shared problems (我也遇到) and answer their callbacks, so the appeal page and the
three rates show followers too. The demo resident (王秀英, 1栋) has a few appeals of her own, all about her
building and recent: one just received, one with the department, one answered and waiting for her rating,
one closed resolved."""

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

# Fictional residents who file the community's history, one per building (b1 is the demo resident's
# building: her neighbour files there). No demo login; numbers in the 170 block.
FILERS = [
    ("filer1", "刘淑芬", "b1"),
    ("filer2", "陈国华", "b2"),
    ("filer3", "张丽娟", "b3"),
    ("filer4", "李建国", "b4"),
    ("filer5", "杨秀珍", "b5"),
    ("filer6", "黄志明", "b6"),
    ("filer7", "周玉兰", "b7"),
    ("filer8", "吴德华", "b8"),
    ("filer9", "徐春梅", "b9"),
    ("filer10", "孙建军", "b10"),
    ("filer11", "马桂英", "b11"),
    ("filer12", "朱永强", "b12"),
]

# Weights of the outcomes; the rest stays open at some step.
OUTCOMES = ["resolved"] * 10 + ["basic"] * 3 + ["unsatisfied"] * 2 + ["unresolved"] + ["open"] * 3


def _route_catalogue(community: OrgUnit, departments: dict[str, Department]) -> None:
    by_kind = {d.kind: d for d in departments.values()}
    fallback = departments.get("urban")
    for category in Category.objects.all():
        dept = by_kind.get(category.department_kind) or fallback
        if dept is not None:
            CategoryRoute.objects.get_or_create(category=category, unit=community, defaults={"department": dept})


def _filers(units: dict[str, OrgUnit]) -> dict[int, User]:
    """The fictional residents who file the history, by the id of their building."""
    rows = [(u, n, b, f"170000001{i:02d}") for i, (u, n, b) in enumerate(FILERS, start=1)]
    return {units[b].pk: user for (_u, _n, b, _m), user in zip(rows, _residents(units, rows), strict=True)}


def _neighbours(units: dict[str, OrgUnit]) -> list[User]:
    return _residents(units, NEIGHBOURS)


def _residents(units: dict[str, OrgUnit], rows: list[tuple[str, str, str, str]]) -> list[User]:
    made = []
    for username, name, building, mobile in rows:
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
    filers = _filers(units)
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
            description = rng.choice(PROBLEMS[code])
            building = rng.choice(buildings)
            filer = filers[building.pk]  # a resident of that building reports it
            appeal = intake.appeal_file(
                actor=volunteer if on_behalf else filer,
                community=community,
                category=category,
                description=description,
                location=building,
                channel=Channel.VISIT if on_behalf else Channel.APP,
                urgency=category.default_urgency,
                contact_name=filer.display_name if on_behalf else "",
                contact_mobile=filer.mobile if on_behalf else "",
                consent=on_behalf,
                requester=filer if on_behalf else None,
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
    made += _residents_own(resident=resident, worker=worker, liaison=liaison, urban=urban, units=units, now=now)
    sweep_escalations(now=now)
    return made


def _residents_own(
    *, resident: User, worker: User, liaison: User, urban: Department, units: dict[str, OrgUnit], now: dt.datetime
) -> int:
    """The demo resident's own appeals, about her building and recent, one at each stage she meets: just
    received, with the department, answered and waiting for her rating, closed resolved."""
    community, home = units["community"], units["b1"]
    lamp = Category.objects.get(code="street-lamp")
    garbage = Category.objects.get(code="garbage")
    repair = Category.objects.get(code="building-repair")
    satisfied = SatisfactionLevel.objects.get(code="satisfied")

    def file(category: Category, text: str, days_ago: float) -> Appeal:
        with clock.frozen(now - dt.timedelta(days=days_ago)):
            return intake.appeal_file(
                actor=resident,
                community=community,
                category=category,
                description=text,
                location=home,
                channel=Channel.APP,
                urgency=category.default_urgency,
            )

    def later(days_ago: float) -> Any:
        return clock.frozen(now - dt.timedelta(days=days_ago))

    file(repair, "1栋2单元门禁刷卡没反应，老人进出不方便", 0.1)  # received this morning
    working = file(lamp, "1栋门前路灯不亮，晚上回家看不见台阶", 2)
    with later(1.9):
        dispatch.appeal_dispatch(actor=worker, appeal=working, department=urban)
    with later(1.5):
        handling.appeal_sign(actor=liaison, appeal=working)
    with later(1.4):
        handling.appeal_contact(actor=liaison, appeal=working, note="已电话联系居民，明天上午到现场")
    answered = file(garbage, "1栋楼道堆放装修垃圾，堵住了消防通道", 6)
    with later(5.9):
        dispatch.appeal_dispatch(actor=worker, appeal=answered, department=urban)
    with later(5.5):
        handling.appeal_sign(actor=liaison, appeal=answered)
    with later(4):
        handling.appeal_feedback(actor=liaison, appeal=answered, note="装修垃圾已清运，已提醒装修户按规定堆放")
    with later(3.8):
        dispatch.appeal_verify(actor=worker, appeal=answered)  # waiting for her answer
    done = file(lamp, "1栋后面小路的路灯一直闪", 20)
    with later(19.9):
        dispatch.appeal_dispatch(actor=worker, appeal=done, department=urban)
    with later(19.5):
        handling.appeal_sign(actor=liaison, appeal=done)
    with later(17):
        handling.appeal_feedback(actor=liaison, appeal=done, note="已更换灯具")
    with later(16.8):
        dispatch.appeal_verify(actor=worker, appeal=done)
    with later(16):
        callback.appeal_callback(actor=resident, appeal=done, resolved=True, satisfaction=satisfied)
    return 4


def load(demo: Demo) -> int:
    """``anju demo``'s catalogue routes and appeal history."""
    return load_demo_appeals(units=demo.units, departments=demo.departments)
