"""Monthly time partitions (``core.partitions``): on PostgreSQL the audit trail, the personal-data access log,
the appeals' event history and the inbox's messages are partitioned by month, rows land in their month, the
months ahead are created idempotently, the append-only triggers still refuse changes on every partition, and a
query by time reads one partition. SQLite keeps plain tables: only the month arithmetic, the no-op paths and the
outbox's cascade run there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts.models import User
from anju.appeals import selectors
from anju.appeals.models import AppealEvent
from anju.audit.actions import Action
from anju.audit.models import AuditEvent, PiiAccess
from anju.audit.reasons import RevealReason
from anju.audit.services import record, record_pii_access
from anju.core import partitions
from anju.inbox.models import Message, Outbox, SmsOutbox
from anju.jobs import tasks as jobs_tasks
from anju.testing import Tree
from anju.testing.appeals import AppealsWorld

TABLES = {
    "audit_auditevent": "created_at",
    "audit_piiaccess": "created_at",
    "appeals_appealevent": "at",
    "inbox_message": "created_at",
}

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="time partitions are PostgreSQL's; SQLite keeps plain tables"
)


def _rows(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def _where(table: str, pk: int) -> str:
    return str(_rows(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])[0][0])  # noqa: S608


# --- everywhere ---------------------------------------------------------------------------------------------


def test_months_are_local_months() -> None:
    # 2026-12-31 17:00 UTC is already January in Shanghai.
    late = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)
    assert partitions.month_start(late) == dt.date(2027, 1, 1)
    assert partitions.add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert partitions.add_months(dt.date(2027, 1, 1), -1) == dt.date(2026, 12, 1)
    assert partitions.partition_name("audit_auditevent", dt.date(2027, 2, 1)) == "audit_auditevent_p202702"


@pytest.mark.django_db
def test_sqlite_keeps_plain_tables_and_ensure_does_nothing() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite path")
    assert partitions.partitioned_tables() == []
    assert partitions.ensure() == []
    out = StringIO()
    call_command("partitions", "list", stdout=out)
    assert "only PostgreSQL" in out.getvalue()


# --- PostgreSQL ---------------------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db
def test_the_growing_tables_are_partitioned_by_month() -> None:
    rows = _rows(
        "SELECT c.relname, p.partstrat, a.attname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = p.partattrs[0] WHERE c.relname = ANY(%s)",
        [list(TABLES)],
    )
    assert {(name, column) for name, strategy, column in rows if strategy == "r"} == set(TABLES.items())
    assert set(partitions.partitioned_tables()) >= set(TABLES)
    for table, column in TABLES.items():
        keys = _rows(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' AND conrelid = %s::regclass",
            [table],
        )
        assert keys == [(f"PRIMARY KEY (id, {column})",)]
        names = {p.name for p in partitions.listing() if p.table == table}
        assert f"{table}_default" in names
        assert partitions.partition_name(table, partitions.month_start(timezone.now())) in names


@postgres_only
@pytest.mark.django_db
def test_rows_land_in_their_month(world: AppealsWorld) -> None:
    with transaction.atomic():
        event = record(Action.SYSTEM_BACKUP, actor_label="tester")
    this_month = partitions.month_start(event.created_at)
    assert _where("audit_auditevent", event.pk) == partitions.partition_name("audit_auditevent", this_month)

    appeal = world.file()
    step = AppealEvent.objects.filter(appeal=appeal).first()
    assert step is not None
    assert _where("appeals_appealevent", step.pk) == partitions.partition_name("appeals_appealevent", this_month)
    # The ORM still reads, follows and updates through the parent (appeal events are not append-only).
    AppealEvent.objects.filter(pk=step.pk).update(at=step.at - dt.timedelta(days=400))
    moved = AppealEvent.objects.get(pk=step.pk)
    assert moved.appeal_id == appeal.pk
    assert _where("appeals_appealevent", step.pk) in {
        partitions.partition_name("appeals_appealevent", partitions.month_start(moved.at)),
        "appeals_appealevent_default",
    }
    # Ids keep coming from the one sequence.
    with transaction.atomic():
        later = record(Action.SYSTEM_BACKUP, actor_label="tester")
    assert later.pk > event.pk


@postgres_only
@pytest.mark.django_db
def test_an_appeals_steps_are_read_from_the_months_since_it_came_in(world: AppealsWorld) -> None:
    now = timezone.now()
    partitions.ensure(0, since=(now - dt.timedelta(days=120)).date())
    appeal = world.file()
    plan = str(selectors.timeline(appeal, internal=True).explain())
    months = {p.name for p in partitions.listing() if p.table == "appeals_appealevent"}
    assert partitions.partition_name("appeals_appealevent", partitions.month_start(now)) in plan
    long_ago = partitions.partition_name("appeals_appealevent", partitions.month_start(now - dt.timedelta(days=95)))
    assert long_ago in months
    assert long_ago not in plan, plan
    # A step stamped a little before the receipt (a clock set back) still shows.
    first = AppealEvent.objects.filter(appeal=appeal).get()
    AppealEvent.objects.filter(pk=first.pk).update(at=appeal.received_at - dt.timedelta(hours=2))
    assert [step.pk for step in selectors.timeline(appeal, internal=True)] == [first.pk]


@postgres_only
@pytest.mark.django_db
def test_ensure_creates_months_ahead_once() -> None:
    far = timezone.now() + dt.timedelta(days=365 * 3)
    first = partitions.ensure(2, now=far)
    month = partitions.month_start(far)
    wanted = {partitions.partition_name(t, partitions.add_months(month, n)) for t in TABLES for n in range(3)}
    assert wanted <= set(first)
    assert partitions.ensure(2, now=far) == []
    assert wanted <= {p.name for p in partitions.listing()}
    # A row of that month lands in its own partition, not the default.
    _rows(
        "INSERT INTO audit_auditevent (created_at, actor_label, action, object_type, object_id, object_label, data) "
        "VALUES (%s, '', 'x', '', '', '', '{}') RETURNING id",
        [far],
    )
    landed = _rows("SELECT tableoid::regclass::text FROM audit_auditevent WHERE created_at = %s", [far])
    assert landed == [(partitions.partition_name("audit_auditevent", month),)]


@postgres_only
@pytest.mark.django_db
def test_ensure_moves_a_month_out_of_the_default_partition() -> None:
    """Rows written before their month had a partition sit in the default one; making the month moves them,
    unchanged, and the default keeps its append-only trigger."""
    far = timezone.now() + dt.timedelta(days=365 * 7)
    past = timezone.now() - dt.timedelta(days=365 * 5)
    for moment in (far, far + dt.timedelta(days=40), past):
        _rows(
            "INSERT INTO audit_auditevent (created_at, actor_label, action, object_type, object_id, object_label, "
            "data) VALUES (%s, '', 'x', '', '', '', '{\"n\": 1}')",
            [moment],
        )
    where = "SELECT tableoid::regclass::text, action, data FROM audit_auditevent WHERE created_at = %s"
    assert [r[0] for r in _rows(where, [far])] == ["audit_auditevent_default"]
    count = AuditEvent.objects.count()

    month = partitions.month_start(far)
    created = partitions.ensure(0, now=far)
    assert partitions.partition_name("audit_auditevent", month) in created
    assert _rows(where, [far]) == [(partitions.partition_name("audit_auditevent", month), "x", '{"n": 1}')]
    assert [r[0] for r in _rows(where, [far + dt.timedelta(days=40)])] == ["audit_auditevent_default"]
    assert AuditEvent.objects.count() == count

    out = StringIO()
    call_command("partitions", "ensure", "--months", "0", "--since", past.strftime("%Y-%m"), stdout=out)
    back = partitions.partition_name("audit_auditevent", partitions.month_start(past))
    assert f"created {back}" in out.getvalue()
    assert [r[0] for r in _rows(where, [past])] == [back]
    assert AuditEvent.objects.count() == count
    triggers = _rows(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
        ["audit_auditevent_append_only"],
    )
    assert {"audit_auditevent_default", back} <= {r[0] for r in triggers}
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _rows("DELETE FROM audit_auditevent_default")


@postgres_only
@pytest.mark.django_db
def test_the_periodic_task_and_the_command_ensure_months() -> None:
    jobs_tasks.partitions_ensure()  # the migration made the months ahead (a reused test database may be older)
    assert jobs_tasks.partitions_ensure() == {"created": 0}
    out = StringIO()
    call_command("partitions", "ensure", "--months", "1", stdout=out)
    assert "0 partitions created." in out.getvalue()
    out = StringIO()
    call_command("partitions", "list", stdout=out)
    text = out.getvalue()
    for table in TABLES:
        assert f"{table}_default" in text
        assert partitions.partition_name(table, partitions.month_start(timezone.now())) in text


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(("model", "column"), [(AuditEvent, "action"), (PiiAccess, "reason")])
def test_append_only_triggers_refuse_changes_on_every_partition(
    model: Any, column: str, tree: Tree, user_factory: Callable[..., User]
) -> None:
    actor = user_factory(Role.COMMUNITY_WORKER, tree.community)
    subject = user_factory(Role.RESIDENT, tree.building)
    with transaction.atomic():
        record(Action.SYSTEM_BACKUP, actor_label="tester")
        record_pii_access(
            actor=actor, subject=subject, field="mobile", reason=RevealReason("callback", "电话回访核实情况")
        )
    table = model._meta.db_table
    # One more row far ahead, in the default partition.
    others = ", ".join(f.column for f in model._meta.concrete_fields if f.column not in {"id", "created_at"})
    far = timezone.now() + dt.timedelta(days=365 * 9)
    _rows(f"INSERT INTO {table} (created_at, {others}) SELECT %s, {others} FROM {table} LIMIT 1", [far])  # noqa: S608
    triggers = _rows(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = %s AND c.relname LIKE %s",
        [f"{table}_append_only", f"{table}%"],
    )
    on = {r[0] for r in triggers}
    assert table in on
    assert {p.name for p in partitions.listing() if p.table == table} <= on
    month = partitions.partition_name(table, partitions.month_start(timezone.now()))
    for target in (table, month, f"{table}_default"):
        assert _rows(f"SELECT count(*) FROM {target}")[0][0] >= 1, target  # noqa: S608
        for sql in (f"UPDATE {target} SET {column} = 'x'", f"DELETE FROM {target}"):  # noqa: S608
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                _rows(sql)
    _rows("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks to hide the trigger's refusal
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _rows(f"TRUNCATE {table}")


@postgres_only
@pytest.mark.django_db
def test_a_query_by_time_reads_one_partition() -> None:
    month = partitions.month_start(timezone.now())
    start, end = partitions.month_begins(month), partitions.month_begins(partitions.add_months(month, 1))
    for table, column in TABLES.items():
        plan = "\n".join(
            r[0]
            for r in _rows(
                f"EXPLAIN SELECT * FROM {table} WHERE {column} >= %s AND {column} < %s",  # noqa: S608
                [start, end],
            )
        )
        scanned = {name for name in (p.name for p in partitions.listing() if p.table == table) if name in plan}
        assert scanned == {partitions.partition_name(table, month)}, plan
    # The ORM's own filter prunes the same way.
    query = str(AuditEvent.objects.filter(created_at__gte=start, created_at__lt=end).explain())
    assert partitions.partition_name("audit_auditevent", month) in query
    assert "audit_auditevent_default" not in query


@pytest.mark.django_db
def test_a_message_still_takes_its_outbox_rows_with_it(tree: Tree, user_factory: Callable[..., User]) -> None:
    """The outbox rows point at their message without a database constraint (PostgreSQL cannot point one at a
    partitioned table); deleting the message through Django still deletes them, on both engines."""
    reader = user_factory(Role.COMMUNITY_WORKER, tree.community)
    message = Message.objects.create(community=tree.community, recipient=reader, kind="test.kind")
    Outbox.objects.create(community=tree.community, message=message)
    SmsOutbox.objects.create(
        community=tree.community, message=message, kind="test.kind", template_code="T1", idempotency_key="k-1"
    )
    if connection.vendor == "postgresql":
        assert _where("inbox_message", message.pk) == partitions.partition_name(
            "inbox_message", partitions.month_start(message.created_at)
        )
    assert Message.objects.get(pk=message.pk).outbox.message_id == message.pk
    message.delete()
    assert not Outbox.objects.filter(message_id=message.pk).exists()
    assert not SmsOutbox.objects.filter(message_id=message.pk).exists()
