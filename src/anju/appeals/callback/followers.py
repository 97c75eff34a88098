"""Followers (我也遇到) are called back too.

A follower answers the callback from the appeal page (resolved or not, and a rating), or a community
worker records the answer a follower gave on the phone. A follower's answer never moves the appeal (only
the requester's "not satisfied" reopens it) and never closes it.

**How followers' answers count in the three rates.** Not at all, unless the community's staff chose
otherwise (``Publication.followers_counted``, on the appeals publication page; audited). Following is a
"me too", not a filed appeal: a follower was offered the appeal as similar, reads only its public view and
may not even have had the same problem fixed, so counting their answers would let the number of
followers (which the community does not control) move a department's rates. Their answer is recorded
(``Callback.is_follower``, ``counted`` saying whether it went into the roll-up), shown to staff and the
departments, and a "not solved / not satisfied" answer alerts the community staff. When the community
chose to count them, each answer adds one to ``completed`` and ``ratings`` (and to ``resolved`` and
``satisfied`` when it says so) against the lead department, on the day it is given, as the requester's
answer does; the choice applies to answers given from then on. The response rate is per dispatched appeal
and is never touched by callbacks.

A follower answers once per handling round: a new round starts when the department hands the appeal in
again after it was reopened (``handled_at`` is set anew), so a follower asked again after a reopened appeal
is handled again answers again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import clock, notes, notify
from anju.appeals.models import Appeal, AppealEvent, AppealFollower, Callback, SatisfactionLevel, Status
from anju.appeals.policies import follows, holds
from anju.appeals.rates import rollup
from anju.appeals.services import InvalidTransition, proxy_fields
from anju.audit.actions import Action
from anju.audit.services import record
from anju.core import screening

#: States in which a follower's answer is taken: handled and verified (awaiting the callback), or closed
#: after handling (the requester answered first, or the community closed it unresolved).
ANSWERABLE = frozenset({Status.VERIFIED, Status.CLOSED_RESOLVED, Status.CLOSED_UNRESOLVED})


def round_start(appeal: Appeal) -> dt.datetime | None:
    """When the current handling round began (the last handling feedback)."""
    return appeal.handled_at or appeal.verified_at


def _answered(appeal: Appeal, user_id: int) -> bool:
    qs = Callback.objects.filter(appeal=appeal, respondent_id=user_id, is_follower=True)
    start = round_start(appeal)
    if start is not None:
        qs = qs.filter(at__gte=start)
    return qs.exists()


def is_follower(appeal: Appeal, user: Any) -> bool:
    """A follower who is not also the requester or whoever filed it (those answer the requester's callback)."""
    uid = getattr(user, "pk", user)
    if uid is None or uid in (appeal.requester_id, appeal.filed_by_id):
        return False
    return follows(appeal, uid)


def may_answer(appeal: Appeal, user: Any) -> bool:
    """May this follower answer now (right state, not answered in this round)?"""
    return appeal.status in ANSWERABLE and is_follower(appeal, user) and not _answered(appeal, user.pk)


def followers_to_call(appeal: Appeal) -> list[Any]:
    """Followers who have not answered in this round: whom a worker may still record an answer for."""
    if appeal.status not in ANSWERABLE or not holds(appeal, "followers"):
        return []
    start = round_start(appeal)
    answered = Callback.objects.filter(appeal=appeal, is_follower=True, respondent_id=OuterRef("user_id"))
    if start is not None:
        answered = answered.filter(at__gte=start)
    parties = [uid for uid in (appeal.requester_id, appeal.filed_by_id) if uid is not None]
    return [
        f.user
        for f in AppealFollower.objects.filter(appeal=appeal)
        .exclude(user_id__in=parties)
        .exclude(Exists(answered))
        .select_related("user")
        .order_by("created_at", "id")
    ]


def callbacks_for(user: Any, appeal: Appeal) -> dict[str, list[Callback]]:
    """Callbacks answered on this appeal, the requester's and the followers' apart. Staff and the lead's
    liaisons see all; a requester or follower sees their own answers only."""
    if not holds(appeal, "callbacks"):
        return {"requester": [], "followers": []}
    qs: QuerySet[Callback] = Callback.objects.filter(appeal=appeal).select_related(
        "satisfaction", "respondent", "recorded_by"
    )
    if not policy.can(user, "appeal.inside", appeal):
        if user.pk in (appeal.requester_id, appeal.filed_by_id):
            qs = qs.filter(is_follower=False)
        else:
            qs = qs.filter(is_follower=True, respondent_id=user.pk)
    rows = list(qs.order_by("at", "id"))
    return {
        "requester": [c for c in rows if not c.is_follower],
        "followers": [c for c in rows if c.is_follower],
    }


def follower_callback(
    *,
    actor: Any,
    appeal: Appeal,
    follower: Any,
    resolved: bool,
    satisfaction: SatisfactionLevel | None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Callback:
    """A follower's answer, given by the follower or recorded by a community worker. Counted in the three
    rates only when the community chose so (see the module docstring); never moves the appeal."""
    from anju.appeals import privacy

    if satisfaction is None:
        raise ValidationError({"satisfaction": [_("Choose how satisfied you are.")]})
    if follower is None or not is_follower(appeal, follower):
        raise ValidationError({"follower": [_("Choose a resident who follows this appeal.")]})
    by_self = getattr(actor, "pk", None) == follower.pk
    if by_self and not policy.can(actor, "appeal.callback", appeal):
        raise PermissionDenied
    if not by_self and not policy.can(actor, "appeal.triage", appeal):
        raise PermissionDenied
    at = clock.now()
    counted = privacy.publication_for(appeal.community_id).followers_counted
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.status not in ANSWERABLE:
            raise InvalidTransition(_("The appeal has not been handled yet; you will be asked when it is."))
        if _answered(locked, follower.pk):
            raise InvalidTransition(_("This follower has answered the callback already."))
        callback = Callback.objects.create(
            community_id=locked.community_id,
            appeal=locked,
            department_id=locked.department_id,
            respondent=follower,
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            is_follower=True,
            counted=counted,
            resolved=resolved,
            satisfaction=satisfaction,
            comment=screening.screen((comment or "").strip()[:1000]),
            at=at,
        )
        if counted:
            rollup.bump_appeal(
                locked,
                day=at,
                department_id=locked.department_id,
                completed=1,
                resolved=int(resolved),
                ratings=1,
                satisfied=int(satisfaction.counts_as_satisfied),
            )
        AppealEvent.objects.create(
            community_id=locked.community_id,
            appeal=locked,
            action="follower_callback",
            from_status=locked.status,
            to_status=locked.status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_label=str(actor)[:100] if actor else "anju",
            note_key=notes.FOLLOWER_CALLBACK if by_self else notes.FOLLOWER_CALLBACK_RECORDED,
            note_params={"resolved": bool(resolved), "level": satisfaction.label},
            public=False,  # one resident's rating is not shown to the others
            at=at,
            **proxy_fields(actor),
        )
        if not (resolved and satisfaction.counts_as_satisfied):
            notify.notify(
                notify.community_staff(locked),
                appeal=locked,
                kind="appeal.follower_unsatisfied",
                title=_("Appeal %(number)s: a follower says it is not solved or is not satisfied")
                % {"number": locked.number},
            )
        record(
            Action.APPEAL_CALLBACK,
            actor=actor,
            obj=locked,
            request=request,
            data={
                "follower": True,
                "respondent": follower.pk,
                "resolved": resolved,
                "satisfaction": satisfaction.code,
                "recorded": not by_self,
                "counted": counted,
            },
        )
    return callback
