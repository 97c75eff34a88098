"""Builders of the opinion-collection tests (tests/test_consult_surveys*.py, the browser test, benchmarks): a
people world with a resident account matched to a household, and an open survey of its community with one
question of each kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anju.access.roles import Role
from anju.accounts.models import User
from anju.consult.models import Question, Survey
from anju.consult.surveys import services
from anju.people.models import Household, Resident
from anju.testing import make_user
from anju.testing.pairing import add_household
from anju.testing.people import PeopleWorld, make_people_world


@dataclass
class SurveyWorld:
    people: PeopleWorld
    survey: Survey  # open, one answer per household
    single: Question  # 建不建 (3 options)
    multiple: Question  # 用途 (3 options)
    rating: Question  # 1..5
    text: Question  # optional
    households: list[Household]  # this community: the people world's two, then three more in building 1
    users: dict[str, Any]

    @property
    def tree(self) -> Any:
        return self.people.tree


def resident_account(resident: Resident, unit: Any) -> User:
    """A resident's account whose mobile number matches the registry entry (how online answers find a household)."""
    return make_user(Role.RESIDENT, unit, mobile=resident.mobile)


def make_survey(
    community: Any, *, per: str = "household", title: str = "党群服务站建设意见征集", open_: bool = True
) -> Survey:
    survey = services.survey_create(actor=None, community=community, title=title, per=per)
    services.question_add(
        actor=None,
        survey=survey,
        kind="single",
        text="闲置楼改建为党群服务站，您是否赞成？",
        options=["赞成", "反对", "无所谓"],
    )
    services.question_add(
        actor=None,
        survey=survey,
        kind="multiple",
        text="您希望服务站有哪些功能？",
        options=["阅览室", "共享厨房", "儿童学习区"],
    )
    services.question_add(actor=None, survey=survey, kind="rating", text="您对现在的活动场地满意吗？", rating_max=5)
    services.question_add(actor=None, survey=survey, kind="text", text="其他建议", required=False)
    if open_:
        services.survey_open(actor=None, survey=survey)
    survey.refresh_from_db()
    return survey


def full_answer(survey: Survey, *, choice: int = 0, text: str = "") -> dict[int, services.Answer]:
    """An answer to every question of a :func:`make_survey` survey: option number ``choice`` of the choices."""
    qs = list(survey.questions.prefetch_related("options"))
    single, multiple, rating, free = qs
    return {
        single.pk: services.Answer(options=(list(single.options.all())[choice].pk,)),
        multiple.pk: services.Answer(options=tuple(o.pk for o in list(multiple.options.all())[: choice + 1])),
        rating.pk: services.Answer(rating=choice + 1),
        free.pk: services.Answer(text=text),
    }


def make_survey_world() -> SurveyWorld:
    pw = make_people_world()
    tree = pw.tree
    survey = make_survey(tree.community)
    single, multiple, rating, text = list(survey.questions.all())
    more = [
        add_household(tree.building, f"{n}03", name=name)
        for n, name in enumerate(("孙大爷", "周阿姨", "吴奶奶"), start=1)
    ]
    users = dict(pw.users)
    users["resident"] = resident_account(pw.residents[1], tree.building)  # 李秀英, household 1
    users["neighbour"] = resident_account(pw.residents[2], pw.building2)  # 王小明, household 2
    return SurveyWorld(pw, survey, single, multiple, rating, text, [*pw.households[:2], *more], users)
