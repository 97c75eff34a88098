"""Demo notices for the demo community (called from ``anju demo``); idempotent, fictional people only.

Pinned and plain notices, ones with a cover image, one for an area, one for elderly residents, an expired one
and a scheduled one, some reads (so the "most read" list means something), and the summary with photos of
the past demo activity. Pictures are drawn with Pillow: no real photos of real people.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from anju.accounts.models import User
from anju.activities.demo import PAST_SAFETY
from anju.activities.models import Activity
from anju.bulletin import services
from anju.bulletin.models import Notice
from anju.core.pictures import demo_picture
from anju.core.registry import Demo
from anju.orgs.models import OrgUnit, UnitKind
from anju.people.models import Tag

SUMMARY_BODY = """
<p>两周前的周六下午，东湖派出所民警来到党群服务站共享客厅，给社区的老人们讲解电信诈骗的常见套路。</p>
<ul><li>“冒充客服退款”：真客服不会让您下载会议软件、共享屏幕。</li>
<li>“免费领保健品”：先送鸡蛋再卖高价药，一律不要交钱。</li>
<li>“孙子出事要钱”：先挂电话，再打给家人核实。</li></ul>
<p>活动现场还演示了手机上的国家反诈中心App。感谢党员志愿者帮忙签到、引导！</p>
"""

NOTICES: list[dict[str, Any]] = [
    {
        "title": "关于冬季安全用电、用气的温馨提示",
        "category": Notice.Category.SAFETY,
        "pinned": True,
        "days_ago": 2,
        "cover": 1,
        "reads": 6,
        "body": "<p>天气转冷，请各位居民注意：</p><ul><li>不在楼道、室内给电动车充电；</li>"
        "<li>取暖器远离窗帘、被褥，人走断电；</li><li>使用燃气时保持通风，发现异味立即关阀开窗，"
        "拨打燃气公司抢修电话。</li></ul><p>独居老人家中的用电、用气，网格员将在本月内逐户上门检查。</p>",
    },
    {
        "title": "党群服务站冬季开放时间调整",
        "category": Notice.Category.NOTICE,
        "pinned": True,
        "days_ago": 5,
        "reads": 4,
        "body": "<p>自12月1日起，党群服务站开放时间调整为 <strong>08:30–20:00</strong>。"
        "共享厨房、共享客厅的预约请在“场地预约”中办理。</p>",
    },
    {
        "title": "原种场片区停水通知",
        "category": Notice.Category.NOTICE,
        "days_ago": 1,
        "expires_in": 10,
        "audience": "area",
        "reads": 3,
        "body": "<p>因供水管网改造，原种场片区将于本周六 09:00–17:00 停水，请提前储水。如有困难请联系网格员。</p>",
    },
    {
        "title": "高龄津贴年度认证提醒",
        "category": Notice.Category.POLICY,
        "days_ago": 3,
        "audience": "tag",
        "tag": "老人",
        "reads": 2,
        "body": "<p>80周岁以上老人请于本月底前完成高龄津贴年度认证。行动不便的，可请党员中心户或网格员上门办理。</p>",
    },
    {
        "title": "共享菜园认领结果公布",
        "category": Notice.Category.NEWS,
        "days_ago": 8,
        "cover": 2,
        "reads": 5,
        "body": "<p>共享农场12块菜地已全部认领，名单在服务站公告栏张贴。"
        '请认领的家庭按照<a href="https://example.org/">公约</a>轮流浇水、除草。</p>',
    },
    {
        "title": "国庆假期服务安排",
        "category": Notice.Category.NOTICE,
        "days_ago": 60,
        "expires_days_ago": 50,
        "body": "<p>国庆假期期间，党群服务站每天 09:00–17:00 有志愿者值班。</p>",
    },
    {
        "title": "元旦游园活动预告",
        "category": Notice.Category.NEWS,
        "days_ago": -5,
        "cover": 3,
        "body": "<p>元旦当天上午，共享花园举办游园活动：猜灯谜、套圈、包饺子，欢迎全家参加。</p>",
    },
]


def load_demo_notices(*, community: OrgUnit, actor: Any, activities: dict[str, Activity] | None = None) -> int:
    """Returns the number of notices made (0 on a second run)."""
    now = timezone.now()
    existing = set(Notice.objects.filter(community=community).values_list("title", flat=True))
    area = OrgUnit.objects.subtree_of(community).filter(kind=UnitKind.AREA).order_by("path").first()
    tags = {t.name: t for t in Tag.objects.filter(community=community)}
    readers = list(
        User.objects.filter(username__in=["resident", "volunteer", "gridworker", "secretary", "worker", "supervisor"])
    )
    made = 0
    for spec in NOTICES:
        if spec["title"] in existing:
            continue
        audience = spec.get("audience", Notice.Audience.COMMUNITY)
        if (audience == "area" and area is None) or (audience == "tag" and spec.get("tag") not in tags):
            continue
        publish_at = now - timedelta(days=spec["days_ago"])
        expires_at = None
        if "expires_in" in spec:
            expires_at = now + timedelta(days=spec["expires_in"])
        elif "expires_days_ago" in spec:
            expires_at = now - timedelta(days=spec["expires_days_ago"])
        notice = services.notice_create(
            actor=actor,
            community=community,
            title=spec["title"],
            body=spec["body"],
            category=spec["category"],
            pinned=spec.get("pinned", False),
            publish_at=publish_at,
            expires_at=expires_at,
            audience=audience,
            area=area if audience == "area" else None,
            tag=tags.get(spec.get("tag", "")) if audience == "tag" else None,
            cover=demo_picture(spec["cover"], "cover.png") if "cover" in spec else None,
        )
        for reader in readers[: spec.get("reads", 0)]:
            services.notice_mark_read(user=reader, notice=notice)
        made += 1
    past = (activities or {}).get(PAST_SAFETY)
    if past is not None and services.summary_for(past) is None:
        finished = services.activity_finished_at(past)
        if finished is not None and finished <= now:
            services.activity_summary_publish(
                actor=actor,
                activity=past,
                title=f"{past.title}：活动回顾",
                body=SUMMARY_BODY,
                photos=[demo_picture(20 + n, f"summary-{n}.png") for n in range(3)],
                now=finished + timedelta(days=1),
            )
            made += 1
    return made


def load(demo: Demo) -> int:
    """``anju demo``'s notices, some about the activities the activities loader made."""
    return load_demo_notices(
        community=demo.units["community"], actor=demo.staff, activities=demo.made.get("activities")
    )
