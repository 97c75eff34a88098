"""The data migrations that moved the spaces notices and the appeals inbox into ``anju.inbox``.

Each test recreates the old table from the historical migration state, fills it, runs the migration's
``forwards`` and drops the table again."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone, translation

from anju.access.roles import Role
from anju.inbox.models import Message, Outbox
from anju.spaces import services as space_services
from anju.testing import Tree, make_user
from anju.testing.appeals import make_appeals_world
from anju.testing.spaces import days_ahead, local, make_station


@contextmanager
def old_tables(node: tuple[str, str], *names: str) -> Iterator[Any]:
    """The historical apps at ``node``, with the named models' tables created for the block."""
    apps = MigrationLoader(connection).project_state(node).apps
    models = [apps.get_model(node[0], name) for name in names]
    with connection.schema_editor() as editor:
        for model in models:
            editor.create_model(model)
    try:
        yield apps
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(models):
                editor.delete_model(model)


@pytest.mark.django_db(transaction=True)
def test_spaces_notices_become_inbox_messages(tree: Tree) -> None:
    migration = importlib.import_module("anju.spaces.migrations.0005_notices_to_inbox")
    demo = make_station(tree.community)
    owner = make_user(Role.RESIDENT, tree.building)
    booking = space_services.booking_create(
        actor=owner, space=demo.kitchen, starts_at=local(days_ahead(3), 14), ends_at=local(days_ahead(3), 15), title="t"
    ).bookings[0]
    Message.objects.all().delete()
    with old_tables(("spaces", "0005_notices_to_inbox"), "Notice") as apps:
        notice = apps.get_model("spaces", "Notice")
        notice.objects.create(
            community_id=tree.community.pk,
            recipient_id=owner.pk,
            kind="cancelled",
            booking_id=booking.pk,
            reason="停电",
        )
        notice.objects.create(community_id=tree.community.pk, recipient_id=owner.pk, kind="confirmed")  # about nothing
        migration.forwards(apps, None)
    message = Message.objects.get()
    assert message.recipient_id == owner.pk
    assert message.kind == "spaces.booking_cancelled"
    assert message.params["booking"] == booking.pk
    assert message.note == "停电"
    assert message.url == f"/station/bookings/{booking.pk}/"
    assert message.read_at is not None  # already shown on "My bookings": no burst of badges
    with translation.override("en"):
        assert message.title.startswith(f"Your booking of {demo.kitchen.name} at ")
        assert message.title.endswith("was cancelled")


@pytest.mark.django_db(transaction=True)
def test_appeals_notifications_and_outbox_move_with_their_state(tree: Tree) -> None:
    migration = importlib.import_module("anju.appeals.migrations.0005_notifications_to_inbox")
    world = make_appeals_world(tree)
    appeal = world.file()
    Message.objects.all().delete()
    at = timezone.now()
    with old_tables(("appeals", "0005_notifications_to_inbox"), "Notification", "Outbox") as apps:
        notification = apps.get_model("appeals", "Notification")
        outbox = apps.get_model("appeals", "Outbox")
        read = notification.objects.create(
            community_id=tree.community.pk,
            user_id=world.worker.pk,
            appeal_id=appeal.pk,
            kind="appeal.filed",
            title="新诉求",
            created_at=at,
            read_at=at,
        )
        outbox.objects.create(
            community_id=tree.community.pk, notification=read, state="sent", attempts=1, created_at=at
        )
        notification.objects.create(
            community_id=tree.community.pk,
            user_id=world.liaison.pk,
            appeal_id=appeal.pk,
            kind="appeal.dispatched",  # the appeal has no department yet: the old sentence is kept
            title="诉求已派发",
            created_at=at,
        )
        migration.forwards(apps, None)
    filed = Message.objects.get(kind="appeal.filed")
    assert filed.recipient_id == world.worker.pk
    assert filed.read_at == at
    assert filed.params["number"] == appeal.number
    assert filed.url == f"/appeals/{appeal.pk}/"
    assert "note" not in filed.params
    with translation.override("en"):
        assert filed.title == f"New appeal {appeal.number}: {world.category.name}"
    assert filed.outbox.state == Outbox.State.SENT
    assert filed.outbox.attempts == 1
    dispatched = Message.objects.get(kind="appeal.dispatched")
    assert dispatched.note == "诉求已派发"
    assert dispatched.read_at is None
    assert not Outbox.objects.filter(message=dispatched).exists()


def test_existing_messages_are_threaded_and_shown_from_when_they_were_sent(tree: Tree) -> None:
    """inbox/0002 backfills the messages written before threads: by the object they name, else their link,
    else each on its own; shown from when they were sent."""
    from django.apps import apps

    from anju.inbox.services import inbox_send

    backfill = importlib.import_module("anju.inbox.migrations.0002_threads_settings_digest_sms").backfill
    user = make_user(Role.RESIDENT, tree.building)
    for params, url in [({"appeal": 4}, "/appeals/4/"), ({"booking": 9}, ""), ({}, "/activities/2/"), ({}, "")]:
        inbox_send(recipients=[user], kind="tests.backfill", community=tree.community, params=params, url=url)
    sent = timezone.now() - dt.timedelta(days=3)
    Message.objects.update(thread_key="", visible_at=timezone.now(), created_at=sent)
    backfill(apps, None)
    rows = list(Message.objects.order_by("id").values_list("pk", "thread_key", "visible_at"))
    assert [key for _, key, _ in rows[:3]] == ["appeal:4", "booking:9", "/activities/2/"]
    assert rows[3][1] == f"once:{rows[3][0]}"
    assert {shown for _, _, shown in rows} == {sent}
