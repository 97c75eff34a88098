"""One vote per household under a crowd: 50 votes at once from one household's resident, through the API, on
SQLite (a file database, the embedded setup) and on PostgreSQL. Exactly one is taken; every other gets a clear
422 in the resident's language; nothing else is written."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from anju.accounts import services as account_services
from anju.audit.models import AuditEvent
from anju.consult.honours.evaluation import services as evaluation
from anju.consult.models import Vote
from anju.testing import racers_the_server_admits, sqlite_file_database, thread_connection
from anju.testing.honours import make_honours_world, notice_over, on_notice

# A race of tens of connections: one worker runs these one after another (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("connections")

ATTEMPTS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_votes_from_one_household_take_one(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "honours.sqlite3"), translation.override("en"):
        attempts = racers_the_server_admits(ATTEMPTS)
        assert attempts >= 40, attempts
        hw = make_honours_world()
        campaign, (wang, sun) = on_notice(hw, vote_round=True)
        campaign = evaluation.vote_open(actor=hw.secretary, campaign=notice_over(campaign))
        token = account_services.token_create(actor=hw.resident, user=hw.resident, name="phone", days=1)[1]
        targets = [wang.pk, sun.pk]
        results: list[tuple[int, dict[str, Any]]] = []
        start_line = threading.Barrier(attempts)
        lock = threading.Lock()

        def attempt(n: int) -> None:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
            with thread_connection():
                start_line.wait(timeout=60)
                response = client.post(f"/api/v1/consult/honours/nominations/{targets[n % 2]}/votes")
                with lock:
                    results.append((response.status_code, response.json()))

        began = time.monotonic()
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        print(f"\n{connection.vendor}: {attempts} votes from one household in {time.monotonic() - began:.1f}s")

        codes = Counter(code for code, _body in results)
        assert codes == {201: 1, 422: attempts - 1}, codes
        refused = [body for code, body in results if code == 422]
        # In the account's language (zh-Hans here): "one vote per household".
        assert all("每户只能投一票" in str(body) for body in refused), refused[:3]
        assert Vote.objects.filter(campaign=campaign).count() == 1
        assert Vote.objects.get(campaign=campaign).household_id == hw.households[0].pk
        assert AuditEvent.objects.filter(action="honours.voted").count() == 1
