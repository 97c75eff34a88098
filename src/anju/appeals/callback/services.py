"""The callback (回访): the requester's answer (or a worker's record of it) closes the appeal or reopens
it to the same department; followers' answers are in ``appeals.callback.followers``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.appeals import notes, notify
from anju.appeals.models import Appeal, Callback, SatisfactionLevel, Status
from anju.appeals.rates import rollup
from anju.appeals.services import require, transition
from anju.core import screening


def appeal_callback(
    *,
    actor: Any,
    appeal: Appeal,
    resolved: bool,
    satisfaction: SatisfactionLevel | None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Appeal:
    """The requester's answer (or a worker's record of it). Not satisfied reopens the appeal to the
    same department. A follower's answer is recorded and counted but does not move the appeal
    (``appeals.callback.followers``, which also says how followers' answers count in the three rates)."""
    from anju.appeals.callback import followers

    if satisfaction is None:
        raise ValidationError({"satisfaction": [_("Choose how satisfied you are.")]})
    require(actor, "appeal.callback", appeal)
    if actor is not None and followers.is_follower(appeal, actor):
        followers.follower_callback(
            actor=actor,
            appeal=appeal,
            follower=actor,
            resolved=resolved,
            satisfaction=satisfaction,
            comment=comment,
            request=request,
        )
        return appeal
    satisfied = satisfaction.counts_as_satisfied

    def mutate(a: Appeal, at: dt.datetime) -> dict[str, Any]:
        respondent = a.requester_id if a.requester_id else None
        Callback.objects.create(
            community_id=a.community_id,
            appeal=a,
            department_id=a.department_id,
            respondent_id=respondent,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            resolved=resolved,
            satisfaction=satisfaction,
            comment=screening.screen((comment or "").strip()[:1000]),
            at=at,
        )
        counts = {"completed": 1, "resolved": int(resolved), "ratings": 1, "satisfied": int(satisfied)}
        if satisfied:
            a.status = Status.CLOSED_RESOLVED if resolved else Status.CLOSED_UNRESOLVED
            a.closed_at = at
        else:
            a.status = Status.REOPENED
            # A new round: its SLA starts afresh at the reopen (signing and feedback by the policy of the
            # category and urgency, ``sla.compute_deadlines``) and its escalation ladders from zero.
            a.reopen_count += 1
            a.round_started_at = at
            a.handled_at = a.verified_at = None
            a.dispatched_at = at  # back to the same department, which must sign again
            a.signed_at = None
            # The response was settled (signed and contacted) before handling; it is not counted again, and
            # ``responded_on_time`` keeps its outcome (the roll-up rebuild reads it).
            counts["reopened"] = 1
            notify.notify(
                notify.liaisons_of([a.department_id]),
                appeal=a,
                kind="appeal.reopened",
                title=_("Appeal %(number)s reopened: the requester is not satisfied") % {"number": a.number},
            )
        rollup.bump_appeal(a, day=at, department_id=a.department_id, **counts)
        return {"resolved": resolved, "satisfaction": satisfaction.code}

    note = (comment or "").strip()[:1000]
    return transition(
        actor=actor,
        appeal=appeal,
        perm="appeal.callback",
        name="callback",
        allowed={Status.VERIFIED},
        to=None,
        note=note,
        note_key=notes.CALLBACK,
        note_params={"resolved": bool(resolved), "level": satisfaction.label},
        request=request,
        mutate=mutate,
        recompute=True,
    )
