"""The demo community (``anju demo``): idempotent, fictional people only.

Every row is made through the same services the pages use, so the demo is
audited like real work. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.accounts.models import RoleGrant, User
from anju.accounts.usercache import forget_user
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import registry
from anju.orgs import services as org_services
from anju.orgs.models import Department, OrgUnit, TaskForce, UnitKind

DEMO_PASSWORD = "anju-demo-2026"  # noqa: S105  printed for the demo on purpose


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    unit: str  # key into the units made below
    department: str = ""
    mobile: str = ""


# Fictional names; mobile numbers in the 170 range reserved for virtual operators.
ACCOUNTS = [
    DemoAccount("admin", "系统管理员", Role.ADMIN, "province"),
    DemoAccount("supervisor", "周明", Role.SUPERVISOR, "district"),
    DemoAccount("secretary", "陈红梅", Role.BRANCH_SECRETARY, "community"),
    DemoAccount("worker", "刘芳", Role.COMMUNITY_WORKER, "community", mobile="17000000001"),
    DemoAccount("gridworker", "张伟", Role.GRID_WORKER, "grid1"),
    DemoAccount("liaison", "吴强", Role.DEPARTMENT_LIAISON, "district", department="urban"),
    DemoAccount("volunteer", "李建国", Role.VOLUNTEER, "area"),
    DemoAccount("resident", "王秀英", Role.RESIDENT, "b1", mobile="17000000002"),
]

DEPARTMENTS = [
    ("urban", "黄州区城市管理执法局", Department.Kind.URBAN_MANAGEMENT, "12319"),
    ("housing", "黄州区住房和城乡建设局", Department.Kind.HOUSING, ""),
    ("power", "黄州供电服务中心", Department.Kind.POWER, "95598"),
    ("water", "黄州区水务局", Department.Kind.WATER, ""),
    ("police", "东湖派出所", Department.Kind.POLICE, "110"),
    ("health", "黄州区卫生健康局", Department.Kind.HEALTH, ""),
    ("civil", "黄州区民政局", Department.Kind.CIVIL_AFFAIRS, ""),
]

TASK_FORCE_MEMBERS = [
    ("陈红梅", "社区党支部", "组长"),
    ("刘芳", "社区居委会", "副组长"),
    ("赵国平", "业主委员会", "成员"),
    ("孙丽", "物业服务企业", "成员"),
]


def _unit(actor: Any, parent: OrgUnit | None, kind: str, name: str, code: str = "") -> OrgUnit:
    existing = OrgUnit.objects.filter(parent=parent, name=name).first()
    if existing is not None:
        return existing
    return org_services.orgunit_create(actor=actor, kind=kind, name=name, parent=parent, code=code)


def _demo_daughter(actor: Any) -> dict[str, str]:
    """王秀英's daughter (user ``daughter``, no role of her own: she lives elsewhere), her family proxy (子女代办)."""
    from anju.accounts import acting
    from anju.accounts.proxy import services as proxy_services

    daughter = User.objects.filter(username="daughter").first()
    if daughter is None:
        daughter = account_services.user_create(
            actor=actor, username="daughter", display_name="王小红", password=DEMO_PASSWORD
        )
    mother = User.objects.get(username="resident")
    if not acting.active_grants().filter(grantor=mother, proxy=daughter).exists():
        proxy_services.proxy_grant_create(
            actor=mother,
            grantor=mother,
            proxy_username="daughter",
            scopes=[s.name for s in acting.scopes()],
        )
    return {"username": "daughter", "role": str(_("Family proxy")), "name": daughter.display_name}


def load_demo(*, log: Any = print) -> dict[str, Any]:
    """Load (or top up) the demo community; returns the demo logins."""
    actor = None
    created_before = OrgUnit.objects.filter(name="安居社区").exists()
    with transaction.atomic():
        units: dict[str, OrgUnit] = {}
        units["province"] = _unit(actor, None, UnitKind.PROVINCE, "湖北省", "420000")
        units["city"] = _unit(actor, units["province"], UnitKind.CITY, "黄冈市", "421100")
        units["district"] = _unit(actor, units["city"], UnitKind.DISTRICT, "黄州区", "421102")
        units["community"] = _unit(actor, units["district"], UnitKind.COMMUNITY, "安居社区")
        units["area"] = _unit(actor, units["community"], UnitKind.AREA, "原种场片区")
        for g in (1, 2, 3):
            grid = _unit(actor, units["area"], UnitKind.GRID, f"第{g}网格")
            units[f"grid{g}"] = grid
            for b in range(1, 5):
                n = (g - 1) * 4 + b
                units[f"b{n}"] = _unit(actor, grid, UnitKind.BUILDING, f"{n}栋")
        # A neighbouring community, so that scope limits can be seen.
        units["community2"] = _unit(actor, units["district"], UnitKind.COMMUNITY, "宝塔社区")
        for g in (1, 2):
            _unit(actor, units["community2"], UnitKind.GRID, f"宝塔第{g}网格")

        departments: dict[str, Department] = {}
        for key, name, kind, phone in DEPARTMENTS:
            dept = Department.objects.filter(unit=units["district"], name=name).first()
            if dept is None:
                dept = org_services.department_create(
                    actor=actor, name=name, kind=kind, unit=units["district"], phone=phone
                )
            departments[key] = dept

        tf = TaskForce.objects.filter(community=units["community"], name="四位一体专班").first()
        if tf is None:
            tf = org_services.taskforce_create(
                actor=actor,
                community=units["community"],
                name="四位一体专班",
                purpose="社区党组织、居委会、业委会、物业服务企业联合处理小区治理难题。",
            )
            for name, org, role in TASK_FORCE_MEMBERS:
                org_services.taskforce_add_member(actor=actor, task_force=tf, name=name, organisation=org, role=role)

        logins = []
        for acc in ACCOUNTS:
            user = User.objects.filter(username=acc.username).first()
            if user is None:
                user = account_services.user_create(
                    actor=actor,
                    username=acc.username,
                    display_name=acc.display_name,
                    password=DEMO_PASSWORD,
                    mobile=acc.mobile,
                )
                if acc.role == Role.ADMIN:
                    User.objects.filter(pk=user.pk).update(is_staff=True)
                    forget_user(user.pk)
            unit = units[acc.unit]
            if not RoleGrant.objects.filter(user=user, role=acc.role, unit=unit).exists():
                account_services.role_grant(
                    actor=actor,
                    user=user,
                    role=acc.role,
                    unit=unit,
                    department=departments[acc.department] if acc.department else None,
                )
            logins.append({"username": acc.username, "role": str(Role(acc.role).label), "name": acc.display_name})
        logins.append(_demo_daughter(actor))
        staff = User.objects.get(username="worker")  # activities and notices are a community worker's work
        demo = registry.Demo(units=units, departments=departments, staff=staff, log=log)
        for loader in registry.demo_loaders():  # each app's demo, registered in its AppConfig.ready()
            demo.made[loader.name] = loader.load(demo)
        if not created_before:
            record(Action.SYSTEM_DEMO_LOADED, actor_label="anju demo", community=units["community"])
    return {"logins": logins, "password": DEMO_PASSWORD, "created": not created_before}
