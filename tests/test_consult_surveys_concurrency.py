"""One answer per household under a crowd: 50 submissions at once for the same household, half online from the
resident's phone and half from paper forms typed in by a worker, through the API, on SQLite (a file database, the
embedded setup) and on PostgreSQL. Exactly one is taken; every other gets a clear 422; nothing else is written."""

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
from anju.consult.models import Ballot, Participation
from anju.testing import racers_the_server_admits, sqlite_file_database, thread_connection
from anju.testing.surveys import make_survey_world

# A race of tens of connections: one worker runs these one after another (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("connections")

ATTEMPTS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_answers_for_one_household_online_and_paper_take_one(tmp_path: Path) -> None:
    with sqlite_file_database(tmp_path / "surveys.sqlite3"), translation.override("en"):
        attempts = racers_the_server_admits(ATTEMPTS)
        assert attempts >= 40, attempts
        sw = make_survey_world()
        survey, household = sw.survey, sw.households[0]
        resident, worker = sw.users["resident"], sw.users["community_worker"]
        tokens = {
            "online": account_services.token_create(actor=resident, user=resident, name="phone", days=1)[1],
            "paper": account_services.token_create(actor=worker, user=worker, name="desk", days=1)[1],
        }
        answers = [
            {"question_id": sw.single.pk, "options": [sw.single.options.first().pk]},
            {"question_id": sw.multiple.pk, "options": [o.pk for o in sw.multiple.options.all()[:2]]},
            {"question_id": sw.rating.pk, "rating": 4},
        ]
        requests = [
            ("online", f"/api/v1/consult/surveys/{survey.pk}/answers", {"answers": answers}),
            ("paper", f"/api/v1/consult/surveys/{survey.pk}/paper", {"answers": answers, "household_id": household.pk}),
        ]
        results: list[tuple[str, int, dict[str, Any]]] = []
        start_line = threading.Barrier(attempts)
        lock = threading.Lock()

        def attempt(n: int) -> None:
            channel, url, body = requests[n % 2]
            client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[channel]}", HTTP_ACCEPT_LANGUAGE="en")
            with thread_connection():
                start_line.wait(timeout=60)
                response = client.post(url, body, content_type="application/json")
                with lock:
                    results.append((channel, response.status_code, response.json()))

        began = time.monotonic()
        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        print(f"\n{connection.vendor}: {attempts} answers for one household in {time.monotonic() - began:.1f}s")

        codes = Counter(code for _channel, code, _body in results)
        assert codes == {201: 1, 422: attempts - 1}, codes
        refused = [body for _channel, code, body in results if code == 422]
        # In the account's language (zh-Hans here): "this household has answered already, one per household".
        assert all("每户只能填一份" in str(body) for body in refused), refused[:3]
        assert Participation.objects.filter(survey=survey).count() == 1
        assert Participation.objects.get(survey=survey).household_id == household.pk
        assert Ballot.objects.filter(survey=survey).count() == 4  # 1 single + 2 multiple + 1 rating
        assert AuditEvent.objects.filter(action="consult.survey_answered").count() == 1
