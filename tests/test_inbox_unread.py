"""The header badge's own table of unread messages on PostgreSQL (``inbox.models.Unread``): a trigger on the
partitioned messages keeps it exact through the services, bulk updates and plain SQL, a row moved between
partitions included, and the badge reads it alone, not every month's partition of the messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anju.access.roles import Role
from anju.accounts.models import User
from anju.core import partitions
from anju.inbox import selectors, services
from anju.inbox.models import Message, Unread
from anju.inbox.services import inbox_send
from anju.testing import Tree, make_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the messages are partitioned on PostgreSQL only; SQLite reads them"
    ),
]

KIND = "tests.unread"


@pytest.fixture
def people(tree: Tree) -> tuple[User, User]:
    return make_user(Role.RESIDENT, tree.building), make_user(Role.RESIDENT, tree.building)


def send(tree: Tree, *users: User, thread: str, **kw: Any) -> None:
    inbox_send(recipients=list(users), kind=KIND, community=tree.community, params={}, thread=thread, **kw)


def unread_rows() -> set[tuple[Any, ...]]:
    return set(Unread.objects.values_list("message_id", "recipient_id", "thread_key", "visible_at"))


def expected_rows() -> set[tuple[Any, ...]]:
    return set(Message.objects.filter(read_at=None).values_list("id", "recipient_id", "thread_key", "visible_at"))


def badge_from_messages(user: User) -> int:
    shown = Message.objects.filter(recipient=user, read_at=None, visible_at__lte=timezone.now())
    return shown.values("thread_key").distinct().count()


def assert_in_step(*users: User) -> None:
    assert unread_rows() == expected_rows()
    for user in users:
        assert selectors.unread_threads(user) == badge_from_messages(user)


def test_the_services_keep_it_exact(tree: Tree, people: tuple[User, User]) -> None:
    ana, ben = people
    for thread in ("appeal:1", "appeal:1", "booking:7", "activity:3"):
        send(tree, ana, ben, thread=thread)
    assert_in_step(ana, ben)
    assert selectors.unread_threads(ana) == 3
    first = Message.objects.filter(recipient=ana, thread_key="appeal:1").order_by("id")[0]
    services.message_mark_read(actor=ana, message_id=first.pk)
    assert_in_step(ana, ben)
    assert selectors.unread_threads(ana) == 3  # the thread still holds an unread message
    services.thread_mark_read(actor=ana, message_id=first.pk)
    assert_in_step(ana, ben)
    assert selectors.unread_threads(ana) == 2
    services.messages_mark_all_read(actor=ben)
    assert_in_step(ana, ben)
    assert (selectors.unread_threads(ana), selectors.unread_threads(ben)) == (2, 0)


def test_plain_sql_keeps_it_exact(tree: Tree, people: tuple[User, User]) -> None:
    ana, ben = people
    send(tree, ana, thread="appeal:1")
    send(tree, ana, thread="appeal:2")
    one, two = Message.objects.filter(recipient=ana).order_by("id")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inbox_message (community_id, recipient_id, kind, params, url, created_at, read_at, "
            "thread_key, visible_at, digest_channels) VALUES (%s, %s, %s, '{}', '', now(), NULL, 'x:1', now(), '')",
            [tree.community.pk, ben.pk, KIND],
        )
        assert_in_step(ana, ben)
        cursor.execute("UPDATE inbox_message SET read_at = now() WHERE id = %s", [one.pk])
        assert_in_step(ana, ben)
        cursor.execute("UPDATE inbox_message SET read_at = NULL WHERE id = %s", [one.pk])  # unread again
        assert_in_step(ana, ben)
        cursor.execute("UPDATE inbox_message SET thread_key = 'appeal:2' WHERE id = %s", [one.pk])
        assert_in_step(ana, ben)
        assert selectors.unread_threads(ana) == 1
        cursor.execute("UPDATE inbox_message SET recipient_id = %s WHERE id = %s", [ben.pk, two.pk])
        assert_in_step(ana, ben)
        cursor.execute("UPDATE inbox_message SET visible_at = now() + interval '1 day' WHERE id = %s", [one.pk])
        assert_in_step(ana, ben)
        assert selectors.unread_threads(ana) == 0  # held for tomorrow's digest: not shown yet
        # A new time moves the row to another month's partition (a delete and an insert underneath).
        cursor.execute("UPDATE inbox_message SET created_at = created_at - interval '400 days' WHERE id = %s", [one.pk])
        assert_in_step(ana, ben)
        cursor.execute("SELECT tableoid::regclass::text FROM inbox_message WHERE id = %s", [one.pk])
        assert cursor.fetchone()[0] != partitions.partition_name(
            "inbox_message", partitions.month_start(timezone.now())
        )
        cursor.execute("DELETE FROM inbox_message WHERE recipient_id = %s", [ben.pk])
        assert_in_step(ana, ben)
    assert Unread.objects.count() == 1


def test_a_message_held_for_the_digest_counts_from_when_it_shows(tree: Tree, people: tuple[User, User]) -> None:
    ana, _ben = people
    send(tree, ana, thread="appeal:1")
    later = timezone.now() + dt.timedelta(hours=3)
    Message.objects.filter(recipient=ana).update(visible_at=later)
    assert selectors.unread_threads(ana) == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later + dt.timedelta(seconds=1))
        assert selectors.unread_threads(ana) == 1


def test_a_row_moved_out_of_the_default_partition_stays_unread_once(tree: Tree, people: tuple[User, User]) -> None:
    ana, _ben = people
    long_ago = dt.datetime(2001, 3, 15, 8, 0, tzinfo=dt.UTC)  # no partition for March 2001: the default one
    old = Message.objects.create(
        community=tree.community, recipient=ana, kind=KIND, thread_key="appeal:9", created_at=long_ago
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM inbox_message WHERE id = %s", [old.pk])
        assert cursor.fetchone()[0] == "inbox_message_default"
    assert partitions._create_month(connection, "inbox_message", dt.date(2001, 3, 1))  # moves the row over
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM inbox_message WHERE id = %s", [old.pk])
        assert cursor.fetchone()[0] == "inbox_message_p200103"
    assert_in_step(ana)
    assert selectors.unread_threads(ana) == 1


def test_the_badge_reads_the_unread_table_not_the_partitions(tree: Tree, people: tuple[User, User]) -> None:
    ana, _ben = people
    send(tree, ana, thread="appeal:1")
    with CaptureQueriesContext(connection) as captured:
        assert selectors.unread_threads(ana) == 1
    [query] = captured.captured_queries
    assert "inbox_unread" in query["sql"]
    assert "inbox_message" not in query["sql"]
