"""The read replica (``anju.core.replica``): dashboards, exports and reports read from it when one is configured;
writes, transactions, non-GET requests and whoever just wrote stay on the primary; a replica that does not
answer is skipped, never a 500; a lagging replica is said on the page.

The tests marked ``real_replica`` need a real PostgreSQL streaming standby of the test database's cluster:
``.ci/replica.sh start`` and ``ANJU_TEST_REPLICA_URL=postgres://postgres@127.0.0.1:5433/postgres`` (``.ci/run``
does both). Elsewhere (SQLite, PostgreSQL without a replica) they are skipped and the rest prove that every
read goes to the primary.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from anju.appeals.home import rates_card
from anju.appeals.rates import selectors
from anju.core import replica
from anju.testing import english_client
from anju.testing.appeals import AppealsWorld

WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "CREATE", "ALTER", "DROP")

real_replica = pytest.mark.skipif(
    not os.environ.get("ANJU_TEST_REPLICA_URL") or "replica" not in settings.DATABASES,
    reason="needs a real streaming replica: .ci/replica.sh start and ANJU_TEST_REPLICA_URL (see .ci/run)",
)
on_both = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def _replica_up() -> Iterator[None]:
    replica.mark_up()
    yield
    replica.mark_up()


def _sql(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries]


def _reads_rollup(captured: CaptureQueriesContext) -> bool:
    """Whether the rates' roll-up (daily or monthly) was read on this connection."""
    return any(sql.lstrip().upper().startswith("SELECT") and "rollup" in sql.lower() for sql in _sql(captured))


def _writes(sqls: list[str]) -> list[str]:
    return [s for s in sqls if s.lstrip().upper().startswith(WRITES)]


# --- everywhere: without a replica, or inside a transaction, every read is the primary's -------------------


@pytest.mark.django_db
def test_inside_a_transaction_reads_stay_on_the_primary() -> None:
    # A test's transaction stands for a service's: what it reads it may be about to write.
    assert connections["default"].in_atomic_block
    assert replica.replica_alias() == "default"

    @replica.reads
    def where() -> str:
        return replica.current_alias()

    assert where() == "default"


def test_without_a_replica_every_read_is_the_primarys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica, "configured", lambda: False)
    assert replica.replica_alias() == "default"
    assert replica.lag_seconds() == 0.0
    router = replica.ReplicaRouter()
    assert router.db_for_read(None) is None  # Django's default: the primary


def test_writes_always_go_to_the_primary_and_nothing_migrates_on_the_replica() -> None:
    router = replica.ReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "appeals") is False
    assert router.allow_migrate("default", "appeals") is None


def test_only_get_and_head_without_a_recent_write_may_read_the_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "is_down", lambda: False)
    with replica.request_scope(may_read_replica=True) as state:
        assert replica.replica_alias() == "replica"
        state.wrote = True  # this request wrote: its later reads follow the write
        assert replica.replica_alias() == "default"
    with replica.request_scope(may_read_replica=False):  # a POST, or within the sticky period after one
        assert replica.replica_alias() == "default"


def test_a_failed_replica_is_not_asked_again_for_a_while(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica, "configured", lambda: True)
    assert replica.replica_alias() == "replica"
    replica.mark_down(RuntimeError("gone"))
    assert replica.is_down()
    assert replica.replica_alias() == "default"
    replica.mark_up()
    assert replica.replica_alias() == "replica"


def test_the_lag_notice_says_how_far_behind_in_the_readers_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica, "lag_seconds", lambda: 12.4)
    assert replica.lag_notice() == ""  # outside a request
    with replica.request_scope() as state:
        assert replica.lag_notice() == ""  # this page read nothing from the replica
        state.used_replica = True
        with translation.override("en"):
            assert replica.lag_notice() == "The figures here may be about 12 seconds behind."
        with translation.override("zh-hans"):
            assert replica.lag_notice() == "数据延迟约 12 秒"
        monkeypatch.setattr(replica, "lag_seconds", lambda: 3.0)  # under ANJU_REPLICA_LAG_WARN_SECONDS
        assert replica.lag_notice() == ""


@pytest.mark.django_db
@pytest.mark.usefixtures("english")
def test_the_dashboard_reads_the_primary_when_there_is_no_replica_to_read(world: AppealsWorld) -> None:
    world.file()
    client = english_client(world.supervisor)
    with CaptureQueriesContext(connections["default"]) as primary:
        page = client.get(reverse("appeals:rates"))
    assert page.status_code == 200
    assert _reads_rollup(primary)
    assert 'data-testid="replica-lag"' not in page.content.decode()
    assert replica.WROTE_COOKIE not in page.cookies


# --- with a real streaming replica (PostgreSQL, .ci/replica.sh) -------------------------------------------------


