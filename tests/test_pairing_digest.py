"""The weekly digest goes to each central household exactly once per week: again and again, under two workers
at once (PostgreSQL: the unique key; SQLite: a file database), and after a worker dies at any point of it
(the row and the message commit together, so a crash — kill -9 included — leaves neither)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from anju.inbox.models import Message
from anju.pairing import plan, services
from anju.pairing.models import DigestSent
from anju.testing import sqlite_file_database, thread_connection
from anju.testing.pairing import make_pairing_world

MONDAY = plan.week_of(timezone.localdate())[0]  # pairings start today: due this week


class Crash(Exception):
    pass


def _digests(user: Any) -> int:
    return Message.objects.filter(recipient=user, kind="pairing.weekly").count()


@pytest.mark.django_db
def test_once_per_week_whatever_the_worker_does() -> None:
    world = make_pairing_world()
    for h in world.households:
        services.pairing_set(actor=None, household=h, central=world.central)
    for point in ("row", "sent", "commit"):

        def hook(at: str, point: str = point) -> None:
            if at == point:
                raise Crash(point)

        with pytest.raises(Crash):
            services.digests_send_due(today=MONDAY, hook=hook)
        assert _digests(world.users["volunteer"]) == 0  # rolled back whole
    assert services.digests_send_due(today=MONDAY) == 2  # both central households of the world
    assert services.digests_send_due(today=MONDAY + dt.timedelta(days=3)) == 0  # same week
    assert _digests(world.users["volunteer"]) == 1
    row = DigestSent.objects.get(central=world.central, week=MONDAY)
    assert row.due == len(world.households)
    message = Message.objects.get(recipient=world.users["volunteer"], kind="pairing.weekly")
    assert message.params["due"] == len(world.households)
    assert services.digests_send_due(today=MONDAY + dt.timedelta(days=7)) == 2  # next week
    assert _digests(world.users["volunteer"]) == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_digest(tmp_path: Path) -> None:
    world = make_pairing_world()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    sent: dict[str, int] = {}

    def worker(label: str) -> None:
        with thread_connection():
            try:
                barrier.wait(timeout=30)
                sent[label] = services.digests_send_due(today=MONDAY)
            except BaseException as exc:  # noqa: BLE001  reported below
                errors.append(exc)

    with sqlite_file_database(tmp_path / "digest.sqlite3"):
        threads = [threading.Thread(target=worker, args=(x,)) for x in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert sent["a"] + sent["b"] == 2
        assert _digests(world.users["volunteer"]) == 1
        assert DigestSent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_unique_key_holds_when_both_pass_the_check(tmp_path: Path) -> None:
    """Both workers read "not sent yet" before either writes: the database key decides."""
    world = make_pairing_world()
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        with thread_connection():
            try:
                barrier.wait(timeout=30)
                results.append(services.digest_send(central=world.central, week=MONDAY, due=3))
            except BaseException as exc:  # noqa: BLE001  reported below
                errors.append(exc)

    with sqlite_file_database(tmp_path / "digest-key.sqlite3"):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert sorted(results) == [False, True]
        assert _digests(world.users["volunteer"]) == 1
