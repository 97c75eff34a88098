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
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from anju.appeals import clock, notify
from anju.appeals.models import Appeal, Escalation, SlaBasis, SlaPolicy, Status
from anju.audit.actions import Action
from anju.audit.services import Entry, record_many
from anju.calendar.workdays import Calendar
from anju.core import bulk
from anju.inbox.services import inbox_send_many
from anju.orgs.models import OrgUnit

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


@dataclass
class Rung:
    """One level of one ladder of one appeal, due to fire in this batch."""

    appeal: Appeal
    stage: str
    level: int
    deadline: dt.datetime
    users: list[int] = field(default_factory=list)
    unit: OrgUnit | None = None
    pk: int | None = None


#: The columns of an appeal the sweep reads (the rest is never loaded; the level and next time it sets are
#: assigned, not read). A column missing here would cost a query per appeal, which the statement count of
#: tests/test_appeals_escalation.py catches.
_CLAIMED = (
    "community",
    "category",
    "department",
    "grid",
    "status",
    "reopen_count",
    "round_started_at",
    "received_at",
    "dispatched_at",
    "contacted_at",
    "dispatch_due",
    "sign_due",
    "contact_due",
    "feedback_due",
)


class Named:
    """The communities, categories and departments a sweep's appeals name (what their messages and audit rows
    say), each read once per sweep and shared by its appeals: a few dozen rows, not three per appeal."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[int, Any]] = {"community": {}, "category": {}, "department": {}}

    def attach(self, appeals: list[Appeal]) -> None:
        for name, known in self.rows.items():
            relation = Appeal._meta.get_field(name)
            missing = {getattr(a, f"{name}_id") for a in appeals} - known.keys() - {None}
            if missing:
                known.update(relation.related_model._default_manager.in_bulk(missing))  # type: ignore[union-attr]
            for a in appeals:
                key = getattr(a, f"{name}_id")
                if key is not None:
                    relation.set_cached_value(a, known[key])  # type: ignore[union-attr]


def _claim(now: dt.datetime, batch: int, named: Named) -> list[Appeal]:
    """The batch: the appeals due soonest (one query), with what their messages and audit rows name. On
    PostgreSQL their rows are locked ``FOR UPDATE SKIP LOCKED``, so a second sweeper takes other appeals; SQLite
    serialises the batches (IMMEDIATE transactions)."""
    qs = Appeal.objects.filter(escalation_due_at__lte=now).only(*_CLAIMED).order_by("escalation_due_at", "id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    appeals = list(qs[:batch])
    named.attach(appeals)
    return appeals


def _fired(appeals: list[Appeal]) -> dict[int, dict[str, int]]:
    """The highest level fired on each stage's ladder in each appeal's current round (one query)."""
    rounds = {a.pk: a.reopen_count for a in appeals}
    top: dict[int, dict[str, int]] = {pk: {} for pk in rounds}
    ids = list(rounds)
    table = connection.ops.quote_name(Escalation._meta.db_table)
    params: list[Any]
    if connection.vendor == "postgresql":
        where, params = "appeal_id = ANY(%s)", [ids]
    else:
        where, params = f"appeal_id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT appeal_id, stage, round, level FROM {table} WHERE {where}", params)  # noqa: S608  the model's table
        rows = cursor.fetchall()
    for appeal_id, stage, round_, level in rows:
        if round_ == rounds[appeal_id]:
            mine = top[appeal_id]
            mine[stage] = max(mine.get(stage, 0), level)
    return top


def _hears_department(appeal: Appeal, level: int) -> bool:
    """A reminder or 催办 goes to the department's liaisons once the appeal is with a department, else to the
    community's staff; a 通报 goes to all of them and the supervisors; an escalation to the supervisors."""
    return bool(appeal.department_id) and (
        level == Escalation.Level.NOTICE or (level <= Escalation.Level.URGE and appeal.status not in _DISPATCH_STAGE)
    )


def _hears_staff(appeal: Appeal, level: int) -> bool:
    return level == Escalation.Level.NOTICE or (level <= Escalation.Level.URGE and not _hears_department(appeal, level))


def _address(rungs: list[Rung]) -> None:
    """Who hears of each rung, and the unit it went to (a few queries for the whole batch)."""
    recipients = notify.Recipients(
        departments=[r.appeal.department_id for r in rungs if _hears_department(r.appeal, r.level)],
        units=[u for r in rungs if _hears_staff(r.appeal, r.level) for u in (r.appeal.community_id, r.appeal.grid_id)],
        above=[r.appeal.community for r in rungs if r.level >= Escalation.Level.NOTICE],
    )
    for r in rungs:
        appeal = r.appeal
        if r.level <= Escalation.Level.URGE:
            if _hears_department(appeal, r.level):
                r.users = recipients.liaisons_of(appeal.department_id)
            else:
                r.users, r.unit = recipients.community_staff(appeal), appeal.community
            continue
        skip = 0 if r.level == Escalation.Level.NOTICE else 1
        r.users, r.unit = recipients.supervisors_above(appeal.community, skip=skip)
        if r.level == Escalation.Level.NOTICE:
            r.users = list(
                dict.fromkeys(
                    r.users + recipients.liaisons_of(appeal.department_id) + recipients.community_staff(appeal)
                )
            )


