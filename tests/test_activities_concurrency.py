"""Capacity under load: 100 residents register for 10 places at the same moment through the API; exactly 10
are confirmed and 90 wait, and the session's counter agrees with the rows. On PostgreSQL as many residents as
the server has connections free for (``max_connections`` less those in use and a margin: 100 threads and the
test's own connection overrun the default 100, and the overflow is an honest 503, not a capacity bug).

PostgreSQL: the session row is locked FOR UPDATE, so registrations queue on it. SQLite: the IMMEDIATE write
transaction serialises them; the in-memory shared-cache test database fails table locks at once instead of
waiting, so (as tests/test_spaces_concurrency.py does) the test runs on a file copy with the production
connection options. On both backends the CHECK constraint (taken <= capacity) stands behind the code.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test import Client
from django.utils import translation

from anju.access.roles import Role
from anju.accounts import services as account_services
from anju.activities import services
from anju.activities.models import Activity, Registration, Session
from anju.audit.models import AuditEvent
from anju.inbox.models import Message
from anju.testing import make_user, racers_the_server_admits, sqlite_file_database, thread_connection
from anju.testing.activities import first_session, make_activity, make_activity_world

# A race of tens of connections: one worker runs these one after another (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("connections")

ATTEMPTS = 100
PLACES = 10


@pytest.mark.django_db(transaction=True)
def test_hundred_concurrent_registrations_for_ten_places(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "activities.sqlite3"), translation.override("en"):
        attempts = racers_the_server_admits(ATTEMPTS)
        assert attempts >= 50, attempts  # still a crowd for ten places
        activity_world = make_activity_world()
        activity = make_activity(activity_world, capacity=PLACES, target_tags=[], category=Activity.Category.SPORTS)
        session = first_session(activity)
        tokens = []
        for _ in range(attempts):
            user = make_user(Role.RESIDENT, activity_world.tree.building)
            tokens.append(account_services.token_create(actor=user, user=user, name="test", days=1)[1])
        results: list[tuple[int, dict[str, Any]]] = []
        start_line = threading.Barrier(attempts)
        lock = threading.Lock()

        def attempt(token: str) -> None:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            try:
                start_line.wait(timeout=60)
                response = client.post(
                    f"/api/v1/activity-sessions/{session.pk}/registrations", {}, content_type="application/json"
                )
                with lock:
                    results.append((response.status_code, response.json()))
            finally:
                connection.close()

        began = time.monotonic()
        threads = [threading.Thread(target=attempt, args=(t,)) for t in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"\n{connection.vendor}: {attempts} registrations in {time.monotonic() - began:.1f}s")

        assert Counter(code for code, _body in results) == {201: attempts}
        assert Counter(body["status"] for _code, body in results) == {
            "confirmed": PLACES,
            "waitlisted": attempts - PLACES,
        }
        rows = Registration.objects.filter(session=session)
        assert rows.filter(status="confirmed").count() == PLACES
        assert rows.filter(status="waitlisted").count() == attempts - PLACES
        session.refresh_from_db()
        assert session.taken == PLACES
        positions = sorted(body["waitlist_position"] for _code, body in results if body["status"] == "waitlisted")
        assert positions[0] >= 1
        assert positions[-1] <= attempts - PLACES

        # The database itself refuses a place beyond the capacity, whatever the code does.
        with pytest.raises(IntegrityError), transaction.atomic():
            Session.objects.filter(pk=session.pk).update(taken=F("taken") + 1)
        session.refresh_from_db()
        assert session.taken == PLACES


# --- one state change, one audit row ---------------------------------------------------------------------------

CANCELS = 8


@pytest.mark.django_db(transaction=True)
def test_simultaneous_cancels_of_one_registration_change_it_once(tmp_path: Path) -> None:
    """N phones cancel the same registration at the same moment through the API: one 200, the rest 422, one
    audit row, and the freed place is offered once (to the one person waiting)."""
    with sqlite_file_database(tmp_path / "cancels.sqlite3"), translation.override("en"):
        activity_world = make_activity_world()
        session = first_session(make_activity(activity_world, capacity=1, target_tags=[]))
        reg = services.registration_create(actor=activity_world.users["resident"], session=session)
        waiting = services.registration_create(actor=activity_world.users["young"], session=session)
        assert (reg.status, waiting.status) == ("confirmed", "waitlisted")
        user = activity_world.users["resident"]
        token = account_services.token_create(actor=user, user=user, name="test", days=1)[1]
        results: list[int] = []
        start_line = threading.Barrier(CANCELS)
        lock = threading.Lock()

        def cancel() -> None:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            with thread_connection():
                start_line.wait(timeout=30)
                response = client.post(
                    f"/api/v1/registrations/{reg.pk}/cancel", {"reason": ""}, content_type="application/json"
                )
                with lock:
                    results.append(response.status_code)

        threads = [threading.Thread(target=cancel) for _ in range(CANCELS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert Counter(results) == {200: 1, 422: CANCELS - 1}
        assert AuditEvent.objects.filter(action="activity.registration_cancelled", object_id=str(reg.pk)).count() == 1
        waiting.refresh_from_db()
        assert waiting.status == Registration.Status.OFFERED
        session.refresh_from_db()
        assert session.taken == 1
        assert Message.objects.filter(kind="activities.offer").count() == 1


def test_a_stale_copy_cannot_cancel_twice_or_check_in_a_cancelled_place(db: Any) -> None:
    """What two requests see when each loaded the registration before the other wrote: the second cancel is
    refused (no second audit row), and a tick from a stale door page does not check in a cancelled place."""
    with translation.override("en"):
        activity_world = make_activity_world()
        session = first_session(make_activity(activity_world, capacity=1, target_tags=[], soon=True))
        reg = services.registration_create(actor=activity_world.users["resident"], session=session)
        services.registration_create(actor=activity_world.users["young"], session=session)
        stale = Registration.objects.get(pk=reg.pk)
        services.registration_cancel(actor=activity_world.users["resident"], registration=reg)
        with pytest.raises(ValidationError, match="already cancelled"):
            services.registration_cancel(actor=activity_world.users["resident"], registration=stale)
        assert AuditEvent.objects.filter(action="activity.registration_cancelled").count() == 1
        with pytest.raises(ValidationError, match="no confirmed place"):
            services.checkin_tick(actor=activity_world.users["volunteer"], registration=stale)
        assert not Registration.objects.filter(checked_in_at__isnull=False).exists()
        assert Registration.objects.filter(status=Registration.Status.OFFERED).count() == 1