def _caught_up(timeout: float = 60.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    with connections["replica"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay up to {lsn} in {timeout}s")
            time.sleep(0.05)


@pytest.fixture
def replicated(world: AppealsWorld) -> AppealsWorld:
    world.file()
    world.file(description="井盖松动")
    _caught_up()
    return world


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_the_replica_is_a_standby_of_the_test_database() -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        in_recovery, name = cursor.fetchone()
    assert in_recovery is True
    assert name == connections["default"].settings_dict["NAME"]
    assert connections["replica"].settings_dict["PORT"] != connections["default"].settings_dict["PORT"]


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_the_rates_page_export_and_api_read_the_replica_and_write_nothing_there(replicated: AppealsWorld) -> None:
    client = english_client(replicated.supervisor)
    for url in (reverse("appeals:rates"), reverse("appeals:rates") + "?format=xlsx", "/api/v1/appeals/rates"):
        with CaptureQueriesContext(connections["replica"]) as rep, CaptureQueriesContext(connections["default"]) as pri:
            response = client.get(url)
        assert response.status_code == 200, url
        assert _reads_rollup(rep), url
        assert not _reads_rollup(pri), url
        assert _writes(_sql(rep)) == [], url
        assert replica.WROTE_COOKIE not in response.cookies, url
    # The figures are the primary's: two appeals received.
    assert client.get("/api/v1/appeals/rates?group=community").json()[0]["counts"]["received"] == 2


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_the_home_cards_read_the_replica(replicated: AppealsWorld) -> None:
    with replica.request_scope(), CaptureQueriesContext(connections["replica"]) as rep:
        card = rates_card(replicated.supervisor, "supervisor")
    assert card is not None
    assert card["total"].counts["received"] == 2
    assert _reads_rollup(rep)
    with CaptureQueriesContext(connections["replica"]) as rep:
        page = english_client(replicated.supervisor).get("/")
    assert page.status_code == 200
    assert _reads_rollup(rep)


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_an_export_reads_the_replica_and_writes_its_audit_row_on_the_primary(replicated: AppealsWorld) -> None:
    client = english_client(replicated.worker)
    with CaptureQueriesContext(connections["replica"]) as rep, CaptureQueriesContext(connections["default"]) as pri:
        response = client.get(reverse("appeals:export"))
    assert response.status_code == 200
    assert any("appeals_appeal" in sql for sql in _sql(rep))
    assert _writes(_sql(rep)) == []
    assert any(sql.startswith("INSERT") and "audit_auditevent" in sql for sql in _sql(pri))


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_after_a_write_this_client_reads_the_primary(replicated: AppealsWorld) -> None:
    client = english_client(replicated.supervisor)
    with CaptureQueriesContext(connections["replica"]) as rep:
        response = client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert _sql(rep) == []  # a POST never reads the replica
    assert response.cookies[replica.WROTE_COOKIE]["max-age"] == settings.ANJU_REPLICA_STICKY_SECONDS
    with CaptureQueriesContext(connections["replica"]) as rep, CaptureQueriesContext(connections["default"]) as pri:
        page = client.get(reverse("appeals:rates"))
    assert page.status_code == 200
    assert _sql(rep) == []
    assert _reads_rollup(pri)
    # Once the sticky period is over the replica is read again.
    client.cookies[replica.WROTE_COOKIE] = str(int(time.time()) - settings.ANJU_REPLICA_STICKY_SECONDS - 1)
    with CaptureQueriesContext(connections["replica"]) as rep:
        assert client.get(reverse("appeals:rates")).status_code == 200
    assert _reads_rollup(rep)


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_a_query_the_standby_cancels_is_read_again_on_the_primary(replicated: AppealsWorld) -> None:
    def cancel(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "rollup" in sql.lower():  # the dashboard's long read, cancelled by the standby replaying WAL
            raise OperationalError("canceling statement due to conflict with recovery")
        return execute(sql, params, many, context)

    client = english_client(replicated.supervisor)
    with connections["replica"].execute_wrapper(cancel), CaptureQueriesContext(connections["default"]) as pri:
        page = client.get(reverse("appeals:rates"))
    assert page.status_code == 200
    assert _reads_rollup(pri)
    assert not replica.is_down()  # it answers: only that query was lost


@pytest.fixture
def dead_replica(replicated: AppealsWorld) -> Iterator[AppealsWorld]:
    """The replica's address now leads nowhere (after the world has streamed over)."""
    conn = connections["replica"]
    saved = conn.settings_dict
    conn.close()
    conn.settings_dict = {**saved, "PORT": "1", "OPTIONS": {"connect_timeout": 2}}
    try:
        yield replicated
    finally:
        conn.close()
        conn.settings_dict = saved


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_a_replica_that_does_not_answer_is_skipped_not_a_500(dead_replica: AppealsWorld) -> None:
    client = english_client(dead_replica.supervisor)
    started = time.monotonic()
    with CaptureQueriesContext(connections["default"]) as pri:
        page = client.get(reverse("appeals:rates"))
    assert page.status_code == 200
    assert _reads_rollup(pri)
    assert replica.is_down()
    # For ANJU_REPLICA_RETRY_SECONDS it is not asked again: the next page costs no connection attempt.
    assert replica.replica_alias() == "default"
    assert client.get("/api/v1/appeals/rates").status_code == 200
    assert time.monotonic() - started < 10


@real_replica
@on_both
@pytest.mark.usefixtures("english")
def test_a_lagging_replica_is_said_on_the_dashboard(replicated: AppealsWorld, settings: Any) -> None:
    settings.ANJU_REPLICA_LAG_WARN_SECONDS = 1
    client = english_client(replicated.supervisor)
    page = client.get(reverse("appeals:rates")).content.decode()
    assert 'data-testid="replica-lag"' not in page  # caught up: lag 0
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        replicated.file(description="楼道灯坏了")  # received by the replica, not replayed
        deadline = time.monotonic() + 10
        with connections["replica"].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()")
                if cursor.fetchone()[0] or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        time.sleep(2.2)
        assert replica.lag_seconds() > 2
        page = client.get(reverse("appeals:rates")).content.decode()
        assert 'data-testid="replica-lag"' in page
        assert "seconds behind" in page
        # The figures are the replica's: the appeal filed while replay is paused is not counted yet.
        assert selectors.rates_report(replicated.supervisor, group="community").total.counts["received"] == 3  # primary
    finally:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    _caught_up()
