"""The arrival ladder of a whistle (issue 22, item 2): each summoned department's arrival deadline
(``Summons.arrive_by``) has an escalation ladder of its own.

- 催办 (``Escalation.Level.URGE``) at the deadline, to the summoned department's liaisons and the community's
  staff who handle the appeal: "X did not report on site by HH:MM";
- 通报 (``Escalation.Level.NOTICE``) :data:`NOTICE_AFTER` later, to the supervising level, with the same
  recipients the other ladders' 通报 has (the supervisors above the community, the department's liaisons and
  the community's staff).

An arrival recorded (any way) before the sweep reaches a level stops the ladder; so does a closed appeal.
Each level fires exactly once per summons: one :class:`SummonsEscalation` row per (summons, level) under a
unique constraint, inserted ``ON CONFLICT DO NOTHING`` in the same transaction as its messages and audit
rows; a second sweeper's insert of the same row returns nothing, so it sends nothing. On PostgreSQL the
summonses are claimed ``FOR UPDATE SKIP LOCKED`` (a check-in, which locks its summons, waits for the batch or is
skipped by it); SQLite serialises the batches (IMMEDIATE transactions). A crash rolls the batch back whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, Field, OuterRef, Q
from django.utils import timezone

from anju.appeals import clock, notify
from anju.appeals.models import OPEN_STATUSES, Escalation, Summons, SummonsEscalation
from anju.audit.actions import Action
from anju.audit.services import Entry, record_many
from anju.inbox.services import Send, inbox_send_many
from anju.orgs.models import OrgUnit

STAGE = "arrival"  # the audit rows' stage, beside the appeal ladders' dispatch/sign/contact/feedback
URGE = Escalation.Level.URGE
NOTICE = Escalation.Level.NOTICE
NOTICE_AFTER = dt.timedelta(hours=2)
#: Each level of the ladder and how long after the arrival deadline it fires.
LEVELS: tuple[tuple[int, dt.timedelta], ...] = ((URGE, dt.timedelta(0)), (NOTICE, NOTICE_AFTER))
KINDS: dict[int, str] = {URGE: "appeal.arrival.2", NOTICE: "appeal.arrival.3"}


def level_time(summons: Summons, level: int) -> dt.datetime:
    return summons.arrive_by + dict(LEVELS)[level]


@dataclass
class Rung:
    """One level of one summons' arrival ladder, due in this batch."""

    summons: Summons
    level: int
    users: list[int] = field(default_factory=list)
    unit: OrgUnit | None = None
    pk: int | None = None


