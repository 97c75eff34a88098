"""The demo's opinion collection, through the services: the station-building consultation of 2023 (征集意见:
should the idle building become the party–mass service station, which rooms it should have, how satisfied the
lane is with its meeting places), answered online, at the door with a volunteer and on paper forms, with the
shows of hands of the bench meetings beside it, then closed.

Idempotent: nothing is added once the community has a survey. The survey ran in 2023: its dates are set there
after the answers (demo only, as the pairing demo dates its registry back).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import translation

from anju.accounts.models import User
from anju.consult.models import Participation, Survey
from anju.consult.models.surveys import Channel
from anju.consult.surveys import services
from anju.core.registry import Demo
from anju.orgs.models import OrgUnit
from anju.people.models import Household
from anju.people.selectors import resident_for_user

TITLE = "2023年党群服务站建设意见征集"
OPENED = dt.datetime(2023, 4, 3, 9, 0, tzinfo=dt.UTC)
CLOSED = dt.datetime(2023, 4, 28, 18, 0, tzinfo=dt.UTC)
TEXTS = ["希望有个地方让老人下棋喝茶", "孩子放学后没地方写作业", "楼道灯太暗，顺便修一修", "", "", ""]


def load_demo_surveys(*, community: OrgUnit, staff: Any, log: Any = None) -> Survey | None:
    if Survey.objects.filter(community=community).exists():
        return None
    survey = services.survey_create(
        actor=staff,
        community=community,
        title=TITLE,
        description="闲置的二层小楼准备改建为党群服务站。每户一份，线上填写、志愿者上门代填或填写纸质问卷均可。",
    )
    services.question_add(
        actor=staff,
        survey=survey,
        kind="single",
        text="闲置楼改建为党群服务站，您是否赞成？",
        options=["赞成", "反对", "无所谓"],
    )
    services.question_add(
        actor=staff,
        survey=survey,
        kind="multiple",
        text="您希望服务站有哪些功能？",
        options=["党员活动室", "儿童学习区", "阅览室", "共享厨房", "议事亭"],
    )
    services.question_add(actor=staff, survey=survey, kind="rating", text="您对现在巷子里的议事场地满意吗？")
    services.question_add(actor=staff, survey=survey, kind="text", text="其他建议", required=False)
    services.survey_open(actor=staff, survey=survey)
    single, multiple, rating, free = list(survey.questions.prefetch_related("options"))
    rng = random.Random(16)  # noqa: S311  fictional data, not security
    volunteer = User.objects.filter(username="volunteer").first() or staff
    resident = User.objects.filter(username="resident").first()
    own = resident_for_user(resident) if resident is not None else None
    households = list(Household.objects.filter(community=community, status=Household.Status.ACTIVE).order_by("id"))
    answered = 0
    for n, household in enumerate(households):
        if n % 7 == 6:
            continue  # not reached: the participation page lists them for a visit
        channel = [Channel.ONLINE, Channel.ASSISTED, Channel.PAPER][n % 3]
        if own is not None and household.pk == own.household_id:
            channel = Channel.ONLINE
        options = list(single.options.all())
        choice = options[0] if rng.random() < 0.8 else rng.choice(options[1:])
        everything = [o.pk for o in multiple.options.all()]
        rooms = [pk for pk in everything if rng.random() < 0.5] or everything[:1]
        services.survey_answer(
            actor={Channel.ONLINE: resident or staff, Channel.ASSISTED: volunteer, Channel.PAPER: staff}[channel],
            survey=survey,
            household=household,
            channel=channel,
            answers={
                single.pk: services.Answer(options=(choice.pk,)),
                multiple.pk: services.Answer(options=tuple(rooms)),
                rating.pk: services.Answer(rating=rng.choice([2, 3, 3, 4])),
                free.pk: services.Answer(text=TEXTS[n % len(TEXTS)]),
            },
        )
        answered += 1
    # The bench meetings' shows of hands in April 2023, named (the meetings planned in consult are today's).
    for label, day, present, hands in [
        ("第一次板凳会（巷口）", dt.date(2023, 4, 8), 26, (21, 2, 3)),
        ("第二次板凳会（议事亭）", dt.date(2023, 4, 22), 31, (27, 1, 2)),
    ]:
        services.tally_record(
            actor=staff,
            survey=survey,
            question=single,
            meeting_label=label,
            held_on=day,
            attendance=present,
            votes={o.pk: v for o, v in zip(single.options.all(), hands, strict=True)},
        )
    services.survey_close(actor=staff, survey=survey)
    # Demo only: the consultation ran in April 2023.
    Survey.objects.filter(pk=survey.pk).update(created_at=OPENED, opened_at=OPENED, closed_at=CLOSED)
    Participation.objects.filter(survey=survey).update(created_at=OPENED + dt.timedelta(days=5))
    if log is not None:
        log(f"demo surveys: {TITLE}, {answered} households answered")
    return survey


def load(demo: Demo) -> Survey | None:
    with translation.override("zh-hans"):
        return load_demo_surveys(community=demo.units["community"], staff=demo.staff, log=demo.log)
