"""Acknowledgement uniqueness under a race, on both databases: 50 submissions of one household's acknowledgement
at once (the resident online, and workers recording the paper form, all through the API) write exactly one row
and one audit row; every other answer is a clear 422, never a 500.

PostgreSQL: the unique constraint (version, household) stands behind the service's check, and the losers'
IntegrityError becomes the same validation error. SQLite: the IMMEDIATE write transaction serialises writers;
the test runs on a file copy with the production options (as the duty race test does)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from anju.accounts import services as account_services
from anju.audit.models import AuditEvent
from anju.consult.models import Acknowledgement
from anju.testing import make_user, sqlite_file_database, thread_connection
from anju.testing.convention import in_force, make_convention_world

# A race of tens of connections: one worker runs these one after another (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("connections")

RACERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_acknowledgements_of_one_household_at_once_write_one(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "acks.sqlite3"), translation.override("en"):
        cw = make_convention_world()
        version = in_force(cw.community, actor=cw.worker)
        household = cw.households[0]
        workers = [cw.worker, cw.secretary] + [make_user("community_worker", cw.community) for _ in range(3)]
        tokens = {
            u.pk: str(account_services.token_create(actor=None, user=u, name="race", days=1)[1])
            for u in [cw.resident, *workers]
        }
        url = f"/api/v1/consult/conventions/versions/{version.pk}/acknowledgements"
        results: list[int] = []
        lock = threading.Lock()
        start_line = threading.Barrier(RACERS)

        def run(i: int) -> None:
            with thread_connection():
                if i % 2:
                    user, body = cw.resident, {"method": "online"}
                else:
                    user, body = workers[i % len(workers)], {"method": "paper_worker", "household_id": household.pk}
                client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}")
                start_line.wait(timeout=60)
                code = client.post(url, body, content_type="application/json").status_code
                with lock:
                    results.append(code)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert Counter(results) == {201: 1, 422: RACERS - 1}
        assert Acknowledgement.objects.filter(version=version, household=household).count() == 1
        assert AuditEvent.objects.filter(action="convention.acknowledged").count() == 1
