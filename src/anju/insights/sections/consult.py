"""Consultation (板凳会、议事亭、征集意见): the topics opened, the bench meetings and pavilion sessions held and the
people who checked in to them, and the answers given to surveys — one grouped query on each of the three tables."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from anju.consult.models import Meeting, Participation, Topic
from anju.insights.periods import Period
from anju.insights.sections import register
from anju.insights.sections.base import Counts, Figure, Section, community_filter, per_period, within

HELD = (Meeting.Status.HELD, Meeting.Status.PUBLISHED)


def merge(*parts: Counts) -> Counts:
    """The counters of several grouped queries, per period and community, in one mapping."""
    out: Counts = {}
    for part in parts:
        for i, per_community in part.items():
            for cid, counters in per_community.items():
                out.setdefault(i, {}).setdefault(cid, {}).update(counters)
    return out


class ConsultSection(Section):
    key = "consult"
    title = _("Consultation")
    order = 70
    headline = "meetings"
    method = _("Consultation (板凳会、议事亭、征集意见)")
    figures = (
        Figure("topics", _("Topics opened"), "topics"),
        Figure("meetings", _("Meetings held"), "meetings"),
        Figure("meeting_attendance", _("Check-ins at meetings"), "checkins"),
        Figure("answers", _("Survey answers"), "answers"),
    )

    def counts(self, ids: list[int] | None, periods: Sequence[Period]) -> Counts:
        def opened(p: Period) -> Q:
            return within("created_at", p, aware=True)

        def held(p: Period) -> Q:
            return within("starts_at", p, aware=True) & Q(status__in=HELD)

        topics = per_period(
            community_filter(Topic.objects.all(), ids),
            periods,
            {"topics": lambda p: Count("pk", filter=opened(p))},
            where=opened,
        )
        meetings = per_period(
            community_filter(Meeting.objects.all(), ids),
            periods,
            {
                "meetings": lambda p: Count("pk", distinct=True, filter=held(p)),
                "checkins": lambda p: Count("attendances", filter=held(p)),
            },
            where=held,
        )
        answers = per_period(
            community_filter(Participation.objects.all(), ids),
            periods,
            {"answers": lambda p: Count("pk", filter=opened(p))},
            where=opened,
        )
        return merge(topics, meetings, answers)


register(ConsultSection())
