"""每月一题 candidates: the appeals of the last 30–90 days grouped by place, kind and text (``grouping.text``);
a group of at least ``MIN_APPEALS`` becomes (or refreshes) a candidate the staff may make a topic of or dismiss.
Suggesting twice writes nothing new: a candidate's key is its place, kind and first appeal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from anju.appeals import selectors as appeal_selectors
from anju.audit.actions import Action
from anju.audit.services import record
from anju.consult.grouping import text
from anju.consult.models import Candidate, Topic
from anju.consult.topics import services as topics
from anju.orgs.models import OrgUnit

MIN_APPEALS = 3
MIN_DAYS, MAX_DAYS = 30, 90


def candidates_suggest(
    *, actor: Any, community: OrgUnit, days: int = MAX_DAYS, now: dt.datetime | None = None
) -> list[Candidate]:
    """Group the community's appeals of the last ``days`` days; write or refresh a candidate per group of at
    least ``MIN_APPEALS``. Returns the suggested (not yet accepted or dismissed) candidates of this run."""
    if not MIN_DAYS <= int(days) <= MAX_DAYS:
        raise ValidationError(
            {"days": [_("Look back between %(min)d and %(max)d days.") % {"min": MIN_DAYS, "max": MAX_DAYS}]}
        )
    now = now or timezone.now()
    appeals = appeal_selectors.appeal_texts(community.pk, now - dt.timedelta(days=int(days)))
    by_id = {a.id: a for a in appeals}
    items = [text.Item(a.id, a.location_id, a.category_id, a.text) for a in appeals]
    groups = [g for g in text.group(items) if len(g.ids) >= MIN_APPEALS]
    units = OrgUnit.objects.in_bulk({g.place for g in groups})
    out: list[Candidate] = []
    with transaction.atomic():
        created = 0
        for g in groups:
            ids = sorted(int(i) for i in g.ids)  # type: ignore[call-overload]
            first = by_id[ids[0]]
            key = f"{g.place}:{g.kind}:{ids[0]}"
            times = [by_id[i].received_at for i in ids]
            unit = units[g.place]
            title = f"{unit.name}：{first.category_name}（{'、'.join(g.keywords)}）"[:200]
            candidate, was_created = Candidate.objects.get_or_create(
                community=community,
                key=key,
                defaults={
                    "unit": unit,
                    "category_name": first.category_name[:200],
                    "title": title,
                    "keywords": list(g.keywords),
                    "appeal_ids": ids,
                    "first_at": min(times),
                    "last_at": max(times),
                },
            )
            created += was_created
            if not was_created and candidate.appeal_ids != ids:
                candidate.appeal_ids, candidate.keywords = ids, list(g.keywords)
                candidate.first_at, candidate.last_at = min(times), max(times)
                candidate.save(update_fields=["appeal_ids", "keywords", "first_at", "last_at"])
            if candidate.status == Candidate.Status.SUGGESTED:
                out.append(candidate)
        if created:
            record(
                Action.CONSULT_CANDIDATES_SUGGESTED,
                actor=actor,
                community=community,
                data={"days": int(days), "appeals": len(appeals), "new": created},
            )
    return out


def candidate_accept(*, actor: Any, candidate: Candidate, request: HttpRequest | None = None) -> Topic:
    """Make a topic of a suggested candidate (once)."""
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if locked.status != Candidate.Status.SUGGESTED:
            raise ValidationError({"candidate": [_("This candidate has been handled already.")]})
        body = _("%(n)d appeals of this kind here between %(first)s and %(last)s.") % {
            "n": len(locked.appeal_ids),
            "first": timezone.localtime(locked.first_at).date().isoformat(),
            "last": timezone.localtime(locked.last_at).date().isoformat(),
        }
        topic = topics.topic_open(
            actor=actor,
            community=locked.community,
            title=locked.title,
            body=body,
            origin=Topic.Origin.APPEALS,
            request=request,
        )
        locked.status, locked.topic = Candidate.Status.ACCEPTED, topic
        locked.save(update_fields=["status", "topic"])
        record(
            Action.CONSULT_CANDIDATE_ACCEPTED,
            actor=actor,
            obj=locked,
            request=request,
            data={"topic": topic.pk, "appeals": locked.appeal_ids},
        )
    return topic


def candidate_dismiss(*, actor: Any, candidate: Candidate, request: HttpRequest | None = None) -> Candidate:
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if locked.status != Candidate.Status.SUGGESTED:
            raise ValidationError({"candidate": [_("This candidate has been handled already.")]})
        locked.status = Candidate.Status.DISMISSED
        locked.save(update_fields=["status"])
        record(Action.CONSULT_CANDIDATE_DISMISSED, actor=actor, obj=locked, request=request, data={})
    return locked
