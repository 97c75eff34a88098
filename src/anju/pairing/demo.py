"""Demo central households, pairings and a season of visits for ``anju demo``, through the services.

Idempotent: nothing is added once the community has a central household. The demo's registry is entered
"now", so its households are dated a season back first (as if the registry had been kept for a while):
a visit cannot be older than its household.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone, translation

from anju.accounts.models import User
from anju.appeals.models import Category
from anju.core.registry import Demo
from anju.orgs.models import OrgUnit
from anju.pairing import selectors, services
from anju.pairing.models import CareLevel, CentralHousehold, Pairing, Visit
from anju.people.models import Household, Resident

SEASON_DAYS = 100


def _level(household: Household, today: dt.date) -> tuple[str, str]:
    members = list(household.members.filter(status=Resident.Status.ACTIVE).prefetch_related("tags"))
    tags = {t.name for m in members for t in m.tags.all()}
    oldest = max((today.year - m.birth_date.year for m in members if m.birth_date), default=0)
    if "独居老人" in tags:
        return CareLevel.ALONE, "独居老人，子女在外地"
    if oldest >= 80:
        return CareLevel.AGED_80, "八十岁以上高龄"
    if "残疾" in tags:
        return CareLevel.DISABILITY, "家中有残疾人"
    if "低保" in tags:
        return CareLevel.DIBAO, "低保户"
    return CareLevel.ORDINARY, ""


def load_demo_pairing(*, community: OrgUnit, area: OrgUnit, staff: Any, log: Any = None) -> int:
    """Returns the number of visits made (0 when the community had central households already)."""
    if CentralHousehold.objects.filter(community=community).exists():
        return 0
    start = timezone.now() - dt.timedelta(days=SEASON_DAYS + 10)
    # Demo only: the registry as if kept for a season (see the module docstring).
    Household.objects.filter(community=community).update(created_at=start)
    volunteer = User.objects.filter(username="volunteer").first()
    members = (
        Resident.objects.filter(community=community, is_party_member=True, status=Resident.Status.ACTIVE)
        .select_related("household")
        .order_by("household__unit__path", "id")
    )
    seen: set[int] = set()
    centrals: list[CentralHousehold] = []
    for m in members:
        if m.household_id in seen or len(centrals) >= 3:
            continue
        seen.add(m.household_id)
        centrals.append(
            services.central_designate(
                actor=staff,
                household=m.household,
                member=m,
                area=area,
                capacity=6,
                carrier=volunteer if not centrals else None,
                request=None,
            )
        )
    if not centrals:
        return 0
    suggestion = selectors.suggestion_for(area)
    if suggestion.moves:
        services.suggestion_apply(actor=staff, area=area, moves=[(m.household, m.central) for m in suggestion.moves])
    today = timezone.localdate()
    for household in Household.objects.filter(community=community, status=Household.Status.ACTIVE):
        level, reason = _level(household, today)
        if level != CareLevel.ORDINARY:
            services.care_set(actor=staff, household=household, level=level, reason=reason)
    rng = random.Random(14)  # noqa: S311  fictional data, not security
    made = 0
    open_pairs = Pairing.objects.filter(ended_at__isnull=True, community=community).values("household_id")
    rows = selectors.rows_of(Household.objects.filter(pk__in=open_pairs).order_by("id"))
    for n, row in enumerate(rows):
        if n % 5 == 4:
            continue  # never visited yet
        day = today - dt.timedelta(days=SEASON_DAYS - rng.randint(0, 10))
        step = {"alone": 7, "aged80": 14, "disability": 14}.get(row.level, 30)
        while day <= today - dt.timedelta(days=rng.randint(0, step * (2 if n % 3 == 0 else 1))):
            services.visit_record(
                actor=volunteer if volunteer and row.central_id == centrals[0].pk else staff,
                household=row.household,
                visited_on=day,
                method=rng.choice([Visit.Method.DOOR, Visit.Method.DOOR, Visit.Method.PHONE, Visit.Method.WECHAT]),
                met="本人",
                condition=rng.choice([Visit.Condition.GOOD, Visit.Condition.GOOD, Visit.Condition.SO_SO]),
                client_key=f"demo-{row.household.pk}-{day.isoformat()}",
            )
            made += 1
            day += dt.timedelta(days=step + rng.randint(-2, 3))
    # One visit whose need became an appeal, and one left for the community worker.
    category = (
        Category.objects.filter(code="street-lamp", is_active=True).first()
        or Category.objects.filter(is_active=True).first()
    )
    first = rows[0].household if rows else None
    if first is not None and category is not None:
        services.visit_record(
            actor=volunteer if volunteer and rows[0].central_id == centrals[0].pk else staff,
            household=first,
            visited_on=today - dt.timedelta(days=1),
            method=Visit.Method.DOOR,
            met="本人",
            condition=Visit.Condition.ATTENTION,
            needs=[Visit.Need.REPAIR],
            note="三楼楼道灯坏了，老人晚上上下楼看不见",
            follow_up=Visit.FollowUp.APPEAL,
            category=category,
            client_key="demo-appeal",
        )
        made += 1
    if len(rows) > 1:
        services.visit_record(
            actor=staff,
            household=rows[1].household,
            visited_on=today - dt.timedelta(days=2),
            method=Visit.Method.PHONE,
            condition=Visit.Condition.SO_SO,
            needs=[Visit.Need.POLICY],
            note="想了解高龄津贴怎么申请",
            follow_up=Visit.FollowUp.WORKER,
            client_key="demo-follow-up",
        )
        made += 1
    if log is not None:
        log(f"demo pairing: {len(centrals)} central households, {made} visits")
    return made


def load(demo: Demo) -> int:
    # The reasons the services write (a suggested assignment …) are stored as written: in the demo's language.
    with translation.override("zh-hans"):
        return load_demo_pairing(
            community=demo.units["community"], area=demo.units["area"], staff=demo.staff, log=demo.log
        )
