"""SLA deadlines stored on the appeal row, and the escalation ladder swept from them.

Ladder (DESIGN.md): a reminder before the deadline, 催办 the working day
after it, 通报 to the supervising level at five working days over, and an
escalation up the org tree at ten. Each level fires exactly once per appeal:
one :class:`Escalation` row per (appeal, level) under a unique constraint,
written in the same transaction as its notification and outbox rows, on an
appeal claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL) or inside
an IMMEDIATE transaction (SQLite, which serialises writers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from anju.appeals import clock, notify
from anju.appeals.models import Appeal, Escalation, SlaPolicy, Status
from anju.audit.actions import Action
from anju.audit.services import record
from anju.calendar.workdays import Calendar

Hook = Callable[[str], None]

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
        # No policy configured at all: the DESIGN.md general preset.
        return SlaPolicy(
            urgency=appeal.urgency,
            dispatch_value=24,
            sign_value=2,
            contact_value=24,
            feedback_value=7,
            feedback_unit="workdays",
        )
    return sorted(usable, key=rank)[0]


def compute_deadlines(appeal: Appeal, cal: Calendar | None = None) -> None:
    """Fill the deadline columns from the policy and the stored base times (no save)."""
    cal = cal or Calendar.load()
    cal.provisional = False
    policy = policy_for(appeal)
    appeal.dispatch_due = cal.add(appeal.received_at, policy.dispatch_value, policy.dispatch_unit)
    appeal.feedback_due = cal.add(appeal.received_at, policy.feedback_value, policy.feedback_unit)
    base = appeal.dispatched_at
    if base is not None:
        appeal.sign_due = cal.add(base, policy.sign_value, policy.sign_unit)
        appeal.contact_due = cal.add(base, policy.contact_value, policy.contact_unit)
        if appeal.feedback_due < appeal.sign_due:
            appeal.feedback_due = appeal.sign_due
    else:
        appeal.sign_due = appeal.contact_due = None
    set_due(appeal, cal)
    appeal.deadlines_provisional = cal.provisional


def current_deadline(appeal: Appeal) -> dt.datetime | None:
    status = appeal.status
    if status in _DISPATCH_STAGE:
        return appeal.dispatch_due
    if status in _SIGN_STAGE:
        return appeal.sign_due
    if status in _HANDLE_STAGE:
        if appeal.contacted_at is None and appeal.contact_due is not None:
            return min(appeal.contact_due, appeal.feedback_due) if appeal.feedback_due else appeal.contact_due
        return appeal.feedback_due
    return None


def level_time(appeal: Appeal, level: int, deadline: dt.datetime, cal: Calendar) -> dt.datetime:
    if level == Escalation.Level.REMINDER:
        lead = min((deadline - appeal.received_at) / 4, REMINDER_LEAD_MAX)
        return deadline - max(lead, dt.timedelta(0))
    days_by_level: dict[int, int] = {Escalation.Level.URGE: URGE_WORKDAYS, Escalation.Level.NOTICE: NOTICE_WORKDAYS}
    days = days_by_level.get(level, ESCALATE_WORKDAYS)
    return cal.add_workdays(deadline, days)


def set_due(appeal: Appeal, cal: Calendar | None = None) -> None:
    """Set ``due_at`` (the queue's sort key) and when the sweeper must next look at this appeal."""
    appeal.due_at = current_deadline(appeal)
    nxt = appeal.escalation_level + 1
    if appeal.due_at is None or nxt > Escalation.Level.ESCALATE:
        appeal.escalation_due_at = None
        return
    appeal.escalation_due_at = level_time(appeal, nxt, appeal.due_at, cal or Calendar.load())


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
    while True:
        deadline = current_deadline(appeal)
        level = appeal.escalation_level + 1
        if deadline is None or level > Escalation.Level.ESCALATE:
            break
        at = level_time(appeal, level, deadline, cal)
        if at > now:
            break
        users, unit = _recipients(appeal, level)
        try:
            with transaction.atomic():
                esc = Escalation.objects.create(
                    community_id=appeal.community_id,
                    appeal=appeal,
                    level=level,
                    deadline=deadline,
                    fired_at=now,
                    target_unit=unit,
                )
                hook("escalation")
                label = str(Escalation.Level(level).label)
                notify.notify(
                    users,
                    appeal=appeal,
                    kind=f"escalation.{level}",
                    title=_("%(level)s: appeal %(number)s, due %(due)s")
                    % {"level": label, "number": appeal.number, "due": deadline.strftime("%Y-%m-%d %H:%M")},
                )
                hook("notified")
                record(
                    Action.APPEAL_ESCALATED,
                    actor_label="anju worker",
                    obj=appeal,
                    community=appeal.community,
                    data={"level": level, "escalation": esc.pk, "recipients": len(set(users))},
                )
        except IntegrityError:
            pass  # this level fired already (another sweeper): never twice
        appeal.escalation_level = level
        fired += 1
    set_due(appeal, cal)
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
