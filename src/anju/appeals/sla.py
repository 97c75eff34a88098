"""SLA deadlines stored on the appeal row, and the escalation ladders swept from them.

Deadlines: each of an :class:`SlaPolicy`'s four deadlines counts from what its basis says (``SlaBasis``): the
receipt, or the step before it (the dispatch, for signing, contact and feedback). A reopen starts a new round:
"the receipt" is then the reopen (``Appeal.round_start``), so the second round gets the policy's full time.

Ladders (DESIGN.md): a reminder before the deadline, 催办 the working day after it, 通报 to the supervising
level at five working days over, and an escalation up the org tree at ten. Each current deadline (stage: the
dispatch; once dispatched, the signing, the contact until the requester is contacted, and the feedback) has its
own ladder in each round, and each level of it fires exactly once: one :class:`Escalation` row per (appeal,
stage, round, level) under a unique constraint, written in the same transaction as its notification and outbox
rows, on an appeal claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL) or inside an IMMEDIATE
transaction (SQLite, which serialises writers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from anju.appeals import clock, notify
from anju.appeals.models import Appeal, Escalation, SlaBasis, SlaPolicy, Status
from anju.audit.actions import Action
from anju.audit.services import record
from anju.calendar.workdays import Calendar

Hook = Callable[[str], None]
Stage = Escalation.Stage

REMINDER_LEAD_MAX = dt.timedelta(hours=24)
URGE_WORKDAYS = 1
NOTICE_WORKDAYS = 5
ESCALATE_WORKDAYS = 10

_DISPATCH_STAGE = {Status.RECEIVED, Status.ACCEPTED, Status.REFERRED}
_SIGN_STAGE = {Status.DISPATCHED, Status.REOPENED}
_HANDLE_STAGE = {Status.SIGNED, Status.IN_PROGRESS, Status.WAITING}


def policy_for(appeal: Appeal) -> SlaPolicy:
    candidates = list(
        SlaPolicy.objects.filter(Q(category_id=appeal.category_id) | Q(category__isnull=True), urgency=appeal.urgency)
    )

    def rank(p: SlaPolicy) -> tuple[int, int]:
        return (0 if p.category_id else 1, 0 if p.complex == appeal.is_complex else 1)

    usable = [p for p in candidates if p.complex == appeal.is_complex] or [p for p in candidates if not p.complex]
    if not usable:
        # No policy configured at all: the DESIGN.md general preset (15 working days' feedback when complex).
        return SlaPolicy(
            urgency=appeal.urgency,
            complex=appeal.is_complex,
            dispatch_value=24,
            sign_value=2,
            contact_value=24,
            feedback_value=15 if appeal.is_complex else 7,
            feedback_unit="workdays",
        )
    return sorted(usable, key=rank)[0]


def deadline_base(appeal: Appeal, policy: SlaPolicy, stage: str) -> dt.datetime | None:
    """What ``stage``'s deadline counts from this round: the round's start (the receipt, or the reopen), or the
    step before it — the dispatch (``None`` until the appeal is dispatched); the dispatch's own step before it
    is the receipt."""
    basis = getattr(policy, f"{stage}_basis", "") or SlaPolicy.DEFAULT_BASES[stage]
    if stage == Stage.DISPATCH or basis == SlaBasis.RECEIPT:
        return appeal.round_start
    return appeal.dispatched_at


def compute_deadlines(appeal: Appeal, cal: Calendar | None = None) -> None:
    """Fill the deadline columns from the policy, its bases and the stored base times (no save). Signing and
    contact are due only once the appeal is dispatched, whatever they count from."""
    cal = cal or Calendar.load()
    cal.provisional = False
    policy = policy_for(appeal)
    for stage in Stage.values:
        base = deadline_base(appeal, policy, stage)
        if stage in (Stage.SIGN, Stage.CONTACT) and appeal.dispatched_at is None:
            base = None
        value, unit = getattr(policy, f"{stage}_value"), getattr(policy, f"{stage}_unit")
        setattr(appeal, f"{stage}_due", cal.add(base, value, unit) if base is not None else None)
    set_due(appeal, cal)
    appeal.deadlines_provisional = cal.provisional


def current_deadline(appeal: Appeal) -> dt.datetime | None:
    """The appeal's next deadline (the queue's ``due_at``)."""
    dues = [due for _stage, due in ladders(appeal)]
    return min(dues) if dues else None


def ladders(appeal: Appeal) -> list[tuple[str, dt.datetime]]:
    """The deadlines whose ladders run now, as (stage, deadline): the dispatch until the appeal is dispatched;
    then the signing until it is signed, the contact until the requester is contacted, and the feedback until
    it is given."""
    status = appeal.status
    pairs: list[tuple[str, dt.datetime | None]] = []
    if status in _DISPATCH_STAGE:
        pairs.append((Stage.DISPATCH, appeal.dispatch_due))
    if status in _SIGN_STAGE:
        pairs.append((Stage.SIGN, appeal.sign_due))
    if status in _SIGN_STAGE or status in _HANDLE_STAGE:
        if appeal.contacted_at is None:
            pairs.append((Stage.CONTACT, appeal.contact_due))
        pairs.append((Stage.FEEDBACK, appeal.feedback_due))
    return [(stage, due) for stage, due in pairs if due is not None]


def stage_start(appeal: Appeal, stage: str) -> dt.datetime:
    """When ``stage``'s clock started this round (for the reminder's lead time)."""
    start = appeal.round_start
    if stage in (Stage.SIGN, Stage.CONTACT) and appeal.dispatched_at is not None:
        return max(start, appeal.dispatched_at)
    return start


def level_time(appeal: Appeal, stage: str, level: int, deadline: dt.datetime, cal: Calendar) -> dt.datetime:
    if level == Escalation.Level.REMINDER:
        lead = min((deadline - stage_start(appeal, stage)) / 4, REMINDER_LEAD_MAX)
        return deadline - max(lead, dt.timedelta(0))
    days_by_level: dict[int, int] = {Escalation.Level.URGE: URGE_WORKDAYS, Escalation.Level.NOTICE: NOTICE_WORKDAYS}
    days = days_by_level.get(level, ESCALATE_WORKDAYS)
    return cal.add_workdays(deadline, days)


def fired_levels(appeal: Appeal) -> dict[str, int]:
    """The highest level fired on each stage's ladder this round (one query; none for an unsaved appeal)."""
    if appeal.pk is None:
        return {}
    top: dict[str, int] = {}
    rows = Escalation.objects.filter(appeal_id=appeal.pk, round=appeal.reopen_count).values_list("stage", "level")
    for stage, level in rows:
        top[stage] = max(top.get(stage, 0), level)
    return top


