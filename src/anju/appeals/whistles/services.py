"""社区吹哨、部门报到: summon departments to the site, check them in, evaluate them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from anju.access import policy
from anju.appeals import clock, notes, notify
from anju.appeals.models import OPEN_STATUSES, Appeal, AppealAssist, AppealEvent, Summons, Whistle
from anju.appeals.policies import liaison_departments
from anju.appeals.rates import rollup
from anju.appeals.services import InvalidTransition
from anju.audit.actions import Action
from anju.audit.services import diff, record
from anju.core.text import local_minute
from anju.orgs.models import Department

DEFAULT_ARRIVAL_MINUTES = 30
TOKEN_SALT = "anju.appeals.checkin"  # noqa: S105  a signing salt, not a secret


def _event(
    appeal: Appeal,
    actor: Any,
    action: str,
    note_key: str,
    note_params: dict[str, Any],
    department: Department | None = None,
) -> None:
    AppealEvent.objects.create(
        community_id=appeal.community_id,
        appeal=appeal,
        action=action,
        from_status=appeal.status,
        to_status=appeal.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=str(actor)[:100] if actor else "anju",
        department=department,
        note_key=note_key,
        note_params=note_params,
        at=clock.now(),
    )


def whistle_blow(
    *,
    actor: Any,
    appeal: Appeal,
    departments: Sequence[Department],
    minutes: int = DEFAULT_ARRIVAL_MINUTES,
    note: str = "",
    request: HttpRequest | None = None,
) -> Whistle:
    if actor is not None and not policy.can(actor, "appeal.triage", appeal):
        raise PermissionDenied
    departments = list({d.pk: d for d in departments}.values())
    if not departments:
        raise ValidationError({"departments": [_("Summon at least one department.")]})
    if not 5 <= minutes <= 24 * 60:
        raise ValidationError({"minutes": [_("The arrival deadline is between 5 minutes and 24 hours.")]})
    for d in departments:
        if not appeal.community.is_within(d.unit):
            raise ValidationError({"departments": [_("%(name)s does not serve this community.") % {"name": d.name}]})
    if appeal.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The appeal is closed; no whistle can be blown for it."))
    at = clock.now()
    with transaction.atomic():
        whistle = Whistle.objects.create(
            community_id=appeal.community_id, appeal=appeal, blown_by=actor, blown_at=at, note=note.strip()
        )
        for d in departments:
            Summons.objects.create(
                community_id=appeal.community_id,
                whistle=whistle,
                department=d,
                arrive_by=at + dt.timedelta(minutes=minutes),
            )
            if d.pk != appeal.department_id:
                AppealAssist.objects.get_or_create(
                    appeal=appeal, department=d, defaults={"community_id": appeal.community_id}
                )
            rollup.bump_appeal(appeal, day=at, department_id=d.pk, summoned=1)
        rollup.bump_appeal(appeal, day=at, whistles=1)
        notify.notify(
            notify.liaisons_of([d.pk for d in departments]),
            appeal=appeal,
            kind="appeal.whistle",
            title=_("Whistle: report on site for appeal %(number)s within %(minutes)d minutes")
            % {"number": appeal.number, "minutes": minutes},
        )
        _event(
            appeal,
            actor,
            "whistle",
            notes.WHISTLE,
            {"names": [d.name for d in departments], "minutes": minutes},
        )
        record(
            Action.APPEAL_WHISTLE,
            actor=actor,
            obj=appeal,
            request=request,
            data={"departments": [d.pk for d in departments], "minutes": minutes},
        )
    return whistle


def checkin_token(summons: Summons) -> str:
    return signing.dumps({"s": summons.pk}, salt=TOKEN_SALT)


def summons_from_token(token: str, *, max_age: int = 2 * 24 * 3600) -> int | None:
    try:
        return int(signing.loads(token, salt=TOKEN_SALT, max_age=max_age)["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


ROLLUP_FIELD: dict[str, str] = {
    Summons.Arrival.SCANNED: "arrived_scanned",
    Summons.Arrival.CONFIRMED: "arrived_confirmed",
    Summons.Arrival.SELF_DECLARED: "arrived_self_declared",
}


def summons_checkin(
    *,
    actor: Any,
    summons: Summons,
    method: str = Summons.Arrival.SELF_DECLARED,
    request: HttpRequest | None = None,
) -> Summons:
    """Record a summoned department's arrival on site (报到), and how it is known:

    - ``scanned``: a liaison of the department scanned the code posted on site (:mod:`sitecode`);
    - ``confirmed``: a community worker on site confirms the department is there;
    - ``self_declared``: a liaison pressed "we have arrived" on the appeal page, from anywhere.

    Only the first two count as on-time arrivals. An arrival is recorded once; a verified one (scan or
    confirmation) may replace a self-declared one, at its own time. The timeline says how."""
    if method not in Summons.Arrival.values:
        raise ValueError(f"unknown arrival method {method!r}")
    appeal = summons.whistle.appeal
    if method == Summons.Arrival.CONFIRMED:
        if actor is None or not policy.can(actor, "appeal.triage", appeal):
            raise PermissionDenied
    elif actor is not None and summons.department_id not in liaison_departments(actor):
        raise PermissionDenied
    at = clock.now()
    with transaction.atomic():
        locked = Summons.objects.select_for_update().select_related("whistle__appeal", "department").get(pk=summons.pk)
        before = locked.arrival_method if locked.arrived_at is not None else ""
        if locked.arrived_at is not None and (before in Summons.VERIFIED or method == Summons.Arrival.SELF_DECLARED):
            raise InvalidTransition(
                _("Arrival was already recorded at %(time)s.") % {"time": local_minute(locked.arrived_at)}
            )
        locked.arrived_at = at
        locked.arrived_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.arrival_method = method
        locked.save(update_fields=["arrived_at", "arrived_by", "arrival_method"])
        appeal = locked.whistle.appeal
        counts = {ROLLUP_FIELD[method]: 1}
        if before:  # a self-declared arrival, now verified
            counts[ROLLUP_FIELD[before]] = -1
        if locked.on_time:
            counts["arrived_on_time"] = 1
        rollup.bump_appeal(appeal, day=locked.whistle.blown_at, department_id=locked.department_id, **counts)
        _event(
            appeal,
            actor,
            "checkin",
            notes.CHECKIN_BY,
            {"name": locked.department.name, "late": at > locked.arrive_by, "method": method},
            department=locked.department,
        )
        record(
            Action.APPEAL_CHECKIN,
            actor=actor,
            obj=appeal,
            request=request,
            data={"summons": locked.pk, "changed": diff({"arrival_method": before}, {"arrival_method": method})},
        )
    return locked


def summons_rate(
    *, actor: Any, summons: Summons, rating: int, comment: str = "", request: HttpRequest | None = None
) -> Summons:
    """The community evaluates a summoned department's response (评价权), once, 1–5."""
    appeal = summons.whistle.appeal
    if actor is not None and not policy.can(actor, "appeal.triage", appeal):
        raise PermissionDenied
    if rating not in range(1, 6):
        raise ValidationError({"rating": [_("Rate from 1 to 5.")]})
    with transaction.atomic():
        locked = Summons.objects.select_for_update().get(pk=summons.pk)
        if locked.rating is not None:
            raise InvalidTransition(_("This department's response has been evaluated already."))
        locked.rating = rating
        locked.rating_comment = (comment or "").strip()[:200]
        locked.save(update_fields=["rating", "rating_comment"])
        record(
            Action.APPEAL_SUMMONS_RATED,
            actor=actor,
            obj=appeal,
            request=request,
            data={"summons": locked.pk, "rating": rating},
        )
    return locked