def _claim(now: dt.datetime, batch: int) -> list[Summons]:
    """The batch: summonses still awaited, on open appeals, with a level due and not yet fired (one query)."""
    fired = SummonsEscalation.objects.filter(summons=OuterRef("pk"))
    qs = (
        Summons.objects.filter(
            arrived_at__isnull=True, arrive_by__lte=now, whistle__appeal__status__in=sorted(OPEN_STATUSES)
        )
        .filter(
            ~Exists(fired.filter(level=URGE))
            | Q(~Exists(fired.filter(level=NOTICE)), arrive_by__lte=now - NOTICE_AFTER)
        )
        .select_related(
            "department",
            "whistle__appeal__community",
            "whistle__appeal__category",
            "whistle__appeal__department",
        )
        .order_by("arrive_by", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs[:batch])


def _address(rungs: list[Rung]) -> None:
    """Who hears of each rung (a few queries for the whole batch)."""
    recipients = notify.Recipients(
        departments=[r.summons.department_id for r in rungs],
        units=[u for r in rungs for u in (r.summons.whistle.appeal.community_id, r.summons.whistle.appeal.grid_id)],
        above=[r.summons.whistle.appeal.community for r in rungs if r.level == NOTICE],
    )
    for r in rungs:
        appeal = r.summons.whistle.appeal
        users = recipients.liaisons_of(r.summons.department_id) + recipients.community_staff(appeal)
        r.unit = appeal.community
        if r.level == NOTICE:
            above, r.unit = recipients.supervisors_above(appeal.community)
            users = above + users
        r.users = list(dict.fromkeys(users))


def _concrete(name: str) -> Field[Any, Any]:
    field_ = SummonsEscalation._meta.get_field(name)
    assert isinstance(field_, Field)  # noqa: S101  a column of the model, never a relation's reverse side
    return field_


def _insert(rungs: list[Rung], now: dt.datetime) -> list[Rung]:
    """Insert the rungs' rows; one the unique (summons, level) constraint already holds is skipped
    (``ON CONFLICT DO NOTHING``), never fired twice. Returns the rungs inserted, with their ids."""
    if not rungs:
        return []
    meta = SummonsEscalation._meta
    qn = connection.ops.quote_name
    names = ("community", "summons", "appeal", "level", "deadline", "fired_at", "target_unit")
    fields = [_concrete(n) for n in names]
    cols = ", ".join(qn(f.column) for f in fields)
    key = f"{qn(_concrete('summons').column)}, {qn(_concrete('level').column)}"
    returning = connection.features.can_return_rows_from_bulk_insert
    back = f" RETURNING {qn(meta.pk.column)}, {key}" if returning else ""
    values: list[Any] = []
    for r in rungs:
        appeal = r.summons.whistle.appeal
        row = (
            appeal.community_id,
            r.summons.pk,
            appeal.pk,
            r.level,
            r.summons.arrive_by,
            now,
            r.unit.pk if r.unit is not None else None,
        )
        values += [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rungs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({cols}) VALUES {placeholders} ON CONFLICT ({key}) DO NOTHING{back}",  # noqa: S608  names from the model, values as parameters
            values,
        )
        made = cursor.fetchall() if returning else []
    if not returning:  # SQLite before 3.35: read back what this (serialised) transaction just wrote
        made = list(
            SummonsEscalation.objects.filter(summons_id__in={r.summons.pk for r in rungs}, fired_at=now).values_list(
                "id", "summons_id", "level"
            )
        )
    by_key = {(r.summons.pk, r.level): r for r in rungs}
    inserted = []
    for pk, summons_id, level in made:
        rung = by_key.get((summons_id, level))
        if rung is not None and rung.pk is None:
            rung.pk = pk
            inserted.append(rung)
    return inserted


def _noop(point: str) -> None:
    return None


def _fire_batch(summonses: list[Summons], now: dt.datetime, hook: Callable[[str], None]) -> int:
    fired: dict[int, set[int]] = {s.pk: set() for s in summonses}
    for summons_id, level in SummonsEscalation.objects.filter(summons_id__in=list(fired)).values_list(
        "summons_id", "level"
    ):
        fired[summons_id].add(level)
    rungs = [
        Rung(s, level)
        for s in summonses
        for level, _after in LEVELS
        if level not in fired[s.pk] and level_time(s, level) <= now
    ]
    _address(rungs)
    made = _insert(rungs, now)
    hook("escalation")
    sends = []
    for r in made:
        appeal = r.summons.whistle.appeal
        kind = KINDS[r.level]
        params = notify.params_for(appeal, kind)
        params["department"] = r.summons.department.name
        params["time"] = timezone.localtime(r.summons.arrive_by, timezone.get_default_timezone()).strftime("%H:%M")
        sends.append(
            Send(
                recipients=r.users,
                kind=kind,
                community=appeal.community_id,
                params=params,
                url=notify.detail_url(appeal.pk),
            )
        )
    told = inbox_send_many(sends)
    hook("notified")
    record_many(
        Action.APPEAL_ESCALATED,
        [
            Entry(
                obj=r.summons.whistle.appeal,
                community=r.summons.whistle.appeal.community,
                data={
                    "level": r.level,
                    "stage": STAGE,
                    "summons": r.summons.pk,
                    "department": r.summons.department_id,
                    "escalation": r.pk,
                    "recipients": n,
                },
            )
            for r, n in zip(made, told, strict=True)
        ],
        actor_label="anju worker",
    )
    return len(made)


def sweep_arrivals(*, now: dt.datetime | None = None, batch: int = 500, hook: Callable[[str], None] = _noop) -> int:
    """Fire every arrival-ladder level that is due; returns how many levels fired. Each batch is one
    transaction; a crash rolls it back and the next sweep does it again, nothing lost, nothing twice."""
    now = now or clock.now()
    total = 0
    while True:
        with transaction.atomic():
            hook("claim")
            summonses = _claim(now, batch)
            if not summonses:
                return total
            total += _fire_batch(summonses, now, hook)
            hook("commit")
        hook("committed")