_ESCALATION_COLUMNS = ("community", "appeal", "stage", "round", "level", "deadline", "fired_at", "target_unit")
_ESCALATION_KEY = ("appeal", "stage", "round", "level")


def _insert(rungs: list[Rung], now: dt.datetime) -> list[Rung]:
    """Insert the rungs' escalation rows in one statement (:func:`anju.core.bulk.insert`); a row the unique
    (appeal, stage, round, level) constraint already holds is skipped (``ON CONFLICT DO NOTHING``), never fired
    twice. Returns the rungs inserted, with their ids."""
    if not rungs:
        return []
    rows = [
        (
            r.appeal.community_id,
            r.appeal.pk,
            r.stage,
            r.appeal.reopen_count,
            r.level,
            r.deadline,
            now,
            r.unit.pk if r.unit is not None else None,
        )
        for r in rungs
    ]
    if connection.features.can_return_rows_from_bulk_insert:
        made = bulk.insert(
            Escalation, _ESCALATION_COLUMNS, rows, conflict=_ESCALATION_KEY, returning=("id", *_ESCALATION_KEY)
        )
    else:  # SQLite before 3.35: read back what this (serialised) transaction just wrote
        bulk.insert(Escalation, _ESCALATION_COLUMNS, rows, conflict=_ESCALATION_KEY)
        made = list(
            Escalation.objects.filter(appeal_id__in={r.appeal.pk for r in rungs}, fired_at=now).values_list(
                "id", "appeal_id", "stage", "round", "level"
            )
        )
    by_key = {(r.appeal.pk, r.stage, r.appeal.reopen_count, r.level): r for r in rungs}
    inserted = []
    for pk, appeal_id, stage, round_, level in made:
        rung = by_key.get((appeal_id, stage, round_, level))
        if rung is not None and rung.pk is None:
            rung.pk = pk
            inserted.append(rung)
    return inserted


def _fire_batch(appeals: list[Appeal], now: dt.datetime, cal: Calendar, hook: Hook) -> int:
    """Fire every level due on the claimed appeals' current ladders, in a few statements whatever their number:
    the levels fired already, the recipients, the escalation rows, the messages, the audit rows, and the
    appeals' next sweep times. Returns how many levels fired."""
    fired = _fired(appeals)
    rungs: list[Rung] = []
    for appeal in appeals:
        hook("appeal")
        top = fired[appeal.pk]
        for stage, deadline in ladders(appeal):
            level = top.get(stage, 0) + 1
            while level <= Escalation.Level.ESCALATE and level_time(appeal, stage, level, deadline, cal) <= now:
                rungs.append(Rung(appeal, stage, level, deadline))
                top[stage] = level
                level += 1
        set_due(appeal, cal, fired=top)
    _address(rungs)
    made = _insert(rungs, now)
    hook("escalation")
    sends = [notify.send_of(r.users, appeal=r.appeal, kind=f"escalation.{r.level}", due=r.deadline) for r in made]
    told = inbox_send_many(sends)
    hook("notified")
    record_many(
        Action.APPEAL_ESCALATED,
        [
            Entry(
                obj=r.appeal,
                community=r.appeal.community,
                data={
                    "level": r.level,
                    "stage": r.stage,
                    "round": r.appeal.reopen_count,
                    "escalation": r.pk,
                    "recipients": n,
                },
            )
            for r, n in zip(made, told, strict=True)
        ],
        actor_label="anju worker",
    )
    hook("before_save")
    _mark(appeals)
    return len(made)


def _mark(appeals: list[Appeal]) -> None:
    """Store each appeal's level reached and next sweep time, in one statement (:func:`anju.core.bulk.update`)."""
    bulk.update(
        Appeal,
        ("escalation_level", "escalation_due_at"),
        [(a.pk, a.escalation_level, a.escalation_due_at) for a in appeals],
    )


def sweep_escalations(*, now: dt.datetime | None = None, batch: int = 500, hook: Hook = _noop) -> int:
    """Fire every escalation level that is due; returns how many levels fired.

    Set-based: each batch of ``batch`` due appeals is one transaction of a few statements, whatever its size
    (:func:`_fire_batch`). A crash anywhere rolls the whole batch back and the next sweep does it again;
    nothing is lost and nothing fires twice.
    """
    now = now or clock.now()
    fired = 0
    named = Named()
    while True:
        with transaction.atomic():
            hook("claim")
            appeals = _claim(now, batch, named)
            if not appeals:
                return fired
            fired += _fire_batch(appeals, now, Calendar.load(), hook)
            hook("commit")
        hook("committed")
