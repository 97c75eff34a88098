"""The invariant under load (DESIGN.md rule 4): 50 residents try to book the same slot at the same moment
through the API, 20 times over. Each time exactly one wins, 49 get 409 with a clear message, none gets a
500, and the table holds exactly one booking of that slot.

PostgreSQL: the exclusion constraint decides races that pass the Python check at the same time.
SQLite: the IMMEDIATE write transaction serialises check and insert. pytest-django's SQLite test database
lives in memory with a shared cache, whose table locks fail at once instead of waiting ("database table is
locked"), unlike the WAL file Anju runs on; so on SQLite this test copies the test database to a file in
tmp_path (anju.testing.sqlite_file_database) and runs against that with the production connection options
(WAL, IMMEDIATE).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.audit.models import AuditEvent
from anju.spaces import services as space_services
from anju.spaces.models import Booking, Occupancy
from anju.testing import build_tree, make_user, sqlite_file_database, thread_connection
from anju.testing.spaces import days_ahead, local, make_station

# A race of tens of connections: one worker runs these one after another (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("connections")

ATTEMPTS = 50
ROUNDS = 20


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_attempts_one_winner_twenty_times(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "concurrency.sqlite3"), translation.override("en"):
        tree = build_tree()
        kitchen = make_station(tree.community).kitchen
        tokens = []
        for _ in range(ATTEMPTS):
            user = make_user(Role.RESIDENT, tree.building)
            tokens.append(account_services.token_create(actor=user, user=user, name="test", days=1)[1])
        slots = [(local(days_ahead(1 + n), 10), local(days_ahead(1 + n), 11)) for n in range(ROUNDS)]
        results: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(ROUNDS)]
        start_line = threading.Barrier(ATTEMPTS)
        lock = threading.Lock()

        def attempt(token: str) -> None:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            client.cookies["anju_language"] = "en"
            try:
                for n, (starts, ends) in enumerate(slots):
                    start_line.wait(timeout=60)  # all 50 fire together, round after round
                    response = client.post(
                        "/api/v1/bookings",
                        {
                            "space_id": kitchen.pk,
                            "starts_at": starts.isoformat(),
                            "ends_at": ends.isoformat(),
                            "title": "包饺子",
                        },
                        content_type="application/json",
                    )
                    with lock:
                        results[n].append((response.status_code, response.json()))
            finally:
                connection.close()

        began = time.monotonic()
        threads = [threading.Thread(target=attempt, args=(t,)) for t in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        print(f"\n{connection.vendor}: {ATTEMPTS * ROUNDS} booking attempts in {elapsed:.1f}s")

        for n, (starts, ends) in enumerate(slots):
            codes = Counter(code for code, _body in results[n])
            assert codes == {201: 1, 409: ATTEMPTS - 1}, f"round {n}: {codes}"
            for code, body in results[n]:
                if code == 409:
                    assert body["error"]["code"] == "conflict"
                    assert "共享厨房 is already booked" in body["error"]["message"]
            held = Booking.objects.filter(space=kitchen, starts_at__lt=ends, ends_at__gt=starts)
            assert held.count() == 1
            assert Occupancy.objects.filter(space=kitchen, starts_at__lt=ends, ends_at__gt=starts).count() == 1
        assert Booking.objects.count() == ROUNDS
        assert len({b.booker_id for b in Booking.objects.all()}) >= 1
        assert all(b.ends_at - b.starts_at == timedelta(hours=1) for b in Booking.objects.all())


CANCELS = 8


@pytest.mark.django_db(transaction=True)
def test_simultaneous_cancels_of_one_booking_change_it_once(tmp_path: Path) -> None:
    """The booking's row is locked and its status read again inside the transaction: of N cancels sent at once
    one answers 200, the others 422, and one audit row is written."""
    with sqlite_file_database(tmp_path / "cancels.sqlite3"), translation.override("en"):
        tree = build_tree()
        kitchen = make_station(tree.community).kitchen
        owner = make_user(Role.RESIDENT, tree.building)
        booking = space_services.booking_create(
            actor=owner, space=kitchen, starts_at=local(days_ahead(2), 10), ends_at=local(days_ahead(2), 11), title="t"
        ).bookings[0]
        token = account_services.token_create(actor=owner, user=owner, name="test", days=1)[1]
        results: list[int] = []
        start_line = threading.Barrier(CANCELS)
        lock = threading.Lock()

        def cancel() -> None:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            with thread_connection():
                start_line.wait(timeout=30)
                response = client.post(
                    f"/api/v1/bookings/{booking.pk}/cancel", {"reason": ""}, content_type="application/json"
                )
                with lock:
                    results.append(response.status_code)

        threads = [threading.Thread(target=cancel) for _ in range(CANCELS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert Counter(results) == {200: 1, 422: CANCELS - 1}
        assert AuditEvent.objects.filter(action="booking.cancelled", object_id=str(booking.pk)).count() == 1
        assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
