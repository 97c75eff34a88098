"""Demo co-building for the demo community (``anju demo``); idempotent, fictional people only.

The 安居驿站 project: ¥300,000 raised by the honorary head of the 乡贤理事会 (approved by a second worker),
80 m² of a party member's land given for the discussion pavilion, 1,200 m² given up by 11 households to widen
the lane, 10 days × 35 people clearing 16 mu of waste land; and the spending list, which uses the ¥300,000 to
the fen (each item over the threshold approved by the second worker). The community publishes the page."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.accounts.models import RoleGrant, User
from anju.contributions import services
from anju.contributions.models import Contribution, Kind, Project, Unit
from anju.core.registry import Demo

NAME = "安居驿站共建"
HOUSEHOLDS = ["王家", "李家", "张家", "刘家", "陈家", "杨家", "黄家", "赵家", "吴家", "周家", "徐家"]
SPENDING = [
    ("钢结构及屋面", "98600", "黄州某钢构工程队"),
    ("墙体砌筑与外墙保温", "62400", "东湖建筑劳务队"),
    ("水电安装", "31800", "安居水电维修部"),
    ("门窗", "24500", "明亮门窗店"),
    ("地面铺装", "28700", "东湖建筑劳务队"),
    ("议事亭木作", "22000", "老周木作坊"),
    ("桌椅与书架", "18600", "城东家具城"),
    ("消防器材与标识", "6900", "平安消防器材店"),
    ("设计与测量", "6500", "黄州某设计工作室"),
]


def _treasurer(actor: Any, community: Any) -> User:
    user = User.objects.filter(username="demo-treasurer").first()
    if user is None:
        user = account_services.user_create(
            actor=actor,
            username="demo-treasurer",
            display_name="钱会计",
            password=secrets.token_urlsafe(16),
            validate_password=False,
        )
    if not RoleGrant.objects.filter(user=user, role=Role.COMMUNITY_WORKER, unit=community).exists():
        account_services.role_grant(actor=actor, user=user, role=Role.COMMUNITY_WORKER, unit=community)
    return user


def load(demo: Demo) -> Project:
    community = demo.units["community"]
    worker = demo.staff
    found = Project.objects.filter(community=community, name=NAME).first()
    if found is not None:
        return found
    treasurer = _treasurer(worker, community)
    today = timezone.localdate()
    start = today - timedelta(days=120)
    project = services.project_create(
        actor=worker,
        community=community,
        name=NAME,
        description="把闲置的旧仓库改建为安居驿站：共享客厅、议事亭，拓宽进村巷道，清理16亩荒地。",
        status=Project.Status.UNDERWAY,
        goals=[
            (Kind.MONEY, Unit.YUAN, "300000"),
            (Kind.LAND, Unit.SQM, "1280"),
            (Kind.LABOUR, Unit.PERSON_DAY, "350"),
        ],
    )
    services.setting_set(actor=worker, community=community, public=True, threshold="5000")
    money = services.contribution_record(
        actor=worker,
        project=project,
        contributor=Contribution.Contributor.ORGANISATION,
        name="乡贤理事会（名誉会长 林志远 募集）",
        kind=Kind.MONEY,
        quantity="300000",
        unit=Unit.YUAN,
        day=start,
        description="乡贤理事会名誉会长牵头募集",
    )
    assert money.money_entry is not None  # noqa: S101  a money contribution has its receipt
    services.entry_decide(actor=treasurer, entry=money.money_entry, approve=True, note="已核对银行到账")
    services.contribution_record(
        actor=worker,
        project=project,
        contributor=Contribution.Contributor.PERSON,
        name="党员 何建国",
        kind=Kind.LAND,
        tenure=Contribution.Tenure.GIVEN,
        quantity="80",
        unit=Unit.SQM,
        day=start + timedelta(days=5),
        description="自家宅基地 80 平方米，用于建议事亭",
    )
    for i, household in enumerate(HOUSEHOLDS):
        services.contribution_record(
            actor=worker,
            project=project,
            contributor=Contribution.Contributor.HOUSEHOLD,
            name=household,
            kind=Kind.LAND,
            tenure=Contribution.Tenure.GIVEN,
            quantity="105" if i < 2 else "110",
            unit=Unit.SQM,
            day=start + timedelta(days=10),
            description="拆除违建，让出土地拓宽巷道",
        )
    services.labour_record(
        actor=worker,
        project=project,
        name="村民和志愿者",
        people=35,
        days="10",
        day=start + timedelta(days=20),
        description="清理16亩荒地",
    )
    for n, (purpose, amount, payee) in enumerate(SPENDING):
        entry = services.expenditure_record(
            actor=worker,
            project=project,
            amount=amount,
            day=start + timedelta(days=30 + 7 * n),
            purpose=purpose,
            payee=payee,
        )
        if entry.needs_approval:
            services.entry_decide(actor=treasurer, entry=entry, approve=True)
    demo.log(f"  contributions: {NAME}, {len(HOUSEHOLDS) + 3} contributions, {len(SPENDING)} expenditures")
    return project
