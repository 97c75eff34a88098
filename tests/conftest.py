from __future__ import annotations

import atexit
import importlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.base.operations import BaseDatabaseOperations
from django.test import Client
from django.utils import translation

from anju.accounts.models import User
from anju.core import crypto, replica
from anju.testing import Tree, build_tree, make_user
from anju.testing.activities import ActivityWorld, make_activity_world
from anju.testing.appeals import AppealsWorld, make_appeals_world
from anju.testing.people import PeopleWorld, make_people_world
from anju.testing.spaces import Demo, make_station

# Each test run keeps its own session cache: two runs side by side (SQLite and PostgreSQL) must not empty each
# other's cache between a test's requests.
_SESSION_CACHE_DIR = tempfile.mkdtemp(prefix="anju-test-sessions-")
settings.CACHES[settings.SESSION_CACHE_ALIAS]["LOCATION"] = _SESSION_CACHE_DIR
atexit.register(shutil.rmtree, _SESSION_CACHE_DIR, ignore_errors=True)


class _RawSQL:
    """Just enough of a schema editor for the audit trigger migration's functions."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Any = None) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)


@pytest.fixture(autouse=True)
def _fresh_session_cache() -> None:
    """Sessions and signed-in users are cached by key and user id (``accounts.usercache``); a rolled-back
    test's ids come back in the next test, so every test starts with the cache empty."""
    from django.core.cache import caches

    caches[settings.SESSION_CACHE_ALIAS].clear()
    return


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Every test starts in the site's language (zh-Hans): a test client's request leaves its language active in
    the thread, and a test that asserted English only because an earlier test had asked for it in English
    passed or failed by the order the processes drew the tests in. A test that wants English asks for it
    (the ``english`` fixture)."""
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session", autouse=True)
def _flush_past_audit_triggers() -> Iterator[None]:
    """A transactional test (``django_db(transaction=True)``) ends by flushing every table; the
    append-only audit triggers rightly refuse that (TRUNCATE on PostgreSQL, DELETE on SQLite).
    Lift them for the test runner's flush only and put them back straight after."""
    modules = [
        importlib.import_module("anju.audit.migrations.0002_append_only_triggers"),
        importlib.import_module("anju.duty.migrations.0002_append_only_ledgers"),  # the hours and points ledgers
        importlib.import_module("anju.contributions.migrations.0002_append_only_ledger"),  # the co-building ledger
    ]
    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: BaseDatabaseOperations, sql_list: Any) -> None:
        raw = _RawSQL(self.connection)
        for triggers in modules:
            triggers.drop_triggers(None, raw)
        try:
            original(self, sql_list)
        finally:
            for triggers in modules:
                triggers.create_triggers(None, raw)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """With a real replica (``ANJU_TEST_REPLICA_URL``, see the root conftest.py), the ``replica`` alias is a
    test mirror of ``default``: Django points it at the primary's test database. Point it back at the
    replica's host and port, keeping the test database's name (it streams over from the primary)."""
    url = os.environ.get("ANJU_TEST_REPLICA_URL", "")
    if url and "replica" in settings.DATABASES:
        real = dj_database_url.parse(url)
        mirrored = {
            **connections["default"].settings_dict,
            "HOST": real["HOST"],
            "PORT": real["PORT"],
            "USER": real["USER"] or connections["default"].settings_dict["USER"],
            "PASSWORD": real["PASSWORD"],
            "OPTIONS": {"connect_timeout": 3},
            "TEST": {**connections["default"].settings_dict["TEST"], "MIRROR": "default"},
        }
        connections["replica"].close()
        connections["replica"].settings_dict = mirrored
        connections.settings["replica"] = mirrored  # the connections of other threads too
        with django_db_blocker.unblock():
            _wait_for_replica(timeout=180)


def _wait_for_replica(*, timeout: float) -> None:
    """Until the standby has replayed the test database's creation and migrations (a busy primary's WAL
    may take a while to replay)."""
    import time

    from django.db import DatabaseError

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        try:
            with connections["replica"].cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if cursor.fetchone()[0]:
                    return
        except DatabaseError:
            connections["replica"].close()  # the test database has not streamed over yet
        if time.monotonic() > deadline:
            return  # tests/test_replica.py then says what is wrong
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def _replica_only_where_asked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A configured replica is read only by tests that name it (``django_db(databases=[..., "replica"])``);
    every other test reads the primary, as it would without a replica."""
    if "replica" not in settings.DATABASES:
        return
    marker = request.node.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases") if marker else None
    if databases != "__all__" and "replica" not in (databases or ()):
        monkeypatch.setattr(replica, "configured", lambda: False)


@pytest.fixture
def tree(db: Any) -> Tree:
    return build_tree()


@pytest.fixture
def user_factory(db: Any) -> Callable[..., User]:
    return make_user


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def login(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def world(tree: Tree) -> AppealsWorld:
    """The appeals world (categories, routes, staff) on top of ``tree``; see ``anju.testing.appeals``.

    ``world`` always means this one; the other domains' scenes are named after them."""
    return make_appeals_world(tree)


@pytest.fixture
def activity_world(db: Any) -> ActivityWorld:
    """A community with residents, households, a station and staff for activities; ``anju.testing.activities``."""
    return make_activity_world()


@pytest.fixture
def people_world(db: Any) -> PeopleWorld:
    """The resident registry's households, residents and tags in two communities; ``anju.testing.people``."""
    return make_people_world()


@pytest.fixture
def demo(tree: Tree) -> Demo:
    """A station in ``tree.community`` with a kitchen and a reading room; see ``anju.testing.spaces``."""
    return make_station(tree.community)


@pytest.fixture
def english() -> Iterator[None]:
    """Assert on the English source strings, whatever catalogue is compiled. Modules opt in with
    ``pytest.mark.usefixtures("english")``."""
    with translation.override("en"):
        yield


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> None:
    """Uploaded files go to a per-test directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def key_file(tmp_path: Path, settings: Any, monkeypatch: Any) -> Iterator[Path]:
    """Data keys in a key file of the test's own (as in the embedded setup), so ``rotate_keys`` may write
    a new one."""
    monkeypatch.delenv("ANJU_DATA_KEYS", raising=False)
    path = tmp_path / "keys" / "data-keys.json"
    settings.DATA_KEY_FILE = path
    crypto.keyring.cache_clear()
    yield path
    crypto.keyring.cache_clear()
