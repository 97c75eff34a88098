"""The daily digest: messages held for it show at digest time, and each person gets one digest a day
(in the app, by email when chosen), however often and by however many workers the job runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation

from anju.access.roles import Role
from anju.accounts.models import User
from anju.inbox import digest, kinds, selectors, tasks
from anju.inbox.models import DigestRun, Message, NoticeSetting, Outbox
from anju.inbox.services import inbox_send
from anju.testing import Tree, build_tree, email_everyone, make_user, sqlite_file_database, thread_connection

TODAY = timezone.localtime(timezone.now()).date()


def local(hour: int, minute: int = 0, *, days: int = 0) -> datetime:
    naive = datetime.combine(TODAY + timedelta(days=days), datetime.min.time()).replace(hour=hour, minute=minute)
    return timezone.make_aware(naive)


@pytest.fixture
def clock(monkeypatch: Any) -> Callable[[datetime], None]:
    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


@pytest.fixture
def worker(tree: Tree) -> User:
    return make_user(Role.COMMUNITY_WORKER, tree.community, username="digest_worker")


def filed(tree: Tree, user: User, appeal: int) -> None:
    inbox_send(
        recipients=[user],
        kind="appeal.filed",
        community=tree.community,
        params={"appeal": appeal, "number": f"A{appeal}", "category": "路灯"},
        url=f"/appeals/{appeal}/",
    )


def test_held_messages_show_at_digest_time_with_one_digest(tree: Tree, worker: User, clock: Any) -> None:
    clock(local(15))
    for appeal in (1, 2, 3):
        filed(tree, worker, appeal)
    assert selectors.unread_threads(worker) == 0
    assert digest.send_due() == 0  # today's digest time (08:00) has passed; these wait for tomorrow's
    clock(local(7, 59, days=1))
    assert digest.send_due() == 0
    assert selectors.unread_threads(worker) == 0
    clock(local(8, 0, days=1))
    assert digest.send_due() == 1
    assert selectors.unread_threads(worker) == 4  # three appeals and the digest
    note = Message.objects.get(recipient=worker, kind=kinds.DIGEST)
    with translation.override("en"):
        assert note.title == "Daily digest of unread messages (3)"
    with translation.override("zh-hans"):
        assert "3" in note.title
        assert "Daily" not in note.title
    # Again, later the same day: nothing more.
    clock(local(9, 0, days=1))
    assert digest.send_due() == 0
    assert tasks.send_digests() == 0
    assert Message.objects.filter(kind=kinds.DIGEST).count() == 1
    assert DigestRun.objects.get().threads == 3


def test_no_digest_without_anything_waiting_or_unread(tree: Tree, worker: User, clock: Any) -> None:
    resident = make_user(Role.RESIDENT, tree.building)
    clock(local(15))
    filed(tree, resident, 1)  # residents get new appeals at once: nothing for the digest
    filed(tree, worker, 2)
    Message.objects.filter(recipient=worker).update(read_at=local(15))  # read it early (e.g. over the API)
    clock(local(8, 0, days=1))
    assert digest.send_due() == 0
    assert not Message.objects.filter(kind=kinds.DIGEST).exists()
    assert DigestRun.objects.get().user == worker  # looked at once; not again today


def test_email_digest_lists_the_unread_threads_in_the_readers_language(
    tree: Tree, clock: Any, settings: Any, monkeypatch: Any
) -> None:
    email_everyone(settings, monkeypatch)
    resident = make_user(Role.RESIDENT, tree.building, preferred_language="en")
    NoticeSetting.objects.create(user=resident, kind="appeal.callback", channel="email", mode="digest")
    clock(local(15))
    inbox_send(
        recipients=[resident],
        kind="appeal.callback",
        community=tree.community,
        params={"appeal": 5, "number": "A5"},
        url="/appeals/5/",
    )
    message = Message.objects.get()
    assert message.visible_at <= timezone.now()  # in the app at once
    assert not Outbox.objects.exists()  # by email only in the digest
    clock(local(8, 0, days=1))
    assert digest.send_due() == 1
    note = Message.objects.get(kind=kinds.DIGEST)
    assert note.read_at is not None  # the app was not set to digest: the in-app copy is filed as read
    assert tasks.deliver_outbox() == 1
    assert mail.outbox[0].subject == "Daily digest of unread messages (1)"
    assert "- Appeal A5 was handled: was it resolved?" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_two_workers_write_each_digest_once(clock: Any, tmp_path: Any) -> None:
    clock(local(15))
    start = threading.Barrier(2)
    with sqlite_file_database(tmp_path / "digest.sqlite3"):
        tree = build_tree()
        workers = [make_user(Role.COMMUNITY_WORKER, tree.community) for _ in range(6)]
        for w in workers:
            filed(tree, w, 1)
        clock(local(8, 30, days=1))
        errors: list[BaseException] = []
        counts: dict[str, int] = {}

        def run(label: str) -> None:
            with thread_connection():
                try:
                    start.wait(timeout=30)
                    counts[label] = digest.send_due()
                except BaseException as exc:  # noqa: BLE001  reported below
                    errors.append(exc)

        threads = [threading.Thread(target=run, args=(x,)) for x in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert counts["a"] + counts["b"] == 6
        assert Message.objects.filter(kind=kinds.DIGEST).count() == 6
        assert DigestRun.objects.count() == 6
