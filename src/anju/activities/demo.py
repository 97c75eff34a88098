"""Demo activities for the demo community (called from ``anju demo``); idempotent, fictional people only.

What the Anju station runs: an elderly class every Tuesday, summer day-care for children, family doctors
visiting, and a past safety-publicity afternoon with its registrations and check-ins (its summary with photos
is published by ``bulletin.demo``). Everything goes through the services, as a staff member.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from anju.activities import services
from anju.activities.models import Activity, Registration, Session
from anju.core.pictures import demo_picture
from anju.core.registry import Demo
from anju.orgs.models import OrgUnit
from anju.people.models import Resident, Tag
from anju.spaces.models import Space, Station

ELDERLY_CLASS = "老年课堂：智能手机入门"
SUMMER_CARE = "暑期公益托管班"
FAMILY_DOCTOR = "家庭医生进小区：免费量血压、测血糖"
PAST_SAFETY = "平安宣传进小区：守好老人的钱袋子"
WALK_IN_NAME = "路过的居民（现场登记）"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _next_weekday(start: date, weekday: int, at_least: int = 2) -> date:
    day = start + timedelta(days=at_least)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _create(actor: Any, space: Space | None, log: Any, **fields: Any) -> Activity:
    """Book the place when it is free; a demo on a busy calendar falls back to an activity without a place."""
    try:
        return services.activity_create(actor=actor, space=space, **fields)
    except ValidationError as exc:
        if space is None or "space" not in exc.message_dict:
            raise
        log(f"  {fields['title']}: {space.name} is taken ({exc.message_dict['space'][0]}); created without a place")
        return services.activity_create(actor=actor, space=None, **fields)


def load_demo_activities(
    *, community: OrgUnit, station: Station, actor: Any, log: Any = print, today: date | None = None
) -> dict[str, Activity]:
    """Returns the demo activities by title (made on the first run, found on later ones)."""
    existing = {a.title: a for a in Activity.objects.filter(community=community)}
    made: dict[str, Activity] = {}
    today = today or timezone.localdate()
    now = timezone.now()
    spaces = {s.name: s for s in station.spaces.all()}
    tags = {t.name: t for t in Tag.objects.filter(community=community)}
    residents = list(
        Resident.objects.filter(community=community, status=Resident.Status.ACTIVE, archived_at__isnull=True)
        .prefetch_related("tags")
        .order_by("pk")
    )
    elders = [r for r in residents if any(t.name == "老人" for t in r.tags.all())]

    if ELDERLY_CLASS in existing:
        made[ELDERLY_CLASS] = existing[ELDERLY_CLASS]
    else:
        first = _next_weekday(today, 1)  # Tuesday
        activity = _create(
            actor,
            spaces.get("党员活动室"),
            log,
            community=community,
            title=ELDERLY_CLASS,
            description="每周二上午，志愿者手把手教老人用智能手机：视频通话、健康码、防诈骗、手机挂号。共八次课，可只报其中几次。",
            category=Activity.Category.CLASS,
            target_tags=[tags["老人"]] if "老人" in tags else [],
            starts_at=_at(first, 9, 30),
            ends_at=_at(first, 11),
            weeks=8,
            capacity=20,
            household_limit=2,
            registration_opens_at=now - timedelta(days=1),
            registration_closes_at=_at(first, 8, 30),
            poster=demo_picture(11, "poster.png", size=(900, 1200)),
        )
        first_session = activity.sessions.order_by("starts_at").first()
        if first_session is not None:
            for elder in elders[:6]:
                services.registration_create(actor=actor, session=first_session, resident=elder)
        made[ELDERLY_CLASS] = activity

    if SUMMER_CARE in existing:
        made[SUMMER_CARE] = existing[SUMMER_CARE]
    else:
        summer = date(today.year if today.month < 7 else today.year + 1, 7, 1)
        first = _next_weekday(summer, 0, at_least=0)  # the first Monday of July
        made[SUMMER_CARE] = _create(
            actor,
            spaces.get("儿童学习区"),
            log,
            community=community,
            title=SUMMER_CARE,
            description="暑假期间每周一上午，大学生志愿者陪孩子写作业、读书、做手工。适合6至12岁儿童；结束时须由登记的监护人接走。",
            category=Activity.Category.CARE,
            starts_at=_at(first, 8, 30),
            ends_at=_at(first, 11, 30),
            weeks=6,
            capacity=20,
            household_limit=2,
            guardian_checkout=True,
            registration_opens_at=now - timedelta(days=1),
            registration_closes_at=_at(first - timedelta(days=1), 18),
        )

    if FAMILY_DOCTOR in existing:
        made[FAMILY_DOCTOR] = existing[FAMILY_DOCTOR]
    else:
        day = _next_weekday(today, 5, at_least=3)  # Saturday
        made[FAMILY_DOCTOR] = _create(
            actor,
            spaces.get("共享花园"),
            log,
            community=community,
            title=FAMILY_DOCTOR,
            description="社区卫生服务中心的家庭医生团队进小区：免费量血压、测血糖，慢病用药咨询，签约家庭医生。",
            category=Activity.Category.HEALTH,
            starts_at=_at(day, 9),
            ends_at=_at(day, 11, 30),
            capacity=40,
            registration_opens_at=now - timedelta(days=1),
            registration_closes_at=_at(day, 8),
            poster=demo_picture(12, "doctor.png", size=(1200, 800)),
        )

    if PAST_SAFETY in existing:
        made[PAST_SAFETY] = existing[PAST_SAFETY]
    else:
        day = today - timedelta(days=14)
        starts = _at(day, 15)
        activity = services.activity_create(
            actor=actor,
            community=community,
            title=PAST_SAFETY,
            description="东湖派出所民警讲解电信诈骗的常见套路，现场演示如何识别假冒客服、保健品骗局。",
            category=Activity.Category.SAFETY,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1, minutes=30),
            capacity=30,
            registration_opens_at=starts - timedelta(days=10),
            registration_closes_at=starts - timedelta(hours=2),
        )
        session: Session = activity.sessions.get()
        registered_at = starts - timedelta(days=3)
        regs: list[Registration] = [
            services.registration_create(actor=actor, session=session, resident=r, now=registered_at)
            for r in residents[:10]
            if r.birth_date is None or r.birth_date < today - timedelta(days=16 * 365)
        ]
        for n, reg in enumerate(regs[:-2]):  # two registered but did not come
            services.checkin_scan(
                actor=actor,
                session=session,
                code=reg.short_code,
                now=starts - timedelta(minutes=10) + timedelta(minutes=n),
            )
        services.walk_in_add(actor=actor, session=session, name=WALK_IN_NAME, now=starts + timedelta(minutes=5))
        made[PAST_SAFETY] = activity
    return made


def load(demo: Demo) -> dict[str, Activity]:
    """``anju demo``'s activities, in the station the spaces loader made, as the community worker's work."""
    return load_demo_activities(
        community=demo.units["community"], station=demo.made["spaces"], actor=demo.staff, log=demo.log
    )