def set_due(appeal: Appeal, cal: Calendar | None = None, fired: dict[str, int] | None = None) -> None:
    """Set ``due_at`` (the queue's sort key), the level reached on the current ladders, and when the sweeper
    must next look at this appeal (the earliest next level of the current deadlines' ladders)."""
    appeal.due_at = current_deadline(appeal)
    fired = fired_levels(appeal) if fired is None else fired
    current = ladders(appeal)
    appeal.escalation_level = max((fired.get(stage, 0) for stage, _due in current), default=0)
    if current and cal is None:
        cal = Calendar.load()
    times = [
        level_time(appeal, stage, fired.get(stage, 0) + 1, deadline, cal)
        for stage, deadline in current
        if cal is not None and fired.get(stage, 0) < Escalation.Level.ESCALATE
    ]
    appeal.escalation_due_at = min(times) if times else None


# --- the sweep ----------------------------------------------------------------------------------


def _noop(point: str) -> None:
    return None


def _claim(now: dt.datetime, batch: int) -> list[int]:
    qs = Appeal.objects.filter(escalation_due_at__lte=now).order_by("escalation_due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.values_list("id", flat=True)[:batch])


def _recipients(appeal: Appeal, level: int) -> tuple[list[int], Any]:
    if level in (Escalation.Level.REMINDER, Escalation.Level.URGE):
        if appeal.department_id and appeal.status not in _DISPATCH_STAGE:
            return notify.liaisons_of([appeal.department_id]), None
        return notify.community_staff(appeal), appeal.community
    skip = 0 if level == Escalation.Level.NOTICE else 1
    users, unit = notify.supervisors_above(appeal.community, skip=skip)
    if level == Escalation.Level.NOTICE:
        users += notify.liaisons_of([appeal.department_id]) + notify.community_staff(appeal)
    return users, unit


def _fire(appeal: Appeal, now: dt.datetime, cal: Calendar, hook: Hook) -> int:
    fired = 0
    top = fired_levels(appeal)
    for stage, deadline in ladders(appeal):
        while True:
            level = top.get(stage, 0) + 1
            if level > Escalation.Level.ESCALATE or level_time(appeal, stage, level, deadline, cal) > now:
                break
            users, unit = _recipients(appeal, level)
            try:
                with transaction.atomic():
                    esc = Escalation.objects.create(
                        community_id=appeal.community_id,
                        appeal=appeal,
                        stage=stage,
                        round=appeal.reopen_count,
                        level=level,
                        deadline=deadline,
                        fired_at=now,
                        target_unit=unit,
                    )
                    hook("escalation")
                    notify.notify(
                        users,
                        appeal=appeal,
                        kind=f"escalation.{level}",
                        title=_("%(level)s (%(stage)s): appeal %(number)s, due %(due)s")
                        % {
                            "level": Escalation.Level(level).label,
                            "stage": Stage(stage).label,
                            "number": appeal.number,
                            "due": deadline.strftime("%Y-%m-%d %H:%M"),
                        },
                    )
                    hook("notified")
                    record(
                        Action.APPEAL_ESCALATED,
                        actor_label="anju worker",
                        obj=appeal,
                        community=appeal.community,
                        data={
                            "level": level,
                            "stage": stage,
                            "round": appeal.reopen_count,
                            "escalation": esc.pk,
                            "recipients": len(set(users)),
                        },
                    )
            except IntegrityError:
                pass  # this level of this ladder fired already (another sweeper): never twice
            top[stage] = level
            fired += 1
    set_due(appeal, cal, fired=top)
    hook("before_save")
    Appeal.objects.filter(pk=appeal.pk).update(
        escalation_level=appeal.escalation_level, escalation_due_at=appeal.escalation_due_at
    )
    return fired


def sweep_escalations(*, now: dt.datetime | None = None, batch: int = 200, hook: Hook = _noop) -> int:
    """Fire every escalation level that is due; returns how many levels fired.

    Each batch is one transaction: a crash anywhere rolls the whole batch back
    and the next sweep does it again; nothing is lost and nothing fires twice.
    """
    now = now or clock.now()
    fired = 0
    while True:
        with transaction.atomic():
            hook("claim")
            ids = _claim(now, batch)
            if not ids:
                return fired
            cal = Calendar.load()
            appeals = Appeal.objects.filter(pk__in=ids).select_related("community").order_by("id")
            for appeal in appeals:
                hook("appeal")
                fired += _fire(appeal, now, cal, hook)
            hook("commit")
        hook("committed")
