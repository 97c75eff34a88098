"""The demo consultation for ``anju demo``, through the services: how Anju decided in 2023 to turn a 200 m²
idle building into its station (a topic, two bench meetings with minutes and head counts, decisions done and
the summary on the notice board), and a residents' proposal gathering support when the demo resident's account
is linked to a registry household (the demo registry does not hold her yet, so none is made today).

Idempotent: nothing is added once the community has the station topic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone, translation

from anju.accounts.models import User
from anju.consult.meetings import services as meetings
from anju.consult.models import Meeting, Topic
from anju.consult.topics import services as topics
from anju.core.registry import Demo
from anju.orgs.models import OrgUnit

STATION_TOPIC = "党群服务站怎么建：200平方米闲置楼改成什么"
PROPOSAL = "议事亭加装顶棚，下雨天也能议事"


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), timezone.get_current_timezone())


def load_demo_consult(*, community: OrgUnit, staff: Any, log: Any = None) -> Topic | None:
    if Topic.objects.filter(community=community, title=STATION_TOPIC).exists():
        return None
    topic = topics.topic_open(
        actor=staff,
        community=community,
        title=STATION_TOPIC,
        body="社区有一栋约200平方米的闲置楼。建成党群服务站后，哪些房间最用得上？请大家一起商量。",
    )
    volunteer = User.objects.filter(username="volunteer").first() or staff
    first = meetings.meeting_plan(
        actor=staff,
        community=community,
        kind=Meeting.Kind.BENCH,
        title="第一次板凳会：闲置楼改建听大家的",
        starts_at=_at(dt.date(2023, 3, 18), 9, 30),
        ends_at=_at(dt.date(2023, 3, 18), 11),
        place="安居巷口老槐树下",
        topics=[topic],
    )
    meetings.meeting_minutes(
        actor=staff,
        meeting=first,
        minutes="36位居民到会。大家最想要的是老人能坐下来聊天的地方、孩子放学后写作业的地方、调解邻里矛盾的房间。"
        "有居民提出去先进社区看看别人怎么建。",
        head_count=36,
    )
    survey = meetings.decision_record(
        actor=staff,
        meeting=first,
        topic=topic,
        text="入户走访，逐户征集对功能室的意见",
        owner=volunteer,
        due_on=dt.date(2023, 4, 15),
    )
    trip = meetings.decision_record(
        actor=staff,
        meeting=first,
        topic=topic,
        text="组织居民代表赴先进社区参观学习",
        owner=staff,
        due_on=dt.date(2023, 4, 30),
    )
    meetings.decision_done(actor=volunteer, decision=survey, note="党员中心户走访了全部住户，收回意见212条。")
    meetings.decision_done(actor=staff, decision=trip, note="12位居民代表参观了两个社区的党群服务站。")
    second = meetings.meeting_plan(
        actor=staff,
        community=community,
        kind=Meeting.Kind.BENCH,
        title="第二次板凳会：定下服务站的房间",
        starts_at=_at(dt.date(2023, 5, 20), 9, 30),
        ends_at=_at(dt.date(2023, 5, 20), 11),
        place="议事亭",
        topics=[topic],
    )
    meetings.meeting_minutes(
        actor=staff,
        meeting=second,
        minutes="42位居民到会，通报了走访意见和参观见闻。大家商定：一楼做共享客厅和儿童学习区，二楼做党员活动室和"
        "矛盾纠纷调解室；楼后空地由居民投工投劳建共享花园。",
        head_count=42,
    )
    rooms = meetings.decision_record(
        actor=staff,
        meeting=second,
        topic=topic,
        text="按商定的布局改建：一楼共享客厅、儿童学习区，二楼党员活动室、调解室",
        owner=staff,
        due_on=dt.date(2023, 9, 30),
    )
    garden = meetings.decision_record(
        actor=staff,
        meeting=second,
        topic=topic,
        text="居民投工投劳建共享花园",
        owner=volunteer,
        due_on=dt.date(2023, 10, 31),
    )
    meetings.decision_done(actor=staff, decision=rooms, note="服务站于2023年9月完成改建并开放。")
    meetings.decision_done(actor=volunteer, decision=garden, note="58户居民投工投劳，共享花园已建成。")
    meetings.summary_publish(
        actor=staff,
        meeting=second,
        summary="两次板凳会、一次入户走访、一次参观学习，大家一起定下了党群服务站的样子。谢谢每一位出主意、出力的邻居！",
    )
    resident = User.objects.filter(username="resident").first()
    if resident is not None and topics.household_of(resident) is not None:
        topics.proposal_make(actor=resident, title=PROPOSAL, body="议事亭没有顶棚，下雨天不能坐。", threshold=10)
    if log is not None:
        log("demo consult: the 2023 station consultation (two bench meetings, four decisions done)")
    return topic


def load(demo: Demo) -> Topic | None:
    with translation.override("zh-hans"):
        return load_demo_consult(community=demo.units["community"], staff=demo.staff, log=demo.log)
